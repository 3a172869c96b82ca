"""The knowledge index: articles, resolved tickets and product facts in one tantivy index.

Search is BM25 over English stems with the title boosted, rare or unknown words corrected to
their likely intended spelling, and a highlighted snippet per hit. Writes are incremental: a
document is replaced by its key, and one whose content fingerprint is already indexed is skipped.
"""

from __future__ import annotations

import json
import shutil
import struct
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Occur, Query

from deskpilot.knowledge.analysis import QueryTerms, analyze_query, max_edits, merge_frequencies
from deskpilot.knowledge.documents import ARTICLE, FACT, KnowledgeDoc, Progress, no_progress
from deskpilot.knowledge.errors import KnowledgeError

INDEX_FORMAT = 1  # bump when the schema changes: older indexes are then refused, not misread
FORMAT_FILE = "deskpilot-index.json"
TITLE_BOOST = 3.0
TAGS_BOOST = 1.5
# Curated answers outrank the many near-duplicate ticket threads that say the same thing.
KIND_WEIGHTS = {ARTICLE: 1.5, FACT: 1.25}  # other kinds (tickets): 1.0
SNIPPET_CHARS = 180
# What a kind filter (a constant-score term-set query) adds to every score it lets through.
FILTER_SCORE = 1.0
# Hits beyond a search's cut also fetched where they are filtered afterwards: scores a unit
# apart may round to one (ranked then by document), at the cut too.
TIE_MARGIN = 8
CHECK_BATCH = 1000  # fingerprints looked up per query when skipping unchanged documents
SMALL_WRITE = 2000  # up to this many documents: a small single-threaded writer
WRITER_WAIT_SECONDS = 10.0  # another process (the desk, a CLI run) may be writing meanwhile

# Searched fields; "kind", "id", "origin", "source" are raw (whole-value) terms for filtering.
TEXT_FIELDS = ("title", "body", "tags")


