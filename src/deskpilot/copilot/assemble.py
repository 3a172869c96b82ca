"""Gather a ticket's draft context from the store, the connectors and the knowledge index.

Connector calls run concurrently; a source that fails is noted in ``problems`` and the rest
of the context is still built, so one broken integration never costs the agent a draft. The
connectors are async clients bound to the event loop; the store's reads, the index and the
brief block, so they run in threads (``asyncio.to_thread``) and the agent's keys never wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

from deskpilot.connectors.models import BugQuery
from deskpilot.connectors.registry import ticket_history_from
from deskpilot.copilot.adapt import (
    INBOX_TAG,
    answered_question,
    inbox_of,
    latest_question,
    team_said_before,
)
from deskpilot.copilot.brief import build_brief
from deskpilot.copilot.context import DraftContext, Fact, KnowledgeItem
from deskpilot.copilot.facts import (
    answer_brief,
    bug_is_about,
    invoice_breakdown_facts,
    invoice_facts,
    next_charge_facts,
    proration_facts,
    subscription_facts,
)
from deskpilot.copilot.kit import DraftKit
from deskpilot.errors import DeskPilotError
from deskpilot.feedback.learning import source_key, trust
from deskpilot.knowledge.tickets import ANSWERED_STATUSES
from deskpilot.models import Author, Customer, Message, Source, Ticket, TicketSummary
from deskpilot.store import QueueFilter

if TYPE_CHECKING:
    from deskpilot.connectors import Billing, Crm, Issues, Notify
    from deskpilot.knowledge import Hit

T = TypeVar("T")
KNOWLEDGE_LIMIT = 4
SIMILAR_LIMIT = 3  # shown to the agent and put in a model's prompt
EXEMPLAR_LIMIT = 12  # candidates the local drafter chooses its model reply from
# In a ticket with an inbox (a brand's queue) more candidates are read, and the ones answered
# in the same inbox kept: a team's answers to its own customers are the best models.
INBOX_SEARCH_LIMIT = 30
INBOX_EXEMPLAR_LIMIT = 20
HISTORY_LIMIT = 5
TEAM_MESSAGE_LIMIT = 3


async def assemble(kit: DraftKit, ticket_id: str) -> DraftContext:
    context = await asyncio.to_thread(_begin, kit, ticket_id)
    # The index and the store are blocking calls: off the event loop, beside the connectors.
    await asyncio.gather(
        _add_customer(kit, context),
        _add_bugs(kit, context),
        _add_team_messages(kit, context),
        asyncio.to_thread(_add_knowledge, kit, context),
        asyncio.to_thread(_add_examples, kit, context),
    )
    # What the records and the top article answer to the question, now that they are here.
    context.brief = await asyncio.to_thread(answer_brief, context, kit.clock().date())
    return context


def _begin(kit: DraftKit, ticket_id: str) -> DraftContext:
    """The context's start, from the store: the ticket, its triage and its case brief."""
    ticket = kit.ticket(ticket_id)
    brief = build_brief(
        ticket,
        kit.clock(),
        kit.settings.sla,
        kit.settings.actions.refund_limit_for(kit.agent),
    )
    return DraftContext(ticket=ticket, triage=kit.store.get_triage(ticket_id), brief=brief)


def _add_examples(kit: DraftKit, context: DraftContext) -> None:
    intent = context.triage.intent if context.triage else context.ticket.intent
    if intent:
        context.examples = kit.store.approved_replies(intent, limit=3, exclude=context.ticket.id)


async def _guard(context: DraftContext, what: str, call: Awaitable[T]) -> T | None:
    try:
        return await call
    except DeskPilotError as error:
        context.problems.append(f"{what}: {error}")
    except Exception as error:
        context.problems.append(f"{what}: {type(error).__name__}: {error}")
    return None


async def _add_customer(kit: DraftKit, context: DraftContext) -> None:
    customer = context.ticket.customer
    if customer is None:
        return
    crm = await _guard(context, "CRM", _crm(kit))
    billing = await _guard(context, "billing", _billing(kit))
    if crm is not None:
        # The CRM's id for this customer (found by email), not the desk's own.
        crm_id = await _guard(context, "CRM", crm.crm_customer_id(customer))
        if crm_id is not None:
            context.crm = await _guard(context, "CRM record", crm.record(crm_id))
        history = await _guard(context, "CRM history", _history(kit, crm, customer, crm_id))
        if history is not None:
            ids = [t.id for t in history if t.id != context.ticket.id][:3]
            # Read together (a ticket the CRM names but the store lacks is left out): one by
            # one, the three tickets took a tenth of the draft's time.
            found = await asyncio.to_thread(kit.store.get_tickets, ids)
            context.history = [found[i] for i in ids if i in found]
    if billing is not None:
        billing_id = await _guard(context, "billing", billing.billing_customer_id(customer))
        if billing_id is not None:
            await _add_billing(context, billing, billing_id)


