"""A poster adds a ticket; nothing else. What ``POST /tickets`` may set, customers matched and
never rewritten, bug links that are records rather than note text, and the intake secret's
strength and throttling."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from conftest import Cli
from deskpilot.config import IntakeSettings, secret_weakness
from deskpilot.desk import Desk
from deskpilot.intake.throttle import AuthThrottle
from deskpilot.models import Author, Status

from .test_server import post, secured, stored, ticket, url  # noqa: F401

KNOWN = {"email": "dana@example.com", "name": "Dana Reyes", "company": "Acme", "tier": "pro"}


@pytest.fixture
def known_customer(secured: Desk, tmp_path: Path) -> dict[str, Any]:  # noqa: F811
    """Dana, imported by the admin; her profile as stored."""
    path = tmp_path / "known.jsonl"
    record = {"id": "OLD-1", "subject": "Earlier", "body": "Hello", "customer": KNOWN}
    path.write_text(json.dumps(record) + "\n")
    secured.import_tickets(path)
    return profile(secured, "dana@example.com")


def profile(desk: Desk, email: str) -> dict[str, Any]:
    customer = desk.store.find_customers_by_emails([email])[email]
    return customer.model_dump(mode="json")


# --- what a post may set ---------------------------------------------------------------------

DESK_ONLY = [
    pytest.param({"status": "solved"}, "status", id="status"),
    pytest.param({"priority": "urgent"}, "priority", id="priority"),
    pytest.param({"assignee": "ada"}, "assignee", id="assignee"),
    pytest.param({"csat": 5}, "csat", id="csat"),
    pytest.param({"intent": "refund_request"}, "intent", id="intent"),
    pytest.param({"reply": "Refunded in full."}, "reply", id="reply"),
    pytest.param({"tags": ["vip"]}, "tags", id="tags"),
    pytest.param({"created_at": "2020-01-01T00:00:00Z"}, "created_at", id="past-created-at"),
    pytest.param(
        {"customer": {"email": "new@example.com", "tier": "enterprise"}},
        "customer.tier",
        id="customer-tier",
    ),
    pytest.param(
        {"customer": {"email": "new@example.com", "plan": "Unlimited"}},
        "customer.plan",
        id="customer-plan",
    ),
    pytest.param(
        {"customer": {"email": "new@example.com", "id": "C-mine"}}, "customer.id", id="customer-id"
    ),
    pytest.param(
        {
            "body": None,
            "messages": [
                {"author": "customer", "body": "Please refund me"},
                {"author": "agent", "body": "Refund approved, $5,000"},
            ],
        },
        "messages.1.author",
        id="agent-message",
    ),
    pytest.param(
        {
            "body": None,
            "messages": [{"author": "note", "body": "Linked to known bug BUG-109: x"}],
        },
        "messages.0.author",
        id="note-message",
    ),
    pytest.param(
        {
            "body": None,
            "messages": [{"author": "customer", "body": "hi", "at": "2020-01-01T00:00:00Z"}],
        },
        "messages.0.at",
        id="message-time",
    ),
]


@pytest.mark.parametrize(("changes", "field"), DESK_ONLY)
def test_a_post_may_not_set_the_desks_fields(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
    changes: dict[str, Any],
    field: str,
) -> None:
    body = {k: v for k, v in ticket(**changes).items() if v is not None}

    answer = post(url, body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert "cannot be set over HTTP" in answer.json()["error"] or field.endswith("author")
    assert stored(secured) == (0, 0)
    assert secured.store.count_customers() == 0


def test_a_post_may_carry_the_customers_own_words_page_and_attachments(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
) -> None:
    body = ticket(
        id="APP-77",
        channel="chat",
        body=None,
        messages=[
            {
                "author": "customer",
                "body": "Export fails",
                "author_name": "Dana",
                "attachments": [{"name": "shot.png", "content_type": "image/png", "size": 10}],
            },
            {"author": "customer", "body": "Still failing"},
        ],
    )
    answer = post(url, {k: v for k, v in body.items() if v is not None})

    assert answer.status_code == 201, answer.text
    saved = secured.ticket(answer.json()["id"])
    assert [m.author for m in saved.messages] == [Author.CUSTOMER, Author.CUSTOMER]
    assert saved.status in {Status.NEW, Status.ESCALATED}  # triage may hand it to a human
    assert saved.page_context is not None and saved.csat is None and saved.assignee is None
    assert saved.customer is not None and saved.customer.name == "Dana Reyes"


def test_a_posts_own_id_is_a_retry_key_never_the_desks_id(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
    known_customer: dict[str, Any],
) -> None:
    imported = secured.ticket("OLD-1")

    taken = post(url, ticket(id="OLD-1", subject="Not the imported one"))
    again = post(url, ticket(id="OLD-1", subject="Not the imported one"))

    assert (taken.status_code, again.status_code) == (201, 200)
    assert taken.json()["id"] != "OLD-1" and again.json()["id"] == taken.json()["id"]
    assert secured.ticket("OLD-1") == imported
    assert secured.store.count_tickets() == 2


def test_a_post_never_rewrites_a_known_customer(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
    known_customer: dict[str, Any],
) -> None:
    answer = post(url, ticket(customer={"email": "DANA@example.com", "name": "Mallory"}))

    assert answer.status_code == 201, answer.text
    assert profile(secured, "dana@example.com") == known_customer
    assert secured.ticket(answer.json()["id"]).customer.name == "Dana Reyes"  # type: ignore[union-attr]
    assert secured.ticket("OLD-1").customer.name == "Dana Reyes"  # type: ignore[union-attr]
    assert secured.store.count_customers() == 1


def test_a_post_creates_a_new_customer_from_their_identity(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
) -> None:
    answer = post(url, ticket(customer={"email": "eve@example.com", "name": "Eve", "company": "E"}))
    assert answer.status_code == 201, answer.text
    created = profile(secured, "eve@example.com")
    assert (created["name"], created["company"], created["tier"]) == ("Eve", "E", "free")


def test_an_import_keeps_known_customers_unless_asked(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps({"subject": "a", "body": "b", "customer": KNOWN}) + "\n")
    renamed = {**KNOWN, "name": "Mallory", "tier": "enterprise"}
    second = tmp_path / "b.jsonl"
    second.write_text(json.dumps({"subject": "c", "body": "d", "customer": renamed}) + "\n")
    assert cli("import", "tickets", str(first)).exit_code == 0

    kept = cli("import", "tickets", str(second))
    updated = cli("import", "tickets", "--update-customers", str(second))

    assert kept.exit_code == 0 and "1 known customers kept as they are" in kept.output
    assert updated.exit_code == 0 and "kept" not in updated.output
    assert "--update-customers" in cli("import", "tickets", "--help").output


# --- bug links are records ---------------------------------------------------------------------


def test_a_note_that_looks_like_a_bug_link_is_not_a_link(desk: Desk, tmp_path: Path) -> None:

    forged = {
        "id": "T-1",
        "subject": "Broken",
        "messages": [
            {"author": "customer", "body": "It broke"},
            {"author": "note", "body": "Linked to known bug BUG-109: checkout"},
            {"author": "note", "body": "Filed bug ENG-1: x"},
        ],
    }
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(forged) + "\n")
    desk.import_tickets(path)
    assert desk.linked_bugs("T-1") == []

    desk.link_bug("T-1", "BUG-7", "Export fails")
    desk.link_bug("T-1", "BUG-7", "Export fails")

    assert desk.linked_bugs("T-1") == ["BUG-7"]
    [record, _again] = desk.store.list_actions("T-1", action="link_bug")
    assert record.params == {"bug_id": "BUG-7", "title": "Export fails"}
    assert desk.ticket("T-1").messages[-1].body == "Linked to known bug BUG-7: Export fails"


# --- the secret ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ("a" * 32, "one character repeated"),
        (" " * 32, "whitespace"),
        ("correct horse battery staple", "whitespace"),
        ("abababababababababab", "only 2 different characters"),
        ("0123456789abcdef", "bits of strength"),
        ("passwordpassword", "different characters"),
        ("abcdefgh" * 4, "repeats a pattern of 8 characters"),
        ("Secret-42" * 3, "repeats a pattern of 9 characters"),
    ],
)
def test_weak_secrets_are_refused(secret: str, why: str) -> None:
    assert why in secret_weakness(secret)
    with pytest.raises(ValidationError, match="too weak"):
        IntakeSettings(secret=secret)


@pytest.mark.parametrize(
    "secret",
    [
        "9f86d081884c7d659a2feaa0c55ad015",  # openssl rand -hex 16
        "550e8400-e29b-41d4-a716-446655440000",  # a UUID
        "dGhpcyBpcyBhIHRlc3Qgb2YgYmFzZTY0",  # base64
        "intake-secret-for-tests-0123456789",
    ],
)
def test_generated_secrets_are_accepted(secret: str) -> None:
    assert secret_weakness(secret) == ""
    assert IntakeSettings(secret=secret).secret is not None


def test_a_weak_secret_stops_serve_with_one_line(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    (cli.workspace_dir / "secrets.env").write_text("DESKPILOT_INTAKE__SECRET=" + "x" * 40 + "\n")
    result = cli("serve")
    assert result.exit_code == 2
    assert "'intake.secret'" in result.output and "one character repeated" in result.output
    assert "x" * 40 not in result.output
    assert len(result.output.strip().splitlines()) == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_throttle_locks_out_longer_each_time_per_address() -> None:
    clock = FakeClock()
    throttle = AuthThrottle(free_failures=3, first_lockout=1, longest_lockout=8, clock=clock)
    for _ in range(2):
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 0
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 1
    assert throttle.retry_after("10.0.0.2") == 0  # another client is not held up
    lockouts = []
    for _ in range(5):
        throttle.failed("10.0.0.1")
        lockouts.append(throttle.retry_after("10.0.0.1"))
    assert lockouts == [2, 4, 8, 8, 8]
    clock.now += 8
    assert throttle.retry_after("10.0.0.1") == 0
    throttle.succeeded("10.0.0.1")
    assert len(throttle) == 0


def test_the_throttle_forgets_and_stays_bounded() -> None:
    clock = FakeClock()
    throttle = AuthThrottle(free_failures=1, forget_after=60, max_clients=100, clock=clock)
    for number in range(1000):
        throttle.failed(f"10.0.{number // 256}.{number % 256}")
    assert len(throttle) == 100
    assert throttle.retry_after("10.0.3.231") > 0  # the most recent are remembered
    assert throttle.retry_after("10.0.0.0") == 0  # the oldest were let go
    clock.now += 61
    assert throttle.retry_after("10.0.3.231") == 0
