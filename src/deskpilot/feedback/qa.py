"""Conversation quality (QA): every solved ticket scored over a published rubric, with reasons.

The rubric (docs/qa-rubric.md says the same for leads and agents) has five criteria of 20
points each, 100 in all; each starts full and loses points for what the thread shows:

* answered: the replies take up the customer's question (their words come back in the
  answer); no reply at all scores 0; the customer asking again after an answer costs 10.
* accuracy: what the replies say was done (a refund, a reset, a change, access, a
  cancellation) must be backed by the ticket's action records (the same check the autopilot
  runs before sending, ``copilot.action_claims``); each unbacked claim costs 10.
* tone: a greeting, empathy when the customer is upset, no blaming or dismissive phrases,
  no shouting; each lapse costs 5, a dismissive phrase 10.
* policy: no password or secret in a reply (all 20), no auto-sent answer to a human-only
  intent (10).
* resolution: solved and stayed solved; reopening costs 10, a CSAT of 1 or 2 costs 10, more
  than three replies to get there costs 5.

Scores are computed locally, from the thread, the triage and the audit trail, so every
workspace has them. With an ``[llm]`` endpoint, the model scores them too (``qa_model.py``):
a few locally scored tickets per run get the model's score and reasoning in place of the local
one, newest first; a failed model answer leaves the local score. A ticket is scored once after
it is solved and again if it changes (it was reopened and solved again).
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deskpilot.config import Settings
from deskpilot.copilot.action_claims import review_draft
from deskpilot.feedback.qa_rubric import CRITERIA, FULL, QaModelError
from deskpilot.feedback.stats import AUTOPILOT
from deskpilot.feedback.work import RESOLVED, solver, status_of
from deskpilot.models import ActionRecord, Author, QaScore, Sentiment, Status, Ticket
from deskpilot.store import Store
from deskpilot.terminal_text import visible

if TYPE_CHECKING:
    from datetime import datetime

    from deskpilot.feedback.qa_model import ModelQaScorer
    from deskpilot.store import ReplyFact, TicketFacts

log = logging.getLogger("deskpilot.qa")
MODEL_BATCH = 20  # tickets the model scores per run at most


GREETING = re.compile(r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening))\b", re.I)
EMPATHY = re.compile(
    r"\b(sorry|apolog\w*|understand|frustrat\w*|thanks? (you )?for your patience|appreciate)\b",
    re.I,
)
DISMISSIVE = re.compile(
    r"\b(as i (already )?said|you should have|obviously|calm down|not our problem|"
    r"read the (manual|docs)|that's your problem|we can't help you)\b",
    re.I,
)
UPSET_WORDS = re.compile(
    r"\b(angry|furious|ridiculous|unacceptable|terrible|awful|frustrat\w*|disappointed|worst)\b",
    re.I,
)
SHOUTED = re.compile(r"\b[A-Z]{4,}\b")
WORD = re.compile(r"[a-z][a-z'-]{3,}")
STOPWORDS = frozenset(
    """this that with have from your about there their would could should please thanks
    thank hello dear regards best just what when where which been were will they them then
    than into also some here very much help need want know like dont cant""".split()  # noqa: SIM905
)
ASKED_AGAIN = re.compile(r"\?|\b(still|again|didn't|doesn't|not working|no answer)\b", re.I)
ANSWERED_SHARE = 0.15  # of the question's words that come back in the replies


def score_ticket(
    ticket: Ticket,
    actions: list[ActionRecord],
    *,
    human_only: frozenset[str] = frozenset(),
    sentiment: Sentiment | None = None,
    agent: str | None = None,
    now: datetime,
) -> QaScore:
    """The rubric applied to one solved ticket's thread and audit trail."""
    replies = [m for m in ticket.messages if m.author is Author.AGENT]
    customer = [m for m in ticket.messages if m.author is Author.CUSTOMER]
    points = dict.fromkeys(CRITERIA, FULL)
    reasons: list[str] = []

    def lose(criterion: str, amount: int, reason: str) -> None:
        points[criterion] = max(0, points[criterion] - amount)
        reasons.append(f"{criterion}: {reason} (-{amount})")

    # answered
    if not replies:
        lose("answered", FULL, "no reply was sent")
    else:
        asked = _content_words(" ".join(m.body for m in customer[:1]))
        answered = _content_words(" ".join(m.body for m in replies))
        if asked and len(asked & answered) / len(asked) < ANSWERED_SHARE:
            lose("answered", 10, "the replies take up little of what the customer asked")
        first_reply = replies[0].at
        if any(m.at > first_reply and ASKED_AGAIN.search(m.body) for m in customer):
            lose("answered", 10, "the customer had to ask again")
    # accuracy
    for reply in replies:
        for finding in review_draft(reply.body, actions):
            if finding.kind not in {"secret", "language"}:
                lose("accuracy", 10, f"a reply {finding.reason}")
    # tone
    if replies and not GREETING.search(replies[0].body):
        lose("tone", 5, "the first reply has no greeting")
    upset = sentiment in {Sentiment.NEGATIVE, Sentiment.ANGRY} or any(
        UPSET_WORDS.search(m.body) for m in customer
    )
    if replies and upset and not any(EMPATHY.search(m.body) for m in replies):
        lose("tone", 5, "the customer was upset and no reply acknowledged it")
    for reply in replies:
        if found := DISMISSIVE.search(reply.body):
            lose("tone", 10, f"a dismissive phrase: '{found.group(0)}'")
        if len(SHOUTED.findall(reply.body)) >= 3:
            lose("tone", 5, "a reply shouts (words in capitals)")
    # policy
    if any(_has_secret(r.body) for r in replies):
        lose("policy", FULL, "a reply carried a password or secret")
    if ticket.intent in human_only and any(r.author_name == AUTOPILOT for r in replies):
        lose("policy", 10, "the autopilot answered a human-only intent")
    # resolution
    if _reopened(ticket, actions):
        lose("resolution", 10, "it was reopened after being solved")
    if ticket.csat is not None and ticket.csat <= 2:
        lose("resolution", 10, f"the customer rated it {ticket.csat} of 5")
    if len(replies) > 3:
        lose("resolution", 5, f"it took {len(replies)} replies")
    return QaScore(
        ticket_id=ticket.id,
        score=sum(points.values()),
        criteria=points,
        reasons=reasons,
        agent=agent,
        intent=ticket.intent,
        scorer="local",
        scored_at=now,
    )


