"""Queue search finds a ticket by its id; the queue filter offers out_of_scope.

(tests/queue/ has no ``__init__.py``: a test package named ``queue`` would shadow the standard
library's ``queue`` for the whole run.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from rapidfuzz import fuzz, process, utils

from deskpilot.desk import Desk
from deskpilot.errors import SearchCancelled
from deskpilot.intake.records import TicketRecord
from deskpilot.queue import search as queue_search
from deskpilot.queue.search import QueueSearch
from deskpilot.tui.screens.filter import _intent_choices
from deskpilot.understand.datasets import OUT_OF_SCOPE


def test_search_finds_a_ticket_by_its_id_with_or_without_the_prefix(demo_desk: Desk) -> None:
    view = demo_desk.view("open")
    rows = demo_desk.page(view, 0, 50)
    wanted = rows[len(rows) // 2].id  # e.g. T-000167
    digits = wanted.split("-")[-1]
    assert digits.isdigit() and digits != wanted
    for query in (wanted, digits, wanted.lower()):
        found = demo_desk.search(query, view)
        assert demo_desk.page(found, 0, 1)[0].id == wanted, query


def test_the_filter_offers_out_of_scope_even_when_the_taxonomy_omits_it(desk: Desk) -> None:
    assert OUT_OF_SCOPE in _intent_choices(desk)
    desk.workspace.intents_file.write_text(
        '[billing]\nexamples = ["invoice"]\n[access]\nexamples = ["login"]\n'
    )
    assert _intent_choices(desk) == ["billing", "access", OUT_OF_SCOPE]


# --- speed without changing the answer ------------------------------------------------------


def reference_search(corpus: list[tuple[str, str]], query: str, limit: int) -> list[str]:
    """The search as first written: a loop over the texts, then one ``process.extract``."""
    needle = utils.default_process(query)
    ids = [ticket_id for ticket_id, _text in corpus]
    texts = [utils.default_process(text) for _id, text in corpus]
    by_id = [i for i, ticket_id in enumerate(ids) if needle in utils.default_process(ticket_id)]
    exact = [i for i, text in enumerate(texts) if needle in text]
    found = dict.fromkeys((by_id + exact)[:limit])
    if len(found) < limit:
        fuzzy = process.extract(
            needle,
            texts,
            scorer=fuzz.partial_ratio,
            processor=None,
            score_cutoff=queue_search.FUZZY_CUTOFF,
            limit=limit,
        )
        for _text, _score, index in fuzzy:
            found.setdefault(index)
            if len(found) >= limit:
                break
    return [ids[i] for i in found]


QUERIES = ["locked", "invoice", "pasword", "reprts", "export", "0001", "T-00012", "e", "zebra"]


def test_search_in_chunks_finds_what_one_pass_over_the_corpus_finds(
    demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small limits, so the cap, ties at the cutoff and many chunks all come into play.
    monkeypatch.setattr(queue_search, "MAX_RESULTS", 12)
    monkeypatch.setattr(queue_search, "FUZZY_CHUNK", 7)
    where = demo_desk.view("open").where
    corpus = demo_desk.store.search_corpus(where)
    search = QueueSearch(demo_desk.store)
    for query in QUERIES:
        assert search.search(query, where) == reference_search(corpus, query, 12), query


def test_without_typos_only_id_and_exact_matches_are_found(demo_desk: Desk) -> None:
    where = demo_desk.view("open").where
    search = QueueSearch(demo_desk.store)
    exact = search.search("pasword", where, typos=False)
    complete = search.search("pasword", where)
    texts = dict(demo_desk.store.search_corpus(where))
    assert all("pasword" in utils.default_process(texts[i]) for i in exact)
    assert len(complete) > len(exact)  # "password" is a near-miss of the typo
    assert complete[: len(exact)] == exact


def test_a_cancelled_search_stops_and_says_so(demo_desk: Desk) -> None:
    where = demo_desk.view("open").where
    search = QueueSearch(demo_desk.store)
    with pytest.raises(SearchCancelled):
        search.search("pasword", where, cancelled=lambda: True)
    # The fast pass has nothing to cancel.
    assert search.search("locked", where, typos=False, cancelled=lambda: True)


def test_the_corpus_is_read_again_after_a_ticket_arrives(demo_desk: Desk) -> None:
    view = demo_desk.view("open")
    assert demo_desk.count(demo_desk.search("zebra", view)) == 0
    record = TicketRecord.model_validate(
        {
            "subject": "Zebra stripes on every chart",
            "body": "Every chart of the dashboard shows stripes since this morning.",
            "customer": {"email": "new.customer@example.com", "name": "Nia Okafor"},
            "priority": "urgent",
            "created_at": "2020-01-01T08:00:00Z",
        }
    )
    submitted = demo_desk.submit_ticket(record, source="http")
    assert demo_desk.search_is_stale()
    # A keystroke may search the texts read before (a refresh reads them again).
    assert demo_desk.count(demo_desk.search("zebra", view, stale_ok=True)) == 0
    found = demo_desk.search("zebra", view)
    assert demo_desk.page(found, 0, 5)[0].id == submitted.ticket_id
    assert not demo_desk.search_is_stale()


# --- read once, narrowed as the agent types -------------------------------------------------


def test_typing_on_finds_what_a_fresh_search_finds(
    demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small cap, so some prefixes fill it (their scan is cut off and cannot be narrowed)
    # and some do not (the next keystroke only looks at their texts).
    monkeypatch.setattr(queue_search, "MAX_RESULTS", 40)
    where = demo_desk.view("open").where
    typing = QueueSearch(demo_desk.store)
    for query in ("password", "T-0001", "crashes", "expor", "zebra"):
        for end in range(1, len(query) + 1):
            prefix = query[:end]
            fresh = QueueSearch(demo_desk.store).search(prefix, where, typos=False)
            assert typing.search(prefix, where, typos=False) == fresh, prefix
        # A query that does not extend the last one is scanned afresh.
        assert typing.search("lock", where, typos=False) == QueueSearch(demo_desk.store).search(
            "lock", where, typos=False
        )


def test_the_corpus_is_read_once_for_every_moment_and_snoozed_tickets_stay_out(
    demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = demo_desk.view("open")
    reads: list[object] = []
    read_corpus = demo_desk.store.search_corpus

    def counted(where: object = None) -> list[tuple[str, str]]:
        reads.append(where)
        return read_corpus(where)  # type: ignore[arg-type]

    monkeypatch.setattr(demo_desk.store, "search_corpus", counted)
    found = demo_desk.search("password", view)
    first = demo_desk.page(found, 0, 1)[0].id
    later_on = demo_desk.clock() + timedelta(minutes=5)
    demo_desk.clock = lambda: later_on
    assert demo_desk.search("password", view).where.ids == found.where.ids
    assert len(reads) == 1  # a later moment is the same filter: the texts are not read again

    until = demo_desk.snooze(first, "2h")
    later = demo_desk.search("password", view)
    assert first not in (later.where.ids or ())
    assert len(reads) == 2  # the snooze was news to the search
    # The snoozed view finds it (and only snoozed tickets), from the same texts.
    snoozed = view.filtered(snoozed_only=True)
    asleep = {ticket_id for ticket_id, _until in demo_desk.snoozed()}
    found_asleep = demo_desk.search("password", snoozed).where.ids or frozenset()
    assert first in found_asleep and found_asleep <= asleep
    # Two hours on, it is back in the open view without a read.
    demo_desk.clock = lambda: until + timedelta(seconds=1)
    assert first in (demo_desk.search("password", view).where.ids or ())
    assert first not in (demo_desk.search("password", snoozed).where.ids or ())
    assert len(reads) == 2
