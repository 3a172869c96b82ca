"""Graduated autonomy: per intent, the co-pilot drafts (``suggest``), stays quiet (``off``), or
sends on its own (``auto``) once the evidence says agents would have sent its drafts anyway.

An intent at ``auto`` qualifies while the share of its last ``window`` human-reviewed drafts
that agents sent exactly as drafted clears ``acceptance_bar`` (with at least ``min_reviewed`` of
them). A ticket is auto-sent only when its own intent confidence clears ``min_confidence`` and
no hand-off rule fires. Auto-sent replies are recorded under the agent ``autopilot``; a share
is tagged for a human to review; reopens, escalations and bad CSAT after auto-sends count as
setbacks, and enough of them drop the intent back to ``suggest`` by itself (recorded, so a
lead sees why; ``deskpilot autopilot reset INTENT`` lifts it).

Whatever the evidence, the autopilot never sends a draft that claims an action no action record
of the ticket backs (a refund, a password reset, an account change, access given, a
cancellation), that holds a password or secret, or that the check cannot read (another
language than English; see ``copilot.action_claims``): such a draft is
held for a human, the ticket tagged ``autopilot-held`` with the reasons in an internal note and
the audit trail, and it is not drafted again until the customer writes again.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from deskpilot.config import AutomationSettings
from deskpilot.copilot.action_claims import Finding, review_draft
from deskpilot.copilot.policy import configured_level
from deskpilot.errors import ClaimError
from deskpilot.feedback.stats import AUTOPILOT
from deskpilot.models import Author, EditEvent, EditOutcome, Message, Status, Ticket

if TYPE_CHECKING:
    from deskpilot.desk import Desk

REVIEW_TAG = "autopilot-review"
HELD_TAG = "autopilot-held"  # a draft the autopilot would not send: a human answers
HOLD_ACTION = "autopilot.hold"
DEMOTED_KEY = "autopilot.demoted"
RESET_KEY = "autopilot.reset_at"  # per intent: auto-sends before a lead's reset no longer count
REVIEWED = frozenset(
    {EditOutcome.SENT_AS_IS, EditOutcome.SENT_EDITED, EditOutcome.DISCARDED,
     EditOutcome.REGENERATED, EditOutcome.REPLACED_BY_MACRO}
)  # fmt: skip


@dataclass(frozen=True)
class IntentAutonomy:
    intent: str
    level: str  # as configured: off, suggest, auto
    effective: str  # after demotion
    reviewed: int  # human-reviewed drafts in the window
    acceptance: float | None  # sent as drafted, of those
    auto_sent: int
    setbacks: int
    demoted_because: str | None
    qualifies: bool
    why: str
    # How far from qualifying: the bar, and how many more drafts sent as drafted (in a row)
    # would clear it with enough reviewed; 0 once there, None when no drafts can (the level
    # is not auto, the intent is human-only or demoted).
    acceptance_needed: float = 0.0
    drafts_to_go: int | None = None
    human_only: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in vars(self).items() if k != "acceptance"},
            "acceptance": None if self.acceptance is None else round(self.acceptance, 4),
        }


def status(desk: Desk) -> list[IntentAutonomy]:
    """Every intent's level and evidence; demotes intents whose auto-sends went wrong."""
    settings = desk.settings.automation
    events = desk.store.list_edit_events()
    intents = sorted(
        set(desk.taxonomy()) | set(settings.levels) | {e.intent for e in events if e.intent}
    )
    demoted = _demoted(desk)
    report = []
    by_intent: dict[str, list[EditEvent]] = defaultdict(list)
    for event in events:
        by_intent[event.intent or ""].append(event)
    for intent in intents:
        mine = by_intent.get(intent, [])
        autonomy = _judge(desk, intent, mine, demoted.get(intent))
        failing = autonomy.setbacks >= settings.setbacks_to_demote
        if autonomy.level == "auto" and failing and intent not in demoted:
            reason = f"{autonomy.setbacks} setbacks after auto-sends"
            demoted[intent] = reason
            _save_demoted(desk, demoted)
            desk.audit("autopilot.demote", None, {"intent": intent, "reason": reason})
            autonomy = _judge(desk, intent, mine, reason)
        report.append(autonomy)
    return report


