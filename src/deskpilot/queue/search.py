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

The corpus is read once per filter and kept across moments: a view's snooze filter
(``awake_at``) moves with the clock, so it is applied here, from each snoozed ticket's wake-up
time, instead of being part of what is read (reading 37,000 texts again cost 500-800 ms a
keystroke). As the agent types on, a query that extends the previous one can only match texts
the previous one matched among those it looked at: only those texts are looked at again, and
the scan resumes where the previous one stopped (at ``MAX_RESULTS``), instead of going over
the whole corpus again at every keystroke (4-5 ms for a rare word).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

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
        self.texts = texts
        self.joined = LINE_BREAK.join(texts)
        self.starts: list[int] = []
        position = 0
        for text in texts:
            self.starts.append(position)
            position += len(text) + 1

    def containing(self, needle: str, first: int = 0) -> Iterator[int]:
        """Indexes of the lines from ``first`` on that contain ``needle``, in order."""
        if first >= len(self.starts):
            return
        position = self.joined.find(needle, self.starts[first])
        while position != -1:
            line = bisect_right(self.starts, position) - 1
            yield line
            if line + 1 == len(self.starts):
                return
            position = self.joined.find(needle, self.starts[line + 1])


@dataclass(frozen=True)
class _Scan:
    """The lines one needle was found in, in order, among the lines before ``end`` (every
    line, unless the scan stopped at its limit): a longer needle's lines before ``end`` are
    among these."""

    needle: str
    lines: list[int]
    end: int


@dataclass(frozen=True)
class _Corpus:
    """One filter's tickets as searched; replaced whole, so a search in progress keeps its own.
    ``where`` is the filter without its moment (``awake_at``): ``sleepers`` say which tickets a
    moment leaves out."""

    where: QueueFilter
    ids: list[str]
    texts: list[str]
    id_lines: _Lines
    text_lines: _Lines
    sleepers: tuple[tuple[int, datetime], ...]  # (line, snoozed until) of snoozed tickets

    def excluded_at(self, where: QueueFilter) -> _Excluded:
        """Which lines ``where`` leaves out at its moment: those asleep then (or, for a view
        of snoozed tickets, those awake)."""
        if where.awake_at is None:
            return _Excluded(frozenset(), only_these=False)
        asleep = frozenset(line for line, until in self.sleepers if until > where.awake_at)
        return _Excluded(asleep, only_these=where.snoozed_only)


@dataclass(frozen=True)
class _Excluded:
    """Lines out of the search: ``lines``, or with ``only_these`` every other line. Equal
    values leave out the same lines, so a scan made under one serves the other."""

    lines: frozenset[int]
    only_these: bool

    def __call__(self, line: int) -> bool:
        return (line not in self.lines) if self.only_these else (line in self.lines)


def _timeless(where: QueueFilter) -> QueueFilter:
    """The filter as read from the store: every snooze state (``excluded_at`` sorts them)."""
    return replace(where, awake_at=None, snoozed_only=False)


