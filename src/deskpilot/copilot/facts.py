"""Facts computed from the records, so a draft states figures instead of guessing them.

Besides the records in words (plan, invoices, proration), the answers they give to what
customers ask: when the next charge is and how much, what an invoice's lines add up to and
why, whether a refund is within the written refund policy and the agent's limit, and the key
fact of a help article (a lock's duration). ``answer_brief`` puts those that answer this
ticket's question into its case brief, which both drafters answer from first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from deskpilot.copilot.brief import (
    HOW_TO_INSIDE,
    Answer,
    CaseBrief,
    DraftMeasure,
    measure_draft,
)
from deskpilot.copilot.context import DraftContext, Fact
from deskpilot.models import Invoice, Plan, PlanChange, Source, Subscription


def money(amount: float, currency: str = "USD") -> str:
    sign = "-" if amount < 0 else ""
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{sign}{symbol}{abs(amount):,.2f}"


@dataclass(frozen=True)
class Proration:
    """What a mid-cycle plan change costs: the unused days of the old plan are credited and
    the rest of the cycle on the new one charged."""

    old: Plan
    new: Plan
    remaining: int  # days left in the cycle
    cycle_days: int
    credit: float
    charge: float

    @property
    def difference(self) -> float:
        return round(self.charge - self.credit, 2)

    def describe(self) -> str:
        """The figures in words: "with 12 of 30 days left ...: a credit of ... extra"."""
        return (
            f"with {self.remaining} of {self.cycle_days} days left in the billing cycle: a credit "
            f"of {money(-self.credit)} for the unused {self.old.name} days and a charge of "
            f"{money(self.charge)} for {self.new.name}, {money(self.difference)} extra"
        )


def prorate(change: PlanChange, plans: Sequence[Plan]) -> Proration | None:
    """The proration of a plan change (past, or one being previewed); None when either plan is
    unknown or the change is not within its cycle."""
    by_id = {plan.id: plan for plan in plans}
    old, new = by_id.get(change.from_plan), by_id.get(change.to_plan)
    if old is None or new is None:
        return None
    cycle_days = (change.cycle_end - change.cycle_start).days
    remaining = (change.cycle_end - change.at).days
    if cycle_days <= 0 or not 0 < remaining <= cycle_days:
        return None
    credit = round(old.monthly_price * remaining / cycle_days, 2)
    charge = round(new.monthly_price * remaining / cycle_days, 2)
    return Proration(old, new, remaining, cycle_days, credit, charge)


def proration_facts(
    changes: Sequence[PlanChange], plans: Sequence[Plan], invoices: Sequence[Invoice]
) -> list[Fact]:
    """For each mid-cycle plan change: days left, credit, charge and the invoice that bills it."""
    facts = []
    for change in changes:
        proration = prorate(change, plans)
        if proration is None:
            continue
        old, new = proration.old, proration.new
        text = (
            f"On {change.at:%B %-d, %Y} the plan changed from {old.name} "
            f"({money(old.monthly_price)}/month) to {new.name} "
            f"({money(new.monthly_price)}/month) {proration.describe()}"
        )
        invoice = _invoice_with_proration(invoices)
        if invoice is not None:
            text += f"; invoice {invoice.number} carries these lines, {money(invoice.total)} in all"
        ref = invoice.id if invoice else f"{change.customer_id}:{change.at}"
        facts.append(
            Fact(
                label="proration",
                text=text,
                source=Source(kind="billing", ref=ref, title="Plan change and proration"),
            )
        )
    return facts


def _invoice_with_proration(invoices: Sequence[Invoice]) -> Invoice | None:
    return next((i for i in invoices if any(line.proration for line in i.lines)), None)


def subscription_facts(subscription: Subscription | None, plans: Sequence[Plan]) -> list[Fact]:
    if subscription is None:
        return []
    plan = next((p for p in plans if p.id == subscription.plan_id), None)
    name = plan.name if plan else subscription.plan_id
    price = f" at {money(plan.monthly_price)}/month" if plan else ""
    text = (
        f"Plan: {name}{price}, {subscription.seats} seat(s), status {subscription.status}; "
        f"the current cycle runs {subscription.cycle_start:%B %-d} to "
        f"{subscription.cycle_end:%B %-d, %Y}, so it renews on {subscription.cycle_end:%B %-d, %Y}"
    )
    source = Source(kind="billing", ref=f"subscription:{subscription.customer_id}", title="Plan")
    return [Fact(label="plan", text=text, source=source)]


def invoice_facts(invoices: Sequence[Invoice], mentioned: str) -> list[Fact]:
    """The invoices the customer mentions (by number), else the latest two, and failed ones."""
    named = [i for i in invoices if i.number.lower() in mentioned.lower()]
    chosen = named or sorted(invoices, key=lambda i: i.issued, reverse=True)[:2]
    chosen += [i for i in invoices if i.status == "failed" and i not in chosen]
    facts = []
    for invoice in chosen:
        lines = "; ".join(
            f"{line.description} {money(line.amount * line.quantity)}" for line in invoice.lines
        )
        text = (
            f"Invoice {invoice.number} issued {invoice.issued:%B %-d, %Y}, {invoice.status}, "
            f"total {money(invoice.total, invoice.currency)} ({lines})"
        )
        source = Source(kind="billing", ref=invoice.id, title=f"Invoice {invoice.number}")
        facts.append(Fact(label="invoice", text=text, source=source))
    return facts


# --- what the records answer ------------------------------------------------------------------
# Each function below turns records into the one sentence that answers a customer's question
# about them, so a draft states the answer ("the next charge is on December 21") instead of
# pasting the records it comes from.


def next_charge_facts(
    subscription: Subscription | None, plans: Sequence[Plan], invoices: Sequence[Invoice]
) -> list[Fact]:
    """When the customer is charged next and how much, from the subscription: an active or
    trialing plan renews at the end of its cycle, at the plan's price plus the seats beyond
    what the plan includes (priced as the latest invoice priced them)."""
    if subscription is None:
        return []
    plan = next((p for p in plans if p.id == subscription.plan_id), None)
    name = plan.name if plan else subscription.plan_id
    end = f"{subscription.cycle_end:%B %-d, %Y}"
    source = Source(
        kind="billing", ref=f"subscription:{subscription.customer_id}", title="Next charge"
    )
    if subscription.status == "canceled":
        text = (
            f"The {name} subscription is canceled: there is no further charge; access runs to {end}"
        )
        return [Fact(label="next charge", text=text, source=source)]
    if plan is None:
        return []
    extra = max(0, subscription.seats - plan.seats_included)
    seat_price = _seat_price(invoices)
    amount = plan.monthly_price + (extra * seat_price if seat_price is not None else 0.0)
    text = f"The next charge is on {end}, when the {name} plan renews: {money(amount)}"
    if extra and seat_price is not None:
        text += (
            f" ({money(plan.monthly_price)} for {name} and {extra} extra seat(s) at "
            f"{money(seat_price)} each)"
        )
    elif extra:
        text = text.rsplit(":", 1)[0] + f": {money(plan.monthly_price)} plus {extra} extra seat(s)"
    if subscription.status == "past_due":
        failed = next((i for i in invoices if i.status == "failed"), None)
        if failed is not None:
            text += (
                f"; the last payment ({failed.number}, {money(failed.total)}) failed and is "
                "retried before then"
            )
    return [Fact(label="next charge", text=text, source=source)]


def _seat_price(invoices: Sequence[Invoice]) -> float | None:
    for invoice in sorted(invoices, key=lambda i: i.issued, reverse=True):
        for line in invoice.lines:
            if "seat" in line.description.lower() and line.amount > 0:
                return line.amount
    return None


def invoice_breakdown(invoice: Invoice, plans: Sequence[Plan]) -> str:
    """What an invoice's lines add up to, and why: "INV-1 comes to $163.00: the Pro plan at
    $79.00 plus 7 extra seats at $12.00 each ($84.00); Pro includes 10 seats, the account has
    17"."""
    parts: list[str] = []
    plan: Plan | None = None
    extra_seats = 0
    for line in invoice.lines:
        total = line.amount * line.quantity
        described = line.description.split(" (")[0].strip()
        named = next((p for p in plans if p.name.lower() in line.description.lower()), None)
        if "seat" in line.description.lower():
            extra_seats += line.quantity
            plan = plan or named
            parts.append(
                f"{line.quantity} extra seat{'s' if line.quantity != 1 else ''} at "
                f"{money(line.amount, invoice.currency)} each ({money(total, invoice.currency)})"
            )
        elif line.quantity != 1:
            parts.append(
                f"{line.quantity} × {described} at {money(line.amount, invoice.currency)} "
                f"({money(total, invoice.currency)})"
            )
        else:
            if named is not None and not line.proration:
                plan = named
                described = f"the {named.name} plan at"
            parts.append(f"{described} {money(total, invoice.currency)}")
    text = (
        f"Invoice {invoice.number} comes to {money(invoice.total, invoice.currency)}: "
        + " plus ".join(parts)
    )
    if plan is not None and extra_seats:
        text += (
            f"; {plan.name} includes {plan.seats_included} seats and the account had "
            f"{plan.seats_included + extra_seats}, so {extra_seats} are billed as extra seats"
        )
    if any(line.proration for line in invoice.lines):
        text += "; the credit and the remaining-time charge are the proration of a plan change"
    return text


