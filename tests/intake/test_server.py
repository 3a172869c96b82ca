"""``deskpilot serve`` over real HTTP on a free loopback port: good tickets are stored and
triaged, bad ones are refused with the right status and leave the workspace untouched."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import Cli
from deskpilot.config import IntakeSettings
from deskpilot.desk import Desk
from deskpilot.errors import ConfigError
from deskpilot.intake.server import IntakeServer
from deskpilot.models import Channel, Status
from deskpilot.workspace import Workspace

SECRET = "intake-secret-for-tests-0123456789"
BEARER = {"Authorization": f"Bearer {SECRET}"}

PAGE_CONTEXT = {
    "url": "https://app.example.com/reports/export?range=30d",
    "title": "Reports · Export",
    "visible_state": "Export button spinning; banner 'Something went wrong'",
    "errors": ["TypeError: cannot read properties of undefined (reading 'rows')"],
    "steps_attempted": ["clicked Export CSV", "reloaded the page", "tried Firefox"],
}


def ticket(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subject": "CSV export fails on the reports page",
        "body": "I click Export and nothing downloads, only an error banner.",
        "customer": {"email": "Dana@Example.com", "name": "Dana Reyes"},
        "channel": "web",
        "page_context": PAGE_CONTEXT,
    }
    data.update(changes)
    return data


@pytest.fixture
def secured(workspace: Workspace) -> Iterator[Desk]:
    """A desk whose intake secret comes from the workspace's secrets.env, as in real use."""
    workspace.secrets_file.write_text(f"DESKPILOT_INTAKE__SECRET={SECRET}\n")
    with Desk.open(workspace) as desk:
        yield desk


@pytest.fixture
def url(secured: Desk) -> Iterator[str]:
    assert secured.settings.intake.secret is not None
    secured.triage()  # as `deskpilot serve` does: trained before the first ticket, not during
    with IntakeServer(secured, secured.settings.intake, port=0).running() as base:
        yield base


def stored(desk: Desk) -> tuple[int, int]:
    """Tickets and audit records: what a refused request must leave as it was."""
    return desk.store.count_tickets(), len(desk.store.list_actions())


def post(url: str, body: bytes | dict[str, Any], **headers: str) -> httpx.Response:
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    sent = {"Content-Type": "application/json", **BEARER, **headers}
    # A generous timeout: on a busy machine triage alone may take seconds.
    return httpx.post(f"{url}/tickets", content=content, headers=sent, timeout=60)


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-DeskPilot-Signature": f"sha256={digest}"}


# --- the good path -------------------------------------------------------------------------


def test_health(url: str) -> None:
    answer = httpx.get(f"{url}/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_a_ticket_is_stored_triaged_audited_and_queued(url: str, secured: Desk) -> None:
    answer = post(url, ticket())

    assert answer.status_code == 201, answer.text
    ticket_id = answer.json()["id"]
    assert answer.json() == {"id": ticket_id, "created": True}
    assert ticket_id in [row.id for row in secured.queue()]
    saved = secured.ticket(ticket_id)
    assert saved.status is Status.NEW and saved.channel is Channel.WEB
    assert saved.page_context is not None
    assert saved.page_context.model_dump(exclude_defaults=True) == PAGE_CONTEXT
    assert saved.customer is not None and saved.customer.email == "dana@example.com"
    assert saved.intent is not None  # triaged on arrival, like an imported ticket
    assert secured.store.get_triage(ticket_id) is not None
    audit = [a for a in secured.store.list_actions() if a.ticket_id == ticket_id]
    assert [(a.action, a.params["source"]) for a in audit] == [("intake", "http")]


def test_the_customer_is_matched_by_email_with_imported_ones(
    url: str, secured: Desk, tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text(json.dumps(ticket(subject="Old question", page_context=None)) + "\n")
    secured.import_tickets(earlier)
    known = secured.store.find_customers_by_emails(["dana@example.com"])["dana@example.com"]

    answer = post(url, ticket(customer="DANA@example.com"))

    assert answer.status_code == 201
    saved = secured.ticket(answer.json()["id"])
    assert saved.customer is not None and saved.customer.id == known.id
    assert secured.store.count_customers() == 1


def test_a_signed_body_is_accepted(url: str, secured: Desk) -> None:
    body = json.dumps(ticket(), indent=2).encode()  # over several lines, as clients send it
    answer = httpx.post(f"{url}/tickets", content=body, headers=signed(body), timeout=60)
    assert answer.status_code == 201, answer.text
    assert secured.store.count_tickets() == 1


def test_the_same_ticket_twice_is_stored_once(url: str, secured: Desk) -> None:
    first = post(url, ticket())
    again = post(url, ticket())

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"id": first.json()["id"], "created": False}
    assert stored(secured) == (1, 1)


def test_concurrent_posts_are_each_stored_exactly_once(url: str, secured: Desk) -> None:
    def send(n: int) -> tuple[int, str, int, str]:
        own = post(url, ticket(subject=f"Export fails #{n}", customer=f"user{n % 4}@example.com"))
        shared = post(url, ticket(subject="The same ticket from every thread"))
        return own.status_code, own.json()["id"], shared.status_code, shared.json()["id"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, range(20)))

    assert sorted(own for own, *_ in results) == [201] * 20
    assert sorted(shared for _s, _i, shared, _id in results) == [200] * 19 + [201]
    assert len({shared_id for *_, shared_id in results}) == 1
    assert secured.store.count_tickets() == 21
    assert secured.store.count_customers() == 5
    assert len(secured.queue(limit=None)) == 21


