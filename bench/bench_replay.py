"""Replay benchmark: does the desk learn from its agents' edits, and how fast does it replay?

Run:  python bench/bench_replay.py [--data ../shared/data]
                                   [--set twcs|twcs-threads|bitext|both]
                                   [--n 5000] [--window 200] [--seed 1] [--output DIR]

Replays, through `deskpilot eval replay`'s code, with learning and without (the control):
- TWCS (Customer Support on Twitter, CC BY-NC-SA 4.0: read from ../shared only): 2,188 real
  customer tweets and the company's real reply, in time order, each with the brand that answered;
- TWCS's threads (``--set twcs-threads``): the tweets of ``twcs_first5000.csv`` read at run
  time as conversations (``deskpilot.feedback.twcs``; nothing written): each brand reply with
  the conversation before it (the customer's tweets and the brand's earlier replies), in the
  order the replies were sent; the ones after two or more customer tweets are also shown apart;
- Bitext's customer-support set (CDLA-Sharing-1.0; its file is sorted by intent, so it is
  shuffled with --seed): one template reply per intent.
Beside them, measured in the same run on the same order:
- a fixed generic reply (one polite holding answer for every ticket);
- copying the reply of the most similar earlier message (TF-IDF of 1-2 grams, cosine);
- the same among earlier messages answered by the same company (TWCS only);
- the best earlier reply chosen with hindsight (an upper bound no drafter can see).
Similarity is rapidfuzz.fuzz.ratio(draft, reply) / 100 throughout, as the edit events store it.

Every series is also shown on two splits, so a rule tuned to one part of the file is caught on
the other: the first and second half in time, and the companies in two groups (by a hash of the
company's name, so the groups are fixed and of no one's choosing; TWCS only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

from deskpilot.copilot.adapt import links_in
from deskpilot.evaluation.replay import replay
from deskpilot.feedback.replay_cases import ReplayCase, ReplayResult, read_replay_file
from deskpilot.models import Author

GENERIC = (
    "Thank you for reaching out. I'm sorry for the trouble. I've passed your request to the "
    "right team and we'll get back to you as soon as possible with an update."
)


def baselines(cases: list[ReplayCase], window: int) -> dict[str, list[float]]:
    vectors = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform(
        [case.body for case in cases]
    )
    closeness = (vectors @ vectors.T).toarray()
    companies = {case.company for case in cases} - {None}
    generic, copy, same_company, hindsight = [], [], [], []
    for i, case in enumerate(cases):
        generic.append(fuzz.ratio(GENERIC, case.reply) / 100)
        copy.append(_copy_nearest(cases, closeness[i], range(i), case))
        if companies:
            earlier = [j for j in range(i) if cases[j].company == case.company]
            same_company.append(_copy_nearest(cases, closeness[i], earlier, case))
        if i == 0:
            hindsight.append(0.0)
            continue
        best = process.extractOne(case.reply, [c.reply for c in cases[:i]], scorer=fuzz.ratio)
        hindsight.append(best[1] / 100)
    found = {"fixed generic reply": generic, "copy nearest earlier": copy}
    if companies:
        found["copy nearest, same company"] = same_company
    found["best earlier (hindsight)"] = hindsight
    return found


def _copy_nearest(
    cases: list[ReplayCase], closeness: np.ndarray, earlier: range | list[int], case: ReplayCase
) -> float:
    candidates = list(earlier)
    if not candidates:
        return 0.0
    nearest = max(candidates, key=lambda j: closeness[j])
    return fuzz.ratio(cases[nearest].reply, case.reply) / 100


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


def splits(cases: list[ReplayCase], scores: list[float]) -> str:
    """Mean similarity on each half in time and, with companies, on each company group."""
    half = len(scores) // 2
    parts = [f"time {statistics.fmean(scores[:half]):.3f} | {statistics.fmean(scores[half:]):.3f}"]
    if any(case.company for case in cases):
        groups: tuple[list[float], list[float]] = ([], [])
        for case, score in zip(cases, scores, strict=True):
            groups[company_group(case.company or "")].append(score)
        if groups[0] and groups[1]:
            parts.append(
                f"companies A {statistics.fmean(groups[0]):.3f} | "
                f"B {statistics.fmean(groups[1]):.3f}"
            )
    return "   ".join(parts)


def link_habits(cases: list[ReplayCase], result: ReplayResult) -> str:
    """How drafts cite the team's links: of the real replies citing a link the company had sent
    two or more other customers (its help page for the question, its DM link), how many drafts
    cite it; and how many drafts cite a link neither the real reply nor the conversation has."""
    sent: dict[tuple[str, str], set[str]] = {}
    could = cited = foreign = 0
    for case, record in zip(cases, result.records, strict=True):
        customer = case.customer or case.id
        conversation = links_in(" ".join(m.body for m in case.thread) or case.body)
        replied = links_in(case.reply)
        drafted = links_in(record.draft)
        brand = case.company or ""
        known = {link for link in replied if len(sent.get((brand, link), set()) - {customer}) >= 2}
        if known:
            could += 1
            cited += bool(known & drafted)
        foreign += bool(drafted - replied - conversation)
        for link in replied:
            sent.setdefault((brand, link), set()).add(customer)
    return (
        f"cites the team's page {cited} of {could} ({cited / max(1, could):.0%}); "
        f"a link the reply does not cite in {foreign} drafts ({foreign / len(cases):.1%})"
    )


def multi_message(case: ReplayCase) -> bool:
    """A reply after two or more of the customer's messages (a follow-up, a thread)."""
    return sum(message.author is Author.CUSTOMER for message in case.thread) >= 2


