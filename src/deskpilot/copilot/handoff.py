"""The hand-off summary: everything the next person needs, so the customer never repeats
themselves."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from deskpilot.models import (
    ActionRecord,
    Author,
    CrmRecord,
    Source,
    Subscription,
    Ticket,
    TriageRecord,
)

BRIEF = 240
# Audit records that are bookkeeping, not something done for the customer.
NOT_ACTIONS = frozenset(
    {"send", "note", "assign", "escalate", "import", "intake", "status_lookup", "notify_handoff"}
    | {"tag"}  # bookkeeping on the queue
    | {"snooze", "wake", "csat_survey"}  # when the agent waits, and the survey going out
)


def handoff_summary(
    ticket: Ticket,
    triage: TriageRecord | None,
    references: Sequence[Source] = (),
    *,
    actions: Sequence[ActionRecord] = (),
    crm: CrmRecord | None = None,
    subscription: Subscription | None = None,
    currency: str = "",
) -> str:
    """Markdown: what the customer wants and their open question, the conversation in brief,
    what we know (the account's key facts among it), what was tried and done (every action on
    the audit trail, with amounts and ids), and the suggested next step."""
    sections = [
        f"## Hand-off: {ticket.id} · {ticket.subject}",
        _wants(ticket, triage),
        "### Open question",
        _open_question(ticket),
        "### Conversation",
        *(_brief(m.author.value, m.body) for m in ticket.messages if m.author is not Author.NOTE),
        "### What we know",
        *_account(crm, subscription),
        *_known(ticket, triage, references),
        "### Already tried",
        *_tried(ticket, actions, currency),
        "### Suggested next step",
        _next_step(triage),
    ]
    return "\n\n".join(sections)


def holding_reply(ticket: Ticket, to: str, agent: str) -> str:
    """What the customer hears when the ticket goes to a team: who has it now, and that they
    need not repeat themselves."""
    name = ticket.customer.name.split()[0] if ticket.customer and ticket.customer.name else ""
    return (
        f"Hi {name or 'there'},\n\n"
        f"Thanks for your patience. I've passed this to {to or 'a colleague'} with everything "
        "you've told us, so you won't need to repeat anything; they'll be in touch with you "
        f"shortly.\n\nBest,\n{agent}"
    )


def _open_question(ticket: Ticket) -> str:
    """The customer's latest question, as they put it (their last message's last '?')."""
    last = next((m.body for m in reversed(ticket.messages) if m.author is Author.CUSTOMER), "")
    text = " ".join(last.split())
    questions = re.findall(r"[^.!?]*\?", text)
    question = questions[-1].strip() if questions else text
    if not question:
        return "- None asked."
    return f"> {question[:BRIEF]}{'…' if len(question) > BRIEF else ''}"


def _account(crm: CrmRecord | None, subscription: Subscription | None) -> list[str]:
    facts = []
    if crm is not None:
        owner = crm.account_owner or "no account owner"
        facts.append(f"- Account: {crm.company or '-'}, {crm.seats} seats, owner {owner}")
    if subscription is not None:
        renews = "renews" if subscription.status in {"active", "trialing"} else "period ends"
        facts.append(
            f"- Subscription: {subscription.plan_id} ({subscription.status}), "
            f"{subscription.seats} seats, {renews} {subscription.cycle_end:%Y-%m-%d}"
        )
    return facts


def describe_action(record: ActionRecord, currency: str = "") -> str | None:
    """One line for the hand-off from one audit record; None for bookkeeping."""
    name, p = record.action, record.params
    if name.endswith(".requested") or name in NOT_ACTIONS:
        return None
    when = f"{record.at:%Y-%m-%d %H:%M} by {record.actor}"
    if name == "refund":
        return _refund_line(p, record, currency) + f" ({when})"
    if not record.ok:
        return f"- {name.replace('_', ' ').capitalize()} failed: {record.result} ({when})"
    if name == "reset_password":
        return f"- Password reset sent to {p.get('email', '?')} ({when})"
    if name == "update_setting":
        change = f"{p.get('setting', 'setting')} changed from {p.get('from')} to {p.get('to')}"
        proration = f"; {p['proration']}" if p.get("proration") else ""
        return f"- {change.capitalize()}{proration} ({when})"
    if name == "create_bug":
        return f"- Bug filed: {record.result} {p.get('title', '')} ({when})".replace("  ", " ")
    if name == "correct_intent":
        return f"- Intent corrected from {p.get('from')} to {p.get('to')} ({when})"
    if name == "set_status":
        return f"- Status set to {p.get('status')} ({when})"
    detail = record.result or ", ".join(f"{k} {v}" for k, v in p.items())
    return f"- {name.replace('_', ' ').capitalize()}: {detail} ({when})"


def _refund_line(p: dict[str, Any], record: ActionRecord, currency: str) -> str:
    money = f"{currency} " if currency else ""
    invoice = p.get("invoice", "?")
    outcome = p.get("outcome", "moved" if record.ok else "failed")
    if outcome in {"moved", "replayed"} and record.ok:
        moved = float(p.get("moved") or p.get("amount") or 0)
        if outcome == "replayed":
            return f"- Refund on {invoice} replayed: nothing more moved ({p.get('refund_id')})"
        return f"- Refunded {money}{moved:,.2f} on {invoice}, refund {p.get('refund_id', '?')}"
    amount = float(p.get("amount") or 0)
    return f"- Refund of {money}{amount:,.2f} on {invoice} {outcome}: {record.result}"


def _wants(ticket: Ticket, triage: TriageRecord | None) -> str:
    intent = triage.intent if triage else ticket.intent or "unknown"
    confidence = f" ({triage.confidence:.0%} sure)" if triage else ""
    who = ticket.customer.name or ticket.customer.email if ticket.customer else "The customer"
    return f"**{who}** wants help with **{intent.replace('_', ' ')}**{confidence}."


def _brief(author: str, body: str) -> str:
    text = " ".join(body.split())
    return f"- *{author}*: {text[:BRIEF]}{'…' if len(text) > BRIEF else ''}"


def _known(ticket: Ticket, triage: TriageRecord | None, references: Sequence[Source]) -> list[str]:
    facts = []
    if ticket.customer:
        c = ticket.customer
        facts.append(f"- Customer: {c.name or c.email} <{c.email}>, {c.tier.value} tier {c.plan}")
    if triage:
        facts.append(
            f"- Sentiment: {triage.sentiment.value}; signals: {', '.join(triage.signals) or 'none'}"
        )
        if triage.handoff_reason:
            facts.append(f"- Why a human: {triage.handoff_reason}")
    page = ticket.page_context
    if page and not page.is_empty():
        facts.append(f"- Page: {page.title or ''} {page.url}".rstrip())
        if page.visible_state:
            facts.append(f"- They see: {page.visible_state}")
        facts += [f"- Error: `{error}`" for error in page.errors]
    facts += [f"- Reference: {ref.title} ({ref.kind} {ref.ref})" for ref in references[:5]]
    return facts or ["- Nothing beyond the conversation."]


def _tried(ticket: Ticket, actions: Sequence[ActionRecord], currency: str) -> list[str]:
    page = ticket.page_context
    steps = page.steps_attempted if page else []
    tried = [f"- Customer: {step}" for step in steps]
    tried += [
        f"- Agent: {_brief('reply', m.body)[2:]}"
        for m in ticket.messages
        if m.author is Author.AGENT
    ]
    tried += [line for r in actions if (line := describe_action(r, currency)) is not None]
    return tried or ["- Nothing recorded yet."]


def _next_step(triage: TriageRecord | None) -> str:
    if triage is None:
        return "Read the thread and reply."
    if "legal" in triage.signals:
        return "Loop in the legal contact before replying; do not admit liability."
    if triage.intent == "contract_negotiation":
        return "Pass to the account owner to discuss terms."
    if triage.out_of_scope:
        return "Tell the customer what we can and cannot help with, and point them onward."
    if triage.sentiment.value == "angry":
        return "Acknowledge the frustration, own the fix, and give a concrete timeline."
    return "Review the facts above and answer; confirm the fix with the customer."
