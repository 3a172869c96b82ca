"""The desk stays up and answers keys: slow or failing work runs in workers that report in
typed messages, and one handler on the app turns an unexpected failure into a notification."""

from __future__ import annotations

import ast
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.widgets import Static, TextArea

from deskpilot.desk import Desk
from deskpilot.models import Author
from deskpilot.tui import messages
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.modals import NoteScreen

from .conftest import Held, first_open, held_while_keys_answer, open_ticket, settle

TUI = Path(__file__).parents[2] / "src" / "deskpilot" / "tui"


async def test_a_slow_store_does_not_block_the_keys_while_a_reply_is_sent(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's write of the reply waits on a gate the test holds: meanwhile the desk
    still answers keys (the help opens), and nothing is in the thread yet; released, the
    reply lands and the screen hears of it in a ``ReplySent`` message."""
    ticket_id = first_open(desk)
    app = make_app()
    seen: list[Message] = []  # every message the app's widgets handle (the message hook)
    async with app.run_test(size=(160, 48), message_hook=seen.append) as pilot:
        await open_ticket(app, pilot, ticket_id)
        held = await held_while_keys_answer(
            pilot, monkeypatch, desk.store, "append_message", lambda: pilot.press("a")
        )
        assert desk.ticket(ticket_id).messages[-1].author is Author.CUSTOMER
        held.release()
        await app.workers.wait_for_complete()
        await pilot.pause()
    sent = [m for m in seen if isinstance(m, messages.ReplySent)]
    assert [m.ticket_id for m in sent] == [ticket_id]
    assert desk.ticket(ticket_id).messages[-1].author is Author.AGENT
    assert not [m for m in seen if isinstance(m, messages.WorkerFailed)]


async def test_a_second_send_while_the_first_runs_is_refused(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        held = Held(monkeypatch, desk.store, "append_message")
        await pilot.press("a")
        await held.wait()  # the first send is in the store now
        await pilot.press("a")
        said = [n.message for n in app._notifications]
        held.release()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert "Wait a moment: sending the reply is under way" in said
    replies = [m for m in desk.ticket(ticket_id).messages if m.author is Author.AGENT]
    assert len(replies) == 1


async def test_note_and_intent_correction_report_in_messages(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = first_open(desk)
    app = make_app()
    seen: list[Message] = []  # every message the app's widgets handle (the message hook)
    async with app.run_test(size=(160, 48), message_hook=seen.append) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"called them back", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    done = [m for m in seen if isinstance(m, messages.ActionDone)]
    assert [(m.ticket_id, m.done) for m in done] == [(ticket_id, "Note added")]
    assert desk.ticket(ticket_id).messages[-1].body == "called them back"


async def test_an_unexpected_failure_in_a_worker_is_told_and_the_desk_stays_up(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)

    def broken(ticket_id: str, body: str) -> None:
        raise RuntimeError("the disk is on fire")

    app = make_app()
    seen: list[Message] = []  # every message the app's widgets handle (the message hook)
    async with app.run_test(size=(160, 48), message_hook=seen.append) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        monkeypatch.setattr(desk, "add_note", broken)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"x", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.screen is screen
        said = [(n.title, n.message) for n in app._notifications]
        await pilot.press("n")  # the failed note no longer holds the ticket's actions back
        await pilot.pause()
        assert isinstance(app.screen, NoteScreen)
    failed = [m for m in seen if isinstance(m, messages.WorkerFailed)]
    assert [m.error for m in failed] == ["RuntimeError: the disk is on fire"]
    assert any(
        title.startswith("Something went wrong") and "the disk is on fire" in message
        for title, message in said
    )


async def test_a_database_hiccup_during_autosave_is_told_and_the_desk_stays_up(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    """A real driver error (the revisions table gone under the desk) reaches the autosave as
    a StorageError: "Autosave failed", and the desk goes on."""
    ticket_id = first_open(desk)
    app = make_app()
    seen: list[Message] = []
    async with app.run_test(size=(160, 48), message_hook=seen.append) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        raw = sqlite3.connect(desk.store.location)
        raw.execute("ALTER TABLE edit_revisions RENAME TO edit_revisions_away")
        raw.commit()
        try:
            screen.query_one("#draft", TextArea).insert("PS ", (0, 0))
            screen.draft_pane.autosave()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.is_running and app.screen is screen
        finally:
            raw.execute("ALTER TABLE edit_revisions_away RENAME TO edit_revisions")
            raw.commit()
            raw.close()
    failed = [m.error for m in seen if isinstance(m, messages.AutosaveFailed)]
    assert failed and all("no such table: edit_revisions" in error for error in failed)
    assert not [m for m in seen if isinstance(m, messages.WorkerFailed)]


async def test_the_context_shows_crm_and_billing_when_no_draft_is_made(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    """The agent spoke last: no draft is wanted, and CRM and billing come all the same."""
    ticket_id = next(r.id for r in desk.queue(limit=None) if r.intent == "account_access")
    desk.send_reply(ticket_id, "On it: I have reset the link for you.")
    app = make_app()
    seen: list[Message] = []  # every message the app's widgets handle (the message hook)
    async with app.run_test(size=(160, 48), message_hook=seen.append) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        assert screen.outcome is None  # no draft was made
        context = str(screen.query_one("#context", Static).render())
    assert "Loading CRM and billing" not in context
    assert "CRM" in context or "Billing" in context
    assert [m.ticket_id for m in seen if isinstance(m, messages.ContextLoaded)] == [ticket_id]


def test_every_tui_worker_leaves_failures_to_the_app_handler() -> None:
    """Textual's ``@work`` exits the app on an error: every worker in the TUI is declared with
    ``desk_work`` instead (``exit_on_error=False``, failures posted to the app's handler)."""
    plain_work = []
    for path in TUI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                name = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(name, ast.Name | ast.Attribute) and ast.unparse(name) in {
                    "work",
                    "textual.work",
                }:
                    plain_work.append(f"{path.name}:{node.name}")
    assert plain_work == []
    assert "@desk_work(" in (TUI / "screens" / "ticket.py").read_text()  # the scan sees them


async def test_a_send_that_fails_unexpectedly_keeps_the_draft_and_its_edit(
    make_app: Callable[..., DeskPilotApp], desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = first_open(desk)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("connection reset")

    app = make_app()
    seen: list[Message] = []
    async with app.run_test(size=(160, 48), message_hook=seen.append) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        edit_id, text = screen.draft_pane.edit_id, screen.query_one("#draft", TextArea).text
        assert edit_id is not None and text
        with monkeypatch.context() as patch:
            patch.setattr(desk, "send_reply", broken)
            await pilot.press("a")
            await settle(app, pilot)
        assert app.is_running and app.screen is screen
        shown = screen.draft_pane
        assert (shown.edit_id, shown.text) == (edit_id, text)
        assert [m.error for m in seen if isinstance(m, messages.WorkerFailed)] == [
            "RuntimeError: connection reset"
        ]
        await pilot.press("a")  # sent now, with the draft's edit event
        await settle(app, pilot)
    assert desk.ticket(ticket_id).messages[-1].body == text.strip()
    assert desk.store.get_edit_event(edit_id).outcome is not None