def invoice_breakdown_facts(
    invoices: Sequence[Invoice], plans: Sequence[Plan], mentioned: str
) -> list[Fact]:
    """The breakdown of the invoices the customer names (else the latest) that are more than
    one line: what a "why is it $163?" question asks."""
    named = [i for i in invoices if i.number.lower() in mentioned.lower()]
    chosen = named or sorted(invoices, key=lambda i: i.issued, reverse=True)[:1]
    return [
        Fact(
            label="invoice breakdown",
            text=invoice_breakdown(invoice, plans),
            source=Source(kind="billing", ref=invoice.id, title=f"Invoice {invoice.number}"),
        )
        for invoice in chosen
        if len(invoice.lines) > 1 or any(line.quantity != 1 for line in invoice.lines)
    ]


# "refunded in full within **14 days** of the invoice date": the refund window a policy article
# states, read so eligibility is checked against the team's own written policy.
REFUND_WINDOW = re.compile(
    r"refund\w*[^.]*?within\s+\**(\d+)\s*days\**\s+of\s+the\s+(?:invoice|charge)", re.I
)


def refund_window_days(articles: Sequence[str]) -> int | None:
    for text in articles:
        found = REFUND_WINDOW.search(text)
        if found:
            return int(found.group(1))
    return None


def refund_eligibility(
    invoice: Invoice, today: date, window_days: int | None, limit: float | None
) -> tuple[bool, str, str]:
    """Whether the agent may refund ``invoice`` by the policy's window and their own limit;
    the sentence that says why (for the agent) and the one a reply says (no internal limits)."""
    age = (today - invoice.issued).days
    amount = money(invoice.total, invoice.currency)
    issued = f"{invoice.issued:%B %-d, %Y}"
    head = f"Invoice {invoice.number} ({amount}, issued {issued}, {age} days ago)"
    review = "so I've asked a team lead to review your request. You'll hear back from us here."
    if invoice.status == "refunded":
        said = f"Invoice {invoice.number} ({amount}) has already been refunded."
        return False, f"{head} is already refunded", said
    if window_days is not None and age > window_days:
        return (
            False,
            (
                f"{head} is outside the refund policy's {window_days}-day window: a lead decides "
                "whether to make an exception"
            ),
            (
                f"Invoice {invoice.number} ({amount}) was issued on {issued}, which is outside the "
                f"{window_days} days our refund policy covers, {review}"
            ),
        )
    if limit is not None and invoice.total > limit:
        return (
            False,
            (f"{head} is over the agent's refund limit of {money(limit)}: a lead must approve it"),
            f"A refund of {amount} is more than I can approve myself, {review}",
        )
    within = f"within the refund policy's {window_days}-day window" if window_days else ""
    text = f"{head} can be refunded: {within or 'no policy window applies'}" + (
        f" and under the agent's limit of {money(limit)}" if limit is not None else ""
    )
    covered = f", within the {window_days} days our refund policy covers" if window_days else ""
    said = (
        f"Invoice {invoice.number} ({amount}) was issued on {issued}{covered}, so it qualifies "
        "for a refund. I'll confirm here once it has been issued."
    )
    return True, text, said


