"""What goes into the knowledge index (one ``KnowledgeDoc`` per article, resolved ticket or
product fact) and what an indexing run reports back."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

ARTICLE = "article"
TICKET = "ticket"
FACT = "fact"
KINDS = (ARTICLE, TICKET, FACT)

# (stage, done, total), the shape demo.build and the CLI progress bar already use.
Progress = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    pass


@dataclass(frozen=True)
class KnowledgeDoc:
    id: str  # article slug, ticket id, "plan:<id>" or bug id
    kind: str
    title: str
    body: str  # plain text: Markdown is stripped before indexing so snippets read cleanly
    url: str = ""
    tags: tuple[str, ...] = ()
    # Where the document was read from: ``origin`` is the folder or store it was synced from,
    # ``source`` the file inside it. Syncing an origin prunes the documents that left it.
    origin: str = ""
    source: str = ""

    # Derived once: checking and writing 100k documents reads them several times each.
    key: int = field(init=False, repr=False, compare=False)  # one document per kind and id
    fingerprint: int = field(init=False, repr=False, compare=False)  # changes with any content

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", hash64(self.kind, self.id))
        fingerprint = hash64(
            self.kind,
            self.id,
            self.title,
            self.body,
            self.url,
            *self.tags,
            self.origin,
            self.source,
        )
        object.__setattr__(self, "fingerprint", fingerprint)


def hash64(*parts: str) -> int:
    """A stable 63-bit hash; at 100k documents a collision has odds of about one in 10^9."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    # 63 bits: values stay clear of signed/unsigned conversions in the tantivy binding.
    return int.from_bytes(digest, "big") >> 1


@dataclass(frozen=True)
class Skipped:
    name: str  # the file (relative to the folder indexed) or record file
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass(frozen=True)
class IndexReport:
    source: str  # what was indexed: a folder, "answered tickets", a records folder
    indexed: int = 0  # new or changed documents written
    unchanged: int = 0
    removed: int = 0  # documents whose file or ticket is gone
    skipped: list[Skipped] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.source}: {self.indexed} indexed, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )
        return text + (f", {len(self.skipped)} skipped" if self.skipped else "")


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`+|~~)")
_BLOCK_PREFIX = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)")
_RULE = re.compile(r"^\s*([-*_]\s*){3,}$")


def markdown_to_text(markdown: str) -> str:
    """Markdown as a reader sees it: the markup that would show up in snippets is dropped."""
    lines = []
    for line in markdown.splitlines():
        if _RULE.match(line) or line.strip().startswith("```"):
            continue
        line = _BLOCK_PREFIX.sub("", line)
        line = _LINK.sub(r"\1", line)
        lines.append(_EMPHASIS.sub("", line).rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