@dataclass(frozen=True)
class Hit:
    id: str
    kind: str
    title: str
    score: float
    snippet: str  # plain text; matched words are wrapped in ** **
    url: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WriteResult:
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("key", indexed=True, fast=True)
    builder.add_unsigned_field("fingerprint", indexed=True, fast=True)
    for name in ("id", "kind", "origin", "source", "url"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("tags", stored=False, tokenizer_name="en_stem")
    return builder.build()


class KnowledgeIndex:
    def __init__(self, index: tantivy.Index, path: Path) -> None:
        self._index = index
        self._schema = index.schema
        self.path = path
        self._write_lock = threading.Lock()

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True, rebuild: bool = False) -> KnowledgeIndex:
        """Open the index at ``path``; ``create`` makes a missing one, ``rebuild`` empties it."""
        path = path.expanduser()
        if rebuild:
            _remove_index_folder(path)
        if _holds_index(path):
            _check_format(path)
            return cls(_open_tantivy(path), path)
        if not create:
            raise KnowledgeError(f"{path}: no search index yet; build it with 'deskpilot kb index'")
        return cls(_create_tantivy(path), path)

    # --- reading -------------------------------------------------------------------------

    def count(self, kind: str | None = None) -> int:
        searcher = self._searcher()
        if kind is None:
            return searcher.num_docs
        return _match_count(searcher, self._term("kind", kind))

    def contains(self, doc_id: str) -> bool:
        return bool(self._searcher().search(self._term("id", doc_id), 1).hits)

    def search(self, query: str, limit: int = 5, kinds: Collection[str] | None = None) -> list[Hit]:
        """The best ``limit`` documents for free text typed by anyone; never a syntax error."""
        searcher = self._searcher()
        if limit <= 0 or searcher.num_docs == 0:
            return []  # tantivy panics on a limit of 0
        terms = analyze_query(query, _TermStats(searcher))
        if terms.is_empty:
            return []
        text_query = self._text_query(terms)
        if kinds and not set(kinds) & set(KIND_WEIGHTS):
            found = self._unweighted_hits(searcher, text_query, kinds, limit)
        else:
            ranked = self._weighted_by_kind(text_query, kinds)
            found = searcher.search(self._filtered(ranked, kinds), limit).hits
        snippets = tantivy.SnippetGenerator.create(searcher, text_query, self._schema, "body")
        snippets.set_max_num_chars(SNIPPET_CHARS)
        return [self._hit(searcher.doc(address), score, snippets) for score, address in found]

    # --- writing -------------------------------------------------------------------------

    def upsert(self, docs: Iterable[KnowledgeDoc], progress: Progress | None = None) -> WriteResult:
        """Add new documents and replace changed ones; unchanged ones are left as they are."""
        return self._write(list(docs), [], progress or no_progress)

    def delete(self, ids: Iterable[str], kind: str | None = None) -> None:
        """Remove documents by id (of one kind, or of every kind when ``kind`` is None)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return
        target = self._terms("id", wanted)
        if kind is not None:
            target = _all_of(target, self._term("kind", kind))
        with self._writer(len(wanted)) as writer:
            writer.delete_documents_by_query(target)

    def sync(
        self,
        kind: str,
        origin: str,
        docs: Iterable[KnowledgeDoc],
        *,
        keep_sources: Collection[str] = (),
        progress: Progress | None = None,
    ) -> WriteResult:
        """Make the documents of ``kind`` read from ``origin`` exactly ``docs``.

        Documents from ``keep_sources`` (files that could not be read this time) stay as they
        were, so a broken edit never takes an article out of search.
        """
        batch = list(docs)
        current = {doc.key for doc in batch}
        stale = [key for key in self._keys(kind, origin, keep_sources) if key not in current]
        return self._write(batch, stale, progress or no_progress)

    # --- internals: writing --------------------------------------------------------------

    def _write(
        self, docs: list[KnowledgeDoc], stale_keys: list[int], progress: Progress
    ) -> WriteResult:
        unique = list({doc.key: doc for doc in docs}.values())  # the last version of an id wins
        progress("indexing", 0, len(unique))
        if not unique and not stale_keys:
            return WriteResult()
        indexed = 0
        with self._writer(len(unique)) as writer:
            searcher = self._searcher()
            for start in range(0, len(unique), CHECK_BATCH):
                chunk = unique[start : start + CHECK_BATCH]
                indexed += self._write_chunk(writer, searcher, chunk)
                progress("indexing", start + len(chunk), len(unique))
            if stale_keys:
                writer.delete_documents_by_query(self._terms("key", stale_keys))
        return WriteResult(indexed, len(unique) - indexed, len(stale_keys))

    def _write_chunk(
        self, writer: tantivy.IndexWriter, searcher: tantivy.Searcher, chunk: list[KnowledgeDoc]
    ) -> int:
        """Write the chunk's new and changed documents; returns how many."""
        present = self._indexed_values(searcher, "fingerprint", [d.fingerprint for d in chunk])
        changed = [doc for doc in chunk if doc.fingerprint not in present]
        if not changed:
            return 0
        # Only replaced documents need a delete: deletes are what makes a bulk commit slow.
        existing = self._indexed_values(searcher, "key", [d.key for d in changed])
        if existing:
            writer.delete_documents_by_query(self._terms("key", list(existing)))
        for doc in changed:
            writer.add_document(self._document(doc))
        return len(changed)

    @contextmanager
    def _writer(self, size: int) -> Iterator[tantivy.IndexWriter]:
        """A writer for one batch: committed and released on success, rolled back otherwise."""
        with self._write_lock:
            writer = self._acquire_writer(size)
            # Another process (a second desk, the CLI) may have committed since we last read:
            # decide what is new or changed against the index as it is now.
            self._index.reload()
            try:
                yield writer
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                writer.rollback()
                raise
            finally:
                # Dropping the writer releases the index lock for other processes.
                del writer
            self._index.reload()

    def _acquire_writer(self, size: int) -> tantivy.IndexWriter:
        heap, threads = (32_000_000, 1) if size <= SMALL_WRITE else (256_000_000, 0)
        deadline = time.monotonic() + WRITER_WAIT_SECONDS
        while True:
            try:
                return self._index.writer(heap_size=heap, num_threads=threads)
            except ValueError as error:
                if "LockBusy" not in str(error):
                    raise KnowledgeError(f"{self.path}: cannot write the index ({error})") from None
                if time.monotonic() > deadline:
                    raise KnowledgeError(
                        f"{self.path}: the search index is being written by another DeskPilot "
                        "process; try again when it has finished"
                    ) from None
                time.sleep(0.1)

    def _document(self, doc: KnowledgeDoc) -> tantivy.Document:
        document = tantivy.Document(
            id=doc.id,
            kind=doc.kind,
            origin=doc.origin,
            source=doc.source,
            url=doc.url,
            title=doc.title,
            body=doc.body,
            tags=" ".join(doc.tags),
        )
        # Keyword arguments would make these signed integers; the fields are unsigned.
        document.add_unsigned("key", doc.key)
        document.add_unsigned("fingerprint", doc.fingerprint)
        return document

    def _indexed_values(
        self, searcher: tantivy.Searcher, field: str, values: Sequence[int]
    ) -> set[int]:
        """Which of these key or fingerprint values the index holds (deleted documents aside)."""
        if searcher.num_docs == 0:
            return set()
        found = searcher.search(self._terms(field, values), len(values))
        addresses = [address for _score, address in found.hits]
        return {int(v) for v in searcher.fast_field_values(field, addresses) if v is not None}

    def _keys(self, kind: str, origin: str, keep_sources: Collection[str]) -> list[int]:
        searcher = self._searcher()
        if searcher.num_docs == 0:
            return []
        query = _all_of(self._term("kind", kind), self._term("origin", origin))
        if keep_sources:
            query = Query.boolean_query(
                [(Occur.Must, query), (Occur.MustNot, self._terms("source", list(keep_sources)))]
            )
        found = searcher.search(query, searcher.num_docs)
        addresses = [address for _score, address in found.hits]
        return [int(v) for v in searcher.fast_field_values("key", addresses) if v is not None]

    # --- internals: searching ------------------------------------------------------------

    def _searcher(self) -> tantivy.Searcher:
        return self._index.searcher()

    def _text_query(self, terms: QueryTerms) -> Query:
        clauses = [(Occur.Should, self._in_text_fields(t)) for t in terms.terms + terms.corrections]
        clauses += [(Occur.Should, self._fuzzy_in_text_fields(t)) for t in terms.fuzzy]
        return Query.boolean_query(clauses)

    def _in_text_fields(self, term: str) -> Query:
        return Query.boolean_query(
            [
                (Occur.Should, Query.boost_query(self._term("title", term), TITLE_BOOST)),
                (Occur.Should, self._term("body", term)),
                (Occur.Should, Query.boost_query(self._term("tags", term), TAGS_BOOST)),
            ]
        )

    def _fuzzy_in_text_fields(self, term: str) -> Query:
        def fuzzy(field: str) -> Query:
            return Query.fuzzy_term_query(self._schema, field, term, distance=max_edits(term))

        # Edit-distance matches score a constant, so they rank below real term matches.
        return Query.boolean_query(
            [
                (Occur.Should, Query.boost_query(fuzzy("title"), TITLE_BOOST)),
                (Occur.Should, fuzzy("body")),
            ]
        )

    def _weighted_by_kind(self, query: Query, kinds: Collection[str] | None = None) -> Query:
        """Scores multiplied by the kind's weight: each document matches exactly one branch.
        Only the branches of ``kinds`` (all without): a branch no wanted document can match
        adds nothing to a score, but the unweighted kinds' branch (the query minus the
        weighted kinds) is scored over every matching document, 5-10 ms on the 100k demo."""
        weighted = list(KIND_WEIGHTS)
        branches = [
            (Occur.Should, Query.boost_query(_all_of(query, self._term("kind", kind)), weight))
            for kind, weight in KIND_WEIGHTS.items()
            if not kinds or kind in kinds
        ]
        if not kinds or set(kinds) - set(weighted):
            others = Query.boolean_query(
                [(Occur.Must, query), (Occur.MustNot, self._terms("kind", weighted))]
            )
            branches.append((Occur.Should, others))
        return Query.boolean_query(branches)

    def _unweighted_hits(
        self, searcher: tantivy.Searcher, query: Query, kinds: Collection[str], limit: int
    ) -> list[tuple[float, tantivy.DocAddress]]:
        """The best ``limit`` documents of ``kinds`` (none of them weighted), scored as the
        kind-filtered query scores them, found by the bare text query.

        Filtered (a conjunction), tantivy scores every matching document: 10-15 ms for the
        answered tickets of the 100k demo, each draft. The bare query skips the documents
        that cannot reach its top hits, so it is asked for the top ``limit`` plus as many as
        there are documents of other kinds (the 68 articles and facts of the demo), which are
        then left out: what remains holds the filtered query's top ``limit``, in its order.
        """
        others = [
            kind for kind, _count in searcher.terms_with_prefix("kind", "") if kind not in kinds
        ]
        # Deleted documents still count in a term's frequency: an upper bound, as needed here.
        most = sum(searcher.doc_freq("kind", kind) for kind in others)
        excluded = set()
        if most:
            found = searcher.search(self._terms("kind", others), most).hits
            excluded = {_address_key(address) for _score, address in found}
        wanted = limit + len(excluded) + TIE_MARGIN
        hits = [
            (_f32(score + FILTER_SCORE), address)
            for score, address in searcher.search(query, wanted).hits
            if _address_key(address) not in excluded
        ]
        # Ranked as the filtered query ranks them: by its score, then the earlier document.
        hits.sort(key=lambda hit: (-hit[0], _address_key(hit[1])))
        return hits[:limit]

    def _filtered(self, query: Query, kinds: Collection[str] | None) -> Query:
        if not kinds:
            return query
        return _all_of(query, self._terms("kind", list(kinds)))

    def _term(self, field: str, value: str | int) -> Query:
        return Query.term_query(self._schema, field, value)

    def _terms(self, field: str, values: Sequence[str | int]) -> Query:
        return Query.term_set_query(self._schema, field, list(values))

    def _hit(
        self, document: tantivy.Document, score: float, snippets: tantivy.SnippetGenerator
    ) -> Hit:
        return Hit(
            id=_text(document, "id"),
            kind=_text(document, "kind"),
            title=_text(document, "title"),
            score=round(float(score), 4),
            snippet=_snippet(snippets.snippet_from_doc(document), _text(document, "body")),
            url=_text(document, "url"),
        )


