"""`deskpilot triage` and `deskpilot intents ...`: the understanding layer from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast, get_args

import click

from deskpilot.cli.common import Context, pass_context, progress_bar, shown, workspace_option
from deskpilot.config import TriageSettings
from deskpilot.desk import Desk
from deskpilot.errors import WorkspaceError
from deskpilot.models import TriageRecord
from deskpilot.workspace import Workspace

# The classifiers [triage] accepts, read without importing scikit-learn (start-up time).
CLASSIFIERS: tuple[str, ...] = get_args(TriageSettings.model_fields["classifier"].annotation)


@click.command()
@workspace_option
@click.argument("ticket_ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_context
def triage(context: Context, ticket_ids: tuple[str, ...], as_json: bool) -> None:
    """Triage TICKET_IDS again (default: every unsolved ticket)."""
    with Desk.open(context.existing_workspace()) as desk, progress_bar("Triaging") as report:
        records = desk.retriage(
            list(ticket_ids) or None, progress=lambda done, total: report(done, total, "")
        )
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json") for r in records], indent=2))
        return
    for record in records:
        click.echo(shown(_triage_line(record), one_line=True))
    handoffs = sum(r.handoff for r in records)
    click.echo(f"{len(records)} tickets triaged, {handoffs} for a human")


def _triage_line(record: TriageRecord) -> str:
    line = (
        f"{record.ticket_id:<14} {record.intent:<22} {record.confidence:>5.2f}  "
        f"{record.sentiment.value:<8}"
    )
    return line + (f"  -> human: {record.handoff_reason}" if record.handoff else "")


@click.group()
def intents() -> None:
    """Train, correct and evaluate the intent classifier."""


@intents.command("list")
@workspace_option
@pass_context
def list_intents(context: Context) -> None:
    """The workspace's intents and how many seed examples each has."""
    with Desk.open(context.existing_workspace()) as desk:
        for name, spec in desk.taxonomy().items():
            line = f"{name:<24} {len(spec.examples):>3} seeds  {spec.description}"
            click.echo(shown(line, one_line=True))


@intents.command("train")
@workspace_option
@pass_context
def train_intents(context: Context) -> None:
    """Retrain on the seed examples and every ticket a human labelled or corrected."""
    with Desk.open(context.existing_workspace()) as desk:
        learned = desk.retrain_intents()
    click.echo(shown(f"trained on {len(learned)} intents: {', '.join(learned)}"))


@intents.command("correct")
@workspace_option
@click.argument("ticket_id")
@click.argument("intent")
@pass_context
def correct(context: Context, ticket_id: str, intent: str) -> None:
    """Set TICKET_ID's intent to INTENT; the classifier learns it on the next triage."""
    with Desk.open(context.existing_workspace()) as desk:
        desk.correct_intent(ticket_id, intent)
    click.echo(shown(f"{ticket_id}: intent set to {intent}"))


@intents.command("eval")
@workspace_option
@click.option("--train", "train_file", type=click.Path(path_type=Path), required=True)
@click.option("--test", "test_file", type=click.Path(path_type=Path), required=True)
@click.option("--shots", type=click.IntRange(min=1), help="Train on K examples per intent.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for --shots.")
@click.option(
    "--classifier",
    type=click.Choice(CLASSIFIERS),
    help="The classifier to measure (default: the workspace's [triage] classifier).",
)
@click.option(
    "--self-train/--no-self-train",
    default=True,
    show_default=True,
    help="With --shots: the ensemble also learns from the rest of --train, labels removed "
    "(never from a --test message).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_context
def evaluate_intents(
    context: Context,
    train_file: Path,
    test_file: Path,
    shots: int | None,
    seed: int,
    classifier: str | None,
    self_train: bool,
    as_json: bool,
) -> None:
    """Train on --train and measure on --test (Banking77 CSV, CLINC150 JSON or ticket JSONL).

    A CLINC150 training file's validation part (never the test part) sets the out-of-scope
    threshold, unless the test examples are that validation part.
    """
    # start-up time: the classifiers (scikit-learn, the sentence encoders) load for this only
    from deskpilot.understand.datasets import load_examples, load_validation
    from deskpilot.understand.evaluate import evaluate, sample_shots
    from deskpilot.understand.intents import Features, IntentClassifier

    features = cast(Features, classifier or _configured_classifier(context))
    train = load_examples(train_file, "train")
    test = load_examples(test_file, "test")
    validation = load_validation(train_file)
    if validation == test:
        validation = None  # the test examples are the validation part: calibrating on them cheats
    unlabelled: list[str] = []
    if shots is not None:
        chosen = sample_shots(train, shots, seed)
        if self_train and features == "ensemble":  # as a workspace's unlabelled tickets
            # Never a test message, even when --train holds some: learning from the very
            # messages measured (their labels unseen, but their neighbours) would flatter it.
            measured = {e.text for e in test}
            unlabelled = [e.text for e in set(train) - set(chosen) if e.text not in measured]
            unlabelled.sort()  # a set's order changes between runs
        train = chosen
    with progress_bar("Evaluating") as report:
        result = evaluate(
            train,
            test,
            classifier=IntentClassifier(features=features),
            validation=validation,
            unlabelled=unlabelled,
            progress=lambda done, total: report(done, total, ""),
        )
    figures = result.as_dict()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "classifier": features,
                    **figures,
                    "shots": shots,
                    "seed": seed,
                    "unlabelled": len(unlabelled),
                }
            )
        )
        return
    figures = {"classifier": features, **figures, "unlabelled": len(unlabelled)}
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        click.echo(f"{key:<{width}}  {value}")


def _configured_classifier(context: Context) -> str:
    """The workspace's ``[triage] classifier``; the default one outside any workspace."""
    try:
        workspace = Workspace.existing(context.workspace_dir)
    except WorkspaceError:
        return TriageSettings().classifier
    return workspace.settings().triage.classifier
