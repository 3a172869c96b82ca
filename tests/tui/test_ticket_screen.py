"""One-key actions on a ticket: each goes through the desk, lands in the store and the audit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from textual.pilot import Pilot
from textual.widgets import DataTable, Select, Sparkline, Static, TextArea

from deskpilot.desk import Desk
from deskpilot.models import Author, IntentSource, Status
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.escalate import EscalateScreen
from deskpilot.tui.screens.modals import IntentScreen, NoteScreen
from deskpilot.tui.screens.stats import StatsScreen

from .conftest import first_open, open_ticket


def actions(desk: Desk, ticket_id: str) -> list[str]:
    return [a.action for a in desk.store.list_actions(ticket_id)]


async def test_the_draft_streams_in_and_is_sent_as_it_stands(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        draft = desk.store.latest_draft(ticket_id)
        assert draft is not None and draft.drafter == "local"
        assert screen.query_one("#draft", TextArea).text == draft.text
        assert draft.text.startswith("Hi ")
        await pilot.press("a")
        await pilot.pause()
    ticket = desk.ticket(ticket_id)
    assert ticket.messages[-1].author is Author.AGENT
    assert ticket.messages[-1].body == draft.text.strip()
    assert ticket.status is Status.PENDING
    assert ticket.assignee == "ada"  # answering a ticket makes it the agent's
    assert actions(desk, ticket_id) == ["send", "assign"]


async def test_edit_then_send(make_app: Callable[..., DeskPilotApp], desk: Desk) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        draft = desk.store.latest_draft(ticket_id)
        assert draft is not None
        await pilot.press("e", *"PS ", "escape", "a")
        await pilot.pause()
    # the editor opens at the draft's start (its greeting), where the cursor waits
    assert desk.ticket(ticket_id).messages[-1].body == ("PS " + draft.text).strip()


async def test_sending_an_empty_draft_is_refused(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = first_open(desk)
    before = desk.ticket(ticket_id)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        screen.query_one("#draft", TextArea).load_text("  ")
        await pilot.press("a")
        await pilot.pause()
    assert desk.ticket(ticket_id).messages == before.messages
    assert actions(desk, ticket_id) == []


async def test_internal_note(make_app: Callable[..., DeskPilotApp], desk: Desk) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"checked SSO logs", "ctrl+s")
        await pilot.pause()
    note = desk.ticket(ticket_id).messages[-1]
    assert (note.author, note.body, note.author_name) == (Author.NOTE, "checked SSO logs", "ada")
    assert actions(desk, ticket_id) == ["note"]


async def test_change_intent_is_a_correction(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = first_open(desk)
    current = desk.ticket(ticket_id).intent
    target = "feature_request" if current != "feature_request" else "onboarding"
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, IntentScreen)
        app.screen.query_one(Select).value = target
        await pilot.click("#set")
        await pilot.pause()
    ticket = desk.ticket(ticket_id)
    assert (ticket.intent, ticket.intent_source) == (target, IntentSource.CORRECTION)
    assert actions(desk, ticket_id) == ["correct_intent"]


async def test_escalate_with_the_handoff_summary(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, EscalateScreen)
        assert "### Conversation" in app.screen.summary
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = [n.message for n in app._notifications]
    ticket = desk.ticket(ticket_id)
    assert ticket.status is Status.ESCALATED
    assert ticket.messages[-1].author is Author.NOTE
    assert ticket.messages[-1].body.startswith(f"## Hand-off: {ticket_id}")
    assert actions(desk, ticket_id) == ["escalate", "notify_handoff.requested", "notify_handoff"]
    outbox = (desk.workspace.records_dir / "outbox.jsonl").read_text()
    assert f'"kind":"handoff","ticket_id":"{ticket_id}"' in outbox
    assert "Escalated; the team was notified in #support-handoffs" in said


async def test_close_asks_then_solves_and_makes_it_knowledge(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    from deskpilot.tui.screens.action_modals import ConfirmScreen

    ticket_id = first_open(desk)
    desk.send_reply(ticket_id, "Fixed it: the export runs again.")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # not closed
        await pilot.pause()
        assert app.screen is screen and desk.ticket(ticket_id).status is not Status.SOLVED
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")  # "Close ticket" has the focus
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert desk.ticket(ticket_id).status is Status.SOLVED
    assert actions(desk, ticket_id) == ["send", "assign", "set_status"]
    assert desk.knowledge().contains(ticket_id)


async def test_escape_leaves_the_editor_before_the_ticket(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first_open(desk))
        await pilot.press("e")
        assert app.focused is screen.query_one(TextArea)
        await pilot.press("escape")
        assert app.screen is screen and app.focused is not screen.query_one(TextArea)
        await pilot.press("escape")
        assert app.screen is not screen


async def test_regenerate_writes_a_new_draft(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        first = desk.store.latest_draft(ticket_id)
        screen.query_one("#draft", TextArea).load_text("scribbles")
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        second = desk.store.latest_draft(ticket_id)
        assert first is not None and second is not None and second.created_at == first.created_at
        assert screen.query_one("#draft", TextArea).text == second.text != "scribbles"
    import sqlalchemy as sa

    from deskpilot.store import schema

    with desk.store._read() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).where(schema.drafts.c.ticket_id == ticket_id)
        ).scalar_one()
    assert count == 2


@asynccontextmanager
async def stats_open(
    make_app: Callable[..., DeskPilotApp], size: tuple[int, int]
) -> AsyncIterator[tuple[DeskPilotApp, Pilot[None], StatsScreen]]:
    """The desk running with the team's figures open (ctrl+t), read in a worker."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        yield app, pilot, app.screen


