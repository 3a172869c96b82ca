"""The agent's edit of a draft in the TUI: autosaved, restored on reopen, ended by the outcome,
with a one-key reason after a large edit or a discard."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from textual.pilot import Pilot
from textual.widgets import Label, TextArea

from deskpilot.desk import Desk
from deskpilot.models import EditOutcome
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.modals import ReasonScreen
from deskpilot.tui.screens.ticket import TicketScreen

from .conftest import open_ticket, settle, ticket_of_intent, until_modal


@asynccontextmanager
async def opened(
    make_app: Callable[..., DeskPilotApp], ticket_id: str
) -> AsyncIterator[tuple[DeskPilotApp, Pilot[None], TicketScreen]]:
    """The desk running, with the ticket open and its draft written."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        yield app, pilot, await open_ticket(app, pilot, ticket_id)


def _draft(screen: TicketScreen) -> TextArea:
    return screen.query_one("#draft", TextArea)


async def test_typing_is_autosaved_and_comes_back_after_leaving(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "onboarding")
    async with opened(make_app, ticket_id) as (app, pilot, screen):
        edit_id = screen.draft_pane.edit_id
        assert edit_id is not None
        original = desk.store.get_edit_event(edit_id).original_text
        assert _draft(screen).text == original
        await pilot.press("e")
        _draft(screen).move_cursor(_draft(screen).document.end)
        await pilot.press(*" PS thanks")
        await pilot.pause(1.3)  # the autosave runs every second
        revisions = desk.store.list_edit_revisions(edit_id)
        assert revisions and revisions[-1].text.endswith("PS thanks")
        assert revisions[-1].keystrokes >= 10
        await pilot.press("escape", "escape")  # leave the editor, then the ticket
        await settle(app, pilot)
        assert not isinstance(app.screen, TicketScreen)
        screen = await open_ticket(app, pilot, ticket_id)
        assert screen.draft_pane.edit_id == edit_id
        assert _draft(screen).text.endswith("PS thanks")
        assert "restored" in str(screen.query_one("#draft-label", Label).render())


async def test_a_large_edit_sent_asks_for_a_reason(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "onboarding")
    async with opened(make_app, ticket_id) as (app, pilot, screen):
        edit_id = screen.draft_pane.edit_id
        _draft(screen).load_text("Hi, I've set this up for you myself. Ada")
        await pilot.press("a")
        modal = await until_modal(app, pilot, ReasonScreen)
        assert isinstance(modal, ReasonScreen)
        labels = " ".join(str(label.render()) for label in modal.query(Label))
        assert "1  didn't answer the question" in labels and "too long" in labels
        await pilot.press("1")
        await settle(app, pilot)
    assert edit_id is not None
    event = desk.store.get_edit_event(edit_id)
    assert event.outcome is EditOutcome.SENT_EDITED
    assert (event.reason, event.edit_class) == ("didn't answer the question", "rewritten")
    assert desk.ticket(ticket_id).messages[-1].body.startswith("Hi, I've set this up")


async def test_sent_as_is_asks_nothing(make_app: Callable[..., DeskPilotApp], desk: Desk) -> None:
    ticket_id = ticket_of_intent(desk, "onboarding")
    async with opened(make_app, ticket_id) as (app, pilot, screen):
        edit_id = screen.draft_pane.edit_id
        await pilot.press("a")
        await settle(app, pilot)
        assert not isinstance(app.screen, ReasonScreen)
    assert edit_id is not None
    assert desk.store.get_edit_event(edit_id).outcome is EditOutcome.SENT_AS_IS


