"""Fuzzy search over the queue as an agent types: id, subject, first message and customer.

A ticket whose id contains the query comes first (``T-000167``, ``000167``), then exact
substring matches; rapidfuzz's partial ratio then finds typos and
near-misses. The corpus is read once per filter and reused for every keystroke.

Speed, on 37,000 open tickets: the id and substring matches are found by one C-level scan of
the corpus joined into a single string (a Python loop over the texts took 30-70 ms), so they can
be shown at once (``typos=False``); the typo pass scores the texts in chunks with
``process.cdist``, which releases the GIL (``process.extract`` held it for the whole pass,
freezing the UI for hundreds of milliseconds) and lets a newer keystroke cancel it between
chunks. The results are the same as scoring every text in one call.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process, utils

from deskpilot.errors import SearchCancelled
from deskpilot.store import QueueFilter, Store

MAX_RESULTS = 500
FUZZY_CUTOFF = 85
FUZZY_CHUNK = 4096  # texts scored between two looks at whether the search is still wanted
LINE_BREAK = "\n"  # never in a processed text (default_process turns it into a space)


def _never() -> bool:
    return False


class _Lines:
    """Texts joined into one string, one a line: ``str.find`` scans them all at C speed."""

    def __init__(self, texts: list[str]) -> None:
        self.joined = LINE_BREAK.join(texts)
        self.starts: list[int] = []
        position = 0
        for text in texts:
            self.starts.append(position)
            position += len(text) + 1

    def containing(self, needle: str) -> Iterator[int]:
        """Indexes of the lines that contain ``needle``, in order."""
        position = self.joined.find(needle)
        while position != -1:
            line = bisect_right(self.starts, position) - 1
            yield line
            if line + 1 == len(self.starts):
                return
            position = self.joined.find(needle, self.starts[line + 1])


@dataclass(frozen=True)
class _Corpus:
    """One filter's tickets as searched; replaced whole, so a search in progress keeps its own."""

    where: QueueFilter
    ids: list[str]
    texts: list[str]
    id_lines: _Lines
    text_lines: _Lines


class QueueSearch:
    """Thread-safe: a keystroke's search may start while the previous one's typo pass ends."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._corpus: _Corpus | None = None
        self._loading = threading.Lock()

    def invalidate(self) -> None:
        """New or changed tickets: read the corpus again on the next search."""
        self._corpus = None

    def search(
        self,
        query: str,
        where: QueueFilter,
        *,
        typos: bool = True,
        cancelled: Callable[[], bool] = _never,
    ) -> list[str]:
        """Ids of matching tickets, best first; without ``typos`` only the id and exact
        matches (a fast first answer). ``SearchCancelled`` once ``cancelled()`` is true."""
        needle = utils.default_process(query)
        if not needle:
            return []
        corpus = self._load(where)
        by_id = _first(corpus.id_lines.containing(needle), MAX_RESULTS)
        exact = _first(corpus.text_lines.containing(needle), MAX_RESULTS - len(by_id))
        found = dict.fromkeys(by_id + exact)
        if typos and len(found) < MAX_RESULTS:
            for index in _near_misses(corpus.texts, needle, cancelled):
                found.setdefault(index)
                if len(found) >= MAX_RESULTS:
                    break
        return [corpus.ids[i] for i in found]

    def _load(self, where: QueueFilter) -> _Corpus:
        with self._loading:
            corpus = self._corpus
            if corpus is None or corpus.where != where:
                rows = self._store.search_corpus(where)
                ids = [ticket_id for ticket_id, _text in rows]
                texts = [utils.default_process(text) for _id, text in rows]
                searchable_ids = [utils.default_process(ticket_id) for ticket_id in ids]
                corpus = _Corpus(where, ids, texts, _Lines(searchable_ids), _Lines(texts))
                self._corpus = corpus
            return corpus


def _near_misses(texts: list[str], needle: str, cancelled: Callable[[], bool]) -> list[int]:
    """The best MAX_RESULTS texts at or above the cutoff, best first, ties in corpus order:
    what ``process.extract`` returns, scored a chunk at a time."""
    scored: list[tuple[float, int]] = []
    for start in range(0, len(texts), FUZZY_CHUNK):
        if cancelled():
            raise SearchCancelled("a newer search replaced this one")
        scores = process.cdist(
            [needle],
            texts[start : start + FUZZY_CHUNK],
            scorer=fuzz.partial_ratio,
            processor=None,
            score_cutoff=FUZZY_CUTOFF,
            dtype=np.float64,
        )[0]
        hits = np.flatnonzero(scores)  # cdist gives 0 below the cutoff
        scored += [(-float(scores[i]), start + int(i)) for i in hits]
    scored.sort()
    return [index for _score, index in scored[:MAX_RESULTS]]


def _first(indexes: Iterator[int], limit: int) -> list[int]:
    found: list[int] = []
    for index in indexes:
        if len(found) >= limit:
            break
        found.append(index)
    return found
