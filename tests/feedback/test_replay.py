"""Replay evaluation: the learning curve rises, the control does not, bad files are named."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.feedback.replay import read_replay_file, replay
from deskpilot.understand.datasets import DatasetError

BITEXT = Path(__file__).resolve().parents[3] / "shared" / "data" / "bitext"
if not BITEXT.exists():
    BITEXT = Path("/work/shared/data/bitext")
BITEXT_CSV = BITEXT / "bitext_customer_support_2023-08-07_6480rows.csv"

NEEDS = {
    "refund": (
        ["I want my money back for order {n}", "please refund my last purchase {n}",
         "can I get a refund, the item {n} broke"],
        "I'm sorry the purchase didn't work out. I've started the refund to your original "
        "payment method; it shows up within five business days.",
    ),
    "password": (
        ["I can't get into my account {n}", "locked out again, help {n}",
         "my login isn't working since {n}"],
        "Let's get you back in. Use 'Forgot password' on the sign-in page; the link in the "
        "email works for an hour. If it doesn't arrive, check the spam folder.",
    ),
    "shipping": (
        ["where is my parcel {n}", "my delivery {n} hasn't arrived",
         "tracking for shipment {n} shows nothing"],
        "Thanks for your patience. Parcels take three to five days; the tracking page updates "
        "once the carrier scans it. I'll keep an eye on it for you.",
    ),
}  # fmt: skip


def _history(tmp_path: Path, count: int, seed: int = 3) -> Path:
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        intent = rng.choice(sorted(NEEDS))
        phrasings, reply = NEEDS[intent]
        body = rng.choice(phrasings).format(n=rng.randint(100, 999))
        lines.append(json.dumps({"body": body, "reply": reply, "intent": intent}))
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_learning_lifts_the_curve_and_the_control_stays_flat(tmp_path: Path) -> None:
    cases = read_replay_file(_history(tmp_path, 60))
    learned = replay(cases, window=20).to_json()
    control = replay(cases, window=20, learning=False).to_json()
    assert learned["n"] == control["n"] == 60
    assert len(learned["curve"]) == 3
    assert learned["mean_similarity_last_window"] > learned["mean_similarity_first_window"]
    assert learned["mean_similarity_last_window"] > 0.75  # mostly the team's reply, learned
    assert control["mean_similarity_last_window"] < 0.5
    assert max(control["curve"]) - min(control["curve"]) < 0.05
    assert learned["accepted_as_is_rate"] > control["accepted_as_is_rate"] == 0.0


def test_the_cli_prints_the_figures_as_json(tmp_path: Path, cli: Cli) -> None:
    result = cli("eval", "replay", str(_history(tmp_path, 12)), "--window", "4", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    for key in (
        "n", "mean_similarity", "mean_similarity_first_window", "mean_similarity_last_window",
        "curve", "accepted_as_is_rate", "seconds",
    ):  # fmt: skip
        assert key in figures
    assert figures["n"] == 12 and len(figures["curve"]) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"body": "hi", "reply": "hello"}\n{"body": "no reply"}\n', "line 2: 'reply' must be"),
        ('{"body": "hi", "reply": "hello"}\nnot json\n', "line 2"),
        ("", "empty"),
        ('{"body": "hi", "reply": "x", "created_at": "yesterday"}\n', "not an ISO date"),
    ],
)
def test_a_bad_replay_file_is_named_with_its_line(
    tmp_path: Path, cli: Cli, content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        read_replay_file(path)
    result = cli("eval", "replay", str(path))
    assert result.exit_code == 2 and str(path) in result.output


def test_tickets_with_dates_replay_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "dated.jsonl"
    rows = [
        {"id": "late", "body": "b", "reply": "r", "created_at": "2025-03-02T10:00:00Z"},
        {"id": "early", "body": "b", "reply": "r", "created_at": "2025-03-01T10:00:00+00:00"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [case.id for case in read_replay_file(path)] == ["early", "late"]


@pytest.mark.skipif(not BITEXT_CSV.exists(), reason="the shared Bitext data is not here")
def test_a_bitext_slice_learns(tmp_path: Path) -> None:
    cases = read_replay_file(BITEXT_CSV)
    assert len(cases) == 6480
    random.Random(1).shuffle(cases)
    learned = replay(cases[:240], window=80).curve
    control = replay(cases[:240], window=80, learning=False).curve
    assert learned[0] < learned[1] < learned[2]
    assert learned[-1] > control[-1] + 0.15


def test_a_repeated_ticket_id_is_named(tmp_path: Path) -> None:
    path = tmp_path / "dupes.jsonl"
    rows = [{"id": "A", "body": "b", "reply": "r"}, {"id": "A", "body": "c", "reply": "s"}]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with pytest.raises(DatasetError, match="line 2: ticket id 'A' already appears on line 1"):
        read_replay_file(path)


def test_a_teams_config_sets_the_replay_policy(tmp_path: Path) -> None:
    cases = read_replay_file(_history(tmp_path, 40))
    strict = tmp_path / "config.toml"
    strict.write_text("[triage]\nmin_confidence = 1.0\n", encoding="utf-8")  # always a human
    handed_off = replay(cases, window=20, config_file=strict).to_json()
    assert handed_off["mean_similarity_last_window"] < 0.5
    assert handed_off["accepted_as_is_rate"] == 0.0
