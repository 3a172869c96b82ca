"""Outside text on its way to a terminal or a log: shown, never obeyed.

Customers, connectors and models write text we store as received. A terminal, though, obeys
control characters (ESC sequences set its title, clear the screen, hide text) and bidirectional
overrides reorder what it shows; a log obeys newlines. So every place that writes outside text
to a terminal or a log line passes it through ``visible()``, which swaps each such character for
a visible stand-in (``␛`` for ESC, ``␇`` for BEL, ``⟨U+202E⟩`` for a direction override).
"""

from __future__ import annotations

import re

# C0 controls and DEL have Unicode "control pictures" (U+2400 + code, U+2421 for DEL).
_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}

# Bidirectional embeddings, overrides and isolates (the "Trojan Source" characters), and the
# marks that can flip neighbouring text: shown by code point.
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_STAND_INS: dict[int, str] = (
    _C0_PICTURES
    | {code: f"⟨U+{code:04X}⟩" for code in range(0x80, 0xA0)}  # C1 controls (CSI is U+009B)
    | {code: f"⟨U+{code:04X}⟩" for code in _BIDI}
)

_KEPT_IN_TEXT = "\n\t"
_UNSAFE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_STAND_INS)) + "]")


def visible(text: str, *, one_line: bool = False) -> str:
    """``text`` with every control character and direction override shown as a stand-in.

    Newlines and tabs stay, unless ``one_line`` (a log field, a table cell): then they are
    shown too, so the text cannot start a line of its own.
    """

    def stand_in(match: re.Match[str]) -> str:
        char: str = match.group()
        if char in _KEPT_IN_TEXT and not one_line:
            return char
        return _STAND_INS[ord(char)]

    return _UNSAFE.sub(stand_in, text)