async def _history(
    kit: DraftKit, crm: Crm, customer: Customer, crm_id: str | None
) -> list[TicketSummary]:
    """The customer's past tickets, newest first: the desk's own (by the desk's id) and the
    CRM's (by its id), each once."""
    own = await asyncio.to_thread(ticket_history_from(kit.store), customer.id, HISTORY_LIMIT)
    found = {t.id: t for t in own}
    if crm_id is not None:
        remote = await crm.history(crm_id, limit=HISTORY_LIMIT)
        found |= {t.id: t for t in remote.tickets if t.id not in found}
    return sorted(found.values(), key=lambda t: (t.created_at, t.id), reverse=True)


async def _add_team_messages(kit: DraftKit, context: DraftContext) -> None:
    """What colleagues already said about this customer in the team's chat."""
    customer = context.ticket.customer
    if customer is None:
        return
    notify = await _guard(context, "team chat", _notify(kit))
    if notify is None:
        return
    found = await _guard(
        context, "team messages", notify.search_messages(customer.email, TEAM_MESSAGE_LIMIT)
    )
    context.team_messages = found or []


async def _add_billing(context: DraftContext, billing: Billing, customer_id: str) -> None:
    subscription, invoices, changes, plans = await asyncio.gather(
        _guard(context, "subscription", billing.subscription(customer_id)),
        _guard(context, "invoices", billing.invoices(customer_id, limit=6)),
        _guard(context, "plan changes", billing.plan_changes(customer_id)),
        _guard(context, "plans", billing.plans()),
    )
    context.subscription = subscription
    context.invoices = invoices or []
    context.plan_changes = changes or []
    mentioned = " ".join(m.body for m in context.ticket.messages) + " " + context.ticket.subject
    context.facts += subscription_facts(subscription, plans or [])
    context.facts += proration_facts(context.plan_changes, plans or [], context.invoices)
    context.facts += invoice_facts(context.invoices, mentioned)
    context.facts += next_charge_facts(subscription, plans or [], context.invoices)
    context.facts += invoice_breakdown_facts(context.invoices, plans or [], mentioned)


async def _add_bugs(kit: DraftKit, context: DraftContext) -> None:
    issues = await _guard(context, "bug tracker", _issues(kit))
    if issues is None:
        return
    matches = await _guard(
        context, "known bugs", issues.search_bugs(BugQuery.from_ticket(context.ticket), limit=3)
    )
    said = "\n".join(m.body for m in context.ticket.messages if m.author is Author.CUSTOMER)
    for match in matches or []:
        if match.score < 0.5:
            continue
        # Found by its words alone, a bug must name what the customer names ("it rejects my
        # password" is not "Files page rejects uploads"); a page or error match stands.
        by_words = not {"page", "error"} & set(match.matched_on)
        if by_words and not bug_is_about(match.bug.title, said):
            continue
        bug = match.bug
        context.bugs.append(bug)
        text = f"Known bug {bug.id} ({bug.status}): {bug.title}"
        if bug.workaround:
            text += f". Workaround: {bug.workaround}"
        context.facts.append(
            Fact(
                label="known bug", text=text, source=Source(kind="bug", ref=bug.id, title=bug.title)
            )
        )


def _add_knowledge(kit: DraftKit, context: DraftContext) -> None:
    ticket = context.ticket
    query = f"{ticket.subject} {ticket.latest_customer_text}"[:600]  # a follow-up: what it asks
    inbox = inbox_of(ticket)
    asked_now = latest_question(ticket)
    ticket_query = query if asked_now == ticket.first_customer_message else asked_now[:600]
    if inbox:
        # Customers name the brand they write to ("@Delta ..."): its name in the query ranks
        # that inbox's conversations first.
        ticket_query = f"{inbox} {ticket_query}"
    try:
        index = kit.knowledge()
        articles = index.search(query, limit=KNOWLEDGE_LIMIT + 2, kinds=["article", "fact"])
        tickets = index.search(
            ticket_query,
            limit=(INBOX_SEARCH_LIMIT if inbox else EXEMPLAR_LIMIT) + 1,
            kinds=["ticket"],
        )
    except DeskPilotError as error:
        context.problems.append(f"knowledge: {error}")
        return
    learned = kit.store.source_feedback()
    for hit in _by_trust(articles, learned)[:KNOWLEDGE_LIMIT]:
        body = _article_text(kit, hit.id) if hit.kind == "article" else hit.snippet
        context.knowledge.append(
            KnowledgeItem(
                source=Source(
                    kind=hit.kind, ref=hit.id, title=hit.title, score=round(hit.score, 2)
                ),
                title=hit.title,
                snippet=hit.snippet,
                body=body,
            )
        )
    _add_exemplars(kit, context, tickets, learned, inbox)


