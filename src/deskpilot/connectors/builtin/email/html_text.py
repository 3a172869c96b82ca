"""HTML mail as plain text: what the customer wrote, readable in a terminal and a prompt.

Many clients send HTML only (or an HTML part far richer than its plain-text twin is wrong).
The standard library's parser is enough: drop what is never text (scripts, styles, the head),
break lines where blocks end, keep list items as "- item" and links as "text (url)". Nothing
is fetched or run; the HTML is only read.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})
_BLOCK = frozenset(
    {"p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol",
     "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "address", "center", "form"}
)  # fmt: skip
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._links: list[tuple[str, int]] = []  # (href, where its text starts in parts)
        self._quote_depth = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += tag not in _VOID
            return
        if self._skipping:
            return
        if tag == "br":
            self._newline(1)
        elif tag == "li":
            self._newline(1)
            self.parts.append("- ")
        elif tag == "blockquote":
            self._quote_depth += 1
            self._newline(2)
        elif tag in _BLOCK:
            self._newline(2 if tag in {"p", "table", "ul", "ol", "pre"} else 1)
            self._pre += tag == "pre"
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
            return
        if self._skipping:
            return
        if tag == "a" and self._links:
            href, start = self._links.pop()
            text = "".join(self.parts[start:]).strip()
            if href.startswith(("http://", "https://", "mailto:")) and href.removeprefix(
                "mailto:"
            ) not in (text, ""):
                self.parts.append(f" ({href.removeprefix('mailto:')})")
        elif tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
            self._newline(2)
        elif tag in _BLOCK:
            self._pre = max(0, self._pre - (tag == "pre"))
            self._newline(2 if tag in {"p", "table", "ul", "ol", "pre"} else 1)

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
        if self._quote_depth:
            data = data.replace("\n", "\n" + "> " * self._quote_depth)
            if not self.parts or self.parts[-1].endswith("\n"):
                data = "> " * self._quote_depth + data.lstrip()
        self.parts.append(data)

    def _newline(self, count: int) -> None:
        self.parts.append("\n" * count)


def html_to_text(html: str) -> str:
    """The readable text of an HTML document or fragment."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    text = "".join(collector.parts).replace("\xa0", " ")
    # Markup indentation is not the writer's: every line is trimmed (pre blocks too, a loss
    # accepted for mail, where they are rare).
    text = "\n".join(line.strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()
