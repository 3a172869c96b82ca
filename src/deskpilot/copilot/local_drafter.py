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

from deskpilot.copilot.context import DraftContext, Fact, KnowledgeItem
from deskpilot.copilot.exemplars import choose_exemplar
from deskpilot.models import Sentiment, Source

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
# Amounts, addresses, long numbers (orders, phones), references: in a past reply they may be
# another customer's. Small numbers ("within 24 hours", "step 2") are how the team talks.
DETAIL = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|[$€£]\s?\d[\d,.]*|\d[\d,.]*\s?(?:USD|EUR|GBP)"
    r"|\b\d{4,}\b|\b[A-Z]{2,}-\d+\b"
)
# "I've refunded / reset / unlocked ...": true of that ticket, and nothing the co-pilot did here.
DONE_FOR_THEM = re.compile(
    r"\b(?:I|we)(?:'ve| have)\s+(?:just\s+|now\s+|already\s+)?(?:cleared|refunded|reset|issued|"
    r"switched|changed|updated|sent|credited|cancell?ed|unlocked|removed|added|processed|"
    r"applied|restored|extended|upgraded|downgraded|moved|merged|fixed|deleted|re-?sent|enabled|"
    r"disabled|waived|escalated|forwarded)\b",
    re.IGNORECASE,
)
GREETING = re.compile(r"^(hi|hello|hey|dear)\b[^,\n]*,", re.I)
SIGN_OFF = re.compile(r"^(best|cheers|thanks|kind regards|regards|all the best|warmly)\b", re.I)


@dataclass
class Composition:
    text: str
    sources: list[Source] = field(default_factory=list)
    grounded: bool = False  # at least one fact, article or approved reply carried the answer
    whole_reply: bool = False  # the text is a past reply, greeting and sign-off included


class LocalDrafter:
    name = "local"
    model = ""
    prompt_version = PROMPT_VERSION

    def __init__(self, agent_name: str) -> None:
        self.agent_name = agent_name

    async def stream(self, context: DraftContext) -> AsyncIterator[str]:
        text = self.compose(context).text
        for paragraph in text.split("\n\n"):
            yield paragraph + "\n\n"

    def compose(self, context: DraftContext) -> Composition:
        if context.triage and context.triage.handoff:
            return self._holding_reply(context)
        body = self._answer(context)
        if body.whole_reply:
            # An agent-approved reply carried the whole answer: send it in the team's own words,
            # only the names changed.
            return Composition(
                _readdressed(body.text, _first_name(context), self.agent_name),
                body.sources,
                body.grounded,
            )
        greeting = f"Hi {_first_name(context)},"
        parts = [greeting, _acknowledgement(context), body.text, _closing(context)]
        text = "\n\n".join(p for p in parts if p) + f"\n\nBest,\n{self.agent_name}"
        return Composition(text, body.sources, body.grounded)

    # --- the answer ------------------------------------------------------------------------

    def _answer(self, context: DraftContext) -> Composition:
        intent = context.triage.intent if context.triage else context.ticket.intent or ""
        paragraphs: list[str] = []
        sources: list[Source] = []
        facts = _facts_for(intent, context)
        for fact in facts:
            paragraphs.append(_fact_sentence(fact))
            sources.append(fact.source)
        reply = _adaptable_reply(context)
        article = context.knowledge[0] if context.knowledge else None
        wants_steps = intent in STEP_INTENTS and (not facts or intent == "bug_report")
        tried = _already_tried(context)
        if reply is not None and not facts and not tried and intent not in OWN_PARAGRAPH:
            return Composition(reply.body.strip(), [reply.source], True, whole_reply=True)
        if reply is not None and not facts:
            paragraphs.append(_reply_body(reply.body))
            sources.append(reply.source)
        elif wants_steps and article is not None and article.source.kind == "article":
            steps = _steps(article.body, context)
            if steps:
                paragraphs.append(steps)
                sources.append(article.source)
        if intent in OWN_PARAGRAPH:
            paragraphs.append(OWN_PARAGRAPH[intent])
        if tried:
            paragraphs.insert(0, tried)
        # A paragraph of its own makes no claim (it thanks, or asks), so it needs no source.
        grounded = bool(sources) or intent in OWN_PARAGRAPH
        if not grounded:
            paragraphs.append(_ask_for_details(context))
        return Composition("\n\n".join(paragraphs), sources, grounded)

    def _holding_reply(self, context: DraftContext) -> Composition:
        intent = context.triage.intent if context.triage else "your request"
        topic = TOPICS.get(intent, intent.replace("_", " "))
        text = (
            f"Hi {_first_name(context)},\n\n{_acknowledgement(context)}\n\n"
            f"I want to make sure you get the right answer on this, so I'm bringing in a "
            f"colleague who looks after {topic}. They will have everything you've told us, "
            "so you won't need to repeat yourself, and they'll be in touch shortly."
            f"\n\nBest,\n{self.agent_name}"
        )
        return Composition(text, [], grounded=False)


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


def _first_name(context: DraftContext) -> str:
    customer = context.ticket.customer
    if customer and customer.name:
        return customer.name.split()[0]
    return "there"


