"""The case brief: what the customer asks, gave, tried and how long they waited, read once.

Both drafters and the agent read the same brief, so a draft answers the question actually asked
(the latest customer messages, not only the first), never asks for what the customer already
gave, never repeats a step they tried (matched by meaning: "turned off my ad blocker" is the
step "Disable ad blockers"), apologises when the customer is chasing or the SLA is breached, and
never promises a refund over the agent's limit (a lead reviews it instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from deskpilot.config import SlaSettings
from deskpilot.models import Author, Channel, Message, Ticket
from deskpilot.queue.sla import target

SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
QUESTION_START = re.compile(
    r"^(?:how|what|when|where|why|which|who|can|could|would|will|is|are|do|does|did|should|"
    r"may|have|has)\b",
    re.IGNORECASE,
)
# What a customer gives to be looked up: order, invoice and ticket references, long numbers.
REFERENCE = re.compile(r"\b[A-Z]{2,}-\d+\b|\b[A-Z]*\d[A-Z\d-]{5,}\b|#\d{3,}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
MONEY = re.compile(r"[$€£]\s?(\d[\d,]*(?:\.\d{1,2})?)")
TRIED = re.compile(
    r"\b(?:I|we)(?:'ve| have)?\s+(?:already\s+|also\s+)?(?:tried|cleared|disabled|turned off|"
    r"restarted|reset|reinstalled|updated|logged out|signed out|rebooted|switched)\b[^.!?\n]*",
    re.IGNORECASE,
)
# Words that carry a step's meaning, and the ones that mean the same ("turn off" is "disable").
SAME_MEANING = {
    "turn off": "disable", "turned off": "disable", "switch off": "disable",
    "disabled": "disable", "deactivate": "disable", "cleared": "clear", "empty": "clear",
    "restarted": "restart", "reboot": "restart", "rebooted": "restart", "relaunch": "restart",
    "signed out": "log out", "sign out": "log out", "logged out": "log out",
    "reinstalled": "reinstall", "updated": "update", "adblock": "ad blocker",
    "ad-blocker": "ad blocker", "adblocker": "ad blocker", "blockers": "blocker",
}  # fmt: skip
FOLLOW_UP = re.compile(
    r"\b(?:hello\?|any update|still waiting|heard nothing|no reply|no response|it's been|"
    r"been a while|chasing|following up|follow up)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CaseBrief:
    questions: list[str] = field(default_factory=list)  # what they ask now, in their words
    given: list[str] = field(default_factory=list)  # references and addresses they gave
    tried: list[str] = field(default_factory=list)  # steps they already took
    follow_ups: int = 0  # customer messages since the first unanswered one
    waited: timedelta = timedelta(0)  # since their first unanswered message
    sla_breached: bool = False
    refund_asked: float | None = None  # the largest amount they name, when they want money back
    refund_limit: float | None = None  # the agent's limit per refund
    channel: Channel = Channel.EMAIL

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
        """Email and chat show the draft as written: no Markdown markup."""
        return self.channel in {Channel.EMAIL, Channel.CHAT}

    def lines(self) -> list[str]:
        """The brief as the agent (and a model's prompt) reads it."""
        out = [f"Asks: {q}" for q in self.questions]
        if self.given:
            out.append("Already gave: " + ", ".join(self.given))
        out += [f"Already tried: {t}" for t in self.tried]
        if self.chasing:
            hours = self.waited.total_seconds() / 3600
            why = "SLA breached" if self.sla_breached else f"{self.follow_ups} follow-up(s)"
            out.append(f"Chasing: waited {hours:.0f} h, {why}: apologise for the wait")
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
        questions=[q for m in latest for q in question_sentences(m.body)],
        given=list(dict.fromkeys(REFERENCE.findall(text) + EMAIL.findall(text))),
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


def already_tried(step: str, tried: list[str]) -> bool:
    """Whether ``step`` is one of the customer's tried steps, by meaning not exact words ("I
    turned off my ad blocker and cleared the cache" tried "Disable ad blockers" and "Clear your
    browser cache")."""
    wanted = _meaning(step)
    parts = [p for t in tried for p in re.split(r",|\band\b|\bthen\b", t, flags=re.I)]
    return any(
        (meant := _meaning(part)) and fuzz.token_set_ratio(wanted, meant) >= 80 for part in parts
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
        "for", "site", "browser", "our", "to", "also",
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
