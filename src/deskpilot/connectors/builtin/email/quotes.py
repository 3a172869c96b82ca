"""A reply's new text: the quoted history and the signature below it taken away.

The thread already holds what was quoted, and a draft should answer what the customer just
said. mail-parser-reply knows the attribution lines of Gmail, Outlook and Apple Mail in a dozen
languages ("On ... wrote:", "Am ... schrieb", "Le ... a écrit", "From:/Sent:" blocks) and the
common signatures; a fallback here catches what it misses: an attribution line of any language
(a line ending in ":" right above ">"-quoted lines) and a trailing block of ">" lines. When
stripping would leave nothing, the whole text is kept: losing a customer's words is worse than
showing a quote twice.
"""

from __future__ import annotations

import re

from mailparser_reply.parser import EmailMessage

# The languages whose reply headers mail-parser-reply knows (English is always included).
LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs", "ja", "ko", "zh"]
_QUOTED = re.compile(r"^\s*>")
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")


def new_text(body: str) -> str:
    """``body`` without quoted history and signature; the whole body if nothing would remain."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return ""
    # keep_hyphen_lists: "- step one" lines are the customer's list, not a signature.
    message = EmailMessage(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    latest = message.replies[0].body if message.replies else text
    stripped = _strip_trailing_quote(_cut_at_attribution(_cut_at_signature(latest)))
    return stripped.strip() or text.strip()


def _cut_at_signature(text: str) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if index and _SIGNATURE_DELIMITER.match(line):
            return "\n".join(lines[:index])
    return text


def _cut_at_attribution(text: str) -> str:
    """Cut at the first line ending in ":" followed (maybe after a blank) by quoted lines."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not line.rstrip().endswith(":") or _QUOTED.match(line):
            continue
        following = [later for later in lines[index + 1 : index + 3] if later.strip()]
        if following and _QUOTED.match(following[0]) and _all_quoted_after(lines, index + 1):
            return "\n".join(lines[:index])
    return text


def _all_quoted_after(lines: list[str], start: int) -> bool:
    """Only quoted or blank lines follow: an attribution, not an interleaved answer."""
    return all(not line.strip() or _QUOTED.match(line) for line in lines[start:])


def _strip_trailing_quote(text: str) -> str:
    lines = text.rstrip().split("\n")
    while lines and (_QUOTED.match(lines[-1]) or not lines[-1].strip()):
        lines.pop()
    return "\n".join(lines)