# --- refused, and nothing stored -----------------------------------------------------------

BAD_BODIES = [
    pytest.param(b'{"subject": "x", "body": ', 400, None, id="invalid-json"),
    pytest.param(b"\xff\xfe{}", 400, None, id="not-utf8"),
    pytest.param(json.dumps(ticket(mood="cross")).encode(), 422, "mood", id="unknown-field"),
    pytest.param(json.dumps(ticket(subject=42)).encode(), 422, "subject", id="wrong-type"),
    pytest.param(
        json.dumps(ticket(page_context={**PAGE_CONTEXT, "errors": "one string"})).encode(),
        422,
        "page_context.errors",
        id="wrong-type-nested",
    ),
    pytest.param(
        json.dumps(ticket(customer={"email": "not an email"})).encode(),
        422,
        "customer.email",
        id="bad-email",
    ),
    pytest.param(json.dumps({"body": "no subject"}).encode(), 422, "subject", id="missing"),
    pytest.param(json.dumps([ticket()]).encode(), 422, None, id="array"),
    pytest.param(b'{"subject": "a", "subject": "b", "body": "c"}', 422, "subject", id="dup-key"),
    pytest.param(
        json.dumps(ticket(customer="C-nobody")).encode(), 422, "customer", id="unknown-customer"
    ),
]


@pytest.mark.parametrize(("body", "status", "field"), BAD_BODIES)
def test_bad_tickets_are_refused_naming_the_field(
    url: str, secured: Desk, body: bytes, status: int, field: str | None
) -> None:
    answer = post(url, body)

    assert answer.status_code == status, answer.text
    assert answer.json().get("field") == field
    assert answer.json()["error"]
    assert stored(secured) == (0, 0)


