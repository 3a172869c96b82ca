"""The case brief: what the customer asks, gave, tried and how long they waited, read once.

Both drafters and the agent read the same brief, so a draft answers the question actually asked
(the latest customer messages, not only the first), never asks for what the customer already
gave, never repeats a step they tried (matched by meaning: "turned off my ad blocker" is the
step "Disable ad blockers"), apologises when the customer is chasing or the SLA is breached, and
never promises a refund over the agent's limit (a lead reviews it instead).

The brief also carries what the records answer (``answers``: the next charge date, what an
invoice adds up to and why, whether a refund is within policy and the agent's limit, an
article's key fact such as how long a lock lasts; computed in ``copilot.facts``), whether the
question is out of scope, and ``measure_draft``: a draft's confidence from how much of the
question those answers and the draft's sources cover, apart from the intent's confidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from deskpilot.config import SlaSettings
from deskpilot.models import Author, Channel, Message, Source, Ticket
from deskpilot.queue.sla import target

SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
QUESTION_START = re.compile(
    r"^(?:how|what|when|where|why|which|who|can|could|would|will|is|are|do|does|did|should|"
    r"may|have|has)\b",
    re.IGNORECASE,
)
# What a customer gives to be looked up: order, invoice and ticket references whole
# ("INV-2026-000038", "ord-49264": a prefix and a number of three digits or more, so "UTF-8" is
# none), other long numbers, "#1234".
REFERENCE = re.compile(
    r"\b(?:(?i:[a-z]{2,})|[A-Z])(?:-[A-Za-z\d]+)*-\d{3,}\b|\b[A-Z]*\d[A-Z\d-]{5,}\b|#\d{3,}\b"
)
# When something happened, as customers say it ("this morning", "since Monday", "two days
# ago", "at 9:30"): given, so a draft does not ask "roughly when?".
WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
TIME_GIVEN = re.compile(
    rf"\b(?:yesterday|today|tonight|this (?:morning|afternoon|evening|week|month)|"
    rf"last (?:night|week|month|{WEEKDAY})|(?:on|since|last) (?:the )?(?:{WEEKDAY}|weekend)|"
    rf"(?:about |around )?(?:\d+|an?|one|two|three|four|five|a few|a couple of) "
    rf"(?:minutes?|hours?|days?|weeks?) ago|(?:at|since|around) "
    rf"(?:\d{{1,2}}:\d{{2}}(?:\s*[ap]m)?|\d{{1,2}}\s*[ap]m)|since the last update)\b",
    re.IGNORECASE,
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # "ruth@x.io." gave "ruth@x.io"
MONEY = re.compile(r"[$€£]\s?(\d[\d,]*(?:\.\d{1,2})?)")
TRIED = re.compile(
    r"\b(?:I|we)(?:'ve| have)?\s+(?:already\s+|also\s+|even\s+)?(?:tried|cleared|disabled|"
    r"turned off|paused|switched off|removed|deleted|restarted|reset|reinstalled|updated|"
    r"logged out|signed out|rebooted|switched|reloaded|refreshed|used|followed)\b"
    # "We switched to Pro on September 20" is a plan change, not a step they tried.
    r"(?!\s+(?:to|from)\s+(?:the\s+)?(?:pro|starter|free|enterprise|business|team|annual|"
    r"monthly|yearly)\b)[^.!?\n]*",
    re.IGNORECASE,
)
# Words that carry a step's meaning, and the ones that mean the same ("turn off" is "disable").
SAME_MEANING = {
    "turn off": "disable", "turned off": "disable", "turning off": "disable",
    "switch off": "disable", "switched off": "disable", "switching off": "disable",
    "disabled": "disable", "disabling": "disable", "deactivate": "disable",
    "deactivated": "disable", "pause": "disable", "paused": "disable", "pausing": "disable",
    "cleared": "clear", "clearing": "clear", "empty": "clear", "emptied": "clear",
    "deleted": "clear", "restarted": "restart", "restarting": "restart", "reboot": "restart",
    "rebooted": "restart", "relaunch": "restart", "signed out": "log out",
    "sign out": "log out", "signing out": "log out", "logged out": "log out",
    "logging out": "log out", "reinstalled": "reinstall", "updated": "update",
    "reloaded": "reload", "reloading": "reload", "refresh": "reload", "refreshed": "reload",
    "refreshing": "reload", "hard reload": "reload", "incognito": "private",
    "adblock": "ad blocker", "ad-blocker": "ad blocker", "adblocker": "ad blocker",
    "blockers": "blocker", "cookies": "cache", "cached": "cache",
}  # fmt: skip
# A message that chases an earlier one ("Hello? It's been a while.", "any news??").
FOLLOW_UP = re.compile(
    r"(?:^|\s)(?:hello|hi|anyone)\s*\?|\b(?:any (?:update|news)|still waiting|heard nothing|"
    r"no reply|no response|it's been|been a while|chasing|following up|follow(?:ing)?-up|"
    r"follow up|bumping|get back to me|anyone looking|still the same)\b",
    re.IGNORECASE,
)
# A sentence that asks for something without a question mark: "please refund INV-1", "Let me
# know what happens to our data.", "I'd like to understand before we pay.", "something doesn't
# add up".
REQUEST = re.compile(
    r"^(?:(?:so|and|but)\s+)?(?:please|kindly|let me know|tell me|i'?d like|i would like|"
    r"we'?d like|we would like|i need|we need|i want|we want|i expect|we expect)\b|"
    r"\bplease\s+(?!help\b)[a-z]+|\b(?:doesn'?t|does not|don'?t) add up\b|"
    r"\b(?:don'?t|do not) understand\b|\bnot sure why\b",
    re.IGNORECASE,
)
# Asking how to do something: "how can I ...", "where do I download ...", "what's the best way
# to export ...".
HOW_TO_ASKED = (
    r"how\s+(?:can|do|would|should|could)\s+(?:i|we|you)|how\s+to|is\s+there\s+a\s+way|"
    r"where\s+(?:can|do)\s+(?:i|we)\s+(?:find|change|set|download|get|see|update|add|export|"
    r"invite|cancel|turn)|(?:what'?s|what\s+is)\s+the\s+(?:best\s+|right\s+)?way\s+to"
)
HOW_TO = re.compile(rf"^(?:\w+[,!]?\s+)?(?:{HOW_TO_ASKED})\b", re.IGNORECASE)
# A how-to after the context that leads to it ("Our card expires at the end of the month, where
# do I change it?"); not one joined to another question ("Is there a Salesforce integration and
# how do I set it up?" asks first whether there is one).
HOW_TO_CLAUSE = re.compile(rf"[,;:–—-]\s*(?:\w+[,!]?\s+)?(?:{HOW_TO_ASKED})\b", re.IGNORECASE)
# The same anywhere in a sentence ("Planning to cancel next month – what's the best way to
# export everything?"): a record's computed answer never says how to do something.
HOW_TO_INSIDE = re.compile(rf"\b(?:{HOW_TO_ASKED})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """What a record (or an article's key fact) says in answer to the question, with its
    source: a draft states it first."""

    label: str  # "next charge", "invoice breakdown", "proration", "refund eligibility", "key fact"
    text: str  # for the agent and the model's prompt
    source: Source
    reply: str = ""  # the same for the customer, where the agent's words differ (limits)

    @property
    def for_customer(self) -> str:
        return self.reply or self.text


@dataclass(frozen=True)
class CaseBrief:
    questions: list[str] = field(default_factory=list)  # what they ask now, in their words
    given: list[str] = field(default_factory=list)  # references and addresses they gave
    times: list[str] = field(default_factory=list)  # when it happened, as they said it
    tried: list[str] = field(default_factory=list)  # steps they already took
    follow_ups: int = 0  # customer messages since the first unanswered one
    waited: timedelta = timedelta(0)  # since their first unanswered message
    sla_breached: bool = False
    refund_asked: float | None = None  # the largest amount they name, when they want money back
    refund_limit: float | None = None  # the agent's limit per refund
    channel: Channel = Channel.EMAIL
    answers: list[Answer] = field(default_factory=list)  # what the records answer (see facts)
    # The refund they ask for, checked against the refund policy and the agent's limit: None
    # when no refund is asked or no invoice was found to check.
    refund_allowed: bool | None = None
    out_of_scope: bool = False  # nothing the team supports: decline politely
    # References they gave that no record here holds ("ORD-49264" with no order system): a
    # draft states no status for them, only who looks them up and that the answer follows.
    unrecorded: list[str] = field(default_factory=list)

    @property
    def how_to(self) -> bool:
        """They ask how to do something: a help article answers it, not a known bug."""
        return any(HOW_TO.match(q) or HOW_TO_CLAUSE.search(q) for q in self.questions)

    @property
    def chasing(self) -> bool:
        """They wrote again before anyone answered, said so, or the SLA ran out."""
        return self.follow_ups > 0 or self.sla_breached

    @property
    def refund_over_limit(self) -> bool:
        return (
            self.refund_asked is not None
            and self.refund_limit is not None
            and self.refund_asked > self.refund_limit
        )

    @property
    def plain_text(self) -> bool:
        """Email, chat, web-form and phone replies are shown as written: no Markdown markup."""
        return self.channel is not Channel.API  # an API client may render Markdown itself

    def lines(self) -> list[str]:
        """The brief as the agent (and a model's prompt) reads it."""
        out = [f"Asks: {q}" for q in self.questions]
        out += [f"Records answer ({a.label}): {a.text}" for a in self.answers]
        if self.out_of_scope:
            out.append("Out of scope: decline politely, say what we do help with; no hand-off")
        if self.given or self.times:
            out.append("Already gave: " + ", ".join(self.given + self.times))
        out += [f"Already tried: {t}" for t in self.tried]
        if self.unrecorded:
            out.append(
                f"No record of {', '.join(self.unrecorded)} here: state no status for it; say "
                "who looks it up and that the answer comes in this thread"
            )
        if self.chasing:
            hours = self.waited.total_seconds() / 3600
            why = [f"{self.follow_ups} follow-up(s)"] if self.follow_ups else []
            why += ["SLA breached"] if self.sla_breached else []
            out.append(f"Chasing: waited {hours:.0f} h, {', '.join(why)}: apologise for the wait")
        if self.refund_allowed is False and not self.refund_over_limit:
            out.append(
                "Refund not allowed to the agent: do not promise it, say a lead will review it"
            )
        if self.refund_over_limit:
            out.append(
                f"Refund of {self.refund_asked:,.2f} is over the agent's limit of "
                f"{self.refund_limit:,.2f}: do not promise it, say a lead will review it"
            )
        return out


def build_brief(
    ticket: Ticket,
    now: datetime,
    sla: SlaSettings | None = None,
    refund_limit: float | None = None,
) -> CaseBrief:
    unanswered = _unanswered(ticket.messages)
    latest = unanswered or [m for m in ticket.messages if m.author is Author.CUSTOMER][-1:]
    text = "\n".join(m.body for m in ticket.messages if m.author is Author.CUSTOMER)
    waited = now - unanswered[0].at if unanswered else timedelta(0)
    follow_ups = max(0, len(unanswered) - 1)
    if not follow_ups and unanswered and FOLLOW_UP.search(unanswered[-1].body):
        follow_ups = 1
    steps = list(ticket.page_context.steps_attempted) if ticket.page_context else []
    steps += [m.group().strip() for m in TRIED.finditer(text)]
    amounts = [float(a.replace(",", "")) for a in MONEY.findall(text)]
    return CaseBrief(
        questions=[q for m in latest for q in asked_sentences(m.body)],
        given=list(dict.fromkeys(REFERENCE.findall(text) + EMAIL.findall(text))),
        times=list(dict.fromkeys(m.group().strip() for m in TIME_GIVEN.finditer(text))),
        tried=list(dict.fromkeys(steps)),
        follow_ups=follow_ups,
        waited=waited,
        sla_breached=bool(unanswered and sla and waited >= target(ticket.priority, sla)),
        refund_asked=max(amounts) if amounts and _wants_money_back(text) else None,
        refund_limit=refund_limit,
        channel=ticket.channel,
    )


def question_sentences(text: str) -> list[str]:
    """The sentences that ask something: ending in "?" or opening like a question."""
    found = []
    for sentence in SENTENCES.split(text):
        sentence = sentence.strip()
        asks = sentence.endswith("?") or (QUESTION_START.match(sentence) and len(sentence) > 12)
        # "Hello?" is chasing, not a question.
        if asks and len(sentence.rstrip("?").split()) >= 2:
            found.append(sentence)
    return found


def asked_sentences(text: str) -> list[str]:
    """What the text asks, in its order: its question sentences and the requests among the
    other sentences (with at least two words that say what: "please help quickly" is none)."""
    found = []
    for sentence in SENTENCES.split(text):
        sentence = sentence.strip()
        if FOLLOW_UP.search(sentence) and len(_content(sentence)) < 2:
            continue  # "Any update on this?" chases; it asks nothing new
        if sentence in question_sentences(sentence) or (
            REQUEST.search(sentence) and len(_content(sentence)) >= 2
        ):
            found.append(sentence)
    return found


def already_tried(step: str, tried: list[str]) -> bool:
    """Whether ``step`` is one of the customer's tried steps, by meaning not exact words ("I
    turned off my ad blocker and cleared the cache" tried "Disable ad blockers" and "Clear your
    browser cache")."""
    # The whole step, or its first clause, the action itself ("Click Forgot password? on the
    # login page" of "... and reset your password"); never a later clause alone ("reload").
    first_clause = re.split(r",|\band\b|\bthen\b|[.?!]\s", step, maxsplit=1, flags=re.I)[0]
    wanted = [w for w in {_meaning(step), _meaning(first_clause)} if w]
    parts = [p for t in tried for p in re.split(r",|\band\b|\bthen\b|\bbut\b", t, flags=re.I)]
    return any(
        (meant := _meaning(part)) and fuzz.token_set_ratio(w, meant) >= 80
        for part in parts
        for w in wanted
    )


def plain(text: str) -> str:
    """Markdown markup taken out, for channels that show the text as written."""
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*|__([^_]+)__", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
    return re.sub(r"^#{1,6}\s+", "", text, flags=re.MULTILINE)


def _meaning(text: str) -> str:
    lowered = text.lower()
    for phrase, same in SAME_MEANING.items():
        lowered = re.sub(rf"\b{re.escape(phrase)}\b", same, lowered)
    words = re.findall(r"[a-z]+", lowered)
    ignore = {
        "i", "we", "ve", "have", "already", "tried", "my", "the", "your", "a", "an", "it",
        "for", "site", "browser", "our", "to", "also", "or", "even", "click", "tap", "use",
        "used", "using", "on", "of",
    }  # fmt: skip
    return " ".join(w for w in words if w not in ignore)


def _unanswered(messages: list[Message]) -> list[Message]:
    since: list[Message] = []
    for message in messages:
        if message.author is Author.AGENT:
            since = []
        elif message.author is Author.CUSTOMER:
            since.append(message)
    return since


def _wants_money_back(text: str) -> bool:
    return bool(re.search(r"\brefund|money back|reimburse|charge(?:d)? back\b", text, re.I))


# --- the draft's own confidence -----------------------------------------------------------------

# How far each kind of source is trusted to answer a question it covers: a record's computed
# answer most, then the help article, a known bug, a past reply of the team's.
SOURCE_WEIGHT = {"billing": 1.0, "crm": 1.0, "article": 0.9, "fact": 0.9, "bug": 0.75}
REPLY_WEIGHT = 0.7  # a past reply, when its agreement with the team's others is not known
DECLINE_CONFIDENCE = 0.6  # a polite out-of-scope decline: right to send, needs no source
COVERED = 0.34  # the share of a question's words a source must hold to count as answering it


@dataclass(frozen=True)
class DraftMeasure:
    """A draft's confidence (0..1) and, in words, what it rests on."""

    score: float
    basis: str


def measure_draft(
    brief: CaseBrief | None,
    supports: Sequence[tuple[Source, str]],
    *,
    asked: str = "",
    reply_agreement: float | None = None,
    declined: bool = False,
) -> DraftMeasure:
    """How much of the question the draft's sources answer, weighted by the kind of source.

    Each question (the brief's question sentences, else ``asked``) scores the best of its
    supports: the brief's record answers first, then ``supports`` (each source with the text
    the draft took from it), a support counting fully when it holds at least half of the
    question's words and in proportion below that; a question naming a reference the customer
    gave ("where's ORD-49264?") only by a support that names it too. The draft's score is the
    questions' mean.
    """
    if declined:
        return DraftMeasure(DECLINE_CONFIDENCE, "declines an out-of-scope request")
    questions = (brief.questions if brief else []) or ([asked] if asked.strip() else [])
    texts = [(a.source, a.text) for a in brief.answers] if brief else []
    texts += list(supports)
    if not questions or not texts:
        return DraftMeasure(
            0.1 if not texts else 0.5, "no question found" if texts else "no source"
        )
    scores: list[float] = []
    kinds: list[str] = []
    for question in _folded(questions):
        # "Where's our order ORD-49264?" is answered only by what knows ORD-49264: a guide's
        # typical times do not say where this order is.
        named = [
            g.lower()
            for g in (brief.given if brief else [])
            if "@" not in g and g.lower() in question.lower()
        ]
        if len(_content(question)) < 2:
            question = f"{question} {asked}"  # "Can you look into it?": the message says what
        best, kind = 0.0, ""
        for source, text in texts:
            if named and not all(ref in text.lower() for ref in named):
                continue
            weight = SOURCE_WEIGHT.get(source.kind, REPLY_WEIGHT)
            if source.kind == "ticket" and reply_agreement is not None:
                weight = 0.5 + 0.5 * reply_agreement
            covered = min(1.0, coverage(question, text) / COVERED)
            # A record's computed answer settles the questions of its kind only: the paid
            # period answers "please cancel", not "how do we export our data?".
            answered_by_record = brief is not None and any(
                a.source == source
                and not HOW_TO_INSIDE.search(question)
                and (answers_kind(a.label, question) or (named and _names_all(a.text, named)))
                for a in brief.answers
            )
            score = weight * (1.0 if answered_by_record else covered)
            if score > best:
                best, kind = score, source.kind
        scores.append(best)
        kinds.append(kind)
    questions = _folded(questions)
    answered = sum(1 for s in scores if s >= 0.5)
    used = sorted({k for k, s in zip(kinds, scores, strict=True) if k and s >= 0.5})
    basis = f"answers {answered} of {len(questions)} question(s)"
    basis += f" from {', '.join(_KIND_NAMES.get(k, k) for k in used)}" if used else ""
    return DraftMeasure(round(sum(scores) / len(scores), 2), basis)


def _names_all(text: str, references: list[str]) -> bool:
    return all(ref in text.lower() for ref in references)


# Words of a request that only ask for something to be done about what was said before
# ("Could you check and correct it?" after "Are we billed twice?"): no question of its own.
DOING = frozenset(
    w[:4]
    for w in ("check", "correct", "confirm", "sort", "fix", "advise", "clarify", "explain",
              "verify", "review", "investigate", "needed", "please", "asap", "possible")
)  # fmt: skip


def _folded(questions: list[str]) -> list[str]:
    """The questions, each request that only asks to act on the one before joined to it."""
    folded: list[str] = []
    for question in questions:
        if folded and not _content(question) - DOING:
            folded[-1] = f"{folded[-1]} {question}"
        else:
            folded.append(question)
    return folded


# The questions each kind of record answer settles, by what they ask about (a key fact or a
# past reply is judged by how much of the question its words cover instead).
QUESTION_KINDS = {
    "next charge": re.compile(
        r"\b(?:charg|bill|renew|payment|pay\b|paid|invoice|when)", re.IGNORECASE
    ),
    "invoice breakdown": re.compile(
        r"\b(?:invoice|amount|add(?:s)? up|charg|bill|price|cost|total|seat|pay|paid|why|"
        r"understand|twice|more than|higher)|[$€£]",
        re.IGNORECASE,
    ),
    "refund eligibility": re.compile(
        r"\b(?:refund|money back|reimburs|charge ?back|credit)", re.IGNORECASE
    ),
    "paid until": re.compile(
        r"\b(?:cancel|terminat|stop (?:paying|the (?:plan|subscription))|end (?:our|my|the) "
        r"(?:plan|subscription|contract)|close (?:our|my|the) account|until when|last day|"
        r"renew|charg|bill)",
        re.IGNORECASE,
    ),
}
QUESTION_KINDS["proration"] = QUESTION_KINDS["invoice breakdown"]
QUESTION_KINDS["failed payment"] = re.compile(
    r"\b(?:declin|fail|faled|past[ -]due|overdue|bounc|payment|card|charg|go through|do\b)",
    re.IGNORECASE,
)
QUESTION_KINDS["plan comparison"] = re.compile(
    r"\b(?:plan|vs|versus|compar|differ|get|includ|seat|price|cost)", re.IGNORECASE
)
# An article's key fact is a duration: it answers when, how long, whether yet.
QUESTION_KINDS["key fact"] = re.compile(
    r"\b(?:when|how long|how soon|eta|yet|still|take|takes|wait\w*|time|soon|until|expire\w*|"
    r"valid|last|lasts|minutes?|hours?|days?)\b",
    re.IGNORECASE,
)


def answers_kind(label: str, question: str) -> bool:
    """Whether a record answer labelled ``label`` answers ``question`` by what it asks about;
    an answer of a kind not listed here (a connector's own) answers whatever it names."""
    kind = QUESTION_KINDS.get(label)
    if label == "failed payment" and re.match(r"\s*why\b", question, re.IGNORECASE):
        return False  # the records say that it failed, not why the bank declined it
    return kind is None or bool(kind.search(question))


_KIND_NAMES = {"billing": "billing records", "crm": "the CRM", "article": "help articles",
               "fact": "product facts", "bug": "a known bug", "ticket": "past replies"}  # fmt: skip


def coverage(question: str, text: str) -> float:
    """The share of the question's content words (by their first four letters) in ``text``."""
    asked = _content(question)
    return len(covered_words(question, text)) / len(asked) if asked else 0.0


def covered_words(question: str, text: str) -> set[str]:
    """The question's content words (their first four letters) that ``text`` holds."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    have = {w[:4] for w in words if len(w) > 3}
    content = _content(question)
    found = content & have
    if found == content:
        return found
    # A word with two letters swapped ("exoprt") still names the word ("export").
    for word in re.findall(r"[a-z]{5,}", question.lower()):
        if word[:4] in content and word[:4] not in found and _swapped_in(word, words):
            found.add(word[:4])
    return found


def _swapped_in(word: str, words: set[str]) -> bool:
    return any(
        word[:i] + word[i + 1] + word[i] + word[i + 2 :] in words for i in range(len(word) - 1)
    )


def _content(question: str) -> set[str]:
    return {w[:4] for w in _meaning(question).split() if len(w) > 3 and w not in _ASKING}


# Words every question has that say nothing about what it asks.
_ASKING = frozenset(
    {"what", "when", "where", "which", "would", "could", "should", "there", "this", "that",
     "with", "from", "does", "just", "want", "sure", "like", "please", "help", "know", "thanks",
     "hello", "about", "some", "will", "into", "they", "them", "their", "been", "look", "take",
     "anyone", "someone", "tell", "need", "still", "today", "cheers", "best", "regards", "keep",
     "trying", "hitting", "getting", "seems", "working", "thing", "something", "really"}
)  # fmt: skip
