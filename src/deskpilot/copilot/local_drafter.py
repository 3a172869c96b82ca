"""The local drafter: deterministic, offline, and grounded only in the draft context.

It writes the reply a good agent would: the customer's name, an acknowledgement that fits
their mood, the answer built from the facts and the best matching approved reply or article
(its steps, adapted: steps the customer already tried are named, not repeated), and a clear
next step. It states nothing that is not in the context, and it names what it used.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from deskpilot.copilot.adapt import Candidate, candidates, consensus, inbox_of, latest_question
from deskpilot.copilot.brief import (
    Answer,
    already_tried,
    coverage,
    covered_words,
    plain,
    question_sentences,
)
from deskpilot.copilot.context import DraftContext, Fact, KnowledgeItem
from deskpilot.copilot.exemplars import choose_exemplar
from deskpilot.models import Sentiment, Source, Ticket

PROMPT_VERSION = "local-1"
# Intents a how-to article answers with its steps; the others get their own paragraph.
STEP_INTENTS = {
    "account_access", "onboarding", "bug_report", "billing_question", "cancellation",
    "refund_request", "invoice_discrepancy",
}  # fmt: skip
TOPICS = {
    "complaint": "customer care",
    "contract_negotiation": "contracts and renewals",
    "out_of_scope": "questions like this",
    "cancellation": "account changes",
}
BILLING_INTENTS = {"invoice_discrepancy", "billing_question", "refund_request", "cancellation"}
COMMON_WORDS = frozenset(
    {
        "hi", "hello", "hey", "dear", "thanks", "thank", "please", "the", "and", "you", "your",
        "our", "this", "that", "what", "how", "can", "could", "would", "when", "where", "why",
        "which", "there", "here", "just", "also",
    }
)  # fmt: skip
# Answers about the customer's own records: another customer's reply says nothing true here.
OWN_RECORD_INTENTS = BILLING_INTENTS | {"order_status"}
NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
GREETING = re.compile(r"^(hi|hello|hey|dear)\b[^,\n]*,", re.I)
SIGN_OFF = re.compile(r"^(best|cheers|thanks|kind regards|regards|all the best|warmly)\b", re.I)


@dataclass
class Composition:
    text: str
    sources: list[Source] = field(default_factory=list)
    grounded: bool = False  # at least one fact, article or approved reply carried the answer
    whole_reply: bool = False  # the text is a past reply, greeting and sign-off included
    # How far the draft itself is to be trusted, when the drafter can say (the team's replies'
    # agreement with the one it adapted); None: judged from the intent and the sources.
    confidence: float | None = None
    declined: bool = False  # an out-of-scope request politely declined
    original: str = ""  # a whole reply's past reply as it was sent (how the team greeted)


class LocalDrafter:
    name = "local"
    model = ""
    prompt_version = PROMPT_VERSION

    def __init__(self, agent_name: str, agent: str = "") -> None:
        self.agent_name = agent_name
        self.agent = agent or agent_name  # the id their sent replies carry (their sign-off)

    async def stream(self, context: DraftContext) -> AsyncIterator[str]:
        text = self.compose(context).text
        for paragraph in text.split("\n\n"):
            yield paragraph + "\n\n"

    def compose(self, context: DraftContext) -> Composition:
        composition = self._compose(context)
        if context.brief is not None and context.brief.plain_text:
            composition.text = plain(composition.text)
        return composition

    def _compose(self, context: DraftContext) -> Composition:
        if context.triage and context.triage.handoff:
            taught = _team_answer(context, self.agent)
            if taught is None and _only_out_of_scope(context):
                return self._decline(context)
            if (
                taught is None
                and not _unsure_but_answered_by_records(context)
                and not _unsure_but_answered_by_a_guide(context)
            ):
                return self._holding_reply(context)
            if taught is not None:
                # The classifier does not know the question, but this inbox's team has answered
                # ones like it: their answer, adapted, is the draft (the hand-off is flagged).
                return Composition(
                    _as_the_brief_says(taught.text, taught.item.body, context),
                    _sources(taught),
                    True,
                    True,
                    confidence=taught.agreement,
                )
        body = self._answer(context)
        if body.whole_reply:
            # An agent-approved reply carried the whole answer: send it in the team's own words,
            # only the names changed.
            return Composition(
                _as_the_brief_says(
                    _readdressed(body.text, _first_name(context), self.agent_name),
                    body.original,
                    context,
                ),
                body.sources,
                body.grounded,
                confidence=body.confidence,
            )
        greeting = f"Hi {_first_name(context)},"
        # Nothing to sort yet when the draft asks for details: no "let me know if that sorts it".
        closing = "" if _waits_on_us(context) or not body.grounded else _closing(context)
        acknowledged = " ".join(a for a in (_acknowledgement(context), _urgency(context)) if a)
        parts = [greeting, acknowledged, body.text, closing]
        text = "\n\n".join(p for p in parts if p) + f"\n\nBest,\n{self.agent_name}"
        return Composition(text, body.sources, body.grounded)

    # --- the answer ------------------------------------------------------------------------

    def _answer(self, context: DraftContext) -> Composition:
        intent = context.triage.intent if context.triage else context.ticket.intent or ""
        paragraphs: list[str] = []
        sources: list[Source] = []
        facts = _facts_for(intent, context)
        brief = context.brief
        answers = brief.answers if brief else []
        answered = [a for a in answers if a.label in RECORD_ANSWERS]
        article = _guide(context)
        if any(a.source.kind == "billing" for a in answers):
            # The records' answer to the question stands for the records themselves.
            facts = [f for f in facts if f.label == "known bug"]
        if (
            brief is not None
            and brief.how_to
            and article is not None
            and not PROBLEM_TITLE.search(article.title)
        ):
            # A how-to ("where can I download invoices?"): the guide answers, not a known bug,
            # nor the plan and invoices pasted from the records.
            facts = [f for f in facts if f.label not in ("known bug", "plan", "invoice")]
        compared = [a for a in answered if a.label == "plan comparison"]
        for answer in answered:
            if answer.label != "plan comparison":
                paragraphs.append(_answer_sentence(answer))
            sources.append(answer.source)
        if compared:
            listed = "\n".join(f"- {a.for_customer.rstrip('.')}" for a in compared)
            paragraphs.append(f"Here's what each plan includes:\n{listed}")
        key_facts = [a for a in brief.answers if a.label == "key fact"] if brief else []
        chased_reference = intent == "order_status" and bool(_given_reference(context))
        if key_facts and not chased_reference:
            paragraphs.append(_key_facts_said(key_facts, article))
            sources += [a.source for a in key_facts]
        for fact in facts:
            paragraphs.append(_fact_sentence(fact))
            sources.append(fact.source)
        reply = _adaptable_reply(context, self.agent)
        # A cancellation's records say until when they pay; the guide still says how to cancel.
        record_answered = any(a.source.kind == "billing" for a in answers)
        with_steps = any(a.label in RECORD_ANSWERS_WITH_STEPS for a in answers)
        payment_guide = article is not None and bool(PAYMENT_GUIDE.search(article.title))
        if _payment_failed(context) and not payment_guide:
            article = None  # no guide to fixing a payment here: no other guide's steps
        wants_steps = (intent == "cancellation" or with_steps or not record_answered) and (
            (intent in STEP_INTENTS and (not facts or intent == "bug_report"))
            or bool(brief and brief.how_to)
        )
        tried = _already_tried(context)
        # In an inbox the team's adapted reply is the answer whatever the intent's own
        # paragraph would say: it is what this team says to this question.
        own_words = intent in OWN_PARAGRAPH and not inbox_of(context.ticket)
        if reply is not None and _guide_answers_instead(context, article):
            reply = None  # another customer's reply to a how-to the team's guide answers
        if reply is not None and not facts and not tried and not own_words and not answered:
            confidence = reply.agreement if reply.agreement else None
            return Composition(
                reply.text, _sources(reply), True, True, confidence, original=reply.item.body
            )
        if reply is not None and not facts and not answered:
            paragraphs.append(_reply_body(reply.text))
            sources += _sources(reply)
        elif wants_steps and article is not None and article.source.kind == "article":
            steps = _steps(article.body, context)
            if steps:
                paragraphs = [_without_workaround_in(p, steps) for p in paragraphs]
                paragraphs.append(steps)
                sources.append(article.source)
        if intent in OWN_PARAGRAPH:
            paragraphs.append(_own_paragraph(intent, context))
            sources += [a.source for a in answers if a.label == "refund eligibility"]
        if chased_reference:
            # What the guide says each stage takes: what "can you give me an ETA?" can be told
            # while the order itself is looked up.
            if key_facts:
                paragraphs.append(_typical_times(key_facts))
                sources += [a.source for a in key_facts]
            if _account_manager(context):
                sources.append(_crm_source(context))
        if tried:
            paragraphs.insert(0, tried)
        # A paragraph of its own makes no claim (it thanks, or asks), so it needs no source.
        grounded = bool(sources) or intent in OWN_PARAGRAPH
        if not grounded:
            paragraphs.append(_ask_for_details(context))
        unique = list({(x.kind, x.ref): x for x in sources}.values())
        return Composition("\n\n".join(paragraphs), unique, grounded)

    def _holding_reply(self, context: DraftContext) -> Composition:
        intent = context.triage.intent if context.triage else "your request"
        topic = TOPICS.get(intent, intent.replace("_", " "))
        text = (
            f"Hi {_first_name(context)},\n\n{_acknowledgement(context)}\n\n"
            f"I want to make sure you get the right answer on this, so I'm bringing in a "
            f"colleague who looks after {topic}. They will have everything you've told us, "
            "so you won't need to repeat yourself, and they'll be in touch shortly."
            f"{_meanwhile(context)}\n\nBest,\n{self.agent_name}"
        )
        return Composition(text, [], grounded=False)

    def _decline(self, context: DraftContext) -> Composition:
        """A question outside what the team supports: a polite no, with where help is."""
        text = (
            f"Hi {_first_name(context)},\n\n{_acknowledgement(context)}\n\n"
            "I'm afraid that's outside what our support team can help with: we look after "
            "your account and our product. Your own IT team, or the company that supplies "
            "it, will be best placed to help.\n\n"
            "If there's anything about your account or our product I can help with, just "
            f"reply here.\n\nBest,\n{self.agent_name}"
        )
        return Composition(text, [], grounded=True, declined=True)


# A help article about a problem ("... freezes", "... not showing"), not how to do a thing.
PROBLEM_TITLE = re.compile(
    r"\b(?:freez|stuck|fail|error|broken|empty|missing|not\b|doesn't|does not|won't|can't|"
    r"cannot|wrong|slow)",
    re.IGNORECASE,
)


def _payment_failed(context: DraftContext) -> bool:
    brief = context.brief
    return brief is not None and any(a.label == "failed payment" for a in brief.answers)


def _unsure_but_answered_by_records(context: DraftContext) -> bool:
    """Handed off only because the intent classifier is unsure, while the records answer the
    question ("Starter vs Pro?": the plans' prices; "we'll be cancelling": the paid period): the
    draft answers from them (the hand-off stays flagged, its confidence capped), rather than
    promising a colleague."""
    triage, brief = context.triage, context.brief
    if triage is None or brief is None:
        return False
    reasons = [r.strip() for r in triage.handoff_reason.split(";") if r.strip()]
    if not reasons or not all(r.startswith("intent confidence") for r in reasons):
        return False
    return any(a.label in RECORD_ANSWERS for a in brief.answers)


# The share of the question's words a guide named for it must hold to answer it unaided.
GUIDE_ANSWERS = 0.5


def _unsure_but_answered_by_a_guide(context: DraftContext) -> bool:
    """Handed off only because the intent classifier is unsure, while a guide whose title names
    what is asked holds most of the question ("Is there a Salesforce integration and how do I
    set it up?": "Connect Salesforce or HubSpot"): its steps are the draft (the hand-off stays
    flagged), not a colleague promised for a question the help centre answers."""
    triage = context.triage
    if triage is None or context.brief is None or triage.intent not in STEP_INTENTS:
        return False
    reasons = [r.strip() for r in triage.handoff_reason.split(";") if r.strip()]
    if not reasons or not all(r.startswith("intent confidence") for r in reasons):
        return False
    question = " ".join(question_sentences(latest_question(context.ticket)))
    asked = _subject_stems(question)
    return any(
        k.source.kind == "article"
        and not PROBLEM_TITLE.search(k.title)
        and asked & _subject_stems(k.title)
        and coverage(question, f"{k.title} {k.body}") >= GUIDE_ANSWERS
        for k in context.knowledge
    )


def _guide(context: DraftContext) -> KnowledgeItem | None:
    """The article to answer from: the top one, or for a how-to question the top one that
    explains how to do something rather than a problem."""
    top = context.knowledge[0] if context.knowledge else None
    intent = context.triage.intent if context.triage else context.ticket.intent
    how_to = context.brief is not None and context.brief.how_to
    articles = [k for k in context.knowledge if k.source.kind == "article"]
    if _payment_failed(context):
        # A declined payment: the guide that says how to fix one, wherever it ranked.
        fixing = next((k for k in articles if PAYMENT_GUIDE.search(k.title)), None)
        if fixing is not None:
            return fixing
    if intent == "cancellation" and not how_to:
        # How to cancel is what the steps of a cancellation say, whatever article ranked first
        # (the plan's record, or "Security at Acme Cloud" for "leaving Acme Cloud").
        titled = [k for k in context.knowledge if k.source.kind == "article"]
        cancel = next((k for k in titled if re.search(r"\bcancel", k.title, re.I)), None)
        if cancel is not None:
            return cancel
    if context.brief is None or not context.brief.how_to:
        return _named_guide(context, top, articles)
    articles = [k for k in context.knowledge if k.source.kind == "article"]
    return next((k for k in articles if not PROBLEM_TITLE.search(k.title)), top)


def _named_guide(
    context: DraftContext, top: KnowledgeItem | None, articles: list[KnowledgeItem]
) -> KnowledgeItem | None:
    """The top article, unless its title names nothing asked and a lower one's does ("Is
    there a Salesforce integration?": "Connect Salesforce or HubSpot", not "Set up your
    workspace"); among those, one on how to do a thing before one about a problem."""
    if top is None or top.source.kind != "article":
        return top
    asked = _subject_stems(" ".join(question_sentences(latest_question(context.ticket))))
    if not asked or asked & _subject_stems(top.title):
        return top
    question = " ".join(question_sentences(latest_question(context.ticket)))
    # Named, and holding more of the question than the top one: "a custom address" is the
    # workspace's web address the top guide explains, not the sign-in address one names.
    named = [
        k
        for k in articles
        if asked & _subject_stems(k.title)
        and coverage(question, f"{k.title} {k.body}")
        > coverage(question, f"{top.title} {top.body}")
    ]
    if not named:
        return top
    return next((k for k in named if not PROBLEM_TITLE.search(k.title)), named[0])


def _guide_answers_instead(context: DraftContext, article: KnowledgeItem | None) -> bool:
    """A how-to question outside an inbox, with a guide whose title names what is asked."""
    brief = context.brief
    if brief is None or not brief.how_to or article is None or inbox_of(context.ticket):
        return False
    if article.source.kind != "article" or PROBLEM_TITLE.search(article.title):
        return False
    asked = {w[:4] for q in brief.questions for w in _words(q) if len(w) > 3} - COMMON_WORDS
    return bool(asked & {w[:4] for w in _words(article.title) if len(w) > 3})


# The brief's answers a draft states as its answer (the refund's is the refund paragraph).
RECORD_ANSWERS = frozenset(
    {"next charge", "invoice breakdown", "proration", "paid until", "plan comparison",
     "failed payment"}
)  # fmt: skip
# Answers after which the guide still says what to do: how to cancel, how to fix a payment.
RECORD_ANSWERS_WITH_STEPS = frozenset({"paid until", "failed payment"})
# The guide for a failed payment, and the section of it that says how to fix one.
PAYMENT_GUIDE = re.compile(r"\bfail\w* payment|\bpayment method|\bdeclin", re.IGNORECASE)
FIX_HEADING = re.compile(r"\b(?:fix|update|resolve|pay)\b", re.IGNORECASE)


def _key_facts_said(key_facts: list[Answer], guide: KnowledgeItem | None) -> str:
    """An article's key facts as a paragraph: as they are when they come from the guide the
    draft answers from, else with the guide named ("From our guide "Delete your account and
    workspace": Data is kept for 30 days ...")."""
    said = " ".join(a.for_customer.rstrip(".") + "." for a in key_facts)
    source = key_facts[0].source
    if guide is not None and guide.source.ref == source.ref:
        return said
    return f'From our guide "{source.title}": {said}' if source.title else said


def _answer_sentence(answer: Answer) -> str:
    text = answer.for_customer.rstrip(".") + "."
    if answer.label == "proration":
        return "Here's why the amount is different this time. " + text
    if answer.label == "invoice breakdown":
        return "Here's how it adds up. " + text
    return text


def _meanwhile(context: DraftContext) -> str:
    """An article's key fact that helps while they wait for a colleague ("the lock clears on
    its own after 30 minutes"), as a paragraph; "" when there is none."""
    keys = [a for a in context.brief.answers if a.label == "key fact"] if context.brief else []
    if not keys:
        return ""
    return "\n\nIn the meantime, good to know: " + " ".join(
        a.for_customer.rstrip(".") + "." for a in keys
    )


def _only_out_of_scope(context: DraftContext) -> bool:
    """Handed off only because the question is nothing the team supports."""
    triage = context.triage
    if triage is None or context.brief is None or not context.brief.out_of_scope:
        return False
    reasons = [r.strip() for r in triage.handoff_reason.split(";") if r.strip()]
    if not reasons or not all(r.startswith("out of scope") for r in reasons):
        return False
    # The classifier knows no intent for it; nothing the team wrote covers it either (an
    # enterprise agreement is no intent but the contracts article covers it: not declined).
    asked = " ".join(question_sentences(context.ticket.latest_customer_text)) or (
        context.ticket.latest_customer_text
    )
    known = context.knowledge + context.similar
    return all(
        len(covered_words(asked, f"{k.title} {k.body or k.snippet}")) <= 1
        or coverage(asked, f"{k.title} {k.body or k.snippet}") < OUT_OF_SCOPE_COVERAGE
        for k in known
    )


# The share of a question's words (beyond one) a source may hold and the question still count
# as nothing the team supports.
OUT_OF_SCOPE_COVERAGE = 0.3


OWN_PARAGRAPH = {
    "feature_request": (
        "Thanks for the suggestion, I can see why your team would want it. Could you tell me "
        "a little about how you'd use it day to day? Real examples are what help our product "
        "team weigh a request."
    ),
    "refund_request": (
        "I'm checking the refund for you now and will confirm here as soon as it's processed."
    ),
    "order_status": (
        "Could you send me the reference you have for it (an export, import or request), "
        "and roughly when you started it? Then I can check exactly where it stands."
    ),
}


def _own_paragraph(intent: str, context: DraftContext) -> str:
    """The intent's own paragraph, minding the brief: a refund over the agent's limit is not
    promised (a lead reviews it), a reference the customer gave is not asked for again."""
    brief = context.brief
    eligibility = (
        next((a for a in brief.answers if a.label == "refund eligibility"), None)
        if brief is not None
        else None
    )
    if brief is not None and intent == "refund_request" and brief.refund_over_limit:
        return (
            f"A refund of ${brief.refund_asked:,.2f} is more than I can approve myself, so I've "
            "asked a team lead to review it. You'll hear back from us here once they have."
        )
    if eligibility is not None and intent == "refund_request":
        return eligibility.for_customer
    reference = _given_reference(context) if intent == "order_status" else ""
    if reference:
        return _chased_reference(context, reference)
    earlier = _earlier_tickets(context) if intent == "order_status" else []
    if earlier:
        return _chased_earlier(earlier)
    if intent == "order_status" and brief is not None and brief.times:
        # They said when ("last week"): only the reference is asked for.
        return (
            "Could you send me the reference you have for it (an export, import, order or "
            "ticket number)? Then I can check exactly where it stands."
        )
    return OWN_PARAGRAPH[intent]


# What a reference's prefix says it is, so the draft names it as the customer would.
REFERENCE_KINDS = {
    "ORD": "order number", "PO": "purchase order number", "EXP": "export number",
    "INV": "invoice number", "T": "ticket number",
}  # fmt: skip
# References whose orders an Enterprise account manager follows (see the seat-orders guide).
ACCOUNT_MANAGER_KINDS = frozenset({"ORD", "PO"})


def _given_reference(context: DraftContext) -> str:
    """The order, export, invoice or ticket reference the customer gave ("" if none; an email
    address is no reference): one no record here holds first, which is what they chase."""
    brief = context.brief
    if brief is None:
        return ""
    return next((g for g in [*brief.unrecorded, *brief.given] if "@" not in g), "")


def _chased_reference(context: DraftContext, reference: str) -> str:
    """A customer asking where something stands, with its reference given, and no record of it
    here: the reference acknowledged (never asked for again), no pretence of a status, and
    what happens next: who looks it up, and that the answer comes in this thread."""
    prefix = reference.split("-")[0].upper()
    kind = REFERENCE_KINDS.get(prefix, "reference")
    owner = _account_manager(context) if prefix in ACCOUNT_MANAGER_KINDS else ""
    who = f"your account manager, {owner}," if owner else "the team"
    return (
        f"Thanks for the {kind}, {reference}: I have it, so there's no need to send it again. "
        f"I don't have its status in front of me, so I'm asking {who} to look it up now, and "
        "I'll reply in this thread as soon as I know where it stands and when to expect it."
    )


# "my earlier request", "our previous ticket": what the desk looks up by customer, not asks for.
EARLIER = re.compile(
    r"\b(?:my|our|the|an?)\s+(?:earlier|previous|last|other|original|first|older|open)\s+"
    r"(?:request|ticket|email|e-mail|message|question|case|enquiry|inquiry|issue|report)s?\b|"
    r"\b(?:I|we)\s+(?:opened|raised|filed|submitted|logged|sent\s+in)\s+(?:a|an)\s+"
    r"(?:ticket|request|case)\b",
    re.IGNORECASE,
)
STATUS_SAID = {
    "new": "open", "open": "open", "pending": "waiting on a reply from you",
    "escalated": "with a senior colleague", "solved": "marked solved", "closed": "closed",
}  # fmt: skip


def _earlier_tickets(context: DraftContext) -> list[Ticket]:
    """The customer's earlier tickets (from the desk's own records, by customer), when they
    chase "my earlier request": the open ones first, at most three."""
    if not EARLIER.search(context.ticket.latest_customer_text):
        return []
    opened = context.ticket.created_at
    earlier = [t for t in context.history if t.created_at <= opened]
    earlier.sort(key=lambda t: (not t.status.is_open, -t.created_at.timestamp()))
    return earlier[:3]


def _chased_earlier(earlier: list[Ticket]) -> str:
    """The earlier ticket(s) named with their status, so the customer is never asked for a
    reference the desk holds; with several, which one they mean."""
    said = [
        f'{t.id} "{t.subject}" (opened {t.created_at:%B %-d}, '
        f"{STATUS_SAID.get(t.status.value, t.status.value)})"
        for t in earlier
    ]
    if len(said) == 1:
        return (
            f"I've found your earlier request, {said[0]}. I'm checking where it stands now and "
            "will reply in this thread as soon as I know."
        )
    listed = "\n".join(f"- {s}" for s in said)
    return (
        f"I can see these earlier requests from you:\n{listed}\n\nI'm checking on them now; "
        "if it's one in particular you're waiting on, just say which and I'll start there."
    )


def _account_manager(context: DraftContext) -> str:
    return context.crm.account_owner if context.crm else ""


def _crm_source(context: DraftContext) -> Source:
    ref = context.crm.customer_id if context.crm else ""
    return Source(kind="crm", ref=ref, title="Account manager")


def _typical_times(key_facts: list[Answer]) -> str:
    """The guide's durations, framed as what usually happens, not a promise for this order."""
    title = key_facts[0].source.title
    guide = f' (from our guide "{title}")' if title else ""
    lines = "\n".join(f"- {a.for_customer.rstrip('.')}." for a in key_facts)
    return f"For a sense of timing, this is how long each stage usually takes{guide}:\n{lines}"


def _first_name(context: DraftContext) -> str:
    customer = context.ticket.customer
    if customer and customer.name:
        return customer.name.split()[0]
    return "there"


def _acknowledgement(context: DraftContext) -> str:
    wait = "Sorry for the wait, and thank you for your patience. "
    chasing = context.brief is not None and context.brief.chasing
    mood = _mood(context)
    if chasing and mood.startswith("Sorry for the trouble"):
        return "Sorry for the wait and the trouble, and thanks for the details."  # one apology
    if chasing and mood == "Thanks for getting in touch.":
        return wait.strip()  # their patience is thanked already
    return (wait if chasing else "") + mood


def _urgency(context: DraftContext) -> str:
    """A customer in a hurry ("please help quickly", "work due") hears that it is understood,
    and gets the answer straight after: urgency is answered promptly, not handed off."""
    signals = context.triage.signals if context.triage else []
    return "I can see this is urgent, so I'll get straight to it." if "urgent" in signals else ""


def _mood(context: DraftContext) -> str:
    sentiment = context.triage.sentiment if context.triage else context.ticket.sentiment
    if sentiment is Sentiment.ANGRY:
        return "I'm sorry, this has clearly been frustrating, and I want to put it right."
    if sentiment is Sentiment.NEGATIVE:
        return "Sorry for the trouble, and thanks for the details."
    return "Thanks for getting in touch."


def _waits_on_us(context: DraftContext) -> bool:
    """The answer says we are looking it up, asks for a reference, or a lead reviews: "let me
    know if that sorts it" would not fit."""
    brief = context.brief
    intent = context.triage.intent if context.triage else context.ticket.intent
    if brief is None:
        return False
    refund_review = intent == "refund_request" and (
        brief.refund_over_limit or brief.refund_allowed is False
    )
    # An order asked about: we look it up, or we asked them for its reference.
    return refund_review or intent == "order_status"


def _closing(context: DraftContext) -> str:
    if _bug_reported(context) and not (context.brief and context.brief.how_to):
        return "I'll keep you posted on the fix; reply here if anything changes in the meantime."
    return "Let me know if that sorts it, or if anything is unclear."


def _facts_for(intent: str, context: DraftContext) -> list[Fact]:
    wanted: tuple[str, ...]
    if intent == "invoice_discrepancy":
        wanted = ("proration", "invoice")
    elif intent in BILLING_INTENTS:
        wanted = ("invoice", "plan") if intent == "refund_request" else ("plan", "invoice")
    elif intent == "feature_request":
        # A suggestion is no bug report: a known bug sharing its words ("CSV export") is no
        # answer to "can exports include custom fields?".
        wanted = ()
    elif intent == "bug_report" or _reports_a_problem(context):
        wanted = ("known bug",)
    else:
        # "Is there a Salesforce integration and how do I set it up?" reports nothing broken:
        # a known bug sharing its words (the Salesforce OAuth one) answers no question of theirs.
        wanted = ()
    chosen = [f for label in wanted for f in context.facts if f.label == label]
    if intent == "invoice_discrepancy" and any(f.label == "proration" for f in chosen):
        chosen = [f for f in chosen if f.label == "proration"][:1] + [
            f for f in chosen if f.label == "invoice"
        ][:1]
    return chosen[:3]


# What a customer reporting a problem says ("it rejects my password", "the page is blank").
PROBLEM_SAID = re.compile(
    r"\b(?:error|fail\w*|broken|break\w*|blank|empty|missing|stuck|freez\w*|crash\w*|slow|wrong|"
    r"issue|problem|bug|glitch|not|never|no longer|stopped|keeps?|won'?t|can'?t|cannot|"
    r"\w+n['’]t|reject\w*|lost|disappear\w*|unable)\b",
    re.IGNORECASE,
)


def _reports_a_problem(context: DraftContext) -> bool:
    """The customer says something is wrong, not only asks how or whether: a known bug may be
    their problem."""
    return bool(PROBLEM_SAID.search(latest_question(context.ticket)))


def _bug_reported(context: DraftContext) -> bool:
    intent = context.triage.intent if context.triage else context.ticket.intent
    return bool(context.bugs) and (intent == "bug_report" or _reports_a_problem(context))


WORKAROUND = re.compile(r"\s*Workaround: (.*)$", re.S)
SAID_BY_STEPS = 0.6  # the share of a workaround's words the guide's steps must hold


def _without_workaround_in(paragraph: str, steps: str) -> str:
    """A known bug's paragraph without its workaround when the guide's steps below say the
    same, in more detail: the customer reads it once."""
    found = WORKAROUND.search(paragraph)
    if found is None or not paragraph.startswith("This is a known issue"):
        return paragraph
    if coverage(found.group(1), steps) < SAID_BY_STEPS:
        return paragraph
    return paragraph[: found.start()].rstrip(".") + "."


def _fact_sentence(fact: Fact) -> str:
    if fact.label == "proration":
        return "Here's why the amount is different this time. " + fact.text.rstrip(".") + "."
    if fact.label == "known bug":
        return (
            "This is a known issue our engineers are working on. "
            + fact.text.replace("Known bug ", "Reference ").rstrip(".")
            + "."
        )
    if fact.label == "plan":
        return "For reference, here's your current plan. " + fact.text.rstrip(".") + "."
    return fact.text.rstrip(".") + "."


# Hand-off reasons that only say the intent classifier does not know the question; the others
# keep the holding reply, except in an inbox the two below.
UNKNOWN_QUESTION = ("out of scope", "intent confidence")
# A human-only intent in an inbox: the human who takes it starts from what their team says to
# such customers (a complaint on social gets the team's apology and move to DM), not a
# holding reply promising a colleague.
HUMAN_ONLY = "is handled by humans only"
# Anger alone: the inbox's team answers angry customers every day, and its answer is the model
# (the agent still sees the hand-off flag). Legal words or distress keep the holding reply.
ANGER_ONLY = "emotionally charged"
NEEDS_A_HUMAN_SIGNALS = frozenset({"legal", "distressed"})


def _team_answer(context: DraftContext, agent: str) -> Candidate | None:
    """For a ticket handed off only because its question is unknown to the classifier: the
    adapted reply of this inbox's team to similar conversations, if it has answered some."""
    triage = context.triage
    inbox = inbox_of(context.ticket)
    if triage is None or not inbox:
        return None
    reasons = [r.strip() for r in triage.handoff_reason.split(";") if r.strip()]
    angry_only = not NEEDS_A_HUMAN_SIGNALS & set(triage.signals)
    if not reasons or not all(
        r.startswith(UNKNOWN_QUESTION)
        or r.endswith(HUMAN_ONLY)
        or (angry_only and r.startswith(ANGER_ONLY))
        for r in reasons
    ):
        return None
    found = [c for c in candidates(context, agent) if c.item.inbox == inbox]
    return consensus(found)


KEPT_WHOLE = 0.8  # the share of a past reply that must survive adaptation, outside an inbox


def _adaptable_reply(context: DraftContext, agent: str) -> Candidate | None:
    """The past reply to build on, adapted to this customer (see copilot.adapt). In an inbox,
    the one its similar answered conversations agree on. Elsewhere, among replies to the same
    need (answered tickets of the triage's intent, when there are some), those whose question is
    close to this one's, as ``choose_exemplar`` picks; never for a question about the
    customer's own records (another customer's reply says nothing true about them)."""
    found = candidates(context, agent)
    inbox = inbox_of(context.ticket)
    if inbox and any(c.item.inbox == inbox for c in found):
        return consensus(found)
    intent = context.triage.intent if context.triage else context.ticket.intent
    if intent in OWN_RECORD_INTENTS:
        return None
    question = latest_question(context.ticket)
    if intent and any(c.item.intent == intent for c in found):
        found = [c for c in found if c.item.intent == intent]
    found = [
        c
        for c in found
        if _kept_whole(c)
        and not _about_something_else(
            c.item, c.text, question, by_subject=not _the_intents_answer(c, found)
        )
    ]
    chosen = choose_exemplar(question, [c.item.model_copy(update={"body": c.text}) for c in found])
    if chosen is None:
        return None
    return next(c for c in found if c.item.source.ref == chosen.source.ref)


def _sources(candidate: Candidate) -> list[Source]:
    """The past replies a draft is built from: the one it adapts, and any it took sentences
    from (see ``copilot.adapt.compose``)."""
    return [item.source for item in candidate.items]


def _kept_whole(candidate: Candidate) -> bool:
    """Outside an inbox's own voice, a past reply is reused only when adapting it changed
    names and numbers, not its substance: one whose sentences about the other customer had to
    go (what was done for them) reads as a fragment, and the article's answer is better."""
    original = _reply_body(candidate.item.body) or candidate.item.body
    return len(candidate.text) >= KEPT_WHOLE * len(original)


# A reply this close (rapidfuzz ratio) to half the others of its intent is that intent's answer.
SAME_ANSWER = 80


def _the_intents_answer(candidate: Candidate, same_intent: list[Candidate]) -> bool:
    """The team gives this reply to most questions of its intent (one answer whatever the
    wording: "track your order in Order History" for "where is purchase 0012?" and "I try to
    locate oder 0012"): the intent, not the subject, says it fits."""
    others = [c for c in same_intent if c is not candidate]
    if len(others) < 2:
        return False
    close = sum(fuzz.ratio(candidate.text, o.text) >= SAME_ANSWER for o in others)
    return 2 * close >= len(others)


def _about_something_else(
    item: KnowledgeItem, reply: str, question: str, by_subject: bool = True
) -> bool:
    """The past reply names a thing its own question named and this one does not ("Jira"
    for a question about Slack), or (``by_subject``) what its question and it were about (the
    words they share: "timeline view", "login") is nowhere in this question ("SSO on Pro", "it
    rejects my password"): it answers a different question, whatever intent the two share."""
    asked = _words(question)
    named_in_reply = {w.lower() for w in re.findall(r"\b[A-Z][\w'-]{2,}", reply)}
    if (named_in_reply & _words(item.question)) - asked - COMMON_WORDS:
        return True
    if not by_subject:
        return False
    subject = _subject_stems(item.question) & _subject_stems(_reply_body(reply) or reply)
    return bool(subject) and not subject & _subject_stems(question)


# Words that say nothing of what a question is about ("thanks", "need", "help", "account").
NOT_A_SUBJECT = frozenset(
    {
        "thanks", "please", "help", "need", "want", "would", "like", "have", "with", "from",
        "about", "there", "their", "this", "that", "your", "just", "know", "some", "they",
        "them", "been", "will", "what", "when", "where", "which", "could", "should", "does",
        "doing", "getting", "make", "able", "into", "also", "then", "than", "here", "sure",
        "account", "team", "support", "hello", "hiya", "regards", "best", "great", "still",
        "again", "today", "soon", "quick", "quickly", "really", "much", "many", "more", "ever",
        "very", "only", "other", "anything", "something", "using", "advance", "appreciate",
        "considering", "though", "everyone", "anyone", "someone", "thing", "things",
    }
)  # fmt: skip


def _subject_stems(text: str) -> set[str]:
    """The words of ``text`` that can say what it is about, cut to five letters ("passwords",
    "password" alike), without greetings, thanks and the words every question has."""
    stems = {w[:5] for w in _words(text) if len(w) > 3}
    return stems - {w[:5] for w in NOT_A_SUBJECT | COMMON_WORDS}


APOLOGY_SAID = re.compile(
    r"\b(?:sorry|apolog\w*)\b[^.!?\n]*\b(?:wait\w*|delay\w*|slow|late|response|reply|getting back)",
    re.IGNORECASE,
)
PATIENCE_THANKED = re.compile(r"\bthanks?(?: you)? for (?:your|the) patience\b", re.IGNORECASE)
LEADING_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening))\b", re.I
)


