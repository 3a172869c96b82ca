"""Understanding: labelled data files, the intent classifier, sentiment, hand-off, triage."""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.config import TriageSettings
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.models import IntentSource, Sentiment
from deskpilot.understand.datasets import OUT_OF_SCOPE, DatasetError, Example, load_examples
from deskpilot.understand.handoff import decide
from deskpilot.understand.intents import ClassifierError, IntentClassifier, IntentPrediction
from deskpilot.understand.sentiment import Signal, read_sentiment
from deskpilot.understand.taxonomy import default_taxonomy_text, load_taxonomy, seed_examples
from deskpilot.workspace import Workspace

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
if not SHARED.exists():  # a clone outside the workplace: the data sets sit beside it
    SHARED = Path("/work/shared/data")
needs_shared_data = pytest.mark.skipif(not SHARED.exists(), reason="shared data sets not here")


@pytest.fixture(scope="module")
def seeded() -> IntentClassifier:
    taxonomy = load_taxonomy(Path("/nonexistent/intents.toml"))  # the default taxonomy
    return IntentClassifier().fit(seed_examples(taxonomy))


@pytest.mark.parametrize(
    "text",
    ["I can't get in", "my login isn't working", "I'm locked out", "can't sign into my account"],
)
def test_paraphrases_of_one_need_land_on_one_intent(seeded: IntentClassifier, text: str) -> None:
    assert seeded.predict(text).intent == "account_access"


def test_unrelated_message_is_out_of_scope(seeded: IntentClassifier) -> None:
    prediction = seeded.predict("what's a good recipe for banana bread")
    assert prediction.out_of_scope
    assert prediction.confidence < 0.2


def test_prediction_carries_alternatives(seeded: IntentClassifier) -> None:
    prediction = seeded.predict("please refund the duplicate charge on my invoice")
    assert prediction.intent == "refund_request"
    assert len(prediction.alternatives) == 3
    assert all(p <= prediction.confidence for _, p in prediction.alternatives)


def test_model_round_trip_and_damaged_file(seeded: IntentClassifier, tmp_path: Path) -> None:
    path = tmp_path / "m.pickle"
    seeded.save(path)
    again = IntentClassifier.load(path)
    assert again.predict("I'm locked out") == seeded.predict("I'm locked out")
    path.write_bytes(b"not a model")
    with pytest.raises(ClassifierError, match="cannot load"):
        IntentClassifier.load(path)


def test_training_needs_two_intents() -> None:
    with pytest.raises(ClassifierError, match="at least two intents"):
        IntentClassifier().fit([Example("hi", "greeting"), Example("hello", "greeting")])


def test_untrained_classifier_says_so() -> None:
    with pytest.raises(ClassifierError, match="not been trained"):
        IntentClassifier().predict("hello")


@pytest.mark.parametrize(
    ("text", "signals", "sentiment"),
    [
        ("This is unacceptable, I've waited a week!", {Signal.ANGRY}, Sentiment.ANGRY),
        ("Our lawyer will be in touch about this breach of contract", {Signal.LEGAL}, None),
        ("We're looking at alternatives and won't renew", {Signal.CHURN}, None),
        ("Production is down for all users, urgent", {Signal.URGENT}, None),
        ("Hello, thanks so much, this was really helpful", set(), Sentiment.POSITIVE),
        ("Hello team, how do I invite a colleague?", set(), Sentiment.NEUTRAL),
    ],
)
def test_sentiment_signals(text: str, signals: set[Signal], sentiment: Sentiment | None) -> None:
    reading = read_sentiment(text)
    assert reading.signals == signals
    if sentiment is not None:
        assert reading.sentiment is sentiment
    assert len(reading.evidence) >= len(signals)


def _prediction(intent: str, confidence: float) -> IntentPrediction:
    return IntentPrediction(intent, confidence, ())


