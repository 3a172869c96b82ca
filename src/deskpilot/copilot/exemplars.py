"""Choosing which past reply to build a draft on.

The nearest past question is not always the best model: its reply may be an outlier (a one-off
apology, a reply to a detail this customer did not mention). Among the replies agents sent to
similar questions, the one closest on average to the others is the one an agent is most likely
to keep (a minimum-Bayes-risk choice). The more replies the desk has learned, the better the
choice gets, which is how the draft improves as agents work.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from deskpilot.copilot.context import KnowledgeItem

# Retrieval order still counts: a candidate's own rank is worth this much against consensus.
RANK_WEIGHT = 0.15


def choose_exemplar(candidates: Sequence[KnowledgeItem]) -> KnowledgeItem | None:
    """The candidate whose reply agrees most with the others (ties to the better retrieved)."""
    usable = [item for item in candidates if item.body.strip()]
    if len(usable) <= 2:
        return usable[0] if usable else None
    best, best_score = usable[0], -1.0
    for rank, item in enumerate(usable):
        agreement = sum(
            fuzz.ratio(item.body, other.body) for other in usable if other is not item
        ) / (100 * (len(usable) - 1))
        score = agreement + RANK_WEIGHT * (1 - rank / len(usable))
        if score > best_score:
            best, best_score = item, score
    return best