async def test_discard_and_regenerate_end_the_edit(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "onboarding")
    async with opened(make_app, ticket_id) as (app, pilot, screen):
        first = screen.draft_pane.edit_id
        _draft(screen).insert("Edited. ", (0, 0))  # the agent changed it: a regenerate ends it
        await pilot.press("r")
        await settle(app, pilot)
        second = screen.draft_pane.edit_id
        assert second not in (None, first)
        await pilot.press("d")
        await until_modal(app, pilot, ReasonScreen)
        await pilot.press("escape")  # no reason given
        await settle(app, pilot)
        assert _draft(screen).text == ""
    assert first is not None and second is not None
    regenerated = desk.store.get_edit_event(first)
    assert regenerated.outcome is EditOutcome.REGENERATED
    assert regenerated.current_text.startswith("Edited. ")
    discarded = desk.store.get_edit_event(second)
    assert (discarded.outcome, discarded.reason) == (EditOutcome.DISCARDED, None)


async def test_a_regenerate_that_writes_the_same_draft_says_so(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    """The local drafter is deterministic: regenerating an untouched draft gives the same
    text, which is said in a notice; no edit event is ended or begun for it."""
    ticket_id = ticket_of_intent(desk, "onboarding")
    before = len(desk.store.list_edit_events(ticket_id))
    async with opened(make_app, ticket_id) as (app, pilot, screen):
        first = screen.draft_pane.edit_id
        text = _draft(screen).text
        await pilot.press("r")
        await settle(app, pilot)
        assert screen.draft_pane.edit_id == first and _draft(screen).text == text
        said = [n.message for n in app._notifications]
        assert "The co-pilot wrote the same draft again." in said
    assert first is not None
    assert desk.store.get_edit_event(first).outcome is not EditOutcome.REGENERATED
    assert len(desk.store.list_edit_events(ticket_id)) == before + 1  # the first draft only


async def test_no_draft_for_an_intent_whose_automation_is_off(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "onboarding")
    automation = desk.settings.automation.model_copy(update={"levels": {"onboarding": "off"}})
    desk.settings = desk.settings.model_copy(update={"automation": automation})
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        assert _draft(screen).text == "" and screen.draft_pane.edit_id is None
        assert "off for onboarding" in str(screen.query_one("#draft-label", Label).render())
        await pilot.press("r")  # the agent can still ask for one
        await settle(app, pilot)
        assert _draft(screen).text and screen.draft_pane.edit_id is not None


async def test_a_macro_replaces_the_draft_and_is_recorded_as_such(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    from deskpilot.tui.screens.modals import MacroScreen

    desk.settings = desk.settings.model_copy(
        update={"macros": {"sorted": "Hi {first_name},\n\nAll sorted now.\n\n{agent}"}}
    )
    ticket_id = ticket_of_intent(desk, "onboarding")
    async with opened(make_app, ticket_id) as (app, pilot, screen):
        edit_id = screen.draft_pane.edit_id
        await pilot.press("m")
        await until_modal(app, pilot, MacroScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "All sorted now." in _draft(screen).text
        await pilot.press("a")
        await settle(app, pilot)
        assert not isinstance(app.screen, ReasonScreen)  # a macro is not a bad draft
    assert edit_id is not None
    assert desk.store.get_edit_event(edit_id).outcome is EditOutcome.REPLACED_BY_MACRO
    assert "All sorted now." in desk.ticket(ticket_id).messages[-1].body


async def test_a_slow_model_shows_the_local_draft_until_its_own_arrives(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    from copilot.test_model_drafter import FakeOpenAI, Reply

    ticket_id = ticket_of_intent(desk, "onboarding")
    with FakeOpenAI(Reply(chunks=["Hi from the model."], before_first=4.0)) as fake:
        desk.settings.llm.base_url = fake.url
        app = make_app()
        async with app.run_test(size=(160, 48)) as pilot:
            app.open_ticket(ticket_id)
            shown_local = ""
            for _ in range(70):  # the local draft is there long before the model's
                await pilot.pause(0.05)
                screen = app.screen
                if isinstance(screen, TicketScreen) and _draft(screen).text.startswith("Hi "):
                    shown_local = _draft(screen).text
                    break
            assert shown_local and "model" not in shown_local
            assert isinstance(screen, TicketScreen)
            label = str(screen.query_one("#draft-label", Label).render())
            assert "still writing" in label
            await settle(app, pilot)
            assert _draft(screen).text == "Hi from the model."
        await desk.aclose_connectors()
