"""The knowledge panel: the articles and past tickets the index finds for the ticket."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from deskpilot.knowledge import Hit
from deskpilot.tui import outside


class KnowledgePanel(Static):
    hits: reactive[list[Hit] | None] = reactive(None, always_update=True, layout=True)
    problem: reactive[str | None] = reactive(None, layout=True)  # the search failed

    def watch_hits(self, hits: list[Hit] | None) -> None:
        if hits is None:
            self.update("Searching…")  # the ticket's search is on its way
            return
        if not hits:
            self.update("No articles or past tickets match.")
            return
        lines = [
            outside.markup(
                "[b]$title[/b] [dim]$kind · $score[/dim]\n  $snippet",
                title=hit.title,
                kind=hit.kind,
                score=f"{hit.score:.1f}",
                snippet=hit.snippet.replace("**", "")[:160],
            )
            for hit in hits
        ]
        self.update(outside.lines(lines))

    def watch_problem(self, problem: str | None) -> None:
        if problem is not None:
            self.update(outside.markup("[red]Search failed:[/red] $message", message=problem))
