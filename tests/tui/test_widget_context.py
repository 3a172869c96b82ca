"""A ticket from the web widget in the desk: its context panel shows what the widget captured
(browser, the product's context, who the customer says they are and that it is unverified),
as text, never as markup."""

from __future__ import annotations

from collections.abc import Callable

from deskpilot.desk import Desk
from deskpilot.intake.records import TicketRecord
from deskpilot.tui.app import DeskPilotApp

from .conftest import open_ticket


async def test_the_widget_context_is_in_the_context_panel(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    record = TicketRecord.model_validate(
        {
            "id": "T-0123456789ab",
            "subject": "Export fails",
            "body": "The export shows an error banner.",
            "channel": "web",
            "page_context": {
                "url": "https://app.example.com/reports",
                "title": "Reports",
                "errors": ["console.error: Export failed: TypeError (at a.js:3:9)"],
                "steps_attempted": ["clicked button “Export CSV”"],
                "environment": {"browser": "Chrome 156", "os": "Linux"},
                "product_context": {"plan": "pro [b]max[/b]", "account": "ACME-4411"},
                "unverified_identity": "Sam [red]Taylor <sam@example.org>",
            },
        }
    )
    ticket_id = desk.submit_ticket(record, source="widget").ticket_id
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        shown = str(screen.query_one("#context").render())
    assert "unverified: Sam [red]Taylor <sam@example.org>" in shown
    assert "browser: Chrome 156 · Linux" in shown
    assert "plan: pro [b]max[/b]" in shown and "account: ACME-4411" in shown
    assert "tried: clicked button “Export CSV”" in shown
