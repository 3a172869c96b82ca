"""Edit events: begun when a draft is shown, autosaved while the agent types, ended by the
outcome; durable across a SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.models import EditOutcome, Status
from deskpilot.workspace import Workspace


async def _shown(desk: Desk, ticket_id: str) -> tuple[str, str]:
    outcome = await desk.draft_reply(ticket_id)
    return desk.draft_shown(outcome.draft, outcome.draft_id), outcome.draft.text


def _open_ticket(desk: Desk) -> str:
    return desk.queue(limit=1)[0].id


async def test_sent_as_is_records_the_draft_and_its_measures(demo_desk: Desk) -> None:
    ticket_id = _open_ticket(demo_desk)
    edit_id, text = await _shown(demo_desk, ticket_id)
    event = demo_desk.send_reply(ticket_id, text, edit_id=edit_id, keystrokes=0)
    assert event is not None
    stored = demo_desk.store.get_edit_event(edit_id)
    assert stored == event
    assert stored.outcome is EditOutcome.SENT_AS_IS
    assert (stored.similarity, stored.edit_distance, stored.edit_class) == (1.0, 0.0, "unchanged")
    assert stored.agent == "ada"
    assert stored.drafter == "local" and stored.prompt_version
    assert stored.draft_id is not None
    assert demo_desk.store.get_draft(stored.draft_id).text == text  # type: ignore[union-attr]
    assert stored.finished_at == demo_desk.clock()
    assert demo_desk.ticket(ticket_id).status is Status.PENDING


async def test_an_edited_send_is_sent_edited_with_its_diff(demo_desk: Desk) -> None:
    ticket_id = _open_ticket(demo_desk)
    edit_id, text = await _shown(demo_desk, ticket_id)
    final = text.replace("Best,", "Kind regards,")
    demo_desk.autosave_edit(edit_id, final, keystrokes=14)
    event = demo_desk.send_reply(ticket_id, final, edit_id=edit_id, keystrokes=14)
    assert event is not None and event.outcome is EditOutcome.SENT_EDITED
    assert event.keystrokes == 14
    assert ["replace", "Best,", "Kind regards,"] in event.diff  # type: ignore[operator]
    assert 0.9 < event.similarity < 1.0  # type: ignore[operator]


async def test_every_autosave_is_a_revision_and_the_unsent_edit_comes_back(
    demo_desk: Desk,
) -> None:
    ticket_id = _open_ticket(demo_desk)
    edit_id, text = await _shown(demo_desk, ticket_id)
    for n in range(3):
        demo_desk.autosave_edit(edit_id, text + f" P.S. {n}", keystrokes=6 * (n + 1))
    revisions = demo_desk.store.list_edit_revisions(edit_id)
    assert [r.text[-1] for r in revisions] == ["0", "1", "2"]
    unsent = demo_desk.unsent_edit(ticket_id)
    assert unsent is not None and unsent.id == edit_id
    assert unsent.current_text == text + " P.S. 2" and unsent.keystrokes == 18


@pytest.mark.parametrize(
    "outcome", [EditOutcome.DISCARDED, EditOutcome.REGENERATED, EditOutcome.REPLACED_BY_MACRO]
)
async def test_other_outcomes_and_a_reason(demo_desk: Desk, outcome: EditOutcome) -> None:
    ticket_id = _open_ticket(demo_desk)
    edit_id, _text = await _shown(demo_desk, ticket_id)
    event = demo_desk.end_edit(edit_id, outcome, final_text="", reason="wrong facts")
    assert (event.outcome, event.reason, event.similarity) == (outcome, "wrong facts", 0.0)
    assert demo_desk.unsent_edit(ticket_id) is None
    with pytest.raises(DeskPilotError, match="already ended"):
        demo_desk.end_edit(edit_id, EditOutcome.DISCARDED)


async def test_escalating_ends_the_edit_as_escalated(demo_desk: Desk) -> None:
    ticket_id = _open_ticket(demo_desk)
    edit_id, _text = await _shown(demo_desk, ticket_id)
    await demo_desk.escalate(ticket_id, "Needs billing.", edit_id=edit_id)
    assert demo_desk.store.get_edit_event(edit_id).outcome is EditOutcome.ESCALATED


async def test_a_reason_can_be_given_after_the_send(demo_desk: Desk) -> None:
    ticket_id = _open_ticket(demo_desk)
    edit_id, _text = await _shown(demo_desk, ticket_id)
    demo_desk.send_reply(ticket_id, "Something else entirely.", edit_id=edit_id)
    demo_desk.give_edit_reason(edit_id, "outdated article")
    event = demo_desk.store.get_edit_event(edit_id)
    assert (event.reason, event.edit_class) == ("outdated article", "rewritten")


# --- a desk killed mid-edit -------------------------------------------------------------

EDITOR = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from deskpilot.desk import Desk
    from deskpilot.models import Draft
    from deskpilot.workspace import Workspace

    desk = Desk.open(Workspace.existing(Path(sys.argv[1])))
    ticket_id = desk.queue(limit=1)[0].id
    draft = Draft(ticket_id=ticket_id, text="Hi,", drafter="local", confidence=0.5)
    edit_id = desk.draft_shown(draft, desk.store.save_draft(draft))
    typed = "Hi,"
    for n in range(10_000):
        typed += f" word{n}"
        desk.autosave_edit(edit_id, typed, keystrokes=n + 1)
        print(n, flush=True)  # only after the autosave returned
        time.sleep(0.01)
    """
)


