"""Small timing helpers for the benchmarks: medians of repeated runs, printed as a table."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskpilot.desk import Desk


@dataclass
class Figure:
    name: str
    seconds: float
    baseline: str | None = None
    baseline_seconds: float | None = None

    def line(self) -> str:
        text = f"{self.name:<44} {self.seconds * 1000:>10.2f} ms"
        if self.baseline_seconds:
            ratio = self.seconds / self.baseline_seconds
            text += f"   {ratio:>6.2f}x {self.baseline}"
        return text


def median_seconds(run: Callable[[], object], repeat: int = 7) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def once_seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def report(title: str, figures: list[Figure]) -> None:
    print(f"\n{title}")
    print("-" * len(title))
    for figure in figures:
        print(figure.line())


def demo_desk(folder: Path | None, tickets: int, prefix: str) -> Desk:
    """A desk on a demo workspace of ``tickets`` tickets: ``folder``'s if it holds one already
    (benchmarks can share a 100k workspace), else built there or in a new temporary folder."""
    from deskpilot.demo import build_demo
    from deskpilot.desk import Desk
    from deskpilot.workspace import Workspace

    root = folder or Path(tempfile.mkdtemp(prefix=prefix))
    desk = Desk.open(Workspace.create(root))
    if desk.demo_description() is None:
        build_demo(desk, tickets=tickets)
    return desk
