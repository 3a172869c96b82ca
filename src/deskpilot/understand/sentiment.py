"""Sentiment and urgency: how the customer feels and what signals a human must see.

A transparent lexicon, not a model: agents and leads can read why a message was flagged, and
the signals (anger, distress, churn threat, legal words) are what the hand-off policy keys on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from deskpilot.models import Sentiment


class Signal(StrEnum):
    ANGRY = "angry"
    DISTRESSED = "distressed"
    CHURN = "churn_threat"
    LEGAL = "legal"
    URGENT = "urgent"


SIGNAL_PATTERNS: dict[Signal, tuple[str, ...]] = {
    Signal.ANGRY: (
        r"unacceptable",
        r"ridiculous",
        r"outrageous",
        r"disgusting",
        r"furious",
        r"pathetic",
        r"terrible",
        r"horrible",
        r"worst",
        r"useless",
        r"incompetent",
        r"joke",
        r"scam",
        r"fed up",
        r"sick of",
        r"had enough",
        r"so angry",
        r"angry",
        r"wtf",
        r"damn",
        r"hell",
        r"shame on",
        r"disgrace\w*",
        r"what the",
        r"absolutely (?:awful|appalling)",
        r"appalling",
        r"never (?:again|been so)",
        r"very disappointed",
        r"extremely disappointed",
    ),
    # Distress is about the person, not the deadline: self-harm, a threat, a bereavement, a
    # crisis or despair. A human answers these. "Please help quickly" or "we have a deadline"
    # is urgency (below): it wants a prompt answer, not a hand-off.
    Signal.DISTRESSED: (
        r"desperate\w*",
        r"panic(?:king|ked)?",
        r"i'?m begging",
        r"lost everything",
        r"losing my job",
        r"(?:lose|lost) my (?:job|home|house)",
        r"(?:kill|hurt|harm) myself",
        r"self[- ]harm\w*",
        r"suicid\w*",
        r"end (?:it all|my life)",
        r"(?:want|wanted) to die",
        r"no reason to live",
        r"can'?t (?:go on|cope|take (?:it|this) anymore)",
        r"passed away",
        r"(?:my|our) (?:late )?(?:husband|wife|partner|mother|father|mum|mom|dad|son|daughter|"
        r"brother|sister|child|colleague|founder) (?:died|has died|just died)",
        r"bereave\w*",
        r"funeral",
        r"(?:threaten\w*|stalk\w*|harass\w*|abus(?:e|ed|ive)) (?:me|us|my|our)",
        r"domestic (?:violence|abuse)",
        r"(?:i|we) (?:will|'ll) (?:hurt|kill|find) (?:you|someone|your)",
        r"in danger",
        r"not safe",
    ),
    Signal.CHURN: (
        r"cancel (?:my|our|the) (?:account|subscription|plan|contract)",
        r"switch(?:ing)? to",
        r"moving to (?:a )?competitor",
        r"look(?:ing)? (?:at|for) (?:other|alternative)",
        r"alternatives?",
        r"leave (?:you|acme)",
        r"leaving",
        r"not renew\w*",
        r"won'?t renew",
        r"take our business",
        r"competitor",
    ),
    Signal.LEGAL: (
        r"lawyer\w*",
        r"attorney\w*",
        r"legal action",
        r"legal team",
        r"sue\b",
        r"suing",
        r"lawsuit",
        r"court",
        r"gdpr",
        r"data protection",
        r"chargeback",
        r"small claims",
        r"consumer protection",
        r"ombudsman",
        r"regulator",
        r"breach of contract",
        r"litigation",
    ),
    Signal.URGENT: (
        r"urgent\w*",
        r"please help",
        r"help (?:me |us )?(?:quickly|fast|soon|asap)",
        r"as (?:soon|quickly) as (?:possible|you can)",
        r"(?:need|want) (?:this|it|an answer|a reply|help) (?:quickly|fast|today|asap|urgently)",
        r"stressed",
        r"deadline",
        r"(?:work|something) (?:is )?due",
        r"losing (?:money|customers|business)",
        r"going to lose",
        r"at risk",
        r"can'?t work",
        r"blocking us",
        r"asap",
        r"immediately",
        r"right now",
        r"emergency",
        r"critical",
        r"production (?:is )?down",
        r"outage",
        r"all users",
        r"whole team",
        r"can'?t (?:log|sign) ?in",
    ),
}
POSITIVE_PATTERNS = (
    r"thank(?:s| you)",
    r"great",
    r"love",
    r"awesome",
    r"appreciate\w*",
    r"perfect",
    r"brilliant",
    r"excellent",
    r"happy",
    r"helpful",
    r"amazing",
    r"much appreciated",
)
NEGATIVE_PATTERNS = (
    r"frustrat\w*",
    r"annoy\w*",
    r"disappoint\w*",
    r"unhappy",
    r"still (?:not|broken|waiting)",
    r"again",
    r"problem",
    r"issue",
    r"broken",
    r"doesn'?t work",
    r"not working",
    r"wrong",
    r"confus\w*",
    r"charged twice",
    r"overcharged",
)


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.IGNORECASE)


_SIGNALS = {signal: _compile(patterns) for signal, patterns in SIGNAL_PATTERNS.items()}
_POSITIVE = _compile(POSITIVE_PATTERNS)
_NEGATIVE = _compile(NEGATIVE_PATTERNS)
_SHOUTING = re.compile(r"\b[A-Z]{4,}\b")


@dataclass(frozen=True)
class Reading:
    sentiment: Sentiment
    signals: frozenset[Signal] = field(default_factory=frozenset)
    evidence: tuple[str, ...] = ()  # the words that raised each signal, for the agent to see

    @property
    def emotionally_charged(self) -> bool:
        return bool(self.signals & {Signal.ANGRY, Signal.DISTRESSED})


def read_sentiment(text: str) -> Reading:
    signals: set[Signal] = set()
    evidence: list[str] = []
    for signal, pattern in _SIGNALS.items():
        found = pattern.search(text)
        if found:
            signals.add(signal)
            evidence.append(f"{signal.value}: '{found.group(0)}'")
    shouting = len(_SHOUTING.findall(text)) >= 2 or text.count("!") >= 3
    if shouting and _NEGATIVE.search(text):
        signals.add(Signal.ANGRY)
        evidence.append("angry: shouting")
    return Reading(_overall(text, signals), frozenset(signals), tuple(evidence))


def _overall(text: str, signals: set[Signal]) -> Sentiment:
    if Signal.ANGRY in signals or (Signal.LEGAL in signals and Signal.CHURN in signals):
        return Sentiment.ANGRY
    negative = len(_NEGATIVE.findall(text)) + 2 * bool(signals - {Signal.URGENT})
    positive = len(_POSITIVE.findall(text))
    if negative > positive:
        return Sentiment.NEGATIVE
    if positive > negative:
        return Sentiment.POSITIVE
    return Sentiment.NEUTRAL
