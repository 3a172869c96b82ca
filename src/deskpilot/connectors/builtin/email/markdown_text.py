"""The agent's Markdown as an email: plain text a customer reads as written, and optional HTML.

Agents (and drafts) write Markdown; a customer's mail client shows plain text literally, so
``**bold**``, backticks and ``#`` would arrive as noise. The text is parsed with markdown-it-py
(CommonMark) and written back without markup: emphasis and code marks dropped, links as
``text (url)``, lists kept with their bullets and numbers, quotes as ``>``, code blocks indented.
The HTML part is markdown-it's own rendering with raw HTML switched off: an agent's text (or a
customer's words pasted into it) can never inject markup into the mail.
"""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def markdown_to_html(markdown: str) -> str:
    """A small, complete HTML document for the mail's text/html part."""
    body = _MARKDOWN.render(markdown)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif; line-height: 1.4">\n{body}</body></html>\n'
    )


def markdown_to_text(markdown: str) -> str:
    """Plain text without Markdown's marks; what the words say is unchanged."""
    writer = _PlainWriter()
    writer.write(_MARKDOWN.parse(markdown))
    return writer.text()


class _PlainWriter:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lists: list[list[int | None]] = []  # per open list: [next number] or [None]
        self.quote_depth = 0
        self.marker = ""  # the bullet or number waiting for an item's first line

    def text(self) -> str:
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        return "\n".join(self.lines).strip("\n") + "\n" if self.lines else ""

    def write(self, tokens: Sequence[Token]) -> None:
        for token in tokens:
            kind = token.type
            if kind == "inline":
                self._emit(_inline(token.children or []))
            elif kind in ("paragraph_close", "heading_close") and not token.hidden:
                self._blank()
            elif kind == "bullet_list_open":
                self.lists.append([None])
            elif kind == "ordered_list_open":
                start = token.attrGet("start")
                self.lists.append([int(start) if start is not None else 1])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
                if not self.lists:
                    self._blank()
            elif kind == "list_item_open":
                number = self.lists[-1][0]
                self.marker = "- " if number is None else f"{number}. "
                if number is not None:
                    self.lists[-1][0] = number + 1
            elif kind == "blockquote_open":
                self.quote_depth += 1
            elif kind == "blockquote_close":
                self.quote_depth -= 1
                if self.lines and not self.lines[-1].strip(" >"):
                    self.lines[-1] = ""  # the quote's last blank line ends the quote
                else:
                    self._blank()
            elif kind in ("fence", "code_block"):
                self._emit(
                    "\n".join("    " + line for line in token.content.rstrip("\n").split("\n"))
                )
                self._blank()
            elif kind == "hr":
                self._emit("----")
                self._blank()

    def _prefix(self) -> str:
        return "> " * self.quote_depth + "   " * max(0, len(self.lists) - 1)

    def _emit(self, text: str) -> None:
        for index, line in enumerate(text.split("\n")):
            if index == 0 and self.marker:
                lead, self.marker = self.marker, ""
                self.lines.append(f"{self._prefix()}{lead}{line}".rstrip())
            else:
                indent = "   " if self.lists and index else ""
                self.lines.append(f"{self._prefix()}{indent}{line}".rstrip())

    def _blank(self) -> None:
        if self.lines and self.lines[-1].strip(" >"):
            self.lines.append("> " * self.quote_depth if self.quote_depth else "")


def _inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its text starts in out)
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "link_open":
            links.append((str(child.attrGet("href") or ""), len(out)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            label = "".join(out[start:]).strip()
            shown = href.removeprefix("mailto:")
            if shown and shown != label:
                out.append(f" ({shown})")
        elif kind == "image":
            alt = "".join(c.content for c in child.children or []) or child.content
            source = str(child.attrGet("src") or "")
            out.append(f"{alt} ({source})" if alt else source)
    return "".join(out)
