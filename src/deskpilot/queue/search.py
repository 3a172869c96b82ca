"""Fuzzy search over the queue as an agent types: id, subject, first message and customer.

A ticket whose id contains the query comes first (``T-000167``, ``000167``), then exact
substring matches; rapidfuzz's partial ratio then finds typos and
near-misses. The corpus is read once per filter and reused for every keystroke.
"""

from __future__ import annotations

from rapidfuzz import fuzz, process, utils

from deskpilot.store import QueueFilter, Store

MAX_RESULTS = 500
FUZZY_CUTOFF = 85


class QueueSearch:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._where: QueueFilter | None = None
        self._ids: list[str] = []
        self._texts: list[str] = []
        self._searchable_ids: list[str] = []

    def invalidate(self) -> None:
        """New or changed tickets: read the corpus again on the next search."""
        self._where = None

    def search(self, query: str, where: QueueFilter) -> list[str]:
        """Ids of matching tickets, best first."""
        needle = utils.default_process(query)
        if not needle:
            return []
        self._load(where)
        by_id = [i for i, ticket_id in enumerate(self._searchable_ids) if needle in ticket_id]
        exact = [i for i, text in enumerate(self._texts) if needle in text]
        found = dict.fromkeys((by_id + exact)[:MAX_RESULTS])
        if len(found) < MAX_RESULTS:
            fuzzy = process.extract(
                needle,
                self._texts,
                scorer=fuzz.partial_ratio,
                processor=None,
                score_cutoff=FUZZY_CUTOFF,
                limit=MAX_RESULTS,
            )
            for _text, _score, index in fuzzy:
                found.setdefault(index)
                if len(found) >= MAX_RESULTS:
                    break
        return [self._ids[i] for i in found]

    def _load(self, where: QueueFilter) -> None:
        if where == self._where:
            return
        corpus = self._store.search_corpus(where)
        self._ids = [ticket_id for ticket_id, _text in corpus]
        self._texts = [utils.default_process(text) for _id, text in corpus]
        self._searchable_ids = [utils.default_process(ticket_id) for ticket_id in self._ids]
        self._where = where