def _judge(desk: Desk, intent: str, events: list[EditEvent], demoted: str | None) -> IntentAutonomy:
    settings = desk.settings.automation
    level = configured_level(settings, intent)
    human = [e for e in events if e.agent != AUTOPILOT and e.outcome in REVIEWED][
        -settings.window :
    ]
    accepted = sum(e.outcome is EditOutcome.SENT_AS_IS for e in human)
    acceptance = accepted / len(human) if human else None
    reset_at = _resets(desk).get(intent)
    auto = [
        e for e in events if e.agent == AUTOPILOT and (reset_at is None or e.shown_at > reset_at)
    ][-settings.window :]
    setbacks = _setbacks(desk, auto)
    human_only = intent in desk.settings.triage.human_only_intents
    if human_only and level == "auto":
        level = "suggest"  # a default_level of auto never reaches a human-only intent
    effective = "suggest" if level == "auto" and demoted else level
    to_go = (
        drafts_to_go([e.outcome for e in human], settings)
        if level == "auto" and not demoted
        else None
    )
    if human_only:
        qualifies, why = False, "human-only intent ([triage] human_only_intents)"
    elif level != "auto":
        qualifies, why = False, f"level is {level}"
    elif demoted:
        qualifies, why = False, f"dropped back to suggest: {demoted}"
    elif len(human) < settings.min_reviewed:
        qualifies, why = False, f"{len(human)} of {settings.min_reviewed} reviewed drafts needed"
    elif acceptance is not None and acceptance < settings.acceptance_bar:
        qualifies, why = False, f"acceptance {acceptance:.0%} under {settings.acceptance_bar:.0%}"
    else:
        qualifies, why = True, f"acceptance {acceptance:.0%} over {len(human)} reviewed drafts"
    return IntentAutonomy(
        intent, level, effective, len(human), acceptance, len(auto), setbacks, demoted,
        qualifies, why, settings.acceptance_bar, to_go, human_only,
    )  # fmt: skip


def drafts_to_go(outcomes: list[EditOutcome], settings: AutomationSettings) -> int:
    """How many more reviewed drafts, each sent as drafted, until the last ``window`` of them
    hold at least ``min_reviewed`` and clear ``acceptance_bar`` (the oldest leave the window
    as new ones come in, so this is counted, not estimated)."""
    window = [o is EditOutcome.SENT_AS_IS for o in outcomes][-settings.window :]
    added = 0
    while added <= settings.window + settings.min_reviewed:
        if (
            len(window) >= settings.min_reviewed
            and sum(window) / len(window) >= settings.acceptance_bar
        ):
            return added
        window = [*window, True][-settings.window :]
        added += 1
    return added


def _setbacks(desk: Desk, auto_sends: list[EditEvent]) -> int:
    """Auto-sent tickets that came back (the customer wrote again), were escalated, or got a
    CSAT of 1 or 2."""
    count = 0
    for event in auto_sends:
        ticket = desk.store.get_ticket(event.ticket_id)
        came_back = any(
            m.author.value == "customer" and event.finished_at and m.at > event.finished_at
            for m in ticket.messages
        )
        if came_back or ticket.status is Status.ESCALATED or (ticket.csat or 5) <= 2:
            count += 1
    return count


def _demoted(desk: Desk) -> dict[str, str]:
    stored = desk.store.get_meta(DEMOTED_KEY)
    return dict(json.loads(stored)) if stored else {}


def _save_demoted(desk: Desk, demoted: dict[str, str]) -> None:
    desk.store.set_meta(DEMOTED_KEY, json.dumps(demoted, sort_keys=True))


def reset(desk: Desk, intent: str) -> bool:
    """A lead lifts a demotion; returns whether there was one."""
    demoted = _demoted(desk)
    if demoted.pop(intent, None) is None:
        return False
    _save_demoted(desk, demoted)
    resets = {name: at.isoformat() for name, at in _resets(desk).items()}
    resets[intent] = desk.clock().isoformat()
    desk.store.set_meta(RESET_KEY, json.dumps(resets, sort_keys=True))
    desk.audit("autopilot.reset", None, {"intent": intent})
    return True


