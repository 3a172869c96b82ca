"""Measure the intent classifier on labelled data: accuracy, macro F1, out-of-scope handling."""

from __future__ import annotations

import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

from sklearn.metrics import f1_score

from deskpilot.understand.datasets import OUT_OF_SCOPE, Example
from deskpilot.understand.intents import IntentClassifier

Progress = Callable[[int, int], None]
TIMED_SINGLE_PREDICTIONS = 200
BATCH = 500
OOS_FIGURES = ("oos_recall", "oos_precision", "in_scope_accuracy")


@dataclass(frozen=True)
class EvalReport:
    accuracy: float
    macro_f1: float
    n_train: int
    n_test: int
    n_intents: int
    train_seconds: float
    classify_ms_p50: float
    classify_ms_p95: float
    # The same predictions in this thread's CPU time: what the classifier costs by itself, which
    # other processes on a busy machine stretch in wall time but not here.
    classify_cpu_ms_p50: float
    out_of_scope_below: float | None = None  # the threshold used, when out of scope is tested
    threshold_from: str | None = None  # "validation" (chosen on it) or "default"
    oos_recall: float | None = None
    oos_precision: float | None = None
    in_scope_accuracy: float | None = None

    def as_dict(self) -> dict[str, float | int | str | None]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def sample_shots(examples: Sequence[Example], shots: int, seed: int) -> list[Example]:
    """``shots`` examples per intent (all of an intent that has fewer), chosen by ``seed``."""
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    rng = random.Random(seed)
    chosen = []
    for intent in sorted(by_intent):
        pool = by_intent[intent]
        chosen.extend(rng.sample(pool, min(shots, len(pool))))
    return chosen


def evaluate(
    train: Sequence[Example],
    test: Sequence[Example],
    *,
    classifier: IntentClassifier | None = None,
    validation: Sequence[Example] | None = None,
    unlabelled: Sequence[str] = (),
    progress: Progress | None = None,
) -> EvalReport:
    """Train on ``train`` (and ``unlabelled`` texts, see ``IntentClassifier.fit``), measure on
    ``test``; ``validation`` (labelled, with out-of-scope examples) chooses the out-of-scope
    threshold, else the classifier's default stands."""
    classifier = classifier or IntentClassifier()
    started = time.perf_counter()
    classifier.fit(train, unlabelled)
    train_seconds = time.perf_counter() - started
    threshold_from = "default"
    if validation and any(e.intent == OUT_OF_SCOPE for e in validation):
        classifier.calibrate_out_of_scope(validation)
        threshold_from = "validation"

    predicted: list[str] = []
    for start in range(0, len(test), BATCH):
        batch = test[start : start + BATCH]
        predicted.extend(p.intent for p in classifier.predict_many([e.text for e in batch]))
        if progress:
            progress(len(predicted), len(test))
    single, single_cpu = _single_prediction_ms(classifier, test)
    report = _report(train, test, predicted, train_seconds, single, single_cpu)
    if report.oos_recall is None:
        return report
    return replace(
        report, out_of_scope_below=classifier.out_of_scope_below, threshold_from=threshold_from
    )


def _single_prediction_ms(
    classifier: IntentClassifier, test: Sequence[Example]
) -> tuple[list[float], list[float]]:
    """One ticket at a time, as triage on arrival sees them: wall and CPU milliseconds."""
    wall, cpu = [], []
    for example in test[:TIMED_SINGLE_PREDICTIONS]:
        started, started_cpu = time.perf_counter(), time.thread_time()
        classifier.predict(example.text)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


def _report(
    train: Sequence[Example],
    test: Sequence[Example],
    predicted: list[str],
    train_seconds: float,
    single_ms: list[float],
    single_cpu_ms: list[float],
) -> EvalReport:
    truth = [e.intent for e in test]
    correct = sum(t == p for t, p in zip(truth, predicted, strict=True))
    labels = sorted(set(truth) | set(predicted))
    oos = _out_of_scope_figures(truth, predicted) if OUT_OF_SCOPE in truth else {}
    oos_recall, oos_precision, in_scope = (oos.get(k) for k in OOS_FIGURES)
    return EvalReport(
        accuracy=round(correct / len(test), 4),
        macro_f1=round(float(f1_score(truth, predicted, labels=labels, average="macro")), 4),
        n_train=len(train),
        n_test=len(test),
        n_intents=len({e.intent for e in train} - {OUT_OF_SCOPE}),
        train_seconds=round(train_seconds, 2),
        classify_ms_p50=round(statistics.median(single_ms), 3),
        classify_ms_p95=round(statistics.quantiles(single_ms, n=20)[-1], 3)
        if len(single_ms) > 1
        else round(single_ms[0], 3),
        classify_cpu_ms_p50=round(statistics.median(single_cpu_ms), 3),
        oos_recall=oos_recall,
        oos_precision=oos_precision,
        in_scope_accuracy=in_scope,
    )


def _out_of_scope_figures(truth: list[str], predicted: list[str]) -> dict[str, float]:
    pairs = list(zip(truth, predicted, strict=True))
    oos_true = [p for t, p in pairs if t == OUT_OF_SCOPE]
    flagged = [t for t, p in pairs if p == OUT_OF_SCOPE]
    in_scope = [(t, p) for t, p in pairs if t != OUT_OF_SCOPE]
    return {
        "oos_recall": round(sum(p == OUT_OF_SCOPE for p in oos_true) / len(oos_true), 4),
        "oos_precision": round(sum(t == OUT_OF_SCOPE for t in flagged) / len(flagged), 4)
        if flagged
        else 0.0,
        "in_scope_accuracy": round(sum(t == p for t, p in in_scope) / len(in_scope), 4)
        if in_scope
        else 0.0,
    }