class _TermStats:
    """The vocabulary the analyzer corrects typos against: titles and bodies."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self._searcher = searcher

    @property
    def num_docs(self) -> int:
        return self._searcher.num_docs

    def doc_freq(self, term: str) -> int:
        return sum(self._searcher.doc_freq(field, term) for field in ("title", "body"))

    def terms_starting_with(self, prefix: str) -> dict[str, int]:
        return merge_frequencies(
            *(self._searcher.terms_with_prefix(field, prefix) for field in ("title", "body"))
        )


def _match_count(searcher: tantivy.Searcher, query: Query) -> int:
    found = searcher.search(query, 1, count=True)
    return int(found.count or 0)  # type: ignore[attr-defined]  # missing from tantivy's stubs


def _address_key(address: tantivy.DocAddress) -> tuple[int, int]:
    return (address.segment_ord, address.doc)


def _f32(value: float) -> float:
    """``value`` rounded to single precision, as tantivy adds scores."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


def _all_of(*queries: Query) -> Query:
    return Query.boolean_query([(Occur.Must, query) for query in queries])


def _text(document: tantivy.Document, field: str) -> str:
    value = document.get_first(field)
    return str(value) if value is not None else ""


def _snippet(snippet: tantivy.Snippet, body: str) -> str:
    """The snippet with matched words in ** **; the body's opening when only the title matched."""
    fragment = snippet.fragment()
    ranges = snippet.highlighted()
    if not fragment or not ranges:
        return _opening(body)
    # Highlight ranges are byte offsets into the UTF-8 fragment.
    raw = fragment.encode("utf-8")
    pieces, cursor = [], 0
    for highlight in sorted(ranges, key=lambda r: r.start):
        pieces += [
            raw[cursor : highlight.start],
            b"**",
            raw[highlight.start : highlight.end],
            b"**",
        ]
        cursor = highlight.end
    pieces.append(raw[cursor:])
    text = " ".join(b"".join(pieces).decode("utf-8").split())
    span = snippet.fragment_range()
    prefix = "…" if span.start > 0 else ""
    suffix = "…" if span.end < len(body.encode("utf-8")) else ""
    return f"{prefix}{text}{suffix}"


