"""`deskpilot eval replay`, `learn`, `stats`, `export training`: the feedback loop from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import click

from deskpilot.cli.common import Context, pass_context, progress_bar, workspace_option
from deskpilot.desk import Desk


@click.group("eval")
def eval_group() -> None:
    """Measure the desk on historical data."""


@eval_group.command("replay")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--window", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--no-learning", is_flag=True, help="The control: the same replay, learning off.")
@click.option(
    "--shuffle",
    "shuffle_seed",
    type=int,
    default=None,
    metavar="SEED",
    help="Replay in a shuffled order (for files sorted by topic and without dates).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Replay the first N.")
def replay_command(
    file: Path,
    as_json: bool,
    window: int,
    no_learning: bool,
    shuffle_seed: int | None,
    limit: int | None,
) -> None:
    """Replay FILE's tickets in order on a fresh workspace: draft, score against the reply the
    agent really sent, log the edit, learn. FILE: JSONL with body and reply, or a CSV such as
    Bitext's (instruction, response, intent)."""
    from deskpilot.feedback.replay import read_replay_file, replay

    cases = read_replay_file(file)
    if shuffle_seed is not None:
        import random

        random.Random(shuffle_seed).shuffle(cases)
    cases = cases[:limit] if limit else cases
    with progress_bar("replaying") as report:
        result = replay(
            cases,
            learning=not no_learning,
            window=window,
            progress=lambda done, total: report(done, total, ""),
        )
    figures = result.to_json()
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(
        f"{figures['n']} tickets in {figures['seconds']} s, learning "
        f"{'on' if figures['learning'] else 'off'}: mean similarity "
        f"{figures['mean_similarity']:.3f} (first window {figures['mean_similarity_first_window']:.3f}, "
        f"last {figures['mean_similarity_last_window']:.3f}), "
        f"{figures['accepted_as_is_rate']:.1%} accepted as is"
    )
    click.echo(_sparkline(figures["curve"]) + "  similarity per window of " + str(window))


def _sparkline(values: list[float]) -> str:
    bars = "▁▂▃▄▅▆▇█"
    return "".join(bars[min(len(bars) - 1, int(v * len(bars)))] for v in values)