async def test_stats_screen_shows_the_team_figures(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    async with stats_open(make_app, size=(120, 40)) as (app, pilot, screen):
        report = desk.team_report(desk.clock() - timedelta(days=30))
        expected = report.team.overall
        headline = str(screen.query_one("#headline", Static).render())
        assert f"{expected.drafts:,} drafts" in headline
        assert f"sent as drafted {expected.acceptance_rate:.0%}" in headline
        intents = screen.query_one("#by-intent", DataTable)
        assert intents.row_count == len(report.team.by_intent) > 5
        assert len(screen.query_one("#trend-tickets", Sparkline).data or []) > 1
        assert not screen.query_one("#by-agent", DataTable).display  # agents see no per-agent
        await pilot.press("p")  # the next period
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "last 7 days" in str(screen.query_one("#headline", Static).render())
        await pilot.press("escape")
        assert not isinstance(app.screen, StatsScreen)


async def test_leads_see_figures_per_agent(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    desk.settings = desk.settings.model_copy(
        update={"agent": desk.settings.agent.model_copy(update={"role": "lead"})}
    )
    agents = {e.agent for e in desk.store.list_edit_events()}
    async with stats_open(make_app, size=(120, 40)) as (_app, _pilot, screen):
        table = screen.query_one("#by-agent", DataTable)
        assert table.display and table.row_count > 0
        assert agents <= {str(table.get_row_at(n)[0]) for n in range(table.row_count)}
        work = screen.query_one("#agent-work", DataTable)
        assert work.display and work.row_count == table.row_count


async def test_stats_screen_draws_the_lead_reports(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    async with stats_open(make_app, size=(160, 48)) as (_app, _pilot, screen):
        leads = desk.team_report(desk.clock() - timedelta(days=30)).leads
        service = str(screen.query_one("#service", Static).render())
        assert "Targets met (around the clock)" in service
        assert f"{leads.first_response_sla['all'].rate:.0%}" in service
        assert f"one-touch {leads.one_touch_rate:.0%}" in service
        backlog = screen.query_one("#backlog-open", Sparkline).data
        assert list(backlog or []) == leads.backlog["open"]
        times = screen.query_one("#times", DataTable)
        assert str(times.get_row_at(0)[0]).startswith("priority: ")
        assert not screen.query_one("#agent-work", DataTable).display  # leads only
        quality = str(screen.query_one("#quality", Static).render())
        report = desk.team_report(desk.clock() - timedelta(days=30))
        assert f"{report.qa.scored:,} solved conversations" in quality
        assert report.qa.worst[0].ticket_id in quality


async def test_sources_open_to_read(make_app: Callable[..., DeskPilotApp], desk: Desk) -> None:
    from textual.widgets import Markdown

    from deskpilot.tui.screens.action_modals import ReadScreen

    ticket_id = next(r.id for r in desk.queue(limit=None) if r.intent == "account_access")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        assert screen.outcome is not None
        context_text = str(screen.query_one("#context").render())
        assert "Billing" in context_text or "CRM" in context_text
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ReadScreen)
        first = screen.outcome.context.knowledge[0]
        assert app.screen.query_one(Markdown).source == first.body
        assert first.body.startswith("# ")  # the whole article, not a snippet