# A help article's key facts: the sentences that give a duration or a count, which an answer
# must keep ("The lock lasts 30 minutes and then clears on its own").
DURATION = re.compile(
    r"\b\d+\s*(?:business\s+|working\s+)?(?:minutes?|hours?|days?|weeks?|seconds?|attempts?)\b|"
    r"\b(?:within|in|for|after|up to)\s+(?:an?|one)\s+(?:business\s+|working\s+)?"
    r"(?:minute|hour|day|week)\b",
    re.I,
)
LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


KEY_FACT_IGNORED = frozenset({"account", "help", "please", "what", "this", "that", "with", "have"})


def article_key_facts(body: str, question: str, limit: int = 2, by_title: bool = True) -> list[str]:
    """The sentences of ``body`` that state a duration and are about what ``question`` asks,
    Markdown removed, at most ``limit`` of them. About it: the sentence and its section's
    heading share two words with the question, or (``by_title``) one that the article's title
    has too ("lock" for "Unlock a locked account"); words inside an address ("acmecloud.com"
    says nothing about "Acme Cloud") do not count. A list item's lines
    are read as one, and a duration that is not the item's first sentence comes with the item
    ("Countersigned – the order is accepted. Seats are activated within an hour."), whose first
    sentence says when."""
    asked = _stems(_as_said(question)) - {w[:4] for w in KEY_FACT_IGNORED}
    asks_about_time = bool(TIME_ASKED.search(question))
    title = next((line[2:] for line in body.splitlines() if line.startswith("# ")), "")
    titled = _stems(title) if by_title else set()
    found: list[str] = []
    for heading, unit in _article_units(body):
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", unit) if s.strip()]
        for n, sentence in enumerate(sentences):
            if not DURATION.search(sentence):
                continue
            fact = unit if n and len(unit) <= 220 else sentence
            # The heading says what the section is about; the title only counts with a word
            # of the fact itself ("What the statuses mean" is no answer to "status?").
            shared = asked & (_stems(fact) | _stems(heading))
            topical = len(shared) >= 2 or bool(asked & _stems(fact) & titled)
            # By meaning, not by a shared word: a duration tells how long what it is said of
            # lasts ("locked for 30 minutes" for a locked account; not for a forgotten
            # password, though the sentence says "passwords"); one said of nothing in
            # particular ("Usually 1 business day.") answers a question about time.
            subject = _duration_subject(sentence)
            about = topical and (bool(asked & subject) or (asks_about_time and not subject))
            if len(fact) <= 220 and about and fact not in found:
                found.append(fact)
            break  # one fact a unit
        if len(found) >= limit:
            break
    return found


