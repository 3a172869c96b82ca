"""Intent classifier benchmark: the issue's targets on the shared public data sets.

Run:  python bench/bench_intents.py [--data ../shared/data] [--quick]

- Banking77 (Casanueva et al. 2020, CC-BY-4.0): the official test split is held back, so a
  stratified 80/20 split of train.csv (seed 0) stands in; full data and 10-shot (3 seeds).
- CLINC150 (Larson et al. 2019, CC-BY-3.0): train (+ oos_train) against val + oos_val.
Baseline, measured in the same run: word-unigram TF-IDF into a linear SVM, the textbook model.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from deskpilot.understand.datasets import Example, load_examples
from deskpilot.understand.evaluate import EvalReport, evaluate, sample_shots

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
    return sum(p == e.intent for p, e in zip(predicted, test, strict=True)) / len(test)


def row(name: str, ours: float, baseline: float | None = None) -> str:
    target = TARGETS.get(name)
    text = f"{name:<32} {ours * 100:6.2f}%"
    if target is not None:
        text += f"   target {target * 100:5.1f}%  {'met' if ours >= target else 'MISSED'}"
    if baseline:
        text += f"   baseline {baseline * 100:6.2f}% ({ours / baseline:.3f}x)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--quick", action="store_true", help="one 10-shot seed, no CLINC")
    args = parser.parse_args()

    bank = load_examples(args.data / "banking77" / "train.csv", "train")
    bank_train, bank_test = stratified_split(bank, 0.2, seed=0)
    full: EvalReport = evaluate(bank_train, bank_test)
    lines = [
        row("banking77 full accuracy", full.accuracy, baseline_accuracy(bank_train, bank_test)),
        f"{'  train seconds':<32} {full.train_seconds:7.2f}   (target < 120)",
        f"{'  classify one, p50 / p95 ms':<32} {full.classify_ms_p50:7.3f} / "
        f"{full.classify_ms_p95:.3f}   (target p50 < 5)",
    ]
    shot_seeds = [0] if args.quick else [0, 1, 2]
    shots = []
    for seed in shot_seeds:
        few = sample_shots(bank_train, 10, seed)
        shots.append((evaluate(few, bank_test).accuracy, baseline_accuracy(few, bank_test)))
    lines.append(
        row(
            "banking77 10-shot accuracy",
            statistics.mean(s[0] for s in shots),
            statistics.mean(s[1] for s in shots),
        )
    )
    if not args.quick:
        clinc_file = args.data / "clinc150" / "data_trainval.json"
        clinc = evaluate(load_examples(clinc_file, "train"), load_examples(clinc_file, "test"))
        assert clinc.in_scope_accuracy is not None and clinc.oos_recall is not None
        lines += [
            row("clinc150 in-scope accuracy", clinc.in_scope_accuracy),
            row("clinc150 out-of-scope recall", clinc.oos_recall),
            f"{'  out-of-scope precision':<32} {(clinc.oos_precision or 0) * 100:6.2f}%",
            f"{'  train seconds':<32} {clinc.train_seconds:7.2f}",
        ]
    print("\nintent classifier")
    print("-----------------")
    print("\n".join(lines))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(benchmark ran {time.perf_counter() - started:.0f} s)", file=sys.stderr)
