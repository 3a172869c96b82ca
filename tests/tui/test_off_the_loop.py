"""Nothing blocking runs on the event loop: each desk or store call below is held on a gate in the
test while the desk still answers keys, then let go, and its result arrives (a typed message,
the dialog it opens, what the store holds afterwards). Held on the loop instead, the call says
so and the test fails (``Held``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from textual.message import Message
from textual.widgets import Button, Input, Select

from deskpilot.connectors.demo import DemoRecords
from deskpilot.desk import Desk
from deskpilot.models import Author, EditOutcome, Status
from deskpilot.store import schema
from deskpilot.store.channels import DeliveryState
from deskpilot.tui import messages
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.action_modals import BugScreen, ConfirmScreen, RefundScreen, StatusScreen
from deskpilot.tui.screens.escalate import EscalateScreen
from deskpilot.tui.screens.flow_modals import AssignScreen, CancelSubscriptionScreen
from deskpilot.tui.screens.modals import IntentScreen, ReasonScreen
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.snooze_merge import MergeScreen
from deskpilot.tui.screens.ticket import TicketScreen
from deskpilot.tui.widgets.queue_table import QueueTable

from .conftest import (
    Held,
    first_open,
    held_while_keys_answer,
    keys_answered,
    open_ticket,
    settle,
    ticket_of_intent,
    until,
    until_modal,
    with_settings,
)

# --- the queue ---------------------------------------------------------------------------------


async def test_take_on_the_queue_does_not_block_the_keys(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    seen: list[Message] = []
    async with app.run_test(size=(160, 48), message_hook=seen.append) as pilot:
        await settle(app, pilot)
        ticket_id = app.screen.query_one(QueueTable).current.id  # type: ignore[union-attr]
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, "assign", lambda: pilot.press("t")
        )
        assert desk.ticket(ticket_id).assignee != desk.agent  # not yet: the write is held
        held.release()
        await settle(app, pilot)
    assert desk.ticket(ticket_id).assignee == desk.agent
    owned = {(m.ticket_id, m.owner) for m in seen if isinstance(m, messages.TicketOwned)}
    assert owned == {(ticket_id, desk.agent)}


async def test_assign_on_the_queue_does_not_block_the_keys(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        ticket_id = app.screen.query_one(QueueTable).current.id  # type: ignore[union-attr]

        async def assign_to_bo() -> None:
            await pilot.press("A")
            modal = await until_modal(app, pilot, AssignScreen)
            assert isinstance(modal, AssignScreen)
            modal.query_one("#agent", Input).value = "bo"
            modal.query_one("#assign", Button).press()

        held = await held_while_keys_answer(pilot, monkeypatch, desk, "assign", assign_to_bo)
        held.release()
        await settle(app, pilot)
    assert desk.ticket(ticket_id).assignee == "bo"


async def test_next_ticket_on_the_queue_is_found_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, "next_ticket", lambda: pilot.press("n")
        )
        assert isinstance(app.screen, QueueScreen)  # not yet: the next ticket is being found
        held.release()
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        opened = app.screen.ticket_id
    assert desk.ticket(opened).assignee == desk.agent


# --- the ticket: the draft's edit event ----------------------------------------------------------


async def test_the_draft_s_edit_event_begins_off_the_loop_and_a_send_follows_it(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        held = Held(monkeypatch, desk, "draft_shown")
        app.open_ticket(ticket_id)
        await held.wait()  # the draft is shown; its edit event is being stored
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        text = screen.draft_pane.text
        await pilot.press("a")  # sent once the event is stored, so that the reply ends it
        assert await keys_answered(app, pilot)
        assert desk.ticket(ticket_id).messages[-1].author is Author.CUSTOMER  # not yet
        held.release()
        await settle(app, pilot)
    (event,) = desk.store.list_edit_events(ticket_id)
    assert event.outcome is EditOutcome.SENT_AS_IS
    assert desk.ticket(ticket_id).messages[-1].body == text.strip()


async def test_discarding_ends_the_edit_off_the_loop_then_asks_why(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first_open(desk))
        edit_id = screen.draft_pane.edit_id
        assert edit_id is not None
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, "end_edit", lambda: pilot.press("d")
        )
        assert screen.draft_pane.text == ""  # the editor empties at once
        held.release()
        await until_modal(app, pilot, ReasonScreen)  # asked once the event is ended
    assert desk.store.get_edit_event(edit_id).outcome is EditOutcome.DISCARDED


async def test_leaving_the_ticket_stores_the_unsent_edit_off_the_loop_then_leaves(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_settings(desk, "feedback", autosave_seconds=3600)  # no autosave tick meanwhile
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first_open(desk))
        edit_id = screen.draft_pane.edit_id
        assert edit_id is not None
        screen.draft_pane.editor.insert("PS see you soon. ", (0, 0))
        screen.set_focus(None)  # escape leaves the ticket (in the editor, it leaves the editor)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, "autosave_edit", lambda: pilot.press("escape")
        )
        assert app.screen is screen  # left only once the edit is stored
        held.release()
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
    assert desk.store.get_edit_event(edit_id).current_text.startswith("PS see you soon. ")


# --- the ticket: the reads that open dialogs, and the send's check -----------------------------


@pytest.mark.parametrize(
    ("read", "key", "dialog"),
    [
        ("escalation_summary", "x", EscalateScreen),
        ("duplicates", "M", MergeScreen),
        ("taxonomy", "t", IntentScreen),
    ],
    ids=["escalate-summary", "merge-duplicates", "intent-taxonomy"],
)
async def test_what_a_dialog_shows_is_read_off_the_loop(
    make_app: Callable[..., DeskPilotApp],
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
    read: str,
    key: str,
    dialog: type,
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first_open(desk))
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, read, lambda: pilot.press(key)
        )
        assert app.screen is screen  # the dialog opens once what it shows is read
        held.release()
        await until_modal(app, pilot, dialog)


async def test_a_macro_is_filled_in_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.settings.macros["sorted"] = "Hi {first_name},\n\nAll sorted now.\n\n{agent}"
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, first_open(desk))
        # apply_macro: the macro dialog's and the palette's way in
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, "macro", lambda: screen.apply_macro("sorted")
        )
        held.release()
        await settle(app, pilot)
        assert screen.draft_pane.text.endswith("All sorted now.\n\nada")
        assert screen.draft_pane.from_macro


async def test_what_arrived_before_a_send_is_checked_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, "arrived_since", lambda: pilot.press("a")
        )
        held.release()
        await settle(app, pilot)
    assert desk.ticket(ticket_id).messages[-1].author is Author.AGENT


async def test_retrying_a_failed_reply_queues_it_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)
    with_settings(desk, "tui", after_send="stay")
    with desk.store.writing() as connection:  # a channel without a connector: the reply waits
        connection.execute(
            schema.tickets.update().where(schema.tickets.c.id == ticket_id).values(source="inbox")
        )
    app = make_app()
    seen: list[Message] = []
    async with app.run_test(size=(160, 48), message_hook=seen.append) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        await pilot.press("a")
        await settle(app, pilot)
        (entry,) = desk.channels.entries(ticket_id=ticket_id)
        (claimed,) = desk.channels.claim_due(entry.next_try, desk.settings.channels.lease)  # type: ignore[arg-type]
        desk.channels.mark_failed(claimed, "mailbox full", claimed.next_try)  # type: ignore[arg-type]
        with desk.store.writing() as connection:
            connection.execute(sa.update(schema.outbox).values(connector="demo"))
        screen.reload()
        await settle(app, pilot)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, "retry_reply", lambda: pilot.press("R")
        )
        held.release()
        await settle(app, pilot)
        assert await until(
            pilot, lambda: desk.channels.entries(ticket_id=ticket_id)[0].state is DeliveryState.SENT
        )
    requeued = [m.entry_id for m in seen if isinstance(m, messages.ReplyRequeued)]
    assert requeued == [entry.id]


async def test_the_claim_of_a_ticket_left_is_let_go_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        assert desk.holds(ticket_id)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk, "release", lambda: pilot.press("escape")
        )
        assert isinstance(app.screen, QueueScreen)  # left at once: the claim is let go after
        held.release()
        await settle(app, pilot)
        assert not desk.holds(ticket_id)


# --- the ticket: actions through the connectors, and the draft --------------------------------
# Their workers are coroutines (the connectors are async clients on the event loop); the store
# reads and writes inside them, the audit trail's too, run in threads.


def audit_trail(desk: Desk, ticket_id: str) -> list[str]:
    return [a.action for a in desk.store.list_actions(ticket_id)]


@pytest.mark.parametrize(("key", "action"), [("p", "reset_password"), ("U", "unlock_account")])
async def test_an_account_action_is_audited_off_the_loop(
    make_app: Callable[..., DeskPilotApp],
    desk: Desk,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    action: str,
) -> None:
    ticket_id = ticket_of_intent(desk, "account_access")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        before = audit_trail(desk, ticket_id)

        async def confirm() -> None:
            await pilot.press(key)
            await until_modal(app, pilot, ConfirmScreen)
            await pilot.press("enter")

        # "<action>.requested" is being written: the connector waits for it
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "record_action", confirm
        )
        assert audit_trail(desk, ticket_id) == before
        held.release()
        await settle(app, pilot)
    assert audit_trail(desk, ticket_id)[len(before) : len(before) + 2] == [
        f"{action}.requested",
        action,
    ]


async def test_a_cancellation_is_audited_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = DemoRecords(desk.workspace.records_dir)
    active = {s.customer_id for s in records.subscriptions() if s.status == "active"}
    ticket_id = next(
        r.id
        for r in desk.queue(limit=None)
        if r.intent == "cancellation" and r.customer_id in active
    )
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("C")
        modal = await until_modal(app, pilot, CancelSubscriptionScreen)
        at_period_end = modal.query_one("#at-end", Button)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "record_action", at_period_end.press
        )
        held.release()
        await settle(app, pilot)
    done = [a.action for a in desk.store.list_actions(ticket_id) if a.action.startswith("cancel")]
    assert done == ["cancel_subscription.requested", "cancel_subscription"]


async def test_a_refund_reads_and_writes_the_audit_trail_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = ticket_of_intent(desk, "refund_request")
    refunds = desk.workspace.records_dir / "refunds.json"
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("f")
        modal = await until_modal(app, pilot, RefundScreen)
        assert isinstance(modal, RefundScreen)
        invoice = min(modal.invoices.values(), key=lambda i: i.total)
        modal.query_one("#invoice", Select).value = invoice.id
        await pilot.pause()
        modal.query_one("#amount", Input).value = "5.00"
        modal.query_one("#reason", Input).value = "charged after cancelling"
        await pilot.pause()
        refund = modal.query_one("#refund", Button)
        refund.press()  # the first press asks to confirm
        await pilot.pause(0.1)
        # the request is being recorded: billing is not called before it
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "record_action", refund.press
        )
        assert not refunds.exists() or json.loads(refunds.read_text()) == []
        held.release()
        await settle(app, pilot)
    assert [(r["invoice_id"], r["amount"]) for r in json.loads(refunds.read_text())] == [
        (invoice.id, 5.0)
    ]
    assert audit_trail(desk, ticket_id)[-3:] == ["refund.requested", "refund", "note"]
    assert desk.refunded_total(invoice.id) == 5.0


async def test_filing_a_bug_is_audited_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = ticket_of_intent(desk, "bug_report")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("b")
        await until_modal(app, pilot, BugScreen)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "record_action", lambda: pilot.click("#create")
        )
        held.release()
        await settle(app, pilot)
    assert audit_trail(desk, ticket_id)[-3:] == ["create_bug.requested", "create_bug", "note"]
    assert desk.ticket(ticket_id).messages[-1].body.startswith("Filed bug")


async def test_a_status_look_up_is_audited_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = ticket_of_intent(desk, "bug_report")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "record_action", lambda: pilot.press("s")
        )
        held.release()
        await until_modal(app, pilot, StatusScreen)
    assert audit_trail(desk, ticket_id)[-1] == "status_lookup"


async def test_an_escalation_is_stored_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("x")
        modal = await until_modal(app, pilot, EscalateScreen)
        assert isinstance(modal, EscalateScreen)
        modal.query_one("#to", Select).value = "Billing"
        await pilot.pause()
        # the hand-off's note is being written
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "append_message", lambda: pilot.press("ctrl+s")
        )
        assert desk.ticket(ticket_id).status is not Status.ESCALATED
        held.release()
        await settle(app, pilot)
    assert desk.ticket(ticket_id).status is Status.ESCALATED
    assert audit_trail(desk, ticket_id)[-1] in {"escalate", "notify_handoff"}


async def test_the_draft_is_kept_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "save_draft", lambda: app.open_ticket(ticket_id)
        )
        assert desk.store.latest_draft(ticket_id) is None
        held.release()
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        shown = screen.draft_pane.text
    draft = desk.store.latest_draft(ticket_id)
    assert draft is not None and shown and draft.text.strip() == shown.strip()


async def test_the_draft_s_context_is_read_off_the_loop(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "get_triage", lambda: app.open_ticket(ticket_id)
        )
        held.release()
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        assert screen.draft_pane.text
    assert held.calls and not held.on_loop
