"""Help-center articles: Markdown files, with or without front matter, into the index.

Front matter is the block between two ``---`` lines at the top: ``title``, ``slug``,
``category``, ``tags`` (``[a, b]``) and ``url``; other keys are ignored. Without it, the file
name is the id and the first ``# `` heading the title. A file that cannot be read is reported by
name with the reason and skipped; its previously indexed version stays searchable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deskpilot.knowledge.documents import (
    ARTICLE,
    IndexReport,
    KnowledgeDoc,
    Progress,
    Skipped,
    markdown_to_text,
    no_progress,
)
from deskpilot.knowledge.errors import KnowledgeError
from deskpilot.knowledge.index import KnowledgeIndex

ARTICLE_SUFFIXES = (".md", ".markdown")
FENCE = "---"


class ArticleProblem(Exception):
    """Why one article file cannot be indexed (reported and skipped, never fatal)."""


@dataclass(frozen=True)
class FrontMatter:
    fields: dict[str, str]
    body: str  # the Markdown after the front matter


def index_articles(
    index: KnowledgeIndex, folder: Path, progress: Progress | None = None
) -> IndexReport:
    """Index every Markdown file under ``folder``; articles whose file is gone are removed."""
    folder = _article_folder(folder)
    report = progress or no_progress
    files = article_files(folder)
    docs: list[KnowledgeDoc] = []
    skipped: list[Skipped] = []
    used: dict[str, str] = {}
    for done, path in enumerate(files, start=1):
        name = path.relative_to(folder).as_posix()
        try:
            doc = read_article(path, origin=folder)
            if doc.id in used:
                raise ArticleProblem(f"slug '{doc.id}' is already used by {used[doc.id]}")
        except ArticleProblem as problem:
            skipped.append(Skipped(name, str(problem)))
        else:
            used[doc.id] = name
            docs.append(doc)
        report("reading articles", done, len(files))
    kept = {str(folder / s.name) for s in skipped}
    result = index.sync(ARTICLE, str(folder), docs, keep_sources=kept, progress=report)
    return IndexReport(str(folder), result.indexed, result.unchanged, result.removed, skipped)


def article_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in ARTICLE_SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def read_article(path: Path, *, origin: Path) -> KnowledgeDoc:
    text = _read_text(path)
    if not text.strip():
        raise ArticleProblem("empty file")
    front = split_front_matter(text)
    heading, body = _title_heading(front.body)
    title = front.fields.get("title") or heading or _title_from_name(path)
    plain = markdown_to_text(body)
    if not plain:
        raise ArticleProblem("no article text (only a title or front matter)")
    category = front.fields.get("category", "")
    tags = _parse_list(front.fields.get("tags", ""))
    return KnowledgeDoc(
        id=front.fields.get("slug") or path.stem,
        kind=ARTICLE,
        title=title,
        body=plain,
        url=front.fields.get("url", ""),
        tags=tuple(dict.fromkeys(t for t in (category, *tags) if t)),
        origin=str(origin),
        source=str(path),
    )


def split_front_matter(text: str) -> FrontMatter:
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        return FrontMatter({}, text)
    closing = next((n for n, line in enumerate(lines[1:], 1) if line.strip() == FENCE), None)
    if closing is None:
        raise ArticleProblem("front matter opened with '---' on line 1 is never closed")
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:closing], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise ArticleProblem(f"front matter line {number}: expected 'key: value'")
        fields[key.strip().lower()] = _unquote(value.strip())
    return FrontMatter(fields, "\n".join(lines[closing + 1 :]))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ArticleProblem(f"cannot read ({error.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ArticleProblem(f"not UTF-8 text (line {line}); save it as UTF-8") from None


def _title_heading(markdown: str) -> tuple[str, str]:
    """The first ``# `` heading, and the Markdown without it (the title is indexed apart)."""
    lines = markdown.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("# "):
            return line[2:].strip().strip("#").strip(), "\n".join(
                lines[:number] + lines[number + 1 :]
            )
    return "", markdown


def _title_from_name(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _parse_list(value: str) -> list[str]:
    inner = value.strip().removeprefix("[").removesuffix("]")
    return [_unquote(item.strip()) for item in inner.split(",") if item.strip()]


def _article_folder(folder: Path) -> Path:
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise KnowledgeError(f"{folder}: not a folder; give the folder of Markdown articles")
    return folder