def _as_the_brief_says(text: str, original: str, context: DraftContext) -> str:
    """A reused reply minding the brief as a written draft does: it greets this customer when
    the team's reply greeted its own (an adapted reply may lose the line naming the other
    customer), and it apologises for the wait first when they chased or the SLA ran out (a
    social reply, "@handle ...", keeps the team's words)."""
    greeting = LEADING_GREETING.match(original.strip())
    paragraphs = text.strip().split("\n\n")
    greeted = bool(LEADING_GREETING.match(paragraphs[0]))
    if greeting and not greeted:
        word = greeting.group(1)
        paragraphs.insert(0, f"{word[0].upper()}{word[1:]} {_first_name(context)},")
        greeted = True
    brief = context.brief
    if brief is None or not brief.chasing or APOLOGY_SAID.search(text):
        return "\n\n".join(paragraphs)
    if re.match(r"@\w", paragraphs[0]):
        # A social reply ("@handle ..."): the team's words only (a composed tweet is made of
        # their sentences), and these teams seldom apologise for a wait in a tweet.
        return "\n\n".join(paragraphs)
    thanked = PATIENCE_THANKED.search(text)
    apology = (
        "Sorry for the wait." if thanked else "Sorry for the wait, and thank you for your patience."
    )
    paragraphs.insert(1 if greeted else 0, apology)
    return "\n\n".join(paragraphs)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z][\w'-]*", text)}


def _readdressed(reply: str, first_name: str, agent_name: str) -> str:
    """A past reply greeting this customer and signed by this agent."""
    paragraphs = reply.strip().split("\n\n")
    paragraphs[0] = GREETING.sub(lambda m: f"{m.group(1)} {first_name},", paragraphs[0], count=1)
    last = paragraphs[-1].splitlines()
    # "Best,\nSam Whitfield\nAcme Cloud Support": the other agent's name is this agent's; the
    # team's line under it stays.
    if len(last) >= 2 and SIGN_OFF.match(last[0]) and len(paragraphs) > 1:
        paragraphs[-1] = "\n".join([last[0], agent_name, *last[2:]])
    return "\n\n".join(paragraphs)


def _reply_body(reply: str) -> str:
    """A sent reply without its greeting and sign-off."""
    paragraphs = [p.strip() for p in reply.split("\n\n") if p.strip()]
    if paragraphs and re.match(r"^(hi|hello|hey|dear)\b", paragraphs[0], re.I):
        paragraphs = paragraphs[1:]
    # A short last paragraph is a sign-off; one reply of a single paragraph is all answer.
    while len(paragraphs) > 1 and (
        len(paragraphs[-1]) < 60 or (SIGN_OFF.match(paragraphs[-1]) and len(paragraphs[-1]) < 120)
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def _steps(markdown: str, context: DraftContext) -> str:
    title = next((line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")), "")
    lists = _numbered_lists(markdown)
    # The list under the heading that names what is asked ("## Import" for "how can I import
    # ..."), else the first: an article may open with how to prepare, then how to do it.
    asked = {w[:4] for w in _words(latest_question(context.ticket)) if len(w) > 3} - COMMON_WORDS
    named = [steps for heading, steps in lists if asked & {w[:4] for w in _words(heading)}]
    if _payment_failed(context):  # how to fix it, not what happens next
        named = [steps for heading, steps in lists if FIX_HEADING.search(heading)] + named
    steps = named[0] if named else (lists[0][1] if lists else [])
    if not steps:
        return ""
    tried = _tried_steps(context)
    fresh = [step for step in steps[:7] if not already_tried(step, tried)]
    listed = [f"{n}. {step}" for n, step in enumerate(fresh, start=1)]
    guide = f' (from our guide "{title}")' if title else ""
    return f"Here's what to do{guide}:\n" + "\n".join(listed)


def _numbered_lists(markdown: str) -> list[tuple[str, list[str]]]:
    """Each numbered list of an article with the heading it sits under."""
    lists: list[tuple[str, list[str]]] = []
    heading = ""
    steps: list[str] = []
    for line in markdown.splitlines():
        match = NUMBERED.match(line)
        if match:
            steps.append(plain(match.group(1)).strip())
        elif steps and line.startswith((" ", "\t")) and line.strip():
            steps[-1] += " " + plain(line.strip())  # a step continued
        elif line.strip():
            if steps:
                lists.append((heading, steps))
                steps = []
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
    if steps:
        lists.append((heading, steps))
    return lists


def _tried_steps(context: DraftContext) -> list[str]:
    if context.brief is not None:
        return context.brief.tried
    page = context.ticket.page_context
    return page.steps_attempted if page else []


def _already_tried(context: DraftContext) -> str:
    steps = _tried_steps(context)
    if not steps:
        return ""
    said = "; ".join(s.rstrip(".") for s in steps)
    stop = "" if said.endswith(("?", "!")) else "."  # "Used Forgot password?" ends already
    return f"I can see you've already tried: {said}{stop} Thanks, that saves a few steps."


def _ask_for_details(context: DraftContext) -> str:
    """What to ask when nothing here answers: never what they gave (a time, a screenshot)."""
    wanted = ["what you were trying to do"]
    attached = any(m.attachments for m in context.ticket.messages)
    wanted.append("what you saw" if attached else "what you saw (a screenshot helps)")
    if context.brief is None or not context.brief.times:
        wanted.append("roughly when it happened")
    listed = (
        ", ".join(wanted[:-1]) + f", and {wanted[-1]}"
        if len(wanted) > 2
        else (" and ".join(wanted))
    )
    return f"So I can look into this properly, could you tell me a little more: {listed}?"