# A question about time: what a duration answers whatever its words.
TIME_ASKED = re.compile(
    r"\b(?:when|how long|how soon|eta|yet|still|wait\w*|until|expire\w*|take so long|"
    r"taking (?:so |too )?long)\b",
    re.IGNORECASE,
)
# Words near a duration that say nothing about what lasts ("is", "normally", "lasts").
DURATION_FILLER = frozenset(
    {"is", "are", "be", "been", "was", "stays", "stay", "remains", "remain", "lasts", "last",
     "takes", "take", "normally", "usually", "typically", "only", "then", "the", "a", "an",
     "for", "within", "after", "in", "up", "to", "about", "around", "account"}
)  # fmt: skip


def _duration_subject(sentence: str) -> set[str]:
    """The stems of what a duration is said of: the thing and its state when the sentence says
    "X is Y for ..." ("the account is locked for 30 minutes": locked, the account being no
    word of meaning; "data is kept for 30 days": data, kept), else the content word before it
    ("the lock lasts 30 minutes": lock)."""
    found = DURATION.search(sentence)
    if found is None:
        return set()
    before = sentence[: found.start()].lower()
    before = re.sub(r"\b(?:for|within|after|in|up to|about|around)\s*$", "", before.rstrip())
    if not re.search(r"[a-z]{4,}", before):  # "After 30 days it is permanently deleted"
        after = STATE_AFTER.match(sentence[found.end() :].lower())
        return {w[:4] for w in after.groups() if w not in DURATION_FILLER} if after else set()
    said = STATE_SAID.search(before)
    words = list(said.groups()) if said else re.findall(r"[a-z]+", before)[-4:]
    words = [w for w in words if w not in DURATION_FILLER and len(w) >= 4]
    return {w[:4] for w in (words if said else words[-1:])}


