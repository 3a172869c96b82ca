"""Queue search finds a ticket by its id; the queue filter offers out_of_scope.

(tests/queue/ has no ``__init__.py``: a test package named ``queue`` would shadow the standard
library's ``queue`` for the whole run.)
"""

from __future__ import annotations

from deskpilot.desk import Desk
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