def _content_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOPWORDS}


def _has_secret(text: str) -> bool:
    return any(f.kind == "secret" for f in review_draft(text, []))


def _reopened(ticket: Ticket, actions: list[ActionRecord]) -> bool:
    steps = [s for a in sorted(actions, key=lambda a: a.at) if (s := status_of(a)) is not None]
    solved_once = False
    for status in steps:
        if status in RESOLVED:
            solved_once = True
        elif solved_once:
            return True
    return False


def score_solved(
    store: Store, settings: Settings, now: datetime, model: ModelQaScorer | None = None
) -> int:
    """Score every solved ticket not scored since it last changed (as of ``now``); returns how
    many. With a
    ``model`` scorer, up to ``MODEL_BATCH`` locally scored tickets are also asked of it."""
    earlier = {s.ticket_id: s for s in store.qa_scores()}
    scored = {ticket_id: s.scored_at for ticket_id, s in earlier.items()}
    solved = [f for f in store.ticket_facts() if f.status in {Status.SOLVED, Status.CLOSED}]
    facts = [t for t in solved if t.id not in scored or scored[t.id] < t.updated_at]
    fresh = {t.id for t in facts}
    # Locally scored tickets for the model, newest first: a few per run, so a report never
    # waits on hundreds of model calls, and every ticket gets its turn.
    for_model = [
        f
        for f in sorted(solved, key=lambda f: (f.updated_at, f.id), reverse=True)
        if f.id in fresh or earlier[f.id].scorer == "local"
    ][:MODEL_BATCH] if model is not None else []  # fmt: skip
    if not facts and not for_model:
        return 0
    human_only = frozenset(settings.triage.human_only_intents)
    actions: dict[str, list[ActionRecord]] = defaultdict(list)
    for action in store.list_actions():
        if action.ticket_id is not None:
            actions[action.ticket_id].append(action)
    replies = store.agent_replies()
    by_ticket = defaultdict(list)
    for reply in replies:
        by_ticket[reply.ticket_id].append(reply)
    for fact in facts:  # (merged duplicates are not among them: their thread is the target's)
        ticket = store.get_ticket(fact.id)
        mine = actions.get(fact.id, [])
        agent = solver(fact, by_ticket.get(fact.id, []), mine)
        store.save_qa_score(
            score_ticket(
                ticket, mine, human_only=human_only, sentiment=ticket.sentiment,
                agent=agent, now=now,
            )
        )  # fmt: skip
    if model is not None:
        _ask_model(store, now, model, for_model, actions, by_ticket)
    return len(facts)