STATE_AFTER = re.compile(
    r"[\s,]*(?:[a-z]+\s+){0,2}?(?:is|are|gets?|will be)\s+(?:[a-z]+ly\s+)?([a-z]+)"
)
# "X is (normally) Y": a thing and the state a duration after it measures.
STATE_SAID = re.compile(
    r"([a-z]+)\s+(?:is|are|was|were|stays?|remains?|gets?|can be|will be)\s+"
    r"(?:[a-z]+ly\s+)?([a-z]+)\s*$"
)


# What customers say for the states a duration is said of ("never comes through" is "not
# delivered"), so the subject above is found in their words.
SAID_AS = (
    (re.compile(r"\bunlock(?:s|ed|ing)?\b", re.I), "lock"),
    (re.compile(r"\b(?:come|comes|came|coming) through|\barriv\w*|\breceiv\w*", re.I), "delivered"),
)


def _as_said(question: str) -> str:
    for said, meaning in SAID_AS:
        question = said.sub(meaning, question)
    return question


ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?")


def _stems(text: str) -> set[str]:
    """The first four letters of the text's words of four letters or more, addresses and host
    names left out."""
    return {w[:4] for w in re.findall(r"[a-z]{4,}", ADDRESS.sub(" ", text.lower()))}


def _article_units(body: str) -> list[tuple[str, str]]:
    """The article's paragraphs and list items, each one line of plain text, with the heading
    of the section they are in."""
    units: list[tuple[str, str]] = []
    heading = ""
    current: list[str] = []

    def close() -> None:
        if current:
            units.append((heading, re.sub(r"[*_`]", "", " ".join(current)).strip()))
        current.clear()

    for line in body.splitlines():
        starts_item = bool(LIST_ITEM.match(line))
        if not line.strip() or line.lstrip().startswith(("#", "|", "+++")) or starts_item:
            close()
            if line.lstrip().startswith("#"):
                heading = line.lstrip("# ").strip()
            if starts_item:
                current.append(LIST_ITEM.sub("", line).strip())
            continue
        current.append(line.strip())
    close()
    return units


# --- the brief's answers -----------------------------------------------------------------------

NEXT_CHARGE_ASKED = re.compile(
    r"\b(?:next\s+(?:charge|bill|billing|payment|invoice|renewal)|charged\s+next|billed\s+next|"
    r"when\s+(?:will|do|does|is)\b[^?.]*\b(?:charge|charged|bill|billed|renew|renews|renewal|"
    r"payment))",
    re.IGNORECASE,
)
AMOUNT_ASKED = re.compile(
    # "why" of an amount ("why is my bill bigger"), not of anything ("why was my card declined")
    r"\b(?:doesn'?t add up|does not add up|more than|higher than|"
    r"why\s+(?:is|was|did|are|were)\b[^?.!]*?(?:amount|bill|invoice|charge|total|price|cost|"
    r"so\s+(?:high|much)|bigger|larger|more|[$€£])|"
    r"says\s+[$€£]|but\s+\w+\s+is\s+[$€£]|expected|extra|"
    # "different" of an amount, not "a different platform"
    r"different\s+(?:amount|price|total|charge|sum)|"
    r"(?:amount|price|total|charge|bill|invoice)s?\s+(?:is\s+|was\s+|looks\s+)?different)\b",
    re.IGNORECASE,
)