def _resets(desk: Desk) -> dict[str, datetime]:
    stored = desk.store.get_meta(RESET_KEY)
    return {k: datetime.fromisoformat(v) for k, v in json.loads(stored).items()} if stored else {}


@dataclass(frozen=True)
class Run:
    """What one autopilot run did: the tickets it answered, and those whose draft it held for
    a human (ticket id and the reasons)."""

    sent: list[str]
    held: list[tuple[str, list[str]]]


async def run(desk: Desk) -> list[str]:
    """Auto-send every waiting ticket that qualifies; returns their ids."""
    return (await run_once(desk)).sent


async def run_once(desk: Desk) -> Run:
    """Auto-send every waiting ticket that qualifies and whose draft passes the claim check;
    hold the others for a human."""
    from deskpilot.copilot.service import draft_reply

    qualifying = {a.intent for a in status(desk) if a.qualifies}
    if not qualifying:
        return Run([], [])
    settings = desk.settings.automation
    sent: list[str] = []
    held: list[tuple[str, list[str]]] = []
    for summary in desk.queue(statuses=frozenset({Status.NEW, Status.OPEN}), limit=None):
        if summary.intent not in qualifying:
            continue
        triage = desk.store.get_triage(summary.id)
        if triage is None or triage.handoff or triage.confidence < settings.min_confidence:
            continue
        ticket = desk.ticket(summary.id)
        if not ticket.awaits_reply:
            continue
        if _held_since(desk, ticket, ticket.public_thread[-1].at):
            continue  # already waiting for a human since the customer last wrote
        outcome = await draft_reply(desk, summary.id)
        if outcome.draft.handoff_reason:
            continue
        findings = review_draft(outcome.draft.text, desk.store.list_actions(summary.id))
        if findings:
            try:
                _hold(desk, ticket, outcome.draft_id, findings)
            except ClaimError:
                continue  # an agent opened it meanwhile: theirs to answer
            held.append((summary.id, [f.reason for f in findings]))
            continue
        edit_id = desk.edits.begin(
            outcome.draft, agent=AUTOPILOT, draft_id=outcome.draft_id, intent=summary.intent
        )
        try:
            desk.send_reply(summary.id, outcome.draft.text, edit_id=edit_id, agent=AUTOPILOT)
        except ClaimError:
            continue  # an agent opened it meanwhile (team mode): theirs to answer
        if _sampled(summary.id, settings.review_share):
            desk.store.update_ticket(summary.id, tags=[*ticket.tags, REVIEW_TAG])
        sent.append(summary.id)
    return Run(sent, held)


def _held_since(desk: Desk, ticket: Ticket, since: datetime) -> bool:
    return any(
        record.at >= since for record in desk.store.list_actions(ticket.id, action=HOLD_ACTION)
    )


def _hold(desk: Desk, ticket: Ticket, draft_id: int | None, findings: list[Finding]) -> None:
    """Leave the ticket to a human, saying why: a tag for the queue, an internal note on the
    ticket (the sentences quoted with any secret masked), and the audit trail."""
    reasons = [finding.reason for finding in findings]
    lines = [f"- {finding.reason}: “{finding.excerpt}”" for finding in findings]
    note = Message(
        author=Author.NOTE,
        body="The autopilot did not send its draft; a human should answer.\n" + "\n".join(lines),
        author_name=AUTOPILOT,
        at=desk.clock(),
    )
    tags = ticket.tags if HELD_TAG in ticket.tags else [*ticket.tags, HELD_TAG]
    with desk.store.transaction():
        desk.refuse_if_held(ticket.id)
        desk.store.append_message(ticket.id, note)
        desk.store.update_ticket(ticket.id, tags=tags)
        desk.audit(
            HOLD_ACTION,
            ticket.id,
            {"draft_id": draft_id, "kinds": sorted({f.kind for f in findings}), "reasons": reasons},
            result="held for review",
            actor=AUTOPILOT,
        )


def _sampled(ticket_id: str, share: float) -> bool:
    """A stable draw: the same ticket is always in or out of the review sample."""
    bucket = int(hashlib.sha256(ticket_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share
