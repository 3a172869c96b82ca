"""The hand-off policy: when a human, not the co-pilot, must answer, and the reason shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deskpilot.config import TriageSettings
from deskpilot.understand.intents import IntentPrediction
from deskpilot.understand.sentiment import Reading


@dataclass(frozen=True)
class HandoffDecision:
    reasons: tuple[str, ...] = ()

    @property
    def needed(self) -> bool:
        return bool(self.reasons)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def decide(
    prediction: IntentPrediction,
    reading: Reading,
    policy: TriageSettings,
    answered_by: Callable[[], str | None] | None = None,
) -> HandoffDecision:
    """``answered_by`` names a knowledge article that answers the ticket (asked only when the
    intent is unsure): a low confidence alone is then no reason for a human."""
    reasons = []
    if prediction.out_of_scope:
        reasons.append("out of scope: no known intent fits this message")
    elif prediction.intent in policy.human_only_intents:
        reasons.append(f"'{prediction.intent}' is handled by humans only")
    elif prediction.confidence < policy.min_confidence and not (answered_by and answered_by()):
        reasons.append(
            f"intent confidence {prediction.confidence:.2f} is under {policy.min_confidence:.2f}"
        )
    flagged = sorted(s.value for s in reading.signals if s.value in policy.escalate_on)
    if flagged:
        words = ", ".join(e for e in reading.evidence if e.split(":")[0] in flagged)
        reasons.append(f"emotionally charged or sensitive ({words})")
    return HandoffDecision(tuple(reasons))
