"""Hostile outside text in every panel, dialog and toast: shown as written, never parsed as
markup (no crash, no lost words, no clickable action), never written to the terminal as control
codes. The ticket and its records come from tests/hostile.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.app import App
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets._toast import Toast

from deskpilot.connectors.models import TeamMessage
from deskpilot.copilot.context import DraftContext
from deskpilot.desk import Desk
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.ticket import TicketScreen
from hostile import (
    FIELDS,
    MARKUP,
    SHOWN_EMAIL,
    SHOWN_ESCAPES,
    TICKET_ID,
    hostile,
    plant,
    shown,
)

from .conftest import settle, thread_at_newest

# The terminal escapes of a posted subject: none may reach the terminal.
RAW_ESCAPES = ("\x1b]0;PWNED", "\x07", "\x1b[2J", "\u202e", "\x1b]0;pwned")


@pytest.fixture
def hostile_desk(desk: Desk, tmp_path: Path) -> Desk:
    plant(desk, desk.workspace.root / "articles")
    return desk


def squeeze(text: str) -> str:
    """Text without whitespace: wrapped lines compare equal to the unwrapped value."""
    return "".join(text.split())


def visuals(app: App[None]) -> Iterator[Content]:
    """The content every text widget on the current screen (and its toasts) renders."""
    for widget in app.screen.query(Static):
        visual = widget.visual
        if isinstance(visual, Content):
            yield visual
    for options in app.screen.query(OptionList):  # a Select's choices are one too
        for option in options.options:
            visual = options._get_visual(option)
            if isinstance(visual, Content):
                yield visual
    for toast in app.screen.query(Toast):
        yield toast.render()


def shown_text(app: App[None]) -> str:
    """What the agent reads: every text widget's content, options, inputs and editors."""
    parts = [visual.plain for visual in visuals(app)]
    parts += [field.value for field in app.screen.query(Input)]
    parts += [editor.text for editor in app.screen.query(TextArea)]
    return "\n".join(parts)


