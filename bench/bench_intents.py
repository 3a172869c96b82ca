"""Intent classifier benchmark: the issue's targets on the shared public data sets.

Run:  python bench/bench_intents.py [--data ../shared/data] [--quick] [--features both]

- Banking77 (Casanueva et al. 2020, CC-BY-4.0): the official test split is held back, so a
  stratified 80/20 split of train.csv (seed 0) stands in; full data and 10-shot (3 seeds).
- CLINC150 (Larson et al. 2019, CC-BY-3.0): train (+ oos_train) against val + oos_val.
Baseline, measured in the same run: word-unigram TF-IDF into a linear SVM, the textbook model.
--features picks DeskPilot's classifier: tfidf (the default install), ensemble (the embeddings
extra) or both (the default when the extra is installed); each is measured against the targets.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from deskpilot.understand import embeddings
from deskpilot.understand.datasets import Example, load_examples
from deskpilot.understand.evaluate import EvalReport, evaluate, sample_shots
from deskpilot.understand.intents import TFIDF_WEIGHT, Features, IntentClassifier

TARGETS = {
    "banking77 full accuracy": 0.93,
    "banking77 10-shot accuracy": 0.85,
    "clinc150 in-scope accuracy": 0.92,
    "clinc150 out-of-scope recall": 0.70,
}


def stratified_split(
    examples: Sequence[Example], test_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    rng = random.Random(seed)
    train, test = [], []
    for intent in sorted(by_intent):
        group = list(by_intent[intent])
        rng.shuffle(group)
        cut = round(len(group) * test_fraction)
        test.extend(group[:cut])
        train.extend(group[cut:])
    return train, test


def baseline_accuracy(train: Sequence[Example], test: Sequence[Example]) -> float:
    model = make_pipeline(TfidfVectorizer(), LinearSVC())
    model.fit([e.text for e in train], [e.intent for e in train])
    predicted = model.predict([e.text for e in test])
    return float(sum(p == e.intent for p, e in zip(predicted, test, strict=True)) / len(test))


def row(name: str, ours: float, baseline: float | None = None) -> str:
    target = TARGETS.get(name)
    text = f"{name:<32} {ours * 100:6.2f}%"
    if target is not None:
        text += f"   target {target * 100:5.1f}%  {'met' if ours >= target else 'MISSED'}"
    if baseline:
        text += f"   baseline {baseline * 100:6.2f}% ({ours / baseline:.3f}x)"
    return text


TITLES = {
    "tfidf": "TF-IDF words 1-2 + chars 2-5 -> logistic regression",
    "ensemble": f"{TFIDF_WEIGHT} x TF-IDF + {1 - TFIDF_WEIGHT:.1f} x wordllama+USE embeddings",
}


CHOICES: dict[str, list[Features]] = {
    "tfidf": ["tfidf"],
    "ensemble": ["ensemble"],
    "both": ["tfidf", "ensemble"],
}


def chosen_features(asked: str | None) -> list[Features]:
    if asked is None:
        asked = "both" if embeddings.available() else "tfidf"
    if "ensemble" in CHOICES[asked]:
        embeddings.require()
    return CHOICES[asked]


@dataclass(frozen=True)
class Banking77:
    train: list[Example]
    test: list[Example]
    few: list[list[Example]]  # 10 examples an intent, one set a seed
    baseline_full: float
    baseline_few: float


def measure(
    features: Features, bank: Banking77, everything: list[Example], quick: bool, data: Path
) -> str:
    full: EvalReport = evaluate(
        bank.train, bank.test, classifier=IntentClassifier(features=features)
    )
    lines = [
        f"{features}: {TITLES[features]}",
        row("banking77 full accuracy", full.accuracy, bank.baseline_full),
        f"{'  train seconds (80%)':<32} {full.train_seconds:7.2f}",
        f"{'  classify one, p50 / p95 ms':<32} {full.classify_ms_p50:7.3f} / "
        f"{full.classify_ms_p95:.3f}   (target p50 < 5)",
    ]
    few = [
        evaluate(f, bank.test, classifier=IntentClassifier(features=features)).accuracy
        for f in bank.few
    ]
    lines.append(row("banking77 10-shot accuracy", statistics.mean(few), bank.baseline_few))
    if quick:
        return "\n".join(lines)
    started = time.perf_counter()
    IntentClassifier(features=features).fit(everything)
    lines.append(
        f"{'  train all ' + format(len(everything), ',') + ' seconds':<32} "
        f"{time.perf_counter() - started:7.2f}   (target < 120)"
    )
    clinc_file = data / "clinc150" / "data_trainval.json"
    clinc = evaluate(
        load_examples(clinc_file, "train"),
        load_examples(clinc_file, "test"),
        classifier=IntentClassifier(features=features),
    )
    assert clinc.in_scope_accuracy is not None and clinc.oos_recall is not None
    lines += [
        row("clinc150 in-scope accuracy", clinc.in_scope_accuracy),
        row("clinc150 out-of-scope recall", clinc.oos_recall),
        f"{'  out-of-scope precision':<32} {(clinc.oos_precision or 0) * 100:6.2f}%",
        f"{'  train seconds':<32} {clinc.train_seconds:7.2f}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--quick", action="store_true", help="one 10-shot seed, no CLINC")
    parser.add_argument(
        "--features",
        choices=list(CHOICES),
        help="the classifier to measure (default: both when the embeddings extra is installed)",
    )
    args = parser.parse_args()
    try:
        features = chosen_features(args.features)
    except embeddings.EmbeddingsUnavailableError as error:
        parser.error(str(error))

    everything = load_examples(args.data / "banking77" / "train.csv", "train")
    train, test = stratified_split(everything, 0.2, seed=0)
    few = [sample_shots(train, 10, seed) for seed in ([0] if args.quick else [0, 1, 2])]
    bank = Banking77(
        train,
        test,
        few,
        baseline_full=baseline_accuracy(train, test),
        baseline_few=statistics.mean(baseline_accuracy(f, test) for f in few),
    )
    print("\nintent classifier (baseline: word TF-IDF -> linear SVM, same run)")
    print("-----------------")
    for name in features:
        print(measure(name, bank, everything, args.quick, args.data), end="\n\n", flush=True)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(benchmark ran {time.perf_counter() - started:.0f} s)", file=sys.stderr)