@pytest.mark.parametrize(
    ("prediction", "text", "reason"),
    [
        (_prediction("refund_request", 0.9), "please refund INV-1", None),
        (_prediction("refund_request", 0.3), "refund?", "confidence 0.30 is under 0.50"),
        (_prediction(OUT_OF_SCOPE, 0.1), "tax advice?", "out of scope"),
        (_prediction("contract_negotiation", 0.9), "discount?", "handled by humans only"),
        (_prediction("refund_request", 0.9), "refund or I call my lawyer", "legal: 'lawyer'"),
    ],
)
def test_handoff_policy_gives_its_reason(
    prediction: IntentPrediction, text: str, reason: str | None
) -> None:
    decision = decide(prediction, read_sentiment(text), TriageSettings())
    if reason is None:
        assert not decision.needed and decision.reason == ""
    else:
        assert decision.needed and reason in decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "I have work due so please help quickly.",
        "Please help, we have a deadline on Friday.",
        "We have 7 people who can't work, need this fixed asap.",
        "This is blocking us, please help as soon as possible.",
    ],
)
def test_urgency_is_answered_not_handed_off(text: str) -> None:
    reading = read_sentiment(text)
    assert Signal.URGENT in reading.signals and Signal.DISTRESSED not in reading.signals
    assert not decide(_prediction("account_access", 0.9), reading, TriageSettings()).needed


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("Honestly I want to kill myself, nothing works.", "kill myself"),
        ("My husband passed away and the account was in his name.", "passed away"),
        ("Someone is threatening me through your shared board.", "threatening me"),
        ("I'm desperate, I've lost everything we stored.", "desperate"),
        ("I can't cope anymore with this.", "can't cope"),
    ],
)
def test_real_distress_still_goes_to_a_human(text: str, evidence: str) -> None:
    reading = read_sentiment(text)
    assert Signal.DISTRESSED in reading.signals
    decision = decide(_prediction("account_access", 0.9), reading, TriageSettings())
    assert decision.needed and f"distressed: '{evidence}'" in decision.reason


# --- data files -------------------------------------------------------------------------


