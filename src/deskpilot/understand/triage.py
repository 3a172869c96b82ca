"""Triage: intent, sentiment and the hand-off decision for a ticket, from a trained classifier.

The classifier is trained on the taxonomy's seed examples plus every ticket a human labelled
(imported history and agents' corrections), and kept in the workspace until a new label arrives.
The ``ensemble`` classifier also self-trains on the workspace's newest tickets that no human
labelled (``UNLABELLED_TICKETS``): every real workspace has them in abundance, and they teach it
how this team's customers phrase each intent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from deskpilot.config import TriageSettings
from deskpilot.models import Author, IntentSource, Ticket, TriageRecord
from deskpilot.store import Store
from deskpilot.understand.answered import KnowledgeAnswers
from deskpilot.understand.datasets import Example
from deskpilot.understand.handoff import decide
from deskpilot.understand.intents import ClassifierError, IntentClassifier, IntentPrediction
from deskpilot.understand.sentiment import read_sentiment
from deskpilot.understand.taxonomy import IntentSpec, seed_examples

Progress = Callable[[int, int], None]
BATCH = 1000
# The newest unlabelled tickets the ensemble self-trains on. Their sentence vectors are
# remembered between retrains (embeddings.REMEMBERED_TEXTS), so a retrain after a correction
# embeds only the new ones; 5,000 add seconds, not minutes, to a training from cold.
UNLABELLED_TICKETS = 5000


def ticket_text(subject: str, body: str) -> str:
    """What the classifier reads: the subject carries the gist when the body rambles."""
    return f"{subject}. {body}" if subject else body


def training_examples(store: Store, taxonomy: dict[str, IntentSpec]) -> list[Example]:
    labelled = [Example(ticket_text(s, b), intent) for s, b, intent in store.labelled_texts()]
    return seed_examples(taxonomy) + labelled


def unlabelled_texts(store: Store) -> list[str]:
    """The texts of the newest tickets no human labelled, read as the classifier reads them."""
    return [ticket_text(s, b) for s, b in store.unlabelled_texts(UNLABELLED_TICKETS)]


def _question(ticket: Ticket) -> str:
    """What the intent is read from: the first message, and a follow-up's new text with it
    (a reopened ticket is re-triaged on what the customer says now, in its context)."""
    first, latest = ticket.first_customer_message, ticket.latest_customer_text
    return first if latest == first else f"{first}\n{latest}"


@dataclass
class Triage:
    classifier: IntentClassifier
    policy: TriageSettings
    knowledge: KnowledgeAnswers | None = None  # articles that answer unsure tickets

    def assess(self, tickets: Sequence[Ticket]) -> list[TriageRecord]:
        predictions = self.classifier.predict_many(
            [ticket_text(t.subject, _question(t)) for t in tickets]
        )
        # A follow-up is read on its own too: when it clearly asks something new, that is the
        # ticket's intent now (the next draft answers it); a vague one keeps the whole context.
        following = [i for i, t in enumerate(tickets) if _question(t) != t.first_customer_message]
        if following:
            alone = self.classifier.predict_many(
                [tickets[i].latest_customer_text for i in following]
            )
            for index, prediction in zip(following, alone, strict=True):
                if not prediction.out_of_scope and (
                    prediction.confidence >= self.policy.min_confidence
                ):
                    predictions[index] = prediction
        return [
            triage_record(t, _corrected(t) or p, self.policy, self.knowledge)
            for t, p in zip(tickets, predictions, strict=True)
        ]

    def run(
        self, store: Store, tickets: Sequence[Ticket], progress: Progress | None = None
    ) -> list[TriageRecord]:
        """Assess and store, in batches so progress moves on large workspaces."""
        records: list[TriageRecord] = []
        for start in range(0, len(tickets), BATCH):
            batch = self.assess(tickets[start : start + BATCH])
            store.save_triages(batch)
            records.extend(batch)
            if progress:
                progress(len(records), len(tickets))
        return records


def triage_record(
    ticket: Ticket,
    prediction: IntentPrediction,
    policy: TriageSettings,
    knowledge: KnowledgeAnswers | None = None,
) -> TriageRecord:
    """The triage of ``ticket`` given its intent: sentiment read, hand-off decided."""
    customer_words = " ".join(m.body for m in ticket.messages if m.author is Author.CUSTOMER)
    reading = read_sentiment(f"{ticket.subject}. {customer_words}")
    text = ticket_text(ticket.subject, _question(ticket))
    answered_by = (lambda: knowledge.article_for(text)) if knowledge else None
    handoff = decide(prediction, reading, policy, answered_by)
    return TriageRecord(
        ticket_id=ticket.id,
        intent=prediction.intent,
        confidence=prediction.confidence,
        out_of_scope=prediction.out_of_scope,
        alternatives=list(prediction.alternatives),
        sentiment=reading.sentiment,
        signals=sorted(s.value for s in reading.signals),
        evidence=list(reading.evidence),
        handoff=handoff.needed,
        handoff_reason=handoff.reason,
    )


def corrected_prediction(intent: str) -> IntentPrediction:
    """An agent's correction read as a certain prediction: the hand-off follows it."""
    return IntentPrediction(intent=intent, confidence=1.0, alternatives=())


def _corrected(ticket: Ticket) -> IntentPrediction | None:
    """A corrected ticket keeps its agent's intent when triaged again (the classifier's guess
    must not bring back a hand-off reason the agent corrected away)."""
    if ticket.intent_source is IntentSource.CORRECTION and ticket.intent:
        return corrected_prediction(ticket.intent)
    return None


def load_or_train(
    model_path: Path, store: Store, taxonomy: dict[str, IntentSpec], policy: TriageSettings
) -> IntentClassifier:
    """The saved model, or a fresh one trained (and saved) when there is none yet."""
    if model_path.exists():
        try:
            classifier = IntentClassifier.load(model_path)
        except ClassifierError:
            pass  # from another version, or damaged: retrain below
        else:
            if classifier.features == policy.classifier:  # else retrain as configured
                classifier.out_of_scope_below = policy.out_of_scope_below
                return classifier
    return train(model_path, store, taxonomy, policy)


def train(
    model_path: Path, store: Store, taxonomy: dict[str, IntentSpec], policy: TriageSettings
) -> IntentClassifier:
    classifier = IntentClassifier(
        features=policy.classifier, out_of_scope_below=policy.out_of_scope_below
    )
    examples = training_examples(store, taxonomy)
    # Self-training pays while labels are scarce, as in a new workspace; once they outnumber the
    # tickets it would read, it adds training time and nothing else (a 100k-ticket workspace
    # with 62,000 labelled). The TF-IDF classifier learns from labels only.
    self_trains = classifier.features == "ensemble" and len(examples) < UNLABELLED_TICKETS
    classifier.fit(examples, unlabelled_texts(store) if self_trains else [])
    classifier.save(model_path)
    return classifier