def answer_brief(context: DraftContext, today: date) -> CaseBrief | None:
    """The context's brief with what the records answer to its question (see ``Answer``),
    the refund checked against the policy's window and the agent's limit, and whether the
    question is out of scope."""
    brief = context.brief
    if brief is None:
        return None
    ticket = context.ticket
    latest = ticket.latest_customer_text
    asked = " ".join(brief.questions) or latest
    intent = context.triage.intent if context.triage else ticket.intent or ""
    answers: list[Answer] = []

    def take(label: str) -> None:
        answers.extend(Answer(f.label, f.text, f.source) for f in context.facts if f.label == label)

    if NEXT_CHARGE_ASKED.search(asked):
        take("next charge")
    if intent == "invoice_discrepancy" or AMOUNT_ASKED.search(asked):
        if any(f.label == "proration" for f in context.facts):
            take("proration")
        else:
            take("invoice breakdown")
    refund_allowed = None
    if brief.refund_asked is not None or intent == "refund_request":
        invoice = _invoice_asked_about(context.invoices, latest, brief.refund_asked)
        if invoice is not None:
            window = refund_window_days([k.body for k in context.knowledge])
            refund_allowed, text, said = refund_eligibility(
                invoice, today, window, brief.refund_limit
            )
            source = Source(kind="billing", ref=invoice.id, title="Refund eligibility")
            answers.append(Answer("refund eligibility", text, source, said))
    if intent == "cancellation":
        answers += _paid_until(context)
    answers += _plans_compared(context, asked)
    answers += _failed_payment(context, f"{asked} {latest}")
    # A known bug's answer is the bug and its workaround; a billing answer is the records' (a
    # cancellation's is also what happens next, which the guides say); a suggestion, a
    # complaint, a contract or an out-of-scope question is no guide's to answer.
    wants_key_fact = intent not in NO_KEY_FACT_INTENTS and not context.bugs
    # A how-to is answered by the guide's steps; a question beside it ("... and what happens
    # to our data?") may still want a key fact.
    only_how_to = brief.how_to and all(HOW_TO_INSIDE.search(q) for q in brief.questions)
    if wants_key_fact and not only_how_to:
        answers += _key_facts(context, f"{ticket.subject} {asked} {latest}")
    out_of_scope = bool(context.triage and context.triage.out_of_scope)
    return replace(
        brief,
        answers=answers,
        refund_allowed=refund_allowed,
        out_of_scope=out_of_scope,
        unrecorded=_unrecorded(brief.given, context),
    )


def _unrecorded(given: Sequence[str], context: DraftContext) -> list[str]:
    """The references the customer gave (not addresses) that no record of the context names:
    an order number with no order system behind the desk, an invoice not in the billing
    records."""
    records = " ".join(
        [f.text for f in context.facts]
        + [i.number for i in context.invoices]
        + [b.id for b in context.bugs]
        + [context.ticket.id]
    ).lower()
    return [g for g in given if "@" not in g and g.lower() not in records]


BILLING_INTENTS = frozenset(
    {"invoice_discrepancy", "billing_question", "refund_request", "cancellation"}
)
NO_KEY_FACT_INTENTS = (BILLING_INTENTS - {"cancellation"}) | {
    "bug_report", "feature_request", "complaint", "contract_negotiation", "out_of_scope",
}  # fmt: skip


def _key_facts(context: DraftContext, asked: str) -> list[Answer]:
    """The top article's key facts for the question; failing those, the first other article
    whose title names something asked ("delete our data": "Delete your account and
    workspace") that has some."""
    articles = [k for k in context.knowledge if k.source.kind == "article"]
    wanted = _stems(asked) - {w[:4] for w in KEY_FACT_IGNORED}
    for n, article in enumerate(articles):
        if n and not wanted & _stems(article.title):
            continue
        # Another article than the top one: only facts about two things asked.
        found = article_key_facts(article.body, asked, by_title=not n)
        if found:
            return [Answer("key fact", sentence, article.source) for sentence in found]
    return []


# "Starter vs Pro?", "what do we get with Pro?", "what's included in Starter?".
PLANS_ASKED = re.compile(
    r"\b(?:vs\.?|versus|compared?|comparison|difference|differ|what do (?:we|i|you) get|"
    r"what'?s included|included in|which plan)(?!\w)",
    re.IGNORECASE,
)


def _plans_compared(context: DraftContext, asked: str) -> list[Answer]:
    """For a question comparing plans by name: each named plan's price and seats, from the
    plan records (the product facts), not a request for details."""
    if not PLANS_ASKED.search(asked):
        return []
    plans = [
        k for k in context.knowledge if k.source.kind == "fact" and k.source.ref.startswith("plan:")
    ]
    named = [
        k
        for k in plans
        if re.search(rf"\b{re.escape(k.title.split(' plan')[0])}\b", asked, re.IGNORECASE)
    ]
    return [Answer("plan comparison", k.title, k.source) for k in named]


# "why was my card declined?", "the payment for INV-... faled", "our account says past due".
PAYMENT_FAILED_ASKED = re.compile(
    r"\b(?:declin\w*|fail\w*|faled|past[ -]due|overdue|bounced|(?:didn'?t|did not) go through)\b",
    re.IGNORECASE,
)


