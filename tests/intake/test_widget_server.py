"""The web widget's public API on ``deskpilot serve``, over real HTTP: site keys and origins,
CORS, rate limits, identity verification, conversation tokens, bounded and masked context."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from deskpilot.config import DEFAULT_CONFIG_TOML, load_settings
from deskpilot.desk import Desk
from deskpilot.errors import ConfigError
from deskpilot.intake.rates import RateLimit
from deskpilot.intake.server import IntakeServer
from deskpilot.intake.widget import (
    TOKEN_META_PREFIX,
    identity_signature,
    mask_captured,
    token_digest,
)
from deskpilot.models import Author, Channel, Status
from deskpilot.workspace import Workspace

KEY = "pk_test_live"
ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example.net"
IDENTITY_SECRET = "widget-identity-secret-4f9a1c7e2b"

CONTEXT = {
    "url": "https://app.example.com/reports?user=dana@example.com&token=abc123secret",
    "title": "Reports · Acme",
    "visible_state": "Export failed for card 4242 4242 4242 4242",
    "errors": ["console.error: TypeError: x is undefined (at https://app.example.com/a.js:3:9)"],
    "steps_attempted": ['clicked button "Export CSV"'],
    "environment": {"browser": "Chrome 120", "os": "Linux", "viewport": "1280×800"},
    "product": {"account": "ACME-1", "plan": "pro", "beta": True, "seats": 12},
}


def widget_config(workspace: Workspace, **settings: Any) -> None:
    lines = [f"[widget.site_keys.{KEY}]", f'allowed_origins = ["{ORIGIN}"]']
    config = workspace.config_file
    text = config.read_text() if config.exists() else DEFAULT_CONFIG_TOML
    for name, value in settings.items():
        text = text.replace(f"\n{name} = ", f"\n{name} = {json.dumps(value)} # ", 1)
    workspace.config_file.write_text(text + "\n" + "\n".join(lines) + "\n")


@pytest.fixture
def widget_desk(workspace: Workspace) -> Iterator[Desk]:
    widget_config(workspace, writes_per_minute_per_ip=50, reads_per_minute_per_ip=100)
    workspace.secrets_file.write_text(f"DESKPILOT_WIDGET__IDENTITY_SECRET={IDENTITY_SECRET}\n")
    with Desk.open(workspace) as desk:
        desk.triage()
        yield desk


def serving(desk: Desk) -> AbstractContextManager[str]:
    return IntakeServer(desk, desk.settings.intake, port=0).running()


@pytest.fixture
def url(widget_desk: Desk) -> Iterator[str]:
    with serving(widget_desk) as base:
        yield base


def headers(origin: str | None = ORIGIN, key: str = KEY, token: str = "") -> dict[str, str]:
    sent = {"X-DeskPilot-Site-Key": key}
    if origin is not None:
        sent["Origin"] = origin
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return sent


def create(url: str, origin: str | None = ORIGIN, **changes: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "email": "dana@example.com",
        "name": "Dana",
        "message": "The export fails with an error banner.",
        "context": CONTEXT,
    }
    body.update(changes)
    return httpx.post(
        f"{url}/widget/v1/conversations", json=body, headers=headers(origin), timeout=60
    )


def thread_url(url: str, reference: str) -> str:
    return f"{url}/widget/v1/conversations/{reference}/messages"


# --- a conversation ---------------------------------------------------------------------------


def test_a_new_conversation_is_a_web_ticket_with_masked_page_context(
    url: str, widget_desk: Desk
) -> None:
    answer = create(url)

    assert answer.status_code == 201, answer.text
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    data = answer.json()
    ticket = widget_desk.ticket(data["reference"])
    assert ticket.channel is Channel.WEB and ticket.status is Status.NEW
    assert ticket.first_customer_message == "The export fails with an error banner."
    assert ticket.subject == "The export fails with an error banner."
    page = ticket.page_context
    assert page is not None
    assert "dana@example.com" not in page.url and "abc123secret" not in page.url
    assert page.visible_state == "Export failed for card [number]"
    assert page.errors == CONTEXT["errors"] and page.steps_attempted == CONTEXT["steps_attempted"]
    assert page.environment["browser"] == "Chrome 120"
    assert page.product_context == {
        "account": "ACME-1",
        "plan": "pro",
        "beta": "true",
        "seats": "12",
    }
    # Not signed: who they say they are is shown as unverified, no customer is attached.
    assert data["verified"] is False
    assert ticket.customer is None
    assert page.unverified_identity == "Dana <dana@example.com>"
    # The store keeps the token's digest, never the token.
    stored = widget_desk.store.get_meta(TOKEN_META_PREFIX + ticket.id)
    assert stored is not None and data["token"] not in stored
    assert json.loads(stored)["token_sha256"] == token_digest(data["token"])
    audit = [a for a in widget_desk.store.list_actions() if a.ticket_id == ticket.id]
    assert [(a.action, a.params["source"]) for a in audit] == [("intake", "widget")]


def test_the_token_reads_the_thread_and_a_follow_up_lands_in_the_same_ticket(
    url: str, widget_desk: Desk
) -> None:
    created = create(url).json()
    reference, token = created["reference"], created["token"]
    widget_desk.add_note(reference, "internal: check the export job")
    widget_desk.send_reply(reference, "Thanks Dana, a fix is on its way.")

    read = httpx.get(thread_url(url, reference), headers=headers(token=token), timeout=30)
    assert read.status_code == 200, read.text
    bodies = [(m["author"], m["body"]) for m in read.json()["messages"]]
    assert bodies == [
        ("customer", "The export fails with an error banner."),
        ("agent", "Thanks Dana, a fix is on its way."),
    ]  # the internal note never reaches the customer

    follow_up = httpx.post(
        thread_url(url, reference),
        json={"message": "Still failing today."},
        headers=headers(token=token),
        timeout=30,
    )
    assert follow_up.status_code == 201, follow_up.text
    ticket = widget_desk.ticket(reference)
    assert ticket.messages[-1].author is Author.CUSTOMER
    assert ticket.messages[-1].body == "Still failing today."
    assert ticket.status is Status.OPEN  # was pending on the customer: open again
    assert widget_desk.store.count_tickets() == 1


@pytest.mark.parametrize("wrong", ["token", "key", "reference"])
def test_a_conversation_opens_only_with_its_own_token_and_key(
    url: str, widget_desk: Desk, wrong: str
) -> None:
    first = create(url).json()
    second = create(url, message="Another visitor's question.").json()
    reference, token, key = first["reference"], first["token"], KEY
    if wrong == "token":
        token = second["token"]
    elif wrong == "reference":
        reference = second["reference"]
    else:
        key = "pk_unknown"
    sent = headers(token=token, key=key)

    read = httpx.get(thread_url(url, reference), headers=sent, timeout=30)
    write = httpx.post(thread_url(url, reference), json={"message": "hi"}, headers=sent)

    assert read.status_code in (403, 404) and write.status_code in (403, 404)
    assert "Another visitor" not in read.text
    assert len(widget_desk.ticket(second["reference"]).messages) == 1


def test_reading_without_a_token_is_refused(url: str) -> None:
    reference = create(url).json()["reference"]
    answer = httpx.get(thread_url(url, reference), headers=headers())
    assert answer.status_code == 401


# --- origins and keys ---------------------------------------------------------------------------


def test_another_origin_is_refused_and_gets_no_cors_headers(url: str, widget_desk: Desk) -> None:
    answer = create(url, origin=OTHER_ORIGIN)
    assert answer.status_code == 403
    assert "access-control-allow-origin" not in answer.headers
    preflight = httpx.options(
        f"{url}/widget/v1/conversations",
        headers={"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    assert widget_desk.store.count_tickets() == 0


def test_the_allowed_origin_passes_the_preflight(url: str) -> None:
    preflight = httpx.options(
        f"{url}/widget/v1/conversations",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "x-deskpilot-site-key" in preflight.headers["access-control-allow-headers"]


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        ({"X-DeskPilot-Site-Key": "pk_nobody_has", "Origin": ORIGIN}, 403),
        ({"Origin": ORIGIN}, 401),
        ({"X-DeskPilot-Site-Key": KEY}, 403),  # a write without an Origin: not from a page
    ],
)
def test_writes_need_a_known_key_and_an_origin(
    url: str, widget_desk: Desk, sent: dict[str, str], status: int
) -> None:
    body = {"email": "a@example.com", "message": "hi", "context": {}}
    answer = httpx.post(f"{url}/widget/v1/conversations", json=body, headers=sent)
    assert answer.status_code == status, answer.text
    assert widget_desk.store.count_tickets() == 0


# --- identity verification ------------------------------------------------------------------


def test_a_signed_email_is_matched_to_the_known_customer(
    url: str, widget_desk: Desk, tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.jsonl"
    record = {"subject": "Old", "body": "old question", "customer": "dana@example.com"}
    earlier.write_text(json.dumps(record) + "\n")
    widget_desk.import_tickets(earlier)
    known = widget_desk.store.find_customers_by_emails(["dana@example.com"])["dana@example.com"]

    unsigned = create(url)
    signed = create(url, signature=identity_signature(IDENTITY_SECRET, "Dana@Example.com"))

    assert unsigned.status_code == signed.status_code == 201
    assert widget_desk.ticket(unsigned.json()["reference"]).customer is None
    ticket = widget_desk.ticket(signed.json()["reference"])
    assert signed.json()["verified"] is True
    assert ticket.customer is not None and ticket.customer.id == known.id
    assert ticket.page_context is not None and ticket.page_context.unverified_identity == ""


def test_a_wrong_signature_is_refused(url: str, widget_desk: Desk) -> None:
    forged = identity_signature("someone-elses-secret-0123456789", "dana@example.com")
    answer = create(url, signature=forged)
    assert answer.status_code == 403 and answer.json()["field"] == "signature"
    assert widget_desk.store.count_tickets() == 0


def test_a_signature_without_a_secret_on_the_desk_is_refused(workspace: Workspace) -> None:
    widget_config(workspace)
    with Desk.open(workspace) as desk, serving(desk) as base:
        answer = create(base, signature="ab" * 32)
    assert answer.status_code == 422
    assert "DESKPILOT_WIDGET__IDENTITY_SECRET" in answer.json()["error"]


# --- rate limits and bounds -------------------------------------------------------------------


def test_writes_over_the_per_address_limit_wait(workspace: Workspace) -> None:
    widget_config(workspace, writes_per_minute_per_ip=2)
    with Desk.open(workspace) as desk, serving(desk) as base:
        answers = [create(base, message=f"question {n}") for n in range(3)]
        counted = desk.store.count_tickets()
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["retry-after"]) > 0
    assert answers[2].headers["access-control-allow-origin"] == ORIGIN  # the page can say why
    assert counted == 2


def test_writes_over_the_per_key_limit_wait_whatever_the_address(workspace: Workspace) -> None:
    widget_config(workspace, writes_per_minute_per_key=2)
    text = workspace.config_file.read_text()
    assert "# trusted_proxies = [" in text
    workspace.config_file.write_text(
        text.replace("# trusted_proxies = [", 'trusted_proxies = ["127.0.0.1"] # [', 1)
    )
    with Desk.open(workspace) as desk, serving(desk) as base:
        statuses = []
        for n in range(3):
            sent = {**headers(), "X-Forwarded-For": f"203.0.113.{n + 1}"}
            body = {"email": "a@example.com", "message": f"question {n}", "context": {}}
            answer = httpx.post(
                f"{base}/widget/v1/conversations", json=body, headers=sent, timeout=60
            )
            statuses.append(answer.status_code)
    assert statuses == [201, 201, 429]


def test_the_rate_limit_window_slides() -> None:
    now = [0.0]
    limit = RateLimit(2, window=60, clock=lambda: now[0])
    assert limit.take("a") == 0 and limit.take("a") == 0
    assert limit.take("a") == pytest.approx(60)
    assert limit.take("b") == 0  # another key has its own allowance
    now[0] = 30
    assert limit.take("a") == pytest.approx(30)
    now[0] = 60.5
    assert limit.take("a") == 0


def test_bodies_are_bounded_and_shaped(url: str, widget_desk: Desk) -> None:
    too_big = create(url, message="x" * 40_000)
    unknown = create(url, priority="urgent")
    script_url = create(url, context={"url": "javascript:alert(1)"})
    bad_context = create(url, context={"cookies": "session=1"})

    assert too_big.status_code == 413
    assert (unknown.status_code, unknown.json()["field"]) == (422, "priority")
    assert (script_url.status_code, script_url.json()["field"]) == (422, "context.url")
    assert (bad_context.status_code, bad_context.json()["field"]) == (422, "context.cookies")
    assert widget_desk.store.count_tickets() == 0


def test_captured_text_is_masked() -> None:
    shown = mask_captured("Mail dana.r@example.co.uk, call +1 415-555-0100, ref 1234\x1b[2J")
    assert shown == "Mail [email], call +[number], ref 1234 [2J"


# --- the script and the demo page --------------------------------------------------------------


def test_the_script_is_served_small_and_as_javascript(url: str) -> None:
    answer = httpx.get(f"{url}/widget.js")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert "DeskPilot" in answer.text
    assert len(gzip.compress(answer.content)) < 15 * 1024


def test_the_demo_page_is_only_on_a_demo_workspace(url: str) -> None:
    answer = httpx.get(f"{url}/widget/demo")
    assert answer.status_code == 404
    assert "deskpilot demo" in answer.json()["error"]


# --- configuration ----------------------------------------------------------------------------


def test_site_keys_need_origins_not_urls(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[widget.site_keys.pk_live]\nallowed_origins = ["https://app.example.com/page"]\n'
    )
    with pytest.raises(ConfigError, match="not an origin"):
        load_settings(config)


def test_the_identity_secret_is_refused_in_config_toml(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[widget]\nidentity_secret = "{IDENTITY_SECRET}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "DESKPILOT_WIDGET__IDENTITY_SECRET" in str(caught.value)
    assert IDENTITY_SECRET not in str(caught.value)


# --- the desk's side of a follow-up --------------------------------------------------------------


def test_a_customer_follow_up_reopens_a_solved_ticket_and_is_audited(desk: Desk) -> None:
    from deskpilot.errors import DeskPilotError
    from deskpilot.intake.records import TicketRecord

    record = TicketRecord.model_validate({"id": "T-00000000000a", "subject": "s", "body": "b"})
    ticket_id = desk.submit_ticket(record, source="widget").ticket_id
    desk.solve(ticket_id)

    with pytest.raises(DeskPilotError, match="empty"):
        desk.add_customer_message(ticket_id, "   ", source="widget")
    desk.add_customer_message(ticket_id, "  It broke again.  ", source="widget")

    ticket = desk.ticket(ticket_id)
    assert ticket.status is Status.OPEN
    assert [(m.author, m.body) for m in ticket.messages][-1] == (Author.CUSTOMER, "It broke again.")
    audit = [a for a in desk.store.list_actions() if a.ticket_id == ticket_id]
    assert (audit[-1].action, audit[-1].actor, audit[-1].params["source"]) == (
        "customer_message",
        "customer",
        "widget",
    )


# --- the demo page's own key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8765", True),
        ("localhost:8765", True),
        ("[::1]:8765", True),
        ("demo.example.com:8765", False),  # a name resolving here (DNS rebinding) is not us
    ],
)
async def test_the_demo_key_serves_only_pages_of_this_server_on_loopback(
    desk: Desk, host: str, allowed: bool
) -> None:
    import threading

    from deskpilot.intake.refusal import Refusal
    from deskpilot.intake.widget import DEMO_SITE_KEY, WidgetRoutes

    routes = WidgetRoutes(desk, desk.settings.widget, threading.Lock(), is_demo=True)
    sent = {"host": host, "origin": f"http://{host}", "x-deskpilot-site-key": DEMO_SITE_KEY}
    body = {"email": "a@example.com", "message": "hi", "context": {}}
    sent |= {"content-type": "application/json"}

    async def read_body(limit: int) -> bytes:
        return json.dumps(body).encode()

    allow_origin = dict(routes.cors(sent)).get("access-control-allow-origin")
    assert allow_origin == (f"http://{host}" if allowed else None)
    if allowed:
        answer = await routes.handle("POST", "/widget/v1/conversations", sent, read_body, "x")
        assert answer.status == 201
    else:
        with pytest.raises(Refusal) as refused:
            await routes.handle("POST", "/widget/v1/conversations", sent, read_body, "x")
        assert refused.value.status == 403
        assert desk.store.count_tickets() == 0
