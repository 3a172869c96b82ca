"""Replay benchmark: does the desk learn from its agents' edits, and how fast does it replay?

Run:  python bench/bench_replay.py [--data ../shared/data] [--n 5000] [--window 200] [--seed 1]

Replays the Bitext customer-support set (CDLA-Sharing-1.0; its file is sorted by intent, so it
is shuffled with --seed) through `deskpilot eval replay`'s code, with learning and without (the
control), and prints, measured in the same run on the same order:
- a fixed generic reply (one polite holding answer for every ticket);
- copying the reply of the most similar earlier message (rapidfuzz token-set ratio);
- the best earlier reply chosen with hindsight (an upper bound no drafter can see).
Similarity is rapidfuzz.fuzz.ratio(draft, reply) / 100 throughout, as the edit events store it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from rapidfuzz import fuzz, process

from deskpilot.feedback.replay import ReplayCase, read_replay_file, replay

GENERIC = (
    "Thank you for reaching out. I'm sorry for the trouble. I've passed your request to the "
    "right team and we'll get back to you as soon as possible with an update."
)


def baselines(cases: list[ReplayCase], window: int) -> dict[str, list[float]]:
    generic, copy, hindsight = [], [], []
    for i, case in enumerate(cases):
        generic.append(fuzz.ratio(GENERIC, case.reply) / 100)
        if i == 0:
            copy.append(0.0)
            hindsight.append(0.0)
            continue
        earlier = cases[:i]
        nearest = process.extractOne(
            case.body, [c.body for c in earlier], scorer=fuzz.token_set_ratio
        )
        copy.append(fuzz.ratio(earlier[nearest[2]].reply, case.reply) / 100)
        best = process.extractOne(case.reply, [c.reply for c in earlier], scorer=fuzz.ratio)
        hindsight.append(best[1] / 100)
    return {
        "fixed generic reply": generic,
        "copy nearest earlier": copy,
        "best earlier (hindsight)": hindsight,
    }


def curve(scores: list[float], window: int) -> list[float]:
    return [statistics.fmean(scores[i : i + window]) for i in range(0, len(scores), window)]


def line(name: str, scores: list[float], window: int, seconds: float | None = None) -> str:
    points = curve(scores, window)
    spark = "".join("▁▂▃▄▅▆▇█"[min(7, int(p * 8))] for p in points)
    timing = f"  {seconds:6.1f} s" if seconds is not None else ""
    return (
        f"{name:<26} mean {statistics.fmean(scores):.3f}  first {points[0]:.3f}  "
        f"last {points[-1]:.3f}  {spark}{timing}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--config", type=Path, default=None, help="a team's config.toml")
    args = parser.parse_args()
    path = args.data / "bitext" / "bitext_customer_support_2023-08-07_6480rows.csv"
    cases = read_replay_file(path)
    random.Random(args.seed).shuffle(cases)
    cases = cases[: args.n]
    print(
        f"Replay of {len(cases)} Bitext tickets (shuffled, seed {args.seed}), window {args.window}"
    )
    print("-" * 72)
    started = time.perf_counter()
    reference = baselines(cases, args.window)
    reference_seconds = time.perf_counter() - started
    for name, scores in reference.items():
        print(line(name, scores, args.window))
    print(f"(baselines computed in {reference_seconds:.1f} s)")
    control = replay(cases, window=args.window, learning=False, config_file=args.config)
    print(line("desk, learning off", control.similarities, args.window, control.seconds))
    learned = replay(cases, window=args.window, learning=True, config_file=args.config)
    print(line("desk, learning on", learned.similarities, args.window, learned.seconds))
    figures = learned.to_json()
    last, control_last = (
        figures["mean_similarity_last_window"],
        curve(control.similarities, args.window)[-1],
    )
    print(
        f"\nlearning on: last window {last:.3f} vs control {control_last:.3f} "
        f"({last / max(1e-9, control_last):.2f}x) "
        f"and copy-nearest {curve(reference['copy nearest earlier'], args.window)[-1]:.3f}; "
        f"accepted as is {figures['accepted_as_is_rate']:.1%}; "
        f"{learned.seconds / len(cases) * 1000:.0f} ms a ticket"
    )


if __name__ == "__main__":
    main()