def company_group(company: str) -> int:
    return int(hashlib.sha1(company.encode()).hexdigest(), 16) % 2


def load(name: str, data: Path, n: int, seed: int) -> list[ReplayCase]:
    if name == "twcs":
        return read_replay_file(data / "twcs" / "twcs_replay.jsonl")[:n]
    if name == "twcs-threads":
        return read_replay_file(data / "twcs" / "twcs_first5000.csv")[:n]
    cases = read_replay_file(data / "bitext" / "bitext_customer_support_2023-08-07_6480rows.csv")
    random.Random(seed).shuffle(cases)
    return cases[:n]


def bench(name: str, cases: list[ReplayCase], args: argparse.Namespace) -> None:
    order = "in time order" if name.startswith("twcs") else f"shuffled, seed {args.seed}"
    print(f"\nReplay of {len(cases)} {name.upper()} tickets ({order}), window {args.window}")
    print("-" * 78)
    started = time.perf_counter()
    reference = baselines(cases, args.window)
    reference_seconds = time.perf_counter() - started
    for label, scores in reference.items():
        print(line(label, scores, args.window))
    print(f"(baselines computed in {reference_seconds:.1f} s)")
    control = replay(cases, window=args.window, learning=False, config_file=args.config)
    print(line("desk, learning off", control.similarities, args.window, control.seconds))
    learned = replay(cases, window=args.window, learning=True, config_file=args.config)
    print(line("desk, learning on", learned.similarities, args.window, learned.seconds))
    print("\nsplits (mean similarity)")
    series = {**reference, "desk, learning off": control.similarities}
    series["desk, learning on"] = learned.similarities
    for label, scores in series.items():
        print(f"{label:<26} {splits(cases, scores)}")
    multi = [i for i, case in enumerate(cases) if multi_message(case)]
    if multi:
        print(
            f"\nafter two or more customer messages ({len(multi)} of {len(cases)}): "
            "mean | last window, splits"
        )
        for label, scores in series.items():
            picked = [scores[i] for i in multi]
            last = curve(picked, args.window)[-1]
            parts = splits([cases[i] for i in multi], picked)
            print(f"{label:<26} {statistics.fmean(picked):.3f} | {last:.3f}   {parts}")
    if any(case.company for case in cases):
        print(f"\nhelp links  learning on: {link_habits(cases, learned)}")
        print(f"            learning off: {link_habits(cases, control)}")
    if args.output:
        _write(args.output / f"{name}-learning-on.jsonl", learned)
        _write(args.output / f"{name}-learning-off.jsonl", control)
    figures = learned.to_json()
    last = figures["mean_similarity_last_window"]
    control_last = curve(control.similarities, args.window)[-1]
    copy_key = "copy nearest, same company" if name.startswith("twcs") else "copy nearest earlier"
    print(
        f"\nlearning on: last window {last:.3f} vs control {control_last:.3f} "
        f"(+{last - control_last:.3f}) and {copy_key} "
        f"{curve(reference[copy_key], args.window)[-1]:.3f}; "
        f"accepted as is {figures['accepted_as_is_rate']:.1%}; "
        f"{learned.seconds / len(cases) * 1000:.0f} ms a ticket"
    )


def _write(path: Path, result: ReplayResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in result.records:
            out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--set", choices=["twcs", "twcs-threads", "bitext", "both"], default="both")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--config", type=Path, default=None, help="a team's config.toml")
    parser.add_argument("--output", type=Path, default=None, help="a folder for the drafts")
    args = parser.parse_args()
    for name in ("twcs", "bitext") if args.set == "both" else (args.set,):
        bench(name, load(name, args.data, args.n, args.seed), args)


if __name__ == "__main__":
    main()
