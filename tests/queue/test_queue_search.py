"""Queue search finds a ticket by its id; the queue filter offers out_of_scope.

(tests/queue/ has no ``__init__.py``: a test package named ``queue`` would shadow the standard
library's ``queue`` for the whole run.)
"""

from __future__ import annotations

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
    found = demo_desk.search("zebra", view)
    assert demo_desk.page(found, 0, 5)[0].id == submitted.ticket_id