def _opening(body: str) -> str:
    text = " ".join(body.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"


# --- the index folder -----------------------------------------------------------------------


def _holds_index(path: Path) -> bool:
    return (path / "meta.json").exists()


def _check_format(path: Path) -> None:
    try:
        found = json.loads((path / FORMAT_FILE).read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError):
        found = None
    if found != INDEX_FORMAT:
        raise KnowledgeError(
            f"{path}: the search index was built by another DeskPilot version; "
            "rebuild it with 'deskpilot kb index --rebuild'"
        )


def _open_tantivy(path: Path) -> tantivy.Index:
    try:
        return tantivy.Index.open(str(path))
    except ValueError as error:
        raise KnowledgeError(
            f"{path}: the search index is damaged ({error}); "
            "rebuild it with 'deskpilot kb index --rebuild'"
        ) from None


def _create_tantivy(path: Path) -> tantivy.Index:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise KnowledgeError(
            f"{path}: exists and is not a DeskPilot search index; move it away first"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(build_schema(), path=str(path))
        (path / FORMAT_FILE).write_text(json.dumps({"format": INDEX_FORMAT}) + "\n")
    except (OSError, ValueError) as error:
        raise KnowledgeError(f"{path}: cannot create the search index ({error})") from None
    return index


def _remove_index_folder(path: Path) -> None:
    """Empty an index folder for a rebuild; refuses any folder that is not an index."""
    if not path.exists():
        return
    if not (_holds_index(path) or (path / FORMAT_FILE).exists()):
        if path.is_dir() and not any(path.iterdir()):
            return
        raise KnowledgeError(f"{path}: is not a search index; refusing to delete it")
    shutil.rmtree(path)
