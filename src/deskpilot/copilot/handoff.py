"""The hand-off summary: everything the next person needs, so the customer never repeats
themselves."""

from __future__ import annotations

from collections.abc import Sequence

from deskpilot.models import Author, Source, Ticket, TriageRecord

BRIEF = 240


def handoff_summary(
    ticket: Ticket, triage: TriageRecord | None, references: Sequence[Source] = ()
) -> str:
    """Markdown: what the customer wants, the conversation in brief, what we know, what was
    tried, and the suggested next step."""
    sections = [
        f"## Hand-off: {ticket.id} · {ticket.subject}",
        _wants(ticket, triage),
        "### Conversation",
        *(_brief(m.author.value, m.body) for m in ticket.messages if m.author is not Author.NOTE),
        "### What we know",
        *_known(ticket, triage, references),
        "### Already tried",
        *_tried(ticket),
        "### Suggested next step",
        _next_step(triage),
    ]
    return "\n\n".join(sections)


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


def _tried(ticket: Ticket) -> list[str]:
    page = ticket.page_context
    steps = page.steps_attempted if page else []
    tried = [f"- Customer: {step}" for step in steps]
    tried += [
        f"- Agent: {_brief('reply', m.body)[2:]}"
        for m in ticket.messages
        if m.author is Author.AGENT
    ]
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
