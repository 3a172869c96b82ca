"""One call that brings a workspace's whole index up to date: articles, tickets and facts."""

from __future__ import annotations

from dataclasses import dataclass

from deskpilot.knowledge.articles import index_articles
from deskpilot.knowledge.documents import IndexReport, Progress, no_progress
from deskpilot.knowledge.facts import index_facts
from deskpilot.knowledge.index import KnowledgeIndex
from deskpilot.knowledge.tickets import index_answered_tickets
from deskpilot.store import Store
from deskpilot.workspace import Workspace


@dataclass(frozen=True)
class WorkspaceIndexReport:
    articles: IndexReport
    tickets: IndexReport
    facts: IndexReport

    @property
    def reports(self) -> tuple[IndexReport, IndexReport, IndexReport]:
        return (self.articles, self.tickets, self.facts)

    def __str__(self) -> str:
        return "\n".join(str(report) for report in self.reports)


def build_workspace_index(
    workspace: Workspace,
    store: Store,
    progress: Progress | None = None,
    *,
    rebuild: bool = False,
    index: KnowledgeIndex | None = None,
) -> WorkspaceIndexReport:
    """Index the workspace's articles, resolved tickets and plan/bug facts, incrementally."""
    report = progress or no_progress
    if index is None or rebuild:
        index = KnowledgeIndex.open(workspace.index_dir, rebuild=rebuild)
    if workspace.articles_dir.is_dir():
        articles = index_articles(index, workspace.articles_dir, _stage("articles", report))
    else:
        articles = IndexReport(str(workspace.articles_dir))
    tickets = index_answered_tickets(index, store, _stage("tickets", report))
    facts = index_facts(index, workspace.records_dir, _stage("facts", report))
    return WorkspaceIndexReport(articles, tickets, facts)


def _stage(name: str, progress: Progress) -> Progress:
    def report(stage: str, done: int, total: int) -> None:
        progress(f"{name}: {stage}", done, total)

    return report