def _ask_model(
    store: Store,
    now: datetime,
    model: ModelQaScorer,
    facts: list[TicketFacts],
    actions: dict[str, list[ActionRecord]],
    replies: dict[str, list[ReplyFact]],
) -> int:
    """Replace local scores with the model's; a failure keeps the local score (and an endpoint
    that cannot be reached is not asked again this run). Returns how many the model scored."""
    done = 0
    for fact in facts:
        mine = actions.get(fact.id, [])
        agent = solver(fact, replies.get(fact.id, []), mine)
        try:
            score = model.score(store.get_ticket(fact.id), mine, agent=agent, now=now)
        except QaModelError as error:
            log.warning("%s; %s keeps its local score", visible(str(error), one_line=True), fact.id)
            if error.unreachable:
                break
            continue
        store.save_qa_score(score)
        done += 1
    return done


@dataclass(frozen=True)
class QaReport:
    scored: int
    mean: float | None
    criteria: dict[str, float]  # criterion -> mean points
    by_agent: dict[str, tuple[int, float]] | None  # agent -> (tickets, mean); leads only
    by_intent: dict[str, tuple[int, float]]
    worst: list[QaScore]

    def to_json(self) -> dict[str, Any]:
        return {
            "scored": self.scored,
            "mean": None if self.mean is None else round(self.mean, 2),
            "criteria": {k: round(v, 2) for k, v in self.criteria.items()},
            "by_agent": None
            if self.by_agent is None
            else {k: {"tickets": n, "mean": round(m, 2)} for k, (n, m) in self.by_agent.items()},
            "by_intent": {
                k: {"tickets": n, "mean": round(m, 2)} for k, (n, m) in self.by_intent.items()
            },
            "worst": [
                {
                    "ticket_id": s.ticket_id,
                    "score": s.score,
                    "intent": s.intent,
                    "agent": s.agent if self.by_agent is not None else None,
                    "reasons": s.reasons,
                    "scorer": s.scorer,
                    "reasoning": s.reasoning,
                }
                for s in self.worst
            ],
        }


def qa_report(scores: list[QaScore], *, per_agent: bool, worst: int = 10) -> QaReport:
    """Means overall, per criterion, per intent (and per agent for leads); the worst first."""
    values = [s.score for s in scores]
    criteria = {
        name: statistics.fmean(s.criteria.get(name, 0) for s in scores) for name in CRITERIA
    } if scores else {}  # fmt: skip
    return QaReport(
        scored=len(scores),
        mean=statistics.fmean(values) if values else None,
        criteria=criteria,
        by_agent=_grouped(scores, lambda s: s.agent) if per_agent else None,
        by_intent=_grouped(scores, lambda s: s.intent),
        worst=sorted(scores, key=lambda s: (s.score, s.ticket_id))[:worst],
    )


def _grouped(scores: list[QaScore], key: Any) -> dict[str, tuple[int, float]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for score in scores:
        groups[key(score) or "unknown"].append(score.score)
    return {k: (len(v), statistics.fmean(v)) for k, v in sorted(groups.items())}