def _acknowledgement(context: DraftContext) -> str:
    sentiment = context.triage.sentiment if context.triage else context.ticket.sentiment
    if sentiment is Sentiment.ANGRY:
        return "I'm sorry, this has clearly been frustrating, and I want to put it right."
    if sentiment is Sentiment.NEGATIVE:
        return "Sorry for the trouble, and thanks for the details."
    return "Thanks for getting in touch."


def _closing(context: DraftContext) -> str:
    if context.bugs:
        return "I'll keep you posted on the fix; reply here if anything changes in the meantime."
    return "Let me know if that sorts it, or if anything is unclear."


def _facts_for(intent: str, context: DraftContext) -> list[Fact]:
    wanted: tuple[str, ...]
    if intent == "invoice_discrepancy":
        wanted = ("proration", "invoice")
    elif intent in BILLING_INTENTS:
        wanted = ("invoice", "plan") if intent == "refund_request" else ("plan", "invoice")
    else:
        wanted = ("known bug",)
    chosen = [f for label in wanted for f in context.facts if f.label == label]
    if intent == "invoice_discrepancy" and any(f.label == "proration" for f in chosen):
        chosen = [f for f in chosen if f.label == "proration"][:1] + [
            f for f in chosen if f.label == "invoice"
        ][:1]
    return chosen[:3]


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


def _adaptable_reply(context: DraftContext) -> KnowledgeItem | None:
    """The past reply to build on: among similar tickets' sent replies that hold nothing about
    that other customer (no amounts, addresses or names of theirs, nothing done for them),
    preferring replies to the same intent, the one agents agree on most."""
    pool = [
        (item, body, set(DETAIL.findall(body)))
        for item in context.exemplars or context.similar
        if (body := _reply_body(item.body))
    ]
    # A detail past replies to several customers share is the team's own (a support address,
    # a phone line, a list price); one that only one customer's replies hold is theirs.
    customers_with: dict[str, set[str]] = {}
    for item, _body, details in pool:
        for detail in details:
            customers_with.setdefault(detail, set()).add(item.customer or item.source.ref)
    question = context.ticket.latest_customer_text  # a follow-up's question, not the first one
    candidates = [
        item
        for item, body, details in pool
        if all(len(customers_with[d]) >= 2 for d in details)
        and not _mentions(body, item.foreign_words)
        and not DONE_FOR_THEM.search(body)
        and not _about_something_else(item, body, question)
    ]
    # Replies to the same need only, when answered tickets share the triage's intent: another
    # intent's reply (however similar its words) answers another question.
    intent = context.triage.intent if context.triage else context.ticket.intent
    if intent in OWN_RECORD_INTENTS:
        return None
    if intent and any(item.intent == intent for item, _body, _details in pool):
        candidates = [item for item in candidates if item.intent == intent]
    return choose_exemplar(question, candidates)


def _about_something_else(item: KnowledgeItem, reply: str, question: str) -> bool:
    """The past reply names a thing its own question named and this one does not ("Jira"
    for a question about Slack): it answers a different question."""
    asked = _words(question)
    named_in_reply = {w.lower() for w in re.findall(r"\b[A-Z][\w'-]{2,}", reply)}
    return bool((named_in_reply & _words(item.question)) - asked - COMMON_WORDS)


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z][\w'-]*", text)}


def _mentions(text: str, words: list[str]) -> bool:
    found = {w.lower() for w in re.findall(r"[A-Za-z][\w'-]*", text)}
    return any(word.lower() in found for word in words)


def _readdressed(reply: str, first_name: str, agent_name: str) -> str:
    """A past reply greeting this customer and signed by this agent."""
    paragraphs = reply.strip().split("\n\n")
    paragraphs[0] = GREETING.sub(lambda m: f"{m.group(1)} {first_name},", paragraphs[0], count=1)
    last = paragraphs[-1].splitlines()
    if len(last) == 2 and SIGN_OFF.match(last[0]) and len(paragraphs) > 1:
        paragraphs[-1] = f"{last[0]}\n{agent_name}"
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
    steps: list[str] = []
    for line in markdown.splitlines():
        match = NUMBERED.match(line)
        if match:
            steps.append(match.group(1).replace("**", "").strip())
        elif steps and line.startswith((" ", "\t")) and line.strip():
            steps[-1] += " " + line.strip().replace("**", "")  # a step continued
        elif steps and line.strip():
            break
    if not steps:
        return ""
    tried = {s.lower() for s in _tried_steps(context)}
    listed = [
        f"{n}. {step}" for n, step in enumerate(steps[:7], start=1) if step.lower() not in tried
    ]
    guide = f' (from our guide "{title}")' if title else ""
    return f"Here's what to do{guide}:\n" + "\n".join(listed)


def _tried_steps(context: DraftContext) -> list[str]:
    page = context.ticket.page_context
    return page.steps_attempted if page else []


def _already_tried(context: DraftContext) -> str:
    steps = _tried_steps(context)
    if not steps:
        return ""
    said = "; ".join(s.rstrip(".") for s in steps)
    return f"I can see you've already tried: {said}. Thanks, that saves a few steps."


def _ask_for_details(context: DraftContext) -> str:
    return (
        "So I can look into this properly, could you tell me a little more: what you were "
        "trying to do, what you saw (a screenshot helps), and roughly when it happened?"
    )