def test_banking77_csv_and_bitext_columns(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("text,category\nwhere is my card?,card_arrival\nrefund pls,refund\n")
    assert load_examples(path, "train") == [
        Example("where is my card?", "card_arrival"),
        Example("refund pls", "refund"),
    ]
    bitext = tmp_path / "bitext.csv"
    bitext.write_text("instruction,intent,response\nreset my pw,recover_password,Sure\n")
    assert load_examples(bitext, "test") == [Example("reset my pw", "recover_password")]


def test_clinc_json_uses_parts_and_maps_oos(tmp_path: Path) -> None:
    path = tmp_path / "clinc.json"
    data = {
        "train": [["set an alarm", "alarm"]],
        "oos_train": [["who won the game", "oos"]],
        "val": [["wake me at 7", "alarm"]],
        "oos_val": [["tell me a joke", "oos"]],
    }
    path.write_text(json.dumps(data))
    assert load_examples(path, "train") == [
        Example("set an alarm", "alarm"),
        Example("who won the game", OUT_OF_SCOPE),
    ]
    # Without a 'test' part (the shared trainval file), the test split is 'val'.
    assert load_examples(path, "test")[1] == Example("tell me a joke", OUT_OF_SCOPE)


def test_ticket_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"subject": "Locked", "body": "cannot get in", "intent": "account_access"}\n'
        '{"messages": [{"author": "customer", "body": "refund me"}], "intent": "refund_request"}\n'
    )
    assert load_examples(path, "train") == [
        Example("Locked. cannot get in", "account_access"),
        Example("refund me", "refund_request"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("wrong.csv", "question,answer\na,b\n", "CSV needs a text column"),
        ("empty.csv", "", "the file is empty"),
        ("latin.csv", "text,category\ncaf\xe9,x\n".encode("latin-1"), "not UTF-8"),
        ("bad.jsonl", '{"body": "a", "intent": "x"}\n{oops\n', "line 2: not valid JSON"),
        ("nolabel.jsonl", '{"body": "a"}\n', "line 1: needs an 'intent'"),
        ("list.json", '{"train": [["only text"]]}', "not a [text, label] pair"),
        ("parts.json", '{"val": [["a", "b"]]}', "no 'train' part"),
    ],
)
def test_bad_data_files(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(DatasetError) as caught:
        load_examples(path, "train")
    assert str(path) in str(caught.value) and message in str(caught.value)


# --- triage in the desk -----------------------------------------------------------------


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_import_triages_arriving_tickets_but_keeps_human_labels(desk: Desk, tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {"id": "N-1", "subject": "Locked out", "body": "I can't get in since this morning"},
        {"id": "N-2", "subject": "Awful", "body": "This is unacceptable. Our lawyer is copied."},
        {"id": "N-3", "subject": "Q", "body": "Please refund INV-7", "intent": "billing_question"},
        {"id": "H-1", "subject": "Old", "body": "refund please", "reply": "Done"},
    ]
    desk.import_tickets(write_jsonl(tmp_path / "t.jsonl", rows))

    first = desk.ticket("N-1")
    assert (first.intent, first.intent_source) == ("account_access", IntentSource.PREDICTED)
    assert first.intent_confidence is not None and first.intent_confidence > 0.5
    angry = desk.store.get_triage("N-2")
    assert angry is not None and angry.handoff and "legal" in angry.handoff_reason
    assert desk.ticket("N-2").sentiment is Sentiment.ANGRY
    labelled = desk.ticket("N-3")
    assert (labelled.intent, labelled.intent_source) == ("billing_question", IntentSource.LABEL)
    assert desk.store.get_triage("N-3") is not None
    assert desk.store.get_triage("H-1") is None  # resolved history is not triaged


def test_a_correction_teaches_the_classifier(desk: Desk, tmp_path: Path) -> None:
    odd = "the zorblax gizmo went wibbly"
    desk.import_tickets(
        write_jsonl(tmp_path / "t.jsonl", [{"id": "W-1", "subject": "Zorblax", "body": odd}])
    )
    assert desk.ticket("W-1").intent != "feature_request"

    desk.correct_intent("W-1", "feature_request")
    assert not desk.workspace.intent_model_path.exists()
    corrected = desk.ticket("W-1")
    assert (corrected.intent, corrected.intent_source) == (
        "feature_request",
        IntentSource.CORRECTION,
    )
    assert [a.action for a in desk.store.list_actions("W-1")] == ["correct_intent"]

    later = {"id": "W-2", "subject": "Zorblax again", "body": "zorblax gizmo wibbly again"}
    desk.import_tickets(write_jsonl(tmp_path / "u.jsonl", [later]))
    assert desk.ticket("W-2").intent == "feature_request"
    # A re-triage never overwrites the agent's correction; it is on the audit trail.
    desk.retriage(["W-1"])
    assert desk.ticket("W-1").intent_source is IntentSource.CORRECTION
    (retriaged,) = desk.store.list_actions(action="retriage")
    assert retriaged.params == {"tickets": ["W-1"], "count": 1}


def test_unknown_intent_correction_is_refused(desk: Desk, tmp_path: Path) -> None:
    desk.import_tickets(
        write_jsonl(tmp_path / "t.jsonl", [{"id": "X", "subject": "a", "body": "b"}])
    )
    with pytest.raises(DeskPilotError, match="unknown intent 'teleport'"):
        desk.correct_intent("X", "teleport")


def test_workspace_gets_an_editable_taxonomy(desk: Desk) -> None:
    assert desk.workspace.intents_file.read_text() == default_taxonomy_text()
    desk.workspace.intents_file.write_text('[greeting]\nexamples = ["hi"]\n[bye]\nexamples = 3\n')
    with pytest.raises(DeskPilotError, match=r"\[bye\] examples"):
        desk.taxonomy()


# --- command line -----------------------------------------------------------------------


def test_triage_cli_json(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    rows = [{"id": "C-1", "subject": "Invite", "body": "how do I invite my team?"}]
    assert cli("import", "tickets", str(write_jsonl(tmp_path / "t.jsonl", rows))).exit_code == 0
    result = cli("triage", "--json")
    assert result.exit_code == 0, result.output
    [record] = json.loads(result.stdout)
    assert record["ticket_id"] == "C-1" and record["intent"] == "onboarding"
    for key in ("confidence", "sentiment", "handoff", "handoff_reason", "alternatives"):
        assert key in record


def _slice_banking77(tmp_path: Path, intents: int, per_intent: int) -> tuple[Path, Path]:
    """A small slice of Banking77 (CC-BY-4.0, Casanueva et al. 2020) split in two files."""
    with (SHARED / "banking77" / "train.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    chosen = sorted({r["category"] for r in rows})[:intents]
    by_intent = {c: [r for r in rows if r["category"] == c][: per_intent * 2] for c in chosen}
    paths = []
    for part, name in ((slice(0, per_intent), "train.csv"), (slice(per_intent, None), "test.csv")):
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "category"])
            for intent, examples in by_intent.items():
                writer.writerows([r["text"], intent] for r in examples[part])
        paths.append(path)
    return paths[0], paths[1]


@pytest.mark.slow
@needs_shared_data
def test_intents_eval_cli_on_a_banking77_slice(tmp_path: Path, cli: Cli) -> None:
    train, test = _slice_banking77(tmp_path, intents=8, per_intent=30)
    result = cli("intents", "eval", "--train", str(train), "--test", str(test), "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["n_train"] == 240 and figures["n_test"] == 240
    assert figures["accuracy"] > 0.6
    for key in ("macro_f1", "train_seconds", "classify_ms_p50"):
        assert key in figures
    assert "oos_recall" not in figures

    few = cli(
        "intents", "eval", "--train", str(train), "--test", str(test), "--shots", "5", "--json"
    )
    assert json.loads(few.stdout)["n_train"] == 40


@pytest.mark.slow
@needs_shared_data
def test_intents_eval_cli_on_a_clinc_slice(tmp_path: Path, cli: Cli) -> None:
    data = json.loads((SHARED / "clinc150" / "data_trainval.json").read_text())
    rng = random.Random(0)
    keep = set(sorted({label for _, label in data["train"]})[:10])
    small = {part: [pair for pair in data[part] if pair[1] in keep] for part in ("train", "val")}
    small["oos_train"] = rng.sample(data["oos_train"], 40)
    small["oos_val"] = rng.sample(data["oos_val"], 40)
    path = tmp_path / "clinc.json"
    path.write_text(json.dumps(small))
    result = cli("intents", "eval", "--train", str(path), "--test", str(path), "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    for key in ("oos_recall", "oos_precision", "in_scope_accuracy"):
        assert 0.0 <= figures[key] <= 1.0
    assert figures["in_scope_accuracy"] > 0.7


def test_intents_eval_bad_file_is_one_line(tmp_path: Path, cli: Cli) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("question,answer\na,b\n")
    result = cli("intents", "eval", "--train", str(bad), "--test", str(bad))
    assert result.exit_code == 2
    assert "CSV needs a text column" in result.stderr and "Traceback" not in result.output


# --- out of scope: the threshold is chosen on validation data -------------------------------


def _clinc_slice(intents: int, out_of_scope: int) -> dict[str, list[list[str]]]:
    """A few CLINC150 intents (CC-BY-3.0, Larson et al. 2019) and some out-of-scope queries."""
    data = json.loads((SHARED / "clinc150" / "data_trainval.json").read_text())
    rng = random.Random(0)
    keep = set(sorted({label for _, label in data["train"]})[:intents])
    small = {part: [pair for pair in data[part] if pair[1] in keep] for part in ("train", "val")}
    small["oos_train"] = rng.sample(data["oos_train"], out_of_scope)
    small["oos_val"] = rng.sample(data["oos_val"], out_of_scope)
    return small


def _examples(pairs: list[list[str]]) -> list[Example]:
    return [Example(text, OUT_OF_SCOPE if label == "oos" else label) for text, label in pairs]


@pytest.mark.slow
@needs_shared_data
def test_the_out_of_scope_threshold_is_the_lowest_reaching_the_recall_on_validation() -> None:
    small = _clinc_slice(intents=10, out_of_scope=40)
    classifier = IntentClassifier().fit(_examples(small["train"] + small["oos_train"]))
    validation = _examples(small["val"] + small["oos_val"])
    default = classifier.out_of_scope_below

    def recall(threshold: float) -> float:
        classifier.out_of_scope_below = threshold
        flagged = classifier.predict_many([e.text for e in validation if e.intent == OUT_OF_SCOPE])
        return sum(p.out_of_scope for p in flagged) / len(flagged)

    chosen = classifier.calibrate_out_of_scope(validation, recall=0.8)
    assert chosen != default and classifier.out_of_scope_below == chosen
    assert recall(chosen) >= 0.8 > recall(round(chosen - 0.01, 2))
    # Without out-of-scope examples to learn from, validation cannot move the threshold.
    plain = IntentClassifier().fit(_examples(small["train"]))
    assert plain.calibrate_out_of_scope(validation) == plain.out_of_scope_below == default


@pytest.mark.slow
@needs_shared_data
def test_intents_eval_calibrates_on_the_training_files_validation_part(
    tmp_path: Path, cli: Cli
) -> None:
    small = _clinc_slice(intents=10, out_of_scope=40)
    with_val = tmp_path / "trainval.json"
    with_val.write_text(json.dumps(small))
    # A stand-in for the held-back test part: the validation queries under another name.
    held_out = tmp_path / "test.json"
    held_out.write_text(json.dumps({"test": small["val"][::2], "oos_test": small["oos_val"][::2]}))
    args = ("intents", "eval", "--classifier", "tfidf", "--train", str(with_val), "--json")

    calibrated = json.loads(cli(*args, "--test", str(held_out)).stdout)
    assert calibrated["threshold_from"] == "validation"
    assert calibrated["out_of_scope_below"] != 0.3
    # Measured on the validation part itself, choosing the threshold there would cheat.
    measured_on_val = json.loads(cli(*args, "--test", str(with_val)).stdout)
    assert measured_on_val["threshold_from"] == "default"
    assert measured_on_val["out_of_scope_below"] == 0.3


# --- the classifier eval measures ------------------------------------------------------------


@needs_shared_data
def test_intents_eval_measures_the_workspaces_classifier_unless_told(
    tmp_path: Path, cli: Cli, default_classifier: None
) -> None:
    train, test = _slice_banking77(tmp_path, intents=4, per_intent=10)
    files = ("--train", str(train), "--test", str(test), "--json")
    assert cli("init").exit_code == 0
    config = cli.workspace_dir / "config.toml"
    config.write_text(config.read_text().replace('classifier = "ensemble"', 'classifier = "tfidf"'))

    configured = json.loads(cli("intents", "eval", *files).stdout)
    assert configured["classifier"] == "tfidf"
    chosen = cli("intents", "eval", "--classifier", "ensemble", *files)
    assert chosen.exit_code == 0, chosen.output
    assert json.loads(chosen.stdout)["classifier"] == "ensemble"
    unknown = cli("intents", "eval", "--classifier", "bert", *files)
    assert unknown.exit_code == 2 and "bert" in unknown.stderr

    # With --shots the ensemble self-trains on the rest of --train, its labels removed.
    few = json.loads(
        cli("intents", "eval", "--classifier", "ensemble", "--shots", "3", *files).stdout
    )
    assert (few["n_train"], few["unlabelled"]) == (12, 28)
    assert json.loads(cli("intents", "eval", "--shots", "3", *files).stdout)["unlabelled"] == 0
    # ... but never on a message it is measured on: here every one of them is a test message.
    measured_on_train = ("--train", str(train), "--test", str(train), "--json")
    same = cli("intents", "eval", "--classifier", "ensemble", "--shots", "3", *measured_on_train)
    assert (json.loads(same.stdout)["n_train"], json.loads(same.stdout)["unlabelled"]) == (12, 0)


# --- consistency: a correction moves the hand-off with it ------------------------------------


def test_a_correction_moves_the_handoff_decision_and_its_reason(desk: Desk, tmp_path: Path) -> None:
    rows = [
        {
            "id": "K-1",
            "subject": "Worst support experience ever",
            "body": "I'm extremely disappointed, this keeps happening and nobody cares.",
        }
    ]
    desk.import_tickets(write_jsonl(tmp_path / "t.jsonl", rows))
    before = desk.store.get_triage("K-1")
    assert before is not None and before.intent == "complaint"
    assert "'complaint' is handled by humans only" in before.handoff_reason

    desk.correct_intent("K-1", "bug_report")
    after = desk.store.get_triage("K-1")
    assert after is not None and (after.intent, after.confidence) == ("bug_report", 1.0)
    assert "complaint" not in after.handoff_reason
    # Triaging again (the model retrained) keeps following the agent's intent.
    [again] = desk.retriage(["K-1"])
    assert again.intent == "bug_report" and "complaint" not in again.handoff_reason

    desk.correct_intent("K-1", "contract_negotiation")
    moved = desk.store.get_triage("K-1")
    assert moved is not None and moved.handoff
    assert "'contract_negotiation' is handled by humans only" in moved.handoff_reason


# --- a low confidence alone hands nothing over when an article answers ------------------------


@pytest.mark.slow
def test_an_unsure_ticket_an_article_answers_stays_with_the_copilot(
    frozen_demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_classifier: None
) -> None:
    shutil.copytree(frozen_demo, tmp_path / "ws")
    monkeypatch.setenv("DESKPILOT_TRIAGE__MIN_CONFIDENCE", "0.99")  # every intent is unsure
    rows = [
        {
            "id": "Q-1",
            "subject": "Quick question",
            "body": "Is there a Salesforce integration and how do I set it up?",
        },
        {
            "id": "Q-2",
            "subject": "Quick question",
            "body": "Should we incorporate in Delaware or stay in Ohio?",
        },
    ]
    with Desk.open(Workspace.existing(tmp_path / "ws")) as desk:
        desk.import_tickets(write_jsonl(tmp_path / "t.jsonl", rows))
        answered, unanswered = desk.store.get_triage("Q-1"), desk.store.get_triage("Q-2")
    assert answered is not None and answered.confidence < 0.99
    assert not answered.handoff, answered.handoff_reason  # "Connect Salesforce or HubSpot"
    assert unanswered is not None and unanswered.handoff
    assert "intent confidence" in unanswered.handoff_reason or unanswered.out_of_scope


def test_the_article_check_is_asked_only_when_confidence_alone_would_hand_off() -> None:
    policy = TriageSettings(min_confidence=0.5)
    calm = read_sentiment("how do I connect salesforce?")
    asked: list[str] = []

    def article() -> str | None:
        asked.append("asked")
        return "Connect Salesforce or HubSpot"

    unsure = IntentPrediction("onboarding", 0.3, ())
    assert not decide(unsure, calm, policy, article).needed
    assert decide(unsure, calm, policy).needed
    human_only = IntentPrediction("complaint", 0.3, ())
    assert decide(human_only, calm, policy, article).needed
    assert len(asked) == 1