def terminal_output(app: App[None]) -> str:
    """What the app writes to the terminal for the whole screen, escape codes and all."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def assert_safe(app: App[None]) -> None:
    """No clickable action in any content, and no control code from outside in the output."""
    for visual in visuals(app):
        for span in visual.spans:
            assert "@click" not in str(span.style), (visual.plain, span)
            assert "app.quit" not in str(span.style), (visual.plain, span)
    output = terminal_output(app)
    for escape in RAW_ESCAPES:
        assert escape not in output, f"{escape!r} reached the terminal"


async def open_hostile(app: DeskPilotApp, pilot: Pilot[None]) -> TicketScreen:
    await settle(pilot.app, pilot)
    app.open_ticket(TICKET_ID)
    await settle(pilot.app, pilot)
    assert isinstance(app.screen, TicketScreen), "the ticket did not open"
    return app.screen


async def test_every_field_of_a_hostile_ticket_is_shown_as_written(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await open_hostile(app, pilot)
        assert screen.outcome is not None, "the draft and the connectors' context came"
        text = squeeze(shown_text(app))
        for field, tag in FIELDS.items():
            if field in {"article title", "invoice number"}:
                continue  # in the knowledge dialog and the refund dialog, below
            assert squeeze(shown(tag)) in text, f"{field} is not shown as written"
        assert squeeze(SHOWN_EMAIL) in text
        assert squeeze("second line [b]not bold[/b]") in text
        assert squeeze("Still waiting on the refund [urgent], please.") in text
        assert squeeze("https://app.example.com/hx?q=[/]&x=␛[2J") in text
        assert squeeze(shown("ARTICLE")) in text, "knowledge panel"
        assert_safe(app)
        app.exit()


async def test_the_queue_shows_a_hostile_subject_and_customer_as_text(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(240, 30)) as pilot:
        await settle(pilot.app, pilot)
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        row = next((line for line in lines if TICKET_ID in line), None)
        assert row is not None, "the urgent hostile ticket is at the top of the queue"
        assert "SUBJ: why [/] closed [urgent] [@click=app.quit]x[/] $subject ␛]0;PWNED␇" in row
        assert "NAME: why [/] closed" in row
        assert_safe(app)


async def test_connector_problems_and_team_chat_are_shown_as_text(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await open_hostile(app, pilot)
        assert screen.outcome is not None
        context: DraftContext = screen.outcome.context
        context.problems.append(hostile("PROBLEM"))
        context.team_messages.append(
            TeamMessage(
                channel=hostile("CHAN"),
                author=hostile("AUTHOR"),
                text=hostile("CHAT"),
                at=context.ticket.created_at,
            )
        )
        screen._show_context()
        await pilot.pause()
        text = squeeze(shown_text(app))
        for tag in ("PROBLEM", "CHAN", "AUTHOR", "CHAT"):
            assert squeeze(shown(tag)) in text, tag
        assert_safe(app)


# name -> (keys pressed on the hostile ticket, the tags its dialog shows)
DIALOGS = {
    "knowledge": ("o", ["ARTICLE"]),
    "refund": ("f", ["INVNO"]),
    "bug": ("b", ["BUGTITLE", "SUBJ"]),
    "reset-password": ("p", []),
    "escalate": ("x", ["SUBJ"]),
}


@pytest.mark.parametrize("dialog", list(DIALOGS))
async def test_dialogs_show_hostile_text_as_written(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk, dialog: str
) -> None:
    key, tags = DIALOGS[dialog]
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await open_hostile(app, pilot)
        await pilot.press(key)
        for _ in range(50):
            if app.screen is not screen:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        assert app.screen is not screen, f"the {dialog} dialog opened"
        text = squeeze(shown_text(app))
        for tag in tags:
            assert squeeze(MARKUP) in text and tag in text, (dialog, tag)
            assert SHOWN_ESCAPES.replace(" ", "")[:8] in text, (dialog, tag)
        if dialog == "reset-password":
            assert squeeze(SHOWN_EMAIL) in text
        assert_safe(app)


async def test_toasts_show_outside_text_as_written(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    app = make_app()
    async with app.run_test(size=(200, 60), notifications=True) as pilot:
        screen = await open_hostile(app, pilot)
        screen.notify(hostile("TOAST"), title=hostile("TTITLE"), severity="error")
        await pilot.pause()
        toasts = [toast.render().plain for toast in app.screen.query(Toast)]
        assert any(squeeze(shown("TOAST")) in squeeze(t) for t in toasts), toasts
        assert any(squeeze(shown("TTITLE")) in squeeze(t) for t in toasts), toasts
        assert_safe(app)


async def test_the_macro_hint_keeps_its_brackets(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    hostile_desk.settings.macros.clear()
    app = make_app()
    async with app.run_test(size=(200, 60), notifications=True) as pilot:
        await open_hostile(app, pilot)
        await pilot.press("m")
        await pilot.pause()
        toasts = [toast.render().plain for toast in app.screen.query(Toast)]
        assert any("under [macros] in config.toml" in t for t in toasts), toasts


async def test_a_hostile_macro_is_offered_and_used_as_written(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    hostile_desk.settings.macros[hostile("MACRO")] = hostile("MACROTEXT")
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        screen = await open_hostile(app, pilot)
        await pilot.press("m")
        await settle(pilot.app, pilot)
        assert squeeze(shown("MACRO")) in squeeze(shown_text(app))
        assert_safe(app)
        options = app.screen.query_one(OptionList)
        options.highlighted = next(
            i for i, o in enumerate(options.options) if o.id == hostile("MACRO")
        )
        await pilot.press("enter")
        await settle(pilot.app, pilot)
        assert app.screen is screen
        assert squeeze(shown("MACRO")) in squeeze(shown_text(app)), "the draft label names it"
        assert_safe(app)


async def test_a_model_draft_streamed_with_escapes_is_shown_with_stand_ins(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    from copilot.test_model_drafter import FakeOpenAI, ok

    chunks = ("Hi \x1b]0;PWNED", "\x07 there\x1b[2J", " [b]done[/b]\u202e.")
    with FakeOpenAI(ok(*chunks)) as fake:
        hostile_desk.settings.llm.base_url = fake.url
        app = make_app()
        async with app.run_test(size=(200, 60)) as pilot:
            screen = await open_hostile(app, pilot)
            assert screen.outcome is not None and screen.outcome.draft.drafter != "local"
            assert screen.outcome.draft.text == "".join(chunks), "stored as the model sent it"
            editor = screen.query_one("#draft", TextArea)
            assert editor.text == "Hi ␛]0;PWNED␇ there␛[2J [b]done[/b]⟨U+202E⟩."
            assert_safe(app)


SNAPSHOTS = {"queue": (), "ticket": (), "escalate": ("x",)}


@pytest.mark.parametrize("size", ((80, 24), (160, 48)), ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", list(SNAPSHOTS))
def test_hostile_text_snapshot(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., DeskPilotApp],
    hostile_desk: Desk,
    view: str,
    size: tuple[int, int],
) -> None:
    async def show(pilot: Pilot[None]) -> None:
        await settle(pilot.app, pilot)
        if view != "queue":
            assert isinstance(pilot.app, DeskPilotApp)
            pilot.app.open_ticket(TICKET_ID)
            await settle(pilot.app, pilot)
        for key in SNAPSHOTS[view]:
            await pilot.press(key)
            await settle(pilot.app, pilot)
        await thread_at_newest(pilot)
        for widget in pilot.app.screen.query(TextArea):
            widget.cursor_blink = False

    assert snap_compare(make_app(), terminal_size=size, run_before=show)


async def test_a_hostile_view_title_is_shown_as_written_in_the_palette_and_filter(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    title = hostile("VIEW")
    hostile_desk.settings.views["mine"].title = title
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot.app, pilot)
        assert squeeze(shown("VIEW")) in squeeze(shown_text(app)), "the views bar"
        await pilot.press("2", "F")  # the hostile view, then its filter dialog
        await settle(pilot.app, pilot)
        assert squeeze(shown("VIEW")) in squeeze(shown_text(app)), "the filter dialog"
        await pilot.press("escape", "ctrl+p", *"View")
        await settle(pilot.app, pilot)
        await pilot.pause(0.3)
        assert squeeze(shown("VIEW")) in squeeze(shown_text(app)), "the command palette"
        assert_safe(app)


async def test_team_stats_show_hostile_intents_and_pages_as_written(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    from textual.widgets import DataTable

    from hostile import SHOWN_INTENT, plant_for_stats

    plant_for_stats(hostile_desk)
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot.app, pilot)
        await pilot.press("ctrl+t")
        await settle(pilot.app, pilot)
        assert squeeze(shown("STATSPAGE")) in squeeze(shown_text(app)), "the page signal"
        table = app.screen.query_one("#by-intent", DataTable)
        names = [str(table.get_row_at(row)[0]) for row in range(table.row_count)]
        assert SHOWN_INTENT in names
        assert_safe(app)


async def test_a_model_error_quoting_hostile_text_is_shown_as_written(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    from copilot.test_model_drafter import FakeOpenAI, failing

    with FakeOpenAI(failing(400, hostile("MODELERR"))) as fake:
        hostile_desk.settings.llm.base_url = fake.url
        app = make_app()
        async with app.run_test(size=(200, 60)) as pilot:
            screen = await open_hostile(app, pilot)
            assert screen.outcome is not None and screen.outcome.notice is not None
            assert "MODELERR" in screen.outcome.notice
            label = screen.query_one("#draft-label", Static).visual
            assert isinstance(label, Content)
            assert "MODELERR: why [/] closed [urgent] [@click=app.quit]x[/]" in label.plain
            assert "␛]0;PWNED␇" in label.plain
            assert_safe(app)


def test_no_widget_is_given_an_f_string_to_read_as_markup() -> None:
    """Outside text reaches widgets through deskpilot.tui.outside; an f-string handed to a
    widget as a str is read as markup (and a value in it could be anything)."""
    import re

    import deskpilot.tui

    markup_sinks = re.compile(r"(\.update|Label|Static|Option|Button)\(\s*f[\"']")
    tui = Path(deskpilot.tui.__file__).parent
    found = [
        f"{path.relative_to(tui)}:{path.read_text()[: match.start()].count(chr(10)) + 1}"
        for path in sorted(tui.rglob("*.py"))
        for match in markup_sinks.finditer(path.read_text())
    ]
    assert found == []


async def test_the_status_and_account_setting_dialogs_show_hostile_text_as_written(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    from textual.widgets import Select

    from deskpilot.actions import SettingPreview
    from deskpilot.errors import DeskPilotError
    from deskpilot.tui.screens.action_modals import SettingScreen, StatusScreen

    async def failing_preview(_setting: str, _value: str) -> SettingPreview:
        raise DeskPilotError(hostile("PREVIEWERR"))

    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot.app, pilot)
        app.push_screen(StatusScreen([hostile("STATUS"), hostile("PROBLEM")], [hostile("PROBLEM")]))
        await settle(pilot.app, pilot)
        for tag in ("STATUS", "PROBLEM"):
            assert squeeze(shown(tag)) in squeeze(shown_text(app)), tag
        assert_safe(app)
        app.pop_screen()
        app.push_screen(SettingScreen(["billing_email"], [], failing_preview))
        await settle(pilot.app, pilot)
        dialog = app.screen
        assert isinstance(dialog, SettingScreen)
        dialog.query_one("#setting", Select).value = "billing_email"
        dialog.query_one("#value", Input).value = "ann@example.com"
        await pilot.pause()
        dialog.apply()
        await settle(pilot.app, pilot)
        assert squeeze(shown("PREVIEWERR")) in squeeze(shown_text(app))
        assert_safe(app)


async def test_a_hostile_subject_and_macro_are_shown_as_written_in_the_palette(
    make_app: Callable[..., DeskPilotApp], hostile_desk: Desk
) -> None:
    """The palette's ticket and macro hits are content, never markup: the subject's
    ``[/]`` does not crash, ``[urgent]`` stays, ``[@click=...]`` is no action."""
    from textual.command import Hit

    from deskpilot.tui.commands import DeskCommands

    hostile_desk.settings.macros[hostile("MACRO")] = "Hi {first_name}"
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(app, pilot)
        found: list[Hit] = [hit async for hit in DeskCommands(app.screen).search(TICKET_ID)]
        displays = [hit.match_display for hit in found]
        assert all(isinstance(d, Content) for d in displays)
        subject = next(d for d in displays if isinstance(d, Content) and TICKET_ID in d.plain)
        assert squeeze(shown("SUBJ")) in squeeze(subject.plain)
        assert not any("@click" in str(span.style) for span in subject.spans)
        screen = await open_hostile(app, pilot)
        macros = [hit async for hit in DeskCommands(screen).search("Macro")]
        shown_macro = next(h.match_display for h in macros)
        assert isinstance(shown_macro, Content)
        assert squeeze(shown("MACRO")) in squeeze(shown_macro.plain)
