"""``deskpilot kb``: build, search and evaluate the knowledge index of a workspace."""

from __future__ import annotations

from pathlib import Path

import click

from deskpilot.cli.common import (
    Context,
    json_text,
    pass_context,
    progress_bar,
    shown,
    workspace_option,
)
from deskpilot.desk import Desk
from deskpilot.knowledge import (
    KINDS,
    EvalResult,
    Hit,
    IndexReport,
    KnowledgeIndex,
    evaluate,
    index_articles,
    read_eval_file,
)


@click.group()
def kb() -> None:
    """The knowledge index: help-center articles, resolved tickets and product facts."""


@kb.command("index")
@workspace_option
@click.argument(
    "folder", required=False, type=click.Path(path_type=Path, file_okay=False, exists=True)
)
@click.option("--rebuild", is_flag=True, help="Empty the index first, then index everything.")
@pass_context
def kb_index(context: Context, folder: Path | None, rebuild: bool) -> None:
    """Index the Markdown articles in FOLDER, or the whole workspace without it.

    Unreadable articles (not UTF-8, unterminated front matter, empty) are listed on stderr and
    skipped; the rest are indexed. Unchanged documents are not rewritten.
    """
    workspace = context.existing_workspace()
    reports: tuple[IndexReport, ...]
    with progress_bar("Indexing") as bar:

        def progress(stage: str, done: int, total: int) -> None:
            bar(done, total, stage)

        if folder is None:
            with Desk.open(workspace) as desk:
                refresh = desk.rebuild_knowledge if rebuild else desk.refresh_knowledge
                reports = refresh(progress).reports
        else:
            index = KnowledgeIndex.open(workspace.index_dir, rebuild=rebuild)
            reports = (index_articles(index, folder, progress),)
    _print_reports(reports)


def _print_reports(reports: tuple[IndexReport, ...]) -> None:
    for report in reports:
        click.echo(shown(report))
        for skipped in report.skipped:
            click.echo(shown(f"skipped {skipped}", one_line=True), err=True)


@kb.command("search")
@workspace_option
@click.argument("query")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=5, show_default=True)
@click.option(
    "--kind", "kinds", type=click.Choice(KINDS), multiple=True, help="Only these kinds (repeat)."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_context
def kb_search(
    context: Context, query: str, limit: int, kinds: tuple[str, ...], as_json: bool
) -> None:
    """Search the index for QUERY (free text; typos are corrected)."""
    index = KnowledgeIndex.open(context.existing_workspace().index_dir, create=False)
    hits = index.search(query, limit=limit, kinds=kinds or None)
    if as_json:
        click.echo(json_text([hit.to_json() for hit in hits], indent=2))
    else:
        _print_hits(hits)


def _print_hits(hits: list[Hit]) -> None:
    if not hits:
        click.echo("nothing found")
    for rank, hit in enumerate(hits, start=1):
        line = f"{rank}. [{hit.kind}] {hit.title}  ({hit.id}, score {hit.score:.2f})"
        click.echo(shown(line, one_line=True))
        click.echo(shown(f"   {hit.snippet}", one_line=True))
        if hit.url:
            click.echo(shown(f"   {hit.url}", one_line=True))


@kb.command("eval")
@workspace_option
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print metrics and per-query ranks as JSON.")
@pass_context
def kb_eval(context: Context, file: Path, as_json: bool) -> None:
    """Measure retrieval on FILE: JSONL {"query", "expected"} lines or CSV query,expected.

    Prints hit_at_1, hit_at_3 (share of queries whose expected document ranks first / in the
    top three), mrr (mean reciprocal rank, top 10) and n.
    """
    cases = read_eval_file(file)
    index = KnowledgeIndex.open(context.existing_workspace().index_dir, create=False)
    result = evaluate(index, cases)
    for doc_id in result.unknown_ids:
        click.echo(shown(f"warning: expected id '{doc_id}' is not in the index"), err=True)
    if as_json:
        click.echo(json_text(result.to_json(), indent=2))
    else:
        _print_metrics(result)


def _print_metrics(result: EvalResult) -> None:
    for name, value in result.metrics().items():
        click.echo(f"{name:<9} {value}" if name == "n" else f"{name:<9} {value:.4f}")
