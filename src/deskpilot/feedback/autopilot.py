"""Graduated autonomy: per intent, the co-pilot drafts (``suggest``), stays quiet (``off``), or
sends on its own (``auto``) once the evidence says agents would have sent its drafts anyway.

An intent at ``auto`` qualifies while the share of its last ``window`` human-reviewed drafts
that agents sent exactly as drafted clears ``acceptance_bar`` (with at least ``min_reviewed`` of
them). A ticket is auto-sent only when its own intent confidence clears ``min_confidence``, its
draft's own confidence (how much of the question the draft's sources answer, see
``copilot.brief.measure_draft``) clears ``min_draft_confidence``, and no hand-off rule fires.
Auto-sent replies are recorded under the agent ``autopilot``; a share is tagged for a human
to review; reopens, escalations and bad CSAT after auto-sends count as
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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskpilot.config import AutomationSettings, Settings
from deskpilot.copilot.action_claims import Finding
from deskpilot.copilot.policy import configured_level
from deskpilot.feedback.stats import AUTOPILOT
from deskpilot.models import ActionRecord, Audit, Author, EditEvent, EditOutcome, Message, Status
from deskpilot.store import Store

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


def status(
    store: Store, settings: Settings, intents: Iterable[str], audit: Audit
) -> list[IntentAutonomy]:
    """Every intent's level and evidence (``intents``: the taxonomy's); demotes intents whose
    auto-sends went wrong, audited."""
    automation = settings.automation
    events = store.list_edit_events()
    intents = sorted(set(intents) | set(automation.levels) | {e.intent for e in events if e.intent})
    demoted = _demoted(store)
    resets = _resets(store)
    report = []
    by_intent: dict[str, list[EditEvent]] = defaultdict(list)
    for event in events:
        by_intent[event.intent or ""].append(event)
    for intent in intents:
        mine = by_intent.get(intent, [])
        autonomy = _judge(store, settings, resets, intent, mine, demoted.get(intent))
        failing = autonomy.setbacks >= automation.setbacks_to_demote
        if autonomy.level == "auto" and failing and intent not in demoted:
            reason = f"{autonomy.setbacks} setbacks after auto-sends"
            demoted[intent] = reason
            _save_demoted(store, demoted)
            audit("autopilot.demote", None, {"intent": intent, "reason": reason})
            autonomy = _judge(store, settings, resets, intent, mine, reason)
        report.append(autonomy)
    return report


def _judge(
    store: Store,
    everything: Settings,
    resets: dict[str, datetime],
    intent: str,
    events: list[EditEvent],
    demoted: str | None,
) -> IntentAutonomy:
    settings = everything.automation
    level = configured_level(settings, intent)
    human = [e for e in events if e.agent != AUTOPILOT and e.outcome in REVIEWED][
        -settings.window :
    ]
    accepted = sum(e.outcome is EditOutcome.SENT_AS_IS for e in human)
    acceptance = accepted / len(human) if human else None
    reset_at = resets.get(intent)
    auto = [
        e for e in events if e.agent == AUTOPILOT and (reset_at is None or e.shown_at > reset_at)
    ][-settings.window :]
    setbacks = _setbacks(store, auto)
    human_only = intent in everything.triage.human_only_intents
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


def _setbacks(store: Store, auto_sends: list[EditEvent]) -> int:
    """Auto-sent tickets that came back (the customer wrote again), were escalated, or got a
    CSAT of 1 or 2."""
    count = 0
    for event in auto_sends:
        ticket = store.get_ticket(event.ticket_id)
        came_back = any(
            m.author.value == "customer" and event.finished_at and m.at > event.finished_at
            for m in ticket.messages
        )
        if came_back or ticket.status is Status.ESCALATED or (ticket.csat or 5) <= 2:
            count += 1
    return count


def _demoted(store: Store) -> dict[str, str]:
    stored = store.get_meta(DEMOTED_KEY)
    return dict(json.loads(stored)) if stored else {}


def _save_demoted(store: Store, demoted: dict[str, str]) -> None:
    store.set_meta(DEMOTED_KEY, json.dumps(demoted, sort_keys=True))


def reset(store: Store, audit: Audit, now: datetime, intent: str) -> bool:
    """A lead lifts a demotion (audited); returns whether there was one."""
    demoted = _demoted(store)
    if demoted.pop(intent, None) is None:
        return False
    _save_demoted(store, demoted)
    resets = {name: at.isoformat() for name, at in _resets(store).items()}
    resets[intent] = now.isoformat()
    store.set_meta(RESET_KEY, json.dumps(resets, sort_keys=True))
    audit("autopilot.reset", None, {"intent": intent})
    return True


def _resets(store: Store) -> dict[str, datetime]:
    stored = store.get_meta(RESET_KEY)
    return {k: datetime.fromisoformat(v) for k, v in json.loads(stored).items()} if stored else {}


@dataclass(frozen=True)
class Run:
    """What one autopilot run did: the tickets it answered, and those whose draft it held for
    a human (ticket id and the reasons)."""

    sent: list[str]
    held: list[tuple[str, list[str]]]


def held_since(actions: list[ActionRecord], since: datetime) -> bool:
    """The autopilot already held a draft of the ticket for a human since ``since`` (the
    customer's last message): it waits for that human, or for the customer to write again."""
    return any(record.action == HOLD_ACTION and record.at >= since for record in actions)


def hold_note(findings: list[Finding], at: datetime) -> Message:
    """The internal note that leaves a ticket to a human, saying why (the sentences quoted
    with any secret masked)."""
    lines = [f"- {finding.reason}: “{finding.excerpt}”" for finding in findings]
    return Message(
        author=Author.NOTE,
        body="The autopilot did not send its draft; a human should answer.\n" + "\n".join(lines),
        author_name=AUTOPILOT,
        at=at,
    )


def hold_params(draft_id: int | None, findings: list[Finding]) -> dict[str, Any]:
    """What the audit trail says about a held draft."""
    return {
        "draft_id": draft_id,
        "kinds": sorted({f.kind for f in findings}),
        "reasons": [finding.reason for finding in findings],
    }


def sampled(ticket_id: str, share: float) -> bool:
    """A stable draw: the same ticket is always in or out of the review sample."""
    bucket = int(hashlib.sha256(ticket_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < share
