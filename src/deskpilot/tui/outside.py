"""Outside text on the desk's screens: shown as text, never read as markup or obeyed.

Subjects, names, emails, page context, connector records, message bodies, knowledge, drafts and
error messages come from customers, connectors and models. Put into Textual markup they crash
the screen (``why [/] closed``), lose words (``Refund [urgent] pls``) or become actions
(``[@click=app.quit]``); written to the terminal, their control characters set its title or
clear it. So every widget shows outside text through this module: our own markup is a
template, outside values go in as ``$variables`` (never parsed), and each value passes through
``visible()`` first, which shows control characters and direction overrides as stand-ins.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content

from deskpilot.terminal_text import visible

__all__ = ["lines", "markup", "plain", "styled", "text"]


def plain(value: object, *, one_line: bool = False) -> str:
    """Outside text as a string safe for a widget that never parses markup (an input, an
    editor, a toast with ``markup=False``): control characters shown as stand-ins."""
    return visible(str(value), one_line=one_line)


def text(value: object, *, one_line: bool = False) -> Content:
    """Outside text as content: every character shown as it is, none read as markup."""
    return Content(plain(value, one_line=one_line))


def styled(value: object, style: str, *, one_line: bool = False) -> Content:
    """Outside text as content in one of our styles (``"bold $primary"``)."""
    return Content.styled(plain(value, one_line=one_line), style)


def markup(template: str, **values: object) -> Content:
    """Our own markup ``template`` with outside ``values`` put in where it says ``$name``.

    Only the template is parsed; the values are inserted as text (after ``visible()``), so a
    value that looks like markup or holds ``$name`` itself is shown as written.
    """
    return Content.from_markup(template, **{name: plain(v) for name, v in values.items()})


def lines(parts: Iterable[Content | str]) -> Content:
    """Content lines joined by newlines; a ``str`` part is our own text, shown as written."""
    return Content("\n").join(p if isinstance(p, Content) else Content(p) for p in parts)
