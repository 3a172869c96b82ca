"""The draft pane on its own, in a bare app: the co-pilot's draft streamed into the editor,
the edit event it begins, counts, autosaves, ends and hands over, and the messages it posts."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.message import Message
from textual.pilot import Pilot

from deskpilot.desk import Desk
from deskpilot.models import EditOutcome
from deskpilot.tui.widgets.draft_label import DraftLabel
from deskpilot.tui.widgets.draft_pane import DraftPane

from .conftest import Held, first_open, settle


class PaneApp(App[None]):
    """Nothing but the pane, for one ticket."""

    def __init__(self, desk: Desk, ticket_id: str) -> None:
        super().__init__()
        self.desk = desk
        self.ticket_id = ticket_id

    def compose(self) -> ComposeResult:
        yield DraftPane(self.desk, self.ticket_id)


async def drafted(app: PaneApp, pilot: Pilot[Any]) -> DraftPane:
    pane = app.query_one(DraftPane)
    pane.write()
    await settle(app, pilot)
    return pane


def posted(seen: list[Message], kind: type[Message]) -> list[Any]:
    """Each message once (the hook hears it again where it bubbles to)."""
    return list({id(m): m for m in seen if isinstance(m, kind)}.values())


async def test_a_draft_streams_in_and_its_edit_event_begins(desk: Desk) -> None:
    ticket_id = first_open(desk)
    app = PaneApp(desk, ticket_id)
    seen: list[Message] = []
    async with app.run_test(size=(120, 30), message_hook=seen.append) as pilot:
        pane = await drafted(app, pilot)
        (done,) = posted(seen, DraftPane.Drafted)
        assert pane.text == done.outcome.draft.text
        assert not pane.drafting and not pane.editor.read_only
        assert str(app.query_one(DraftLabel).render()).startswith("Draft · local")
        edit_id = pane.edit_id
    assert edit_id is not None
    event = desk.store.get_edit_event(edit_id)
    assert (event.ticket_id, event.outcome) == (ticket_id, EditOutcome.PENDING)
    assert event.original_text == done.outcome.draft.text


async def test_keystrokes_are_counted_and_the_newest_text_autosaved(desk: Desk) -> None:
    app = PaneApp(desk, first_open(desk))
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await drafted(app, pilot)
        for word in ("PS ", "see ", "you. "):
            pane.editor.insert(word, (0, 0))
        await pilot.pause()
        pane.autosave()
        await settle(app, pilot)
        text, edit_id = pane.text, pane.edit_id
    assert edit_id is not None and text.startswith("you. see PS ")
    (revision, *_) = reversed(desk.store.list_edit_revisions(edit_id))
    assert (revision.text, revision.keystrokes) == (text, 3)


async def test_discarding_ends_the_edit_event_and_says_so(desk: Desk) -> None:
    app = PaneApp(desk, first_open(desk))
    seen: list[Message] = []
    async with app.run_test(size=(120, 30), message_hook=seen.append) as pilot:
        pane = await drafted(app, pilot)
        edit_id = pane.edit_id
        pane.discard()
        await settle(app, pilot)
        assert pane.text == "" and pane.edit_id is None
        assert "discarded" in str(app.query_one(DraftLabel).render())
    assert edit_id is not None
    ended = [(m.edit_id, m.outcome) for m in posted(seen, DraftPane.EditEnded)]
    assert ended == [(edit_id, EditOutcome.DISCARDED)]
    assert desk.store.get_edit_event(edit_id).outcome is EditOutcome.DISCARDED


async def test_a_draft_discarded_while_its_edit_event_is_stored_ends_that_event_too(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent was quicker than the store: the event begun for the discarded draft must not
    become the editor's (nor stay open, to be restored next time)."""
    ticket_id = first_open(desk)
    app = PaneApp(desk, ticket_id)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(DraftPane)
        held = Held(monkeypatch, desk, "draft_shown")
        pane.write()
        await held.wait()
        assert pane.settling is not None  # a send now is refused (the screen asks)
        pane.discard()
        held.release()
        await settle(app, pilot)
        assert pane.edit_id is None and pane.settling is None
    assert desk.unsent_edit(ticket_id) is None


async def test_a_send_takes_the_edit_event_and_a_failed_one_gives_it_back(desk: Desk) -> None:
    app = PaneApp(desk, first_open(desk))
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await drafted(app, pilot)
        edit_id, text = pane.edit_id, pane.text
        outgoing = pane.take_outgoing()
        assert (outgoing.text, outgoing.edit_id, outgoing.from_macro) == (text, edit_id, False)
        assert pane.edit_id is None  # no autosave of an edit the send is ending
        pane.give_back(outgoing.edit_id)
        assert pane.edit_id == edit_id
        pane.sent()
        assert pane.text == ""


async def test_leaving_stores_a_changed_edit_and_nothing_when_unchanged(desk: Desk) -> None:
    app = PaneApp(desk, first_open(desk))
    seen: list[Message] = []
    async with app.run_test(size=(120, 30), message_hook=seen.append) as pilot:
        pane = await drafted(app, pilot)
        assert pane.keep() is False  # the draft as shown: nothing to store, leave at once
        pane.editor.insert("Hello again. ", (0, 0))
        assert pane.keep() is True
        await settle(app, pilot)
        edit_id, text = pane.edit_id, pane.text
    assert [m.problem for m in posted(seen, DraftPane.Kept)] == [None]
    assert edit_id is not None
    assert desk.store.get_edit_event(edit_id).current_text == text


async def test_a_macro_replaces_the_draft_and_an_unknown_one_is_told(desk: Desk) -> None:
    desk.settings.macros["sorted"] = "Hi {first_name},\n\nAll sorted now.\n\n{agent}"
    app = PaneApp(desk, first_open(desk))
    async with app.run_test(size=(120, 30)) as pilot:
        pane = await drafted(app, pilot)
        pane.use_macro("nope")
        await settle(app, pilot)
        assert [n.title for n in app._notifications] == ["Macro failed"]
        assert not pane.from_macro
        pane.use_macro("sorted")
        await settle(app, pilot)
        assert pane.text.endswith("All sorted now.\n\nada") and pane.from_macro
        assert pane.edit_id is not None  # the draft's event goes on: the send says "macro"


async def test_an_unexpected_failure_storing_the_edit_event_holds_nothing_back(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app tells the agent; the pane is settled (a send waiting for it goes) and has no
    edit event to autosave."""

    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(desk, "draft_shown", broken)
    app = PaneApp(desk, first_open(desk))
    seen: list[Message] = []
    async with app.run_test(size=(120, 30), message_hook=seen.append) as pilot:
        pane = await drafted(app, pilot)
        assert pane.settling is None and pane.edit_id is None
        assert pane.text  # the draft is there to send by hand
    assert len(posted(seen, DraftPane.Settled)) == 1