def _add_exemplars(
    kit: DraftKit,
    context: DraftContext,
    tickets: list[Hit],
    learned: dict[str, tuple[int, int, int]],
    inbox: str,
) -> None:
    """Answered tickets like this one, in the index's order (agents' edits of drafts built on
    each are passed along for the drafter to weigh against the others'), the same inbox's
    first."""
    ticket = context.ticket
    # Read together: one by one, a dozen tickets took a third of the draft's time.
    found = kit.store.get_tickets(hit.id for hit in tickets if hit.id != ticket.id)
    items = []
    for hit in tickets:
        answered = found.get(hit.id)  # None: the index names a ticket the store does not have
        if answered is None:
            continue
        source = Source(kind="ticket", ref=hit.id, title=hit.title, score=round(hit.score, 2))
        items.append(_exemplar(answered, ticket, source, hit.snippet, learned))
    if inbox:
        own = [i for i in items if i.inbox == inbox]
        recent = _recent_inbox_replies(kit, ticket, inbox, own, learned)
        items = own + recent + [i for i in items if i.inbox != inbox]
    limit = INBOX_EXEMPLAR_LIMIT if inbox else EXEMPLAR_LIMIT
    context.exemplars = items[:limit]
    context.similar = items[:SIMILAR_LIMIT]


def _exemplar(
    answered: Ticket,
    ticket: Ticket,
    source: Source,
    snippet: str,
    learned: dict[str, tuple[int, int, int]],
) -> KnowledgeItem:
    last = _last_agent_message(answered)
    return KnowledgeItem(
        source=source,
        title=source.title,
        snippet=snippet,
        body=last.body if last else "",
        foreign_words=_customer_words(answered, ticket),
        foreign_company=_other_company(answered, ticket),
        intent=answered.intent,
        question=answered_question(answered),
        follows=team_said_before(answered.messages, answered=True),
        conversation=_conversation(answered),
        customer=answered.customer.id if answered.customer else None,
        customer_email=answered.customer.email if answered.customer else "",
        inbox=inbox_of(answered),
        answered_by=last.author_name if last else "",
        answered_at=last.at if last else None,
        feedback=learned.get(source_key(source.kind, source.ref)),
    )


def _conversation(answered: Ticket) -> str:
    """All the customer said in an answered conversation, when it is more than one message."""
    said = [m.body for m in answered.messages if m.author is Author.CUSTOMER]
    return "\n".join(said) if len(said) > 1 else ""


def _recent_inbox_replies(
    kit: DraftKit,
    ticket: Ticket,
    inbox: str,
    found: list[KnowledgeItem],
    learned: dict[str, tuple[int, int, int]],
) -> list[KnowledgeItem]:
    """When the search found few of this inbox's answered conversations (customers rarely
    write the brand's name, and a short tweet shares few words), its latest ones: with them
    the drafter still writes what this team typically says instead of a generic reply."""
    have = {i.source.ref for i in found if i.inbox == inbox}
    missing = INBOX_EXEMPLAR_LIMIT - len(have)
    if missing <= 0 or not kit.settings.feedback.learn:
        return []  # with learning off, sent replies teach nothing (the replay's control)
    recent = kit.store.list_queue(
        QueueFilter(tag=INBOX_TAG + inbox, statuses=ANSWERED_STATUSES),
        limit=missing + len(have) + 1,
        sort="updated",
        descending=True,
    )
    wanted = [s for s in recent if s.id not in have and s.id != ticket.id]
    threads = kit.store.get_tickets(s.id for s in wanted)  # together: up to 20, one by one
    items: list[KnowledgeItem] = []
    for summary in wanted:
        if len(items) >= missing:
            break
        answered = threads.get(summary.id)
        if answered is not None:
            source = Source(kind="ticket", ref=summary.id, title=summary.subject, score=0.0)
            items.append(_exemplar(answered, ticket, source, "", learned))
    return items


def _by_trust(hits: list[Hit], learned: dict[str, tuple[int, int, int]]) -> list[Hit]:
    """Hits re-ranked by what agents' edits taught about each source (see feedback.learning)."""
    if not learned:
        return hits
    return sorted(
        hits, key=lambda hit: -hit.score * trust(learned.get(source_key(hit.kind, hit.id)))
    )


def _customer_words(other: Ticket, ticket: Ticket) -> list[str]:
    """The other ticket's customer's name and company, unless they are this ticket's too."""
    if other.customer is None:
        return []
    mine = ticket.customer
    theirs = f"{other.customer.name} {other.customer.company}".split()
    own = f"{mine.name} {mine.company}".split() if mine else []
    return [word for word in theirs if len(word) > 1 and word not in own]


def _other_company(other: Ticket, ticket: Ticket) -> str:
    """The other ticket's customer's company, unless it is this ticket's customer's too."""
    theirs = other.customer.company.strip() if other.customer else ""
    own = ticket.customer.company.strip() if ticket.customer else ""
    return theirs if theirs and theirs != own else ""


def _article_text(kit: DraftKit, slug: str) -> str:
    path = kit.articles_dir / f"{slug}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        text = text[end + 4 :] if end != -1 else text
    return text.strip()


def _last_agent_message(ticket: Ticket) -> Message | None:
    replies = [m for m in ticket.messages if m.author is Author.AGENT]
    return replies[-1] if replies else None


async def _crm(kit: DraftKit) -> Crm:
    return kit.connectors.crm()


async def _billing(kit: DraftKit) -> Billing:
    return kit.connectors.billing()


async def _issues(kit: DraftKit) -> Issues:
    return kit.connectors.issues()


async def _notify(kit: DraftKit) -> Notify:
    return kit.connectors.notify()