def test_a_sigkill_mid_edit_loses_nothing_that_was_autosaved(
    frozen_demo: Path, tmp_path: Path
) -> None:
    import shutil

    folder = tmp_path / "ws"
    shutil.copytree(frozen_demo, folder)
    child = subprocess.Popen(
        [sys.executable, "-c", EDITOR, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DESKPILOT_AGENT__NAME": "ada"},
    )
    assert child.stdout is not None
    confirmed = -1
    deadline = time.monotonic() + 60
    while confirmed < 25 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break  # the child died: the assertion below says so
        confirmed = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert confirmed >= 25, "the editing process never got going"
    with Desk.open(Workspace.existing(folder)) as desk:
        ticket_id = desk.queue(limit=1)[0].id
        unsent = desk.unsent_edit(ticket_id)
    assert unsent is not None
    # Every autosave the child confirmed is there; at most the one in flight is extra.
    assert unsent.keystrokes in (confirmed + 1, confirmed + 2)
    assert unsent.current_text.endswith(f" word{unsent.keystrokes - 1}")


async def test_a_macro_in_place_of_the_draft_is_its_own_outcome(demo_desk: Desk) -> None:
    demo_desk.settings = demo_desk.settings.model_copy(
        update={"macros": {"thanks": "Hi {first_name},\n\nAll sorted.\n\n{agent} ({ticket_id})"}}
    )
    ticket_id = _open_ticket(demo_desk)
    first = (demo_desk.ticket(ticket_id).customer.name or "there").split()[0]  # type: ignore[union-attr]
    text = demo_desk.macro("thanks", ticket_id)
    assert text == f"Hi {first},\n\nAll sorted.\n\nada ({ticket_id})"
    edit_id, _draft = await _shown(demo_desk, ticket_id)
    event = demo_desk.send_reply(ticket_id, text, edit_id=edit_id, from_macro=True)
    assert event is not None and event.outcome is EditOutcome.REPLACED_BY_MACRO


def test_macro_errors_name_the_macro(demo_desk: Desk) -> None:
    demo_desk.settings = demo_desk.settings.model_copy(update={"macros": {"bad": "Hi {name}"}})
    ticket_id = _open_ticket(demo_desk)
    with pytest.raises(DeskPilotError, match="macro 'bad': 'name' is not a placeholder"):
        demo_desk.macro("bad", ticket_id)
    with pytest.raises(DeskPilotError, match=r"no macro 'nope'.*bad"):
        demo_desk.macro("nope", ticket_id)
