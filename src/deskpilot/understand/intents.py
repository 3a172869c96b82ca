"""The intent classifier: learns the team's taxonomy from labelled examples.

Word and character n-gram TF-IDF features feed a multinomial logistic regression, whose
probabilities are the confidence. Character n-grams make it robust to typos and inflections;
word bigrams catch short paraphrases ("can't get in", "locked out"). When the training data
has out-of-scope examples (the default taxonomy does), a message is out of scope when that
class wins or when no known intent reaches ``out_of_scope_below``.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from deskpilot.errors import DeskPilotError
from deskpilot.understand.datasets import OUT_OF_SCOPE, Example

FORMAT_VERSION = 1


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
    def __init__(self, *, out_of_scope_below: float = 0.3, regularisation: float = 20.0) -> None:
        self.out_of_scope_below = out_of_scope_below
        self.regularisation = regularisation
        self._pipeline: Pipeline | None = None
        self._labels: np.ndarray | None = None

    @property
    def intents(self) -> list[str]:
        return [] if self._labels is None else [str(x) for x in self._labels]

    def fit(self, examples: Sequence[Example]) -> IntentClassifier:
        labels = {e.intent for e in examples}
        if len(labels - {OUT_OF_SCOPE}) < 2:
            raise ClassifierError(
                f"need examples of at least two intents to learn from; got {sorted(labels)}"
            )
        pipeline = Pipeline(
            [
                ("features", _features()),
                (
                    "model",
                    LogisticRegression(C=self.regularisation, max_iter=1000, tol=1e-3),
                ),
            ]
        )
        pipeline.fit([e.text for e in examples], [e.intent for e in examples])
        self._pipeline = pipeline
        self._labels = pipeline.classes_
        return self

    def predict(self, text: str) -> IntentPrediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        if self._pipeline is None or self._labels is None:
            raise ClassifierError("the intent classifier has not been trained yet")
        probabilities = self._pipeline.predict_proba(list(texts))
        return [self._prediction(row) for row in probabilities]

    def _prediction(self, row: np.ndarray) -> IntentPrediction:
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
        """Load a model this workspace trained itself (pickle: never load one from elsewhere)."""
        try:
            with path.open("rb") as handle:
                version, model = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError) as error:
            raise ClassifierError(f"{path}: cannot load the intent model ({error})") from None
        if version != FORMAT_VERSION or not isinstance(model, cls):
            raise ClassifierError(f"{path}: intent model from another DeskPilot version")
        return model


def _features() -> FeatureUnion:
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