class QueueSearch:
    """Thread-safe: a keystroke's search may start while the previous one's typo pass ends."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._corpus: _Corpus | None = None
        self._loading = threading.Lock()
        self._stale = False  # tickets changed since the corpus was read
        # The last scans of the corpus (its ids, its texts), for the next keystroke.
        self._last: tuple[_Corpus, _Excluded, _Scan, _Scan] | None = None

    def invalidate(self) -> None:
        """New or changed tickets: read the corpus again on the next search (``stale_ok``
        searches may still use this one meanwhile)."""
        self._stale = True

    @property
    def stale(self) -> bool:
        """Whether the next search that is not ``stale_ok`` reads the corpus again."""
        return self._stale or self._corpus is None

    def prepare(self, where: QueueFilter) -> None:
        """Read the corpus of ``where`` now (blocking), so the first keystroke finds it read."""
        self._load(where)

    def search(
        self,
        query: str,
        where: QueueFilter,
        *,
        typos: bool = True,
        cancelled: Callable[[], bool] = _never,
        stale_ok: bool = False,
    ) -> list[str]:
        """Ids of matching tickets, best first; without ``typos`` only the id and exact
        matches (a fast first answer). ``SearchCancelled`` once ``cancelled()`` is true.
        ``stale_ok``: the corpus as read before the latest changes will do, if there is one
        (a keystroke need not wait 500-900 ms for a read that a refresh makes anyway)."""
        needle = utils.default_process(query)
        if not needle:
            return []
        corpus = self._load(where, stale_ok)
        excluded = corpus.excluded_at(where)
        by_id_scan, text_scan = self._scans(corpus, needle, excluded)
        by_id = by_id_scan.lines
        exact = text_scan.lines[: MAX_RESULTS - len(by_id)]
        found = dict.fromkeys(by_id + exact)
        if typos and len(found) < MAX_RESULTS:
            for index in _near_misses(corpus.texts, needle, cancelled):
                if excluded(index):
                    continue
                found.setdefault(index)
                if len(found) >= MAX_RESULTS:
                    break
        return [corpus.ids[i] for i in found]

    def _scans(self, corpus: _Corpus, needle: str, excluded: _Excluded) -> tuple[_Scan, _Scan]:
        """The id and text lines holding ``needle`` (up to MAX_RESULTS each), narrowed from
        the previous keystroke's when its needle is a part of this one."""
        last = self._last
        if last is not None and last[0] is corpus and last[1] == excluded:
            by_id = _narrowed(last[2], needle, corpus.id_lines, excluded)
            text = _narrowed(last[3], needle, corpus.text_lines, excluded)
        else:
            by_id = _scan(needle, corpus.id_lines, excluded)
            text = _scan(needle, corpus.text_lines, excluded)
        self._last = (corpus, excluded, by_id, text)
        return by_id, text

    def _load(self, where: QueueFilter, stale_ok: bool = False) -> _Corpus:
        timeless = _timeless(where)
        corpus = self._corpus
        if stale_ok and corpus is not None and corpus.where == timeless:
            return corpus
        with self._loading:
            corpus = self._corpus
            if corpus is None or corpus.where != timeless or self._stale:
                self._stale = False  # first: a change during the read marks it stale again
                rows = self._store.search_corpus(timeless)
                wakes = self._store.snoozed_until(timeless)
                ids = [ticket_id for ticket_id, _text in rows]
                texts = [utils.default_process(text) for _id, text in rows]
                searchable_ids = [utils.default_process(ticket_id) for ticket_id in ids]
                sleepers = tuple(
                    (line, wakes[ticket_id])
                    for line, ticket_id in enumerate(ids)
                    if ticket_id in wakes
                )
                corpus = _Corpus(
                    timeless, ids, texts, _Lines(searchable_ids), _Lines(texts), sleepers
                )
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


def _scan(
    needle: str,
    lines: _Lines,
    excluded: Callable[[int], bool],
    found: list[int] | None = None,
    first: int = 0,
) -> _Scan:
    """``found``, then the lines from ``first`` on holding ``needle`` and not ``excluded``,
    up to MAX_RESULTS in all."""
    found = [] if found is None else found
    for line in lines.containing(needle, first):
        if excluded(line):
            continue
        if len(found) >= MAX_RESULTS:
            return _Scan(needle, found, end=line)
        found.append(line)
    return _Scan(needle, found, end=len(lines.starts))


def _narrowed(
    previous: _Scan, needle: str, lines: _Lines, excluded: Callable[[int], bool]
) -> _Scan:
    """``needle``'s lines, from an earlier scan: a text holding ``needle`` holds every part
    of it, so before where that scan stopped only its lines can; after, the scan goes on."""
    if previous.needle not in needle:
        return _scan(needle, lines, excluded)
    kept = [line for line in previous.lines if needle in lines.texts[line]]
    return _scan(needle, lines, excluded, kept, previous.end)