def _failed_payment(context: DraftContext, asked: str) -> list[Answer]:
    """For a customer asking about a declined payment: which invoice failed, its amount and
    date, and that the account is past due when the subscription says so (the guide then says
    how to fix it)."""
    if not PAYMENT_FAILED_ASKED.search(asked):
        return []
    failed = [i for i in context.invoices if i.status == "failed"]
    named = [i for i in failed if i.number.lower() in asked.lower()]
    latest = sorted(failed, key=lambda i: i.issued, reverse=True)[:1]
    chosen = named or latest
    if not chosen:
        return []
    invoice = chosen[0]
    text = (
        f"The payment for invoice {invoice.number} ({money(invoice.total, invoice.currency)}, "
        f"issued {invoice.issued:%B %-d, %Y}) did not go through, so the invoice is marked failed"
    )
    subscription = context.subscription
    if subscription is not None and subscription.status == "past_due":
        text += " and the account shows as past due"
    source = Source(kind="billing", ref=invoice.id, title=f"Invoice {invoice.number}")
    return [Answer("failed payment", text, source)]


def _paid_until(context: DraftContext) -> list[Answer]:
    """For a customer who wants to cancel: until when the plan they paid for runs, and that
    nothing more is charged (a cancellation takes effect at the end of the paid period)."""
    subscription = context.subscription
    if subscription is None or subscription.status not in {"active", "trialing", "past_due"}:
        return []
    text = (
        f"After you cancel, your plan stays active until {subscription.cycle_end:%B %-d, %Y}, "
        "the end of the period already paid for, and there are no further charges"
    )
    source = Source(
        kind="billing", ref=f"subscription:{subscription.customer_id}", title="Paid period"
    )
    return [Answer("paid until", text, source)]


def _invoice_asked_about(
    invoices: Sequence[Invoice], text: str, amount: float | None
) -> Invoice | None:
    """The invoice a refund request is about: the one named, else the one of that amount,
    else the latest one paid."""
    named = next((i for i in invoices if i.number.lower() in text.lower()), None)
    if named is not None:
        return named
    if amount is not None:
        same = next((i for i in invoices if abs(i.total - amount) < 0.005), None)
        if same is not None:
            return same
    paid = sorted((i for i in invoices if i.status == "paid"), key=lambda i: i.issued)
    return paid[-1] if paid else None


def draft_measure(
    context: DraftContext,
    sources: Sequence[Source],
    *,
    reply_agreement: float | None = None,
    declined: bool = False,
) -> DraftMeasure:
    """The draft's confidence (see ``brief.measure_draft``) over the text of the sources it
    used: facts' sentences, articles' and past replies' bodies."""
    texts: dict[tuple[str, str], list[str]] = {}
    for fact in context.facts:
        texts.setdefault((fact.source.kind, fact.source.ref), []).append(fact.text)
    for item in context.knowledge + context.similar + context.exemplars:
        body = f"{item.title} {item.body or item.snippet}"
        texts.setdefault((item.source.kind, item.source.ref), []).append(body)
    supports = [(s, " ".join(texts.get((s.kind, s.ref), [s.title]))) for s in sources]
    return measure_draft(
        context.brief,
        supports,
        asked=context.ticket.latest_customer_text,
        reply_agreement=reply_agreement,
        declined=declined,
    )


# --- whether a known bug is about what the customer reports ----------------------------------

# The words of a bug's title that say how something fails, not what fails: "Files page rejects
# uploads over 25 MB" is about files and uploads; "it rejects my password" shares only how.
FAILING_WORDS = frozenset(
    re.findall(
        r"\S+",
        """
    reject rejects rejected crash crashes crashed fail fails failing failed blank empty show
    shows showing does not never render renders finish finishes freeze freezes jump jumps back
    after with when more than has have values over time times out some page pages settings
    setting save saves load loads loading error errors broken spinner behind strict the and
    for from into cannot can't won't doesn't don't
    """,
    )
)  # fmt: skip


def bug_is_about(title: str, customer_text: str) -> bool:
    """Whether a known bug found by its words is about what the customer reports: its title
    names something the customer names (the thing that fails, not how it fails)."""
    subject = {w[:4] for w in re.findall(r"[a-z0-9]{3,}", title.lower())} - {
        w[:4] for w in FAILING_WORDS
    }
    said = {w[:4] for w in re.findall(r"[a-z0-9]{3,}", customer_text.lower())}
    return bool(subject & said)
