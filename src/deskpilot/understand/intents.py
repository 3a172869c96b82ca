"""The intent classifier: learns the team's taxonomy from labelled examples.

Word and character n-gram TF-IDF features feed a multinomial logistic regression, whose
probabilities are the confidence. Character n-grams make it robust to typos and inflections;
word bigrams catch short paraphrases ("can't get in", "locked out"). When the training data
has out-of-scope examples (the default taxonomy does), a message is out of scope when that
class wins or when no known intent reaches ``out_of_scope_below``.

``features="ensemble"`` (a workspace's default: ``[triage] classifier``) adds a second
logistic regression over sentence embeddings (see ``embeddings.py``) and averages the two: 0.3
TF-IDF, 0.7 embeddings; the nearest training texts then vote (``NEIGHBOURS``), and it can
self-train on unlabelled texts, whose labels first spread along their nearest-neighbour graph
(``_spread_labels``). The README's table (from
bench/bench_intents.py) has the figures: far better few-shot and in-scope accuracy for a few
milliseconds a ticket. The embedders are never pickled with the model: they load, once per
process, on first use. ``IntentClassifier()`` alone is the light TF-IDF building block.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self, get_args

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from deskpilot.errors import DeskPilotError
from deskpilot.understand import embeddings
from deskpilot.understand.datasets import OUT_OF_SCOPE, Example

FORMAT_VERSION = 3  # 3: the nearest-neighbour memory

Features = Literal["tfidf", "ensemble"]
FEATURES: tuple[str, ...] = get_args(Features)
# The weight of the TF-IDF model's probabilities in the ensemble; the embeddings get the rest.
TFIDF_WEIGHT = 0.3
# Out-of-scope thresholds when no validation data chooses one (a workspace's triage).
# Ensemble: 0.42, calibrate_out_of_scope on CLINC150's validation split (never its test split)
# after training on its training split: 86% of out-of-scope messages caught there, in-scope
# accuracy 92.5% (the neighbour vote raises confidence, so the threshold rose from 0.29).
# TF-IDF: 0.3 on a held-out fifth of CLINC150's training data.
DEFAULT_OUT_OF_SCOPE_BELOW: dict[str, float] = {"tfidf": 0.3, "ensemble": 0.42}

# calibrate_out_of_scope: the thresholds it tries, and the share of out-of-scope messages a
# threshold must catch on validation data. 85%, not the 70% we aim for on unseen data: on
# CLINC150 a threshold's out-of-scope recall fell 12 points from the validation split (100
# messages) to the test split (1,000), while in-scope accuracy fell under one.
CALIBRATION_THRESHOLDS = np.round(np.arange(0.02, 0.9, 0.01), 2)
CALIBRATION_RECALL = 0.85

# Self-training (_self_train): at most this many unlabelled texts are read (label spreading
# compares each with all the others: 10,000 is a few seconds, 20,000 four times that). Each
# round labels them with the model so far, half from the label spreading, and learns from its
# most confident share, at this weight against a human label; the share grows as the model
# improves. Three rounds (0.4, 0.7, all) beat one round of 0.6 by a point on Banking77 at 10
# examples an intent, measured on a validation part carved from its training data
# (bench/bench_intents.py has the figures on its test part).
SELF_TRAINING_POOL = 10_000
SELF_TRAINING_SHARES = (0.4, 0.7, 1.0)
SELF_TRAINING_WEIGHT = 0.5

# The ensemble's nearest-neighbour vote: a new text's NEIGHBOURS most similar training texts
# (human-labelled, and the self-trained ones with their pseudo-labels weighted by confidence)
# vote with weight exp(NEIGHBOUR_SHARPNESS * cosine), and the votes get NEIGHBOUR_WEIGHT of the
# ensemble's probabilities. It follows a class's local clusters, which one linear boundary per
# class misses: on Banking77 at 10 examples an intent after self-training, +1 to +1.4 points,
# and +0.3 with all its training data (a validation part carved from its training data). The
# vectors are kept in their first NEIGHBOUR_DIMENSIONS principal components: as good as all 768
# there, and the comparison with 8,000 texts costs a fraction of a millisecond.
NEIGHBOURS = 5
NEIGHBOUR_SHARPNESS = 10.0
NEIGHBOUR_WEIGHT = 0.3
NEIGHBOUR_DIMENSIONS = 256

# The ensemble learns each intent's name, read as words ("card_arrival": "card arrival"), as one
# more example of it (name_examples): a prototype every intent has, however few examples it
# was given. Banking77 at 10 examples an intent, on a validation fifth carved from its training
# part: 84.9% -> 85.1% (mean of 3 seeds, with self-training). Only for an intent with fewer
# than NAME_EXAMPLES_BELOW examples: with a hundred each, CLINC150's in-scope accuracy fell
# 0.6 points with the names (its one-word names, "timer", "w2", are poor prototypes).
NAME_EXAMPLES_BELOW = 20

# Label spreading (_spread_labels), before self-training: the labelled and unlabelled texts
# form a graph, each joined to its SPREAD_NEIGHBOURS most similar ones (edge weight: cosine to
# the power SPREAD_SHARPNESS), and the labels flow along it (SPREAD_ALPHA of each step from the
# neighbours, the rest from the human labels, SPREAD_STEPS steps). A message is then labelled by
# the texts like it, not only by one linear boundary per class; SPREAD_WEIGHT of the
# self-training's labels come from it. On Banking77 at 10 examples an intent with the rest of
# the training part unlabelled (mean of 3 seeds): 84.0% -> 84.9% on a validation fifth carved
# from its training part; weights 0.5 and 0.7 and alpha 0.8 and 0.9 were within 0.1 point of
# each other (README: the benchmark's measured fifth).
SPREAD_NEIGHBOURS = 10
SPREAD_SHARPNESS = 3.0
SPREAD_ALPHA = 0.8
SPREAD_STEPS = 20
SPREAD_WEIGHT = 0.5
# The graph holds at most this many texts: every unlabelled one, and as many labelled ones as
# fit, the same number of each intent (comparing each text with all the others grows as the
# square of their number).
SPREAD_MOST = 12_000
SPREAD_CHUNK = 1024  # rows of the similarity matrix at a time: 1024 x 20,000 floats is 80 MB

Matrix = npt.NDArray[np.float64]
FloatMatrix = npt.NDArray[np.float32]
# Sentence vectors, their label columns and their weights: the nearest-neighbour memory.
Memory = tuple[FloatMatrix, npt.NDArray[np.intp], Matrix]


class ClassifierError(DeskPilotError):
    pass


@dataclass(frozen=True)
class IntentPrediction:
    intent: str  # OUT_OF_SCOPE when no known intent fits
    confidence: float  # probability of the best known intent
    alternatives: tuple[tuple[str, float], ...]  # the next best known intents

    @property
    def out_of_scope(self) -> bool:
        return self.intent == OUT_OF_SCOPE


class IntentClassifier:
    def __init__(
        self,
        *,
        features: Features = "tfidf",
        out_of_scope_below: float | None = None,
        regularisation: float = 20.0,
        embedding_regularisation: float = 10.0,
    ) -> None:
        """``out_of_scope_below=None`` (here or set later) means the threshold for ``features``."""
        if features not in FEATURES:
            raise ClassifierError(
                f"unknown intent classifier {features!r}; choose one of {', '.join(FEATURES)}"
            )
        if features == "ensemble":
            embeddings.require()  # say so now, not after a minute of training
        self.features: Features = features
        self.out_of_scope_below = out_of_scope_below
        self.regularisation = regularisation
        self.embedding_regularisation = embedding_regularisation
        self._vectoriser: FeatureUnion | None = None
        self._tfidf_model: LogisticRegression | None = None
        self._embedding_model: LogisticRegression | None = None
        self._neighbours: _Neighbours | None = None
        self._embedder_signature = ""
        self._labels: np.ndarray | None = None

    @property
    def out_of_scope_below(self) -> float:
        return self._out_of_scope_below

    @out_of_scope_below.setter
    def out_of_scope_below(self, threshold: float | None) -> None:
        default = DEFAULT_OUT_OF_SCOPE_BELOW[self.features]
        self._out_of_scope_below = default if threshold is None else threshold

    @property
    def intents(self) -> list[str]:
        return [] if self._labels is None else [str(x) for x in self._labels]

    def fit(self, examples: Sequence[Example], unlabelled: Sequence[str] = ()) -> IntentClassifier:
        """Learn from labelled ``examples``; the ensemble also learns from ``unlabelled`` texts
        (the workspace's other tickets) by self-training: see ``_self_train``."""
        labels = {e.intent for e in examples}
        if len(labels - {OUT_OF_SCOPE}) < 2:
            raise ClassifierError(
                f"need examples of at least two intents to learn from; got {sorted(labels)}"
            )
        if self.features == "ensemble":
            counts = Counter(e.intent for e in examples)
            scarce = [label for label in labels if counts[label] < NAME_EXAMPLES_BELOW]
            examples = [*examples, *name_examples(scarce)]
        texts = [e.text for e in examples]
        targets = [e.intent for e in examples]
        vectoriser = _tfidf_features()
        tfidf_model = LogisticRegression(C=self.regularisation, max_iter=1000, tol=1e-3)
        tfidf_model.fit(vectoriser.fit_transform(texts), targets)
        embedding_model = None
        if self.features == "ensemble":
            embedded = embeddings.shared_embedder().embed(texts, remember=True)
            embedding_model = LogisticRegression(C=self.embedding_regularisation, max_iter=1000)
            embedding_model.fit(embedded, targets)
            assert list(embedding_model.classes_) == list(tfidf_model.classes_)
            self._embedder_signature = embeddings.signature()
        self._vectoriser = vectoriser
        self._tfidf_model = tfidf_model
        self._embedding_model = embedding_model
        self._labels = tfidf_model.classes_
        self._neighbours = None
        if embedding_model is not None:
            column = {str(label): i for i, label in enumerate(self._labels)}
            memory = (embedded, np.array([column[t] for t in targets]), np.ones(len(targets)))
            if unlabelled:
                memory = _joined(memory, self._self_train(texts, embedded, targets, unlabelled))
            self._neighbours = _Neighbours.build(*memory)
        return self

    def _self_train(
        self,
        texts: list[str],
        embedded: FloatMatrix,
        targets: list[str],
        unlabelled: Sequence[str],
    ) -> Memory | None:
        """Self-training in rounds (``SELF_TRAINING_SHARES``): the ensemble labels the unlabelled
        texts, the most confident share of them joins the embedding model's training at a lower
        weight, and the next round labels them again with the better model. A text the model
        calls out of scope (when it was taught what that looks like) is never learned from.
        Only ``unlabelled`` texts are pseudo-labelled; the labelled ones keep their labels.
        Returns the texts learned from in the last round, as the final model labels them, with
        its confidence: for the nearest-neighbour memory (None when none was learned from)."""
        assert self._embedding_model is not None and self._labels is not None
        labelled = set(texts)
        pool = [text for text in dict.fromkeys(unlabelled) if text.strip() and text not in labelled]
        pool = pool[:SELF_TRAINING_POOL]
        if not pool:
            return None
        learned: npt.NDArray[np.bool_] | None = None
        vectors = embeddings.shared_embedder().embed(pool, remember=True)
        taught_out_of_scope = OUT_OF_SCOPE in self._labels
        column = {str(label): i for i, label in enumerate(self._labels)}
        seeds = _some_of_each(np.array([column[t] for t in targets]), SPREAD_MOST - len(pool))
        spread = _spread_labels(
            embedded[seeds],
            np.array([column[targets[i]] for i in seeds]),
            vectors,
            len(self._labels),
        )

        def labelled_by_both() -> Matrix:
            combined = self._combined(pool, vectors)
            return (1 - SPREAD_WEIGHT) * combined + SPREAD_WEIGHT * spread

        for share in SELF_TRAINING_SHARES:
            rows = labelled_by_both()
            best_known, oos_wins = self._best_known(rows)
            chosen = best_known >= np.quantile(best_known, 1 - share)
            if taught_out_of_scope:
                chosen &= ~oos_wins & (best_known >= self.out_of_scope_below)
            if not chosen.any():
                break
            if taught_out_of_scope:
                rows[:, list(self._labels).index(OUT_OF_SCOPE)] = -1.0
            pseudo = [str(label) for label in self._labels[rows.argmax(axis=1)][chosen]]
            weights = np.r_[np.ones(len(targets)), np.full(len(pseudo), SELF_TRAINING_WEIGHT)]
            model = _warm_started(self._embedding_model)
            model.fit(
                np.vstack([embedded, vectors[chosen]]), targets + pseudo, sample_weight=weights
            )
            if list(model.classes_) != list(self._labels):
                break  # a class lost every example: keep the model trained so far
            self._embedding_model = model
            learned = chosen
        if learned is None:
            return None
        known = labelled_by_both()
        best_known, _ = self._best_known(known)
        if taught_out_of_scope:
            known[:, list(self._labels).index(OUT_OF_SCOPE)] = -1.0
        return vectors[learned], known.argmax(axis=1)[learned], best_known[learned]

    def predict(self, text: str) -> IntentPrediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        if self._labels is None:
            raise ClassifierError("the intent classifier has not been trained yet")
        batch = list(texts)
        if not batch:
            return []
        return [self._prediction(row) for row in self.probabilities(batch)]

    def probabilities(self, texts: Sequence[str]) -> Matrix:
        """One row per text, one column per label in ``intents`` order."""
        if self._vectoriser is None or self._tfidf_model is None:
            raise ClassifierError("the intent classifier has not been trained yet")
        batch = list(texts)
        if self._embedding_model is None:
            return _softmax(_tfidf_scores(self._vectoriser, self._tfidf_model, batch))
        embedder = embeddings.shared_embedder()
        with embedder.one_blas_thread():  # see SentenceEmbedder.one_blas_thread
            embedded = embedder.embed(batch)
            combined = self._combined(batch, embedded)
            if self._neighbours is None:
                return combined
            votes = self._neighbours.votes(embedded, len(self.intents))
        return (1 - NEIGHBOUR_WEIGHT) * combined + NEIGHBOUR_WEIGHT * votes

    def _combined(self, texts: list[str], embedded: FloatMatrix) -> Matrix:
        """The ensemble's probabilities, given the texts' sentence embeddings."""
        assert self._vectoriser is not None and self._tfidf_model is not None
        assert self._embedding_model is not None
        tfidf = _softmax(_tfidf_scores(self._vectoriser, self._tfidf_model, texts))
        scores = embedded @ self._embedding_model.coef_.T + self._embedding_model.intercept_
        return TFIDF_WEIGHT * tfidf + (1 - TFIDF_WEIGHT) * _softmax(scores)

    def calibrate_out_of_scope(
        self, validation: Sequence[Example], recall: float = CALIBRATION_RECALL
    ) -> float:
        """Choose ``out_of_scope_below`` on labelled validation data (never on test data): the
        lowest threshold that flags ``recall`` of the validation's out-of-scope messages, so
        in-scope accuracy gives up no more than that needs (the highest-recall one when none
        reaches it). Returns it; without out-of-scope examples in training and in
        ``validation`` the threshold stays as it is."""
        if self._labels is None:
            raise ClassifierError("the intent classifier has not been trained yet")
        truth = np.array([e.intent for e in validation])
        is_oos = truth == OUT_OF_SCOPE
        if OUT_OF_SCOPE not in self._labels or not is_oos.any():
            return self.out_of_scope_below
        best_known, oos_wins = self._best_known(self.probabilities([e.text for e in validation]))
        recalls = [
            float(np.mean((oos_wins | (best_known < threshold))[is_oos]))
            for threshold in CALIBRATION_THRESHOLDS
        ]
        reaching = [i for i, found in enumerate(recalls) if found >= recall]
        chosen = reaching[0] if reaching else int(np.argmax(recalls))
        self.out_of_scope_below = float(CALIBRATION_THRESHOLDS[chosen])
        return self.out_of_scope_below

    def _best_known(self, rows: Matrix) -> tuple[Matrix, npt.NDArray[np.bool_]]:
        """Per row: the best known intent's probability, and whether out of scope beats it."""
        assert self._labels is not None
        known = rows.copy()
        oos = np.zeros(len(rows), dtype=bool)
        if OUT_OF_SCOPE in self._labels:
            column = list(self._labels).index(OUT_OF_SCOPE)
            known[:, column] = -1.0
            oos = rows[:, column] > known.max(axis=1)
        return known.max(axis=1), oos

    def _prediction(self, row: Matrix) -> IntentPrediction:
        assert self._labels is not None
        order = np.argsort(row)[::-1]
        known = [(str(self._labels[i]), float(row[i])) for i in order]
        known = [(label, p) for label, p in known if label != OUT_OF_SCOPE]
        best_label, best = known[0]
        out_of_scope = False
        # Only a model taught what out of scope looks like flags it: without such examples
        # (Banking77, a taxonomy without an out_of_scope table) a low best is still the best.
        if OUT_OF_SCOPE in self._labels:
            oos_probability = float(row[list(self._labels).index(OUT_OF_SCOPE)])
            out_of_scope = best < self.out_of_scope_below or oos_probability > best
        return IntentPrediction(
            intent=OUT_OF_SCOPE if out_of_scope else best_label,
            confidence=round(best, 4),
            alternatives=tuple((label, round(p, 4)) for label, p in known[1:4]),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            pickle.dump((FORMAT_VERSION, self), handle, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)  # atomic: a crash never leaves half a model

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        """Load a model this workspace trained itself (pickle: never load one from elsewhere).

        An ensemble model loads without its embedders; they load on the first prediction.
        """
        try:
            with path.open("rb") as handle:
                version, model = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError) as error:
            raise ClassifierError(f"{path}: cannot load the intent model ({error})") from None
        if version != FORMAT_VERSION or not isinstance(model, cls):
            raise ClassifierError(f"{path}: intent model from another DeskPilot version")
        if model.features == "ensemble":
            if not embeddings.available():
                raise ClassifierError(
                    f"{path}: the intent model needs sentence embeddings: {embeddings.INSTALL_HINT}"
                )
            if model._embedder_signature != embeddings.signature():
                raise ClassifierError(
                    f"{path}: the intent model was trained with other embedding packages "
                    f"({model._embedder_signature}); retrain it"
                )
        return model


# Both functions below are scikit-learn's maths without its per-call checks and sparse-matrix
# building, which cost over a millisecond for one ticket: a fifth of the 5 ms budget with the
# ensemble. A test holds them equal to LogisticRegression.predict_proba.


def _tfidf_scores(union: FeatureUnion, model: LogisticRegression, texts: list[str]) -> Matrix:
    """``model.decision_function(union.transform(texts))`` from the n-grams present only.

    Holds for the vectorisers of ``_tfidf_features``: sublinear tf times idf, L2-normalised.
    """
    scores: Matrix = np.tile(np.asarray(model.intercept_, dtype=np.float64), (len(texts), 1))
    offset = 0
    for _, vectoriser in union.transformer_list:
        analyse = vectoriser.build_analyzer()  # lowercasing and n-grams, as in transform
        vocabulary, idf = vectoriser.vocabulary_, vectoriser.idf_
        for row, text in enumerate(texts):
            found = [
                (vocabulary[g], n) for g, n in Counter(analyse(text)).items() if g in vocabulary
            ]
            if not found:
                continue
            columns = np.array([column for column, _ in found], dtype=np.intp)
            weights = (1.0 + np.log([count for _, count in found])) * idf[columns]
            weights /= np.linalg.norm(weights)
            scores[row] += model.coef_[:, columns + offset] @ weights
        offset += len(vocabulary)
    return scores


@dataclass(frozen=True)
class _Neighbours:
    """The ensemble's nearest-neighbour memory (see ``NEIGHBOURS``): unit vectors in the
    principal components of the training texts' sentence vectors, with label columns and
    weights."""

    centre: FloatMatrix
    components: FloatMatrix  # (embedding dimensions, kept dimensions)
    vectors: FloatMatrix
    labels: npt.NDArray[np.intp]
    weights: Matrix

    @classmethod
    def build(cls, vectors: FloatMatrix, labels: npt.NDArray[np.intp], weights: Matrix) -> Self:
        centre = vectors.mean(axis=0)
        centred = vectors - centre
        # The covariance's eigenvectors: a 768 x 768 problem however many texts there are.
        values, vectors_of = np.linalg.eigh(centred.T @ centred)
        kept = np.argsort(values)[::-1][:NEIGHBOUR_DIMENSIONS]
        components = np.ascontiguousarray(vectors_of[:, kept], dtype=np.float32)
        projected = _unit(centred @ components)
        return cls(centre.astype(np.float32), components, projected, labels, weights)

    def votes(self, embedded: FloatMatrix, n_labels: int) -> Matrix:
        """One row per text: the weighted votes of its nearest neighbours, summing to one."""
        similarity = _unit((embedded - self.centre) @ self.components) @ self.vectors.T
        k = min(NEIGHBOURS, similarity.shape[1])
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        strength = np.exp(NEIGHBOUR_SHARPNESS * np.take_along_axis(similarity, nearest, axis=1))
        votes = np.zeros((len(embedded), n_labels))
        rows = np.repeat(np.arange(len(embedded)), k).reshape(-1, k)
        np.add.at(votes, (rows, self.labels[nearest]), strength * self.weights[nearest])
        votes /= np.maximum(votes.sum(axis=1, keepdims=True), 1e-300)
        return votes


def _some_of_each(columns: npt.NDArray[np.intp], most: int) -> npt.NDArray[np.intp]:
    """Indices of at most ``most`` of the labelled rows (all when they fit), the same number of
    each label where a label has that many, in their order."""
    if len(columns) <= most:
        return np.arange(len(columns))
    each = max(1, most // max(1, len(np.unique(columns))))
    seen: Counter[int] = Counter()
    kept = []
    for index, column in enumerate(columns.tolist()):
        if seen[column] < each:
            seen[column] += 1
            kept.append(index)
    return np.array(kept, dtype=np.intp)


def name_examples(intents: Iterable[str]) -> list[Example]:
    """Each intent's name read as words, as an example of it (not out of scope: its name says
    nothing of what its messages look like)."""
    named = []
    for intent in sorted(set(intents) - {OUT_OF_SCOPE}):
        words = " ".join(intent.replace("_", " ").replace("-", " ").split())
        if words:
            named.append(Example(words, intent))
    return named


def _spread_labels(
    labelled: FloatMatrix, columns: npt.NDArray[np.intp], unlabelled: FloatMatrix, n_labels: int
) -> Matrix:
    """Label spreading (Zhou et al. 2004) over the nearest-neighbour graph of the labelled and
    unlabelled unit vectors: one row per unlabelled text, its labels' shares (see
    ``SPREAD_NEIGHBOURS``)."""
    vectors = np.vstack([labelled, unlabelled]).astype(np.float32)
    n = len(vectors)
    k = min(SPREAD_NEIGHBOURS, n - 1)
    nearest = np.empty((n, k), dtype=np.intp)
    weight = np.empty((n, k), dtype=np.float64)
    for start in range(0, n, SPREAD_CHUNK):
        similarity = vectors[start : start + SPREAD_CHUNK] @ vectors.T
        rows = np.arange(len(similarity))
        similarity[rows, rows + start] = -np.inf  # a text is not its own neighbour
        found = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        nearest[start : start + len(found)] = found
        closeness = np.take_along_axis(similarity, found, axis=1)
        weight[start : start + len(found)] = np.maximum(closeness, 0.0) ** SPREAD_SHARPNESS
    # The graph is the k-nearest links made symmetric (A + Aᵀ) and normalised by its degrees
    # (D^-1/2 (A + Aᵀ) D^-1/2), applied from the link lists without building a matrix.
    sources = np.repeat(np.arange(n), k)
    targets, links = nearest.ravel(), weight.ravel()
    degree = weight.sum(axis=1) + np.bincount(targets, weights=links, minlength=n)
    scale = (1.0 / np.sqrt(np.maximum(degree, 1e-12)))[:, None]

    def along_graph(rows: Matrix) -> Matrix:
        scaled = rows * scale
        moved = np.einsum("ik,ikl->il", weight, scaled[nearest])  # A @ rows
        np.add.at(moved, targets, links[:, None] * scaled[sources])  # Aᵀ @ rows
        result: Matrix = moved * scale
        return result

    seeds = np.zeros((n, n_labels))
    seeds[np.arange(len(labelled)), columns] = 1.0
    spread = seeds.copy()
    for _ in range(SPREAD_STEPS):
        spread = SPREAD_ALPHA * along_graph(spread) + (1 - SPREAD_ALPHA) * seeds
    shares: Matrix = spread[len(labelled) :]
    total = shares.sum(axis=1, keepdims=True)
    # A text the labels never reached gets no opinion from the graph: an even spread.
    return np.where(total > 0, shares / np.maximum(total, 1e-300), 1.0 / n_labels)


def _joined(memory: Memory, more: Memory | None) -> Memory:
    if more is None:
        return memory
    return (
        np.vstack([memory[0], more[0]]),
        np.r_[memory[1], more[1]],
        np.r_[memory[2], more[2]],
    )


def _unit(rows: npt.NDArray[np.floating[Any]]) -> FloatMatrix:
    unit: FloatMatrix = (
        rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    ).astype(np.float32)
    return unit


def _warm_started(previous: LogisticRegression) -> LogisticRegression:
    """A logistic regression like ``previous`` whose solver starts from its weights: a round of
    self-training moves them a little, so this converges in a fraction of the iterations."""
    model = LogisticRegression(C=previous.C, max_iter=previous.max_iter, warm_start=True)
    model.coef_ = previous.coef_.copy()
    model.intercept_ = previous.intercept_.copy()
    return model


def _softmax(scores: Matrix) -> Matrix:
    """Multinomial logistic regression's probabilities from its linear scores. With two classes
    scikit-learn keeps one score column, and softmax over (0, score) is its logistic."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape[1] == 1:
        scores = np.hstack([np.zeros_like(scores), scores])
    scores = scores - scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores


def _tfidf_features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True
                ),
            ),
        ]
    )
