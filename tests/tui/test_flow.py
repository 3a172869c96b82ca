"""The everyday flow, driven by keys: take, next, assign, advance after send and close, reopen,
what arrived while drafting, escalation with a team, reason and holding reply; and the small
things (footer, editor at the greeting, remembered theme, refund preselection). Each checks
the store afterwards."""

from __future__ import annotations

import re
from collections.abc import Callable

from textual.widgets import Button, Checkbox, Select, TextArea

from deskpilot.desk import Desk
from deskpilot.models import Author, Message, Status
from deskpilot.store import QueueFilter
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.action_modals import RefundScreen
from deskpilot.tui.screens.escalate import EscalateScreen
from deskpilot.tui.screens.flow_modals import ArrivedScreen, AssignScreen
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.footer import DeskFooter
from deskpilot.tui.widgets.queue_table import QueueTable

from .conftest import confirm_on_ticket, open_ticket, settle, until_modal, with_settings

WORKABLE = frozenset({Status.NEW, Status.OPEN})


def next_in_line(desk: Desk, skip: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """The ticket "next" should hand out: most urgent, oldest, new or open, nobody else's."""
    rows = desk.store.list_queue(QueueFilter(statuses=WORKABLE, free_for="ada"), limit=10)
    return next(r.id for r in rows if r.id not in skip)


async def test_take_in_the_queue_makes_the_ticket_the_agents(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(QueueTable)
        current = table.current
        assert current is not None and current.assignee != "ada"
        await pilot.press("t")
        await settle(app, pilot)
    assert desk.ticket(current.id).assignee == "ada"
    assert [a.params["via"] for a in desk.store.list_actions(current.id)] == ["take"]


async def test_next_ticket_key_opens_and_assigns_the_best_free_one(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    expected = next_in_line(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == expected
        assert "owner ada" in str(app.screen.query_one("#title").render())
    assert desk.ticket(expected).assignee == "ada"


async def test_sending_opens_the_next_ticket_of_the_view(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    first = next_in_line(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")  # take the first, then answer it
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.ticket_id != first
        second = screen.ticket_id
    assert desk.ticket(first).status is Status.PENDING
    assert desk.ticket(first).assignee == desk.ticket(second).assignee == "ada"
    assert second == next_in_line(desk, skip={first})  # the view's best, now ada's


async def test_after_send_can_go_back_to_the_queue(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    with_settings(desk, "tui", after_send="queue")
    ticket_id = next_in_line(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
    assert desk.ticket(ticket_id).status is Status.PENDING


async def test_assign_to_a_teammate_and_reopen(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    with_settings(desk, "team", members=["ada", "bo", "cy"])
    ticket_id = next_in_line(desk)
    desk.send_reply(ticket_id, "Sorted, I think.")
    desk.solve(ticket_id)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("A")
        modal = await until_modal(app, pilot, AssignScreen)
        assert isinstance(modal, AssignScreen)
        modal.query_one("#agent", Select).value = "bo"
        modal.query_one("#assign", Button).press()
        await settle(app, pilot)
        await pilot.press("O")
        await settle(app, pilot)
    ticket = desk.ticket(ticket_id)
    assert (ticket.assignee, ticket.status) == ("bo", Status.OPEN)
    assigned = [a.params for a in desk.store.list_actions(ticket_id) if a.action == "assign"]
    assert assigned[-1] == {"from": "ada", "to": "bo", "via": "assign"}


async def test_sending_over_a_message_that_arrived_asks_first(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = next_in_line(desk)
    before = len(desk.ticket(ticket_id).messages)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        later = Message(author=Author.CUSTOMER, body="Also: [b]the export[/b] fails too?")
        desk.store.append_message(ticket_id, later)
        await pilot.press("a")
        modal = await until_modal(app, pilot, ArrivedScreen)
        assert isinstance(modal, ArrivedScreen)
        assert [m.body for m in modal.arrived] == [later.body]
        await pilot.press("escape")  # back to the draft: nothing sent, the thread shows it
        await settle(app, pilot)
        assert app.screen is screen
        assert len(desk.ticket(ticket_id).messages) == before + 1
        await pilot.press("a")  # seen now: sends without asking again
        await settle(app, pilot)
    ticket = desk.ticket(ticket_id)
    assert ticket.messages[-1].author is Author.AGENT and ticket.status is Status.PENDING


async def test_escalate_to_a_team_with_reason_edited_summary_and_holding_reply(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = next_in_line(desk)
    desk.audit(
        "refund",
        ticket_id,
        {"invoice": "in_1", "amount": 20.0, "outcome": "moved", "moved": 20.0, "refund_id": "re_9"},
    )
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("x")
        modal = await until_modal(app, pilot, EscalateScreen)
        assert isinstance(modal, EscalateScreen)
        await pilot.pause()
        for button in ("#cancel", "#escalate"):  # both in view at 80x24
            region = modal.query_one(button, Button).region
            assert region.height and region.bottom <= 24 and region.right <= 80, button
        summary = modal.query_one("#summary", TextArea)
        assert "Refunded USD 20.00 on in_1, refund re_9" in summary.text
        assert "### Open question" in summary.text
        summary.load_text(summary.text + "\n\nPS: customer is at risk of churning.")
        modal.query_one("#to", Select).value = "Billing"
        modal.query_one("#reason", Select).value = "billing exception"
        modal.query_one("#tell", Checkbox).value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    ticket = desk.ticket(ticket_id)
    assert ticket.status is Status.ESCALATED
    reply, note = ticket.messages[-2], ticket.messages[-1]
    assert reply.author is Author.AGENT and "passed this to" in reply.body
    assert note.author is Author.NOTE
    assert note.body.startswith("Escalated to Billing · why: billing exception")
    assert note.body.endswith("PS: customer is at risk of churning.")
    escalated = [a for a in desk.store.list_actions(ticket_id) if a.action == "escalate"]
    assert escalated[-1].params["to"] == "Billing"


async def test_footer_shows_the_most_used_keys_remapped_ones_too(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    with_settings(desk, "tui", keys={"send": "ctrl+s"})
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, next_in_line(desk))
        await pilot.pause()
        keys = {
            key.description: (key.key_display, key.region)
            for key in app.screen.query_one(DeskFooter).children
        }
        for wanted in ("Send", "Edit", "Discard", "Macro", "Close", "Back", "All keys"):
            assert wanted in keys, wanted
            assert keys[wanted][1].right <= 160 and keys[wanted][1].width, wanted
        assert keys["Send"][0] == "^s"  # remapped, and still first
        assert min(region.x for _key, region in keys.values()) == keys["Send"][1].x


async def test_the_draft_opens_at_its_greeting(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(app, pilot, next_in_line(desk))
        editor = screen.query_one("#draft", TextArea)
        assert editor.text.startswith("Hi ")
        assert editor.cursor_location == (0, 0) and editor.scroll_offset.y == 0


async def test_a_theme_picked_is_remembered_at_the_next_start(desk: Desk) -> None:
    app = DeskPilotApp(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.theme == "deskpilot-dark"
        app.theme = "deskpilot-light"  # as the palette's theme picker does
        await pilot.pause()
    again = DeskPilotApp(desk)
    assert again.theme == "deskpilot-light"
    # a change of [tui] theme in the config wins over the remembered pick
    with_settings(desk, "tui", theme="textual-dark")
    assert DeskPilotApp(desk).theme == "textual-dark"


async def test_the_refund_dialog_preselects_the_invoice_the_customer_named(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    named = next(
        (r.id, found.group())
        for r in desk.queue(limit=None)
        if r.intent == "refund_request"
        and (found := re.search(r"INV-[\d-]+", desk.ticket(r.id).first_customer_message))
    )
    ticket_id, number = named
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("f")
        modal = await until_modal(app, pilot, RefundScreen)
        assert isinstance(modal, RefundScreen)
        await pilot.pause()
        chosen = modal.query_one("#invoice", Select).value
        assert modal.invoices[str(chosen)].number == number
        total = modal.invoices[str(chosen)].total
        assert modal.query_one("#amount").value == f"{total:.2f}"  # type: ignore[attr-defined]


async def test_unlock_account_asks_then_unlocks_through_identity(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = next(r.id for r in desk.queue(limit=None) if r.intent == "account_access")
    email = desk.ticket(ticket_id).customer.email  # type: ignore[union-attr]
    outbox = await confirm_on_ticket(make_app(), desk, ticket_id, "U")
    assert any("account_unlock" in line and email in line for line in outbox)
    done = [a for a in desk.store.list_actions(ticket_id) if a.action.startswith("unlock")]
    assert [(a.action, a.ok) for a in done] == [
        ("unlock_account.requested", True),
        ("unlock_account", True),
    ]
    assert desk.ticket(ticket_id).messages[-1].body.startswith(f"Unlocked the account of {email}")


async def test_cancel_subscription_previews_both_ways_then_cancels_once(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    from deskpilot.connectors.demo import DemoRecords
    from deskpilot.tui.screens.flow_modals import CancelSubscriptionScreen

    records = DemoRecords(desk.workspace.records_dir)
    active = {s.customer_id: s for s in records.subscriptions() if s.status == "active"}
    ticket_id = next(
        r.id
        for r in desk.queue(limit=None)
        if r.intent == "cancellation" and r.customer_id in active
    )
    subscription = active[desk.ticket(ticket_id).customer.id]  # type: ignore[union-attr]
    plan = next(p for p in records.plans() if p.id == subscription.plan_id)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("C")
        modal = await until_modal(app, pilot, CancelSubscriptionScreen)
        assert isinstance(modal, CancelSubscriptionScreen)
        assert modal.at_end.ends_on == subscription.cycle_end and modal.at_end.credit == 0
        period = (subscription.cycle_end - subscription.cycle_start).days
        left = (subscription.cycle_end - desk.clock().date()).days
        assert modal.now.credit == round(plan.monthly_price * left / period, 2)
        modal.query_one("#at-end", Button).press()
        await settle(app, pilot)
    canceled = records.cancellations()
    assert [(c.customer_id, c.at_period_end, c.ends_on) for c in canceled] == [
        (subscription.customer_id, True, subscription.cycle_end)
    ]
    again = next(s for s in records.subscriptions() if s.customer_id == subscription.customer_id)
    assert again.status == "non_renewing"
    done = [a for a in desk.store.list_actions(ticket_id) if a.action.startswith("cancel")]
    assert [a.action for a in done] == ["cancel_subscription.requested", "cancel_subscription"]
    assert done[-1].params["ends_on"] == subscription.cycle_end.isoformat()
    note = desk.ticket(ticket_id).messages[-1]
    assert note.author is Author.NOTE and "at the period's end" in note.body
