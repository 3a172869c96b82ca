"""Choosing which past reply to build a draft on.

First the question: only past tickets that asked what this customer asks are candidates (their
question close to this one's, not just their subject). Then the answer: the nearest past
question's reply is not always the best model (a one-off apology, a detail this customer did
not mention), so among those candidates the reply closest on average to the others is the one
an agent is most likely to keep (a minimum-Bayes-risk choice). The more replies the desk has
learned, the better the choice gets, which is how the draft improves as agents work.

``team_examples`` gives the same retrieved replies, adapted to this customer and best first, as
few-shot examples for a model's prompt: the model then writes in the team's voice too.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from deskpilot.copilot.adapt import candidates, inbox_of, latest_question, ranked
from deskpilot.copilot.context import DraftContext, KnowledgeItem

# A past question must be about this close to this ticket's to lend its reply at all...
MIN_RELEVANCE = 0.55
# ...and within this much of the closest past question to be among the candidates.
RELEVANCE_BAND = 0.15


def choose_exemplar(question: str, candidates: Sequence[KnowledgeItem]) -> KnowledgeItem | None:
    """The reply to build on for ``question``, or None when no past question is close."""
    scored = [
        (_relevance(question, item.question or item.snippet), item)
        for item in candidates
        if item.body.strip()
    ]
    if not scored:
        return None
    top = max(score for score, _item in scored)
    if top < MIN_RELEVANCE:
        return None
    close = [(score, item) for score, item in scored if score >= top - RELEVANCE_BAND]
    if len(close) <= 2:
        return max(close, key=lambda pair: pair[0])[1]
    return max(close, key=lambda pair: _agreement(pair[1], close) + 0.5 * pair[0])[1]


def _relevance(question: str, other: str) -> float:
    return fuzz.token_set_ratio(question.lower(), other.lower()) / 100


def _agreement(item: KnowledgeItem, close: list[tuple[float, KnowledgeItem]]) -> float:
    others = [other for _score, other in close if other is not item]
    return sum(fuzz.ratio(item.body, other.body) for other in others) / (100 * len(others))


def team_examples(context: DraftContext, agent: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` of the team's replies to conversations like this one, adapted to this
    customer (handles, names, numbers and marks swapped or dropped, see copilot.adapt), the
    one the team most agrees on first. In an inbox they are its team's; elsewhere only replies
    to questions close to this one (``MIN_RELEVANCE``) count. Empty when the desk has
    answered nothing like it: a model then has no examples rather than misleading ones."""
    found = candidates(context, agent)
    inbox = inbox_of(context.ticket)
    if inbox:
        found = [c for c in found if c.item.inbox == inbox]
    else:
        question = latest_question(context.ticket)
        found = [c for c in found if _relevance(question, c.item.question) >= MIN_RELEVANCE]
    examples: list[str] = []
    for candidate in ranked(found):
        if candidate.text not in examples:
            examples.append(candidate.text)
        if len(examples) == limit:
            break
    return examples