def test_a_body_over_the_limit_is_refused_before_it_is_read(url: str, secured: Desk) -> None:
    limit = secured.settings.intake.max_bytes
    big = json.dumps(ticket(body="x" * limit)).encode()

    declared = post(url, big)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    streamed = httpx.post(
        f"{url}/tickets", content=chunks(), headers={"Content-Type": "application/json", **BEARER}
    )
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert "limit" in declared.json()["error"]
    assert stored(secured) == (0, 0)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", ""],
)
def test_other_content_types_are_refused(url: str, secured: Desk, content_type: str) -> None:
    answer = post(url, ticket(), **{"Content-Type": content_type})
    assert answer.status_code == 415
    assert stored(secured) == (0, 0)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": ""}, id="missing"),
        pytest.param({"Authorization": "Bearer not-the-secret"}, id="wrong-bearer"),
        pytest.param({"Authorization": "Basic " + SECRET}, id="other-scheme"),
    ],
)
def test_wrong_or_missing_credentials_are_refused(
    url: str, secured: Desk, headers: dict[str, str]
) -> None:
    answer = post(url, ticket(), **headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert SECRET not in answer.text
    assert stored(secured) == (0, 0)


def test_wrong_signatures_are_refused(url: str, secured: Desk) -> None:
    body = json.dumps(ticket()).encode()
    tampered = body.replace(b"nothing downloads", b"everything is fine")
    answers = [
        httpx.post(f"{url}/tickets", content=body, headers=signed(body, "another-secret-123456")),
        httpx.post(f"{url}/tickets", content=tampered, headers=signed(body)),
        httpx.post(
            f"{url}/tickets",
            content=body,
            headers={**signed(body), "X-DeskPilot-Signature": "md5=abc"},
        ),
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert stored(secured) == (0, 0)


def test_unknown_routes_and_methods(url: str) -> None:
    assert httpx.get(f"{url}/nowhere").status_code == 404
    wrong = httpx.get(f"{url}/tickets")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["allow"]


def test_each_request_is_logged_in_one_line_without_body_or_secret(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="deskpilot.intake"):
        post(url, ticket())
        post(url, ticket(subject=12345))
        post(url, ticket(), Authorization="Bearer wrong-but-secretish")
    lines = [r.getMessage() for r in caplog.records if r.name == "deskpilot.intake"]
    assert len(lines) == 3
    assert " 201 " in lines[0] and " 422 " in lines[1] and "field subject" in lines[1]
    assert " 401 " in lines[2]
    text = "\n".join(lines)
    for private in (SECRET, "wrong-but-secretish", "nothing downloads", "12345", "Dana"):
        assert private not in text
    assert all("\n" not in line for line in lines)


# --- who may post ----------------------------------------------------------------------------


def test_without_a_secret_only_loopback_is_served(desk: Desk) -> None:
    open_settings = IntakeSettings()
    with pytest.raises(ConfigError, match=r"refusing to listen on 0\.0\.0\.0 without a secret"):
        IntakeServer(desk, open_settings, host="0.0.0.0", port=0)
    IntakeServer(desk, IntakeSettings(secret=SECRET), host="0.0.0.0", port=0)  # allowed

    with IntakeServer(desk, open_settings, port=0).running() as base:
        answer = httpx.post(
            f"{base}/tickets", json=ticket(), timeout=60
        )  # loopback: no secret needed
    assert answer.status_code == 201


def test_browsers_on_allowed_origins_get_cors_headers(secured: Desk) -> None:
    settings = secured.settings.intake.model_copy(
        update={"allowed_origins": ["https://app.example.com"]}
    )
    with IntakeServer(secured, settings, port=0).running() as base:
        preflight = httpx.options(
            f"{base}/tickets",
            headers={
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "POST",
            },
        )
        stranger = httpx.options(f"{base}/tickets", headers={"Origin": "https://evil.example"})
        posted = post(base, ticket(), Origin="https://app.example.com")
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert stranger.status_code == 403
    assert "access-control-allow-origin" not in stranger.headers
    assert posted.headers["access-control-allow-origin"] == "https://app.example.com"


# --- the command ---------------------------------------------------------------------------


def test_serve_help(cli: Cli) -> None:
    result = cli("serve", "--help")
    assert result.exit_code == 0
    assert "POST /tickets" in result.output and "--port" in result.output


@pytest.mark.parametrize(
    ("config", "secrets", "expected"),
    [
        ("[intake]\nport = 70000\n", "", "'intake.port'"),
        ('[intake]\nport = "http"\n', "", "'intake.port'"),
        ('[intake]\nsecret = "in-the-config-file-123"\n', "", "'intake.secret' is a secret"),
        ("", "DESKPILOT_INTAKE__SECRET=short\n", "'intake.secret'"),
        ('[intake]\nhost = "0.0.0.0"\n', "", "refusing to listen on 0.0.0.0 without a secret"),
    ],
    ids=["port-range", "port-type", "secret-in-config", "short-secret", "no-secret-off-loopback"],
)
def test_bad_intake_config_is_one_line_and_exit_2(
    cli: Cli, config: str, secrets: str, expected: str
) -> None:
    assert cli("init").exit_code == 0
    (cli.workspace_dir / "config.toml").write_text(config)
    (cli.workspace_dir / "secrets.env").write_text(secrets)

    result = cli("serve")

    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_port_in_use_is_one_line_and_exit_2(cli: Cli) -> None:
    assert cli("init").exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("serve", "--port", str(taken.getsockname()[1]))
    assert result.exit_code == 2
    assert "cannot listen on 127.0.0.1:" in result.output
    assert len(result.output.strip().splitlines()) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_serve_command_takes_tickets_until_interrupted(tmp_path: Path) -> None:
    folder = tmp_path / "served"
    env = {**os.environ, "DESKPILOT_WORKSPACE": str(folder)}
    command = [sys.executable, "-m", "deskpilot.cli.app"]
    subprocess.run([*command, "init"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr
            time.sleep(0.1)
        answer = httpx.post(f"{base}/tickets", json=ticket())
    finally:
        server.send_signal(signal.SIGINT)
        _out, log = server.communicate(timeout=30)
    assert answer.status_code == 201
    assert server.returncode == 0
    assert f"taking tickets at {base}/tickets" in log
    assert "POST /tickets 201 " in log
    with Desk.open(Workspace.existing(folder)) as desk:
        assert [row.id for row in desk.queue()] == [answer.json()["id"]]
