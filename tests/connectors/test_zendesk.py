"""Zendesk against the real local HTTP server, every request and answer checked against
Zendesk's published API spec (``openapi_spec`` below turns the check on for the whole module).

Two kinds of server: a recording of Zendesk's documented answers (``api.json``) for the ticket
interface and the errors, and ``FakeZendesk`` (an account in memory) for the channel: the sync
by search and by export, whole comment threads, rate limits, cursors, replies and their
reconciliation after an unknown outcome.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import SecretStr, ValidationError

from deskpilot.cli import main
from deskpilot.connectors.base import ConnectorContext
from deskpilot.connectors.builtin.zendesk import ZendeskConfig, ZendeskConnector
from deskpilot.connectors.errors import (
    ConnectorAuthError,
    ConnectorError,
    ConnectorPermissionError,
    ConnectorRateLimitedError,
    ConnectorUnavailableError,
    DeliveryError,
    RemoteApiError,
)
from deskpilot.connectors.models import Delivered, OutboundReply
from deskpilot.models import Author, Channel, Priority, Status
from deskpilot.testing import (
    ContractSamples,
    OpenApiSpec,
    RecordedServer,
    TicketSourceContract,
    run,
)
from deskpilot.workspace import Workspace

from .conftest import RECORDED, assert_secret_kept
from .fake_zendesk import EXPORT, SEARCH, T0, FakeClock, FakeZendesk, RateLimit, iso
from .zendesk_spec import zendesk_openapi_spec, zendesk_spec

# Every test that uses http_server: requests and answers checked against Zendesk's spec.
openapi_spec = zendesk_openapi_spec

TOKEN = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)


def make_connector(server: RecordedServer, **settings: Any) -> ZendeskConnector:
    values: dict[str, Any] = {
        "email": "ada@acme.example",
        "api_token": SecretStr(TOKEN),
        "backoff_seconds": 0.0,
        **settings,
    }
    config = ZendeskConfig(base_url=server.url, **values)
    return ZendeskConnector(config, ConnectorContext(name="zendesk"))


@pytest.fixture
def zendesk(http_server: RecordedServer) -> RecordedServer:
    http_server.load(RECORDED / "zendesk" / "api.json")
    return http_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def account(openapi_spec: OpenApiSpec, clock: FakeClock) -> FakeZendesk:
    """An agent's Zendesk: two customers, three tickets (one with an attachment and a private
    note), all changed within the connector's lookback."""
    fake = FakeZendesk(openapi_spec, clock)
    ann = fake.add_user("Ann Lee", "ann@example.com")
    bob = fake.add_user("Bob Roe", "bob@example.com")
    invoice = {
        "id": 498483,
        "file_name": "invoice-november.pdf",
        "content_url": "https://acme.zendesk.com/attachments/token/x/?name=invoice-november.pdf",
        "content_type": "application/pdf",
        "size": 48213,
        "inline": False,
        "deleted": False,
        "thumbnails": [],
    }
    fake.add_ticket(
        "Charged twice for November",
        ann,
        [
            (ann, "My card was charged twice this month.", True),
            (fake.agent, "Checked Stripe: two charges, refund the second.", False),
            (fake.agent, "Sorry about that, we are refunding the second charge.", True),
            (ann, "Thank you!", True),
        ],
        updated=T0 + 100,
        number=35436,
        attachments=[invoice],
    )
    fake.add_ticket(
        "Export button does nothing",
        bob,
        [(bob, "Clicking Export on the reports page does nothing.", True)],
        updated=T0 + 200,
        number=35437,
    )
    fake.add_ticket(
        "Password reset mail never arrives",
        ann,
        [(ann, "I asked for a reset twice, no mail.", True)],
        updated=T0 + 300,
        number=35438,
    )
    return fake


def channel(
    server: RecordedServer, fake: FakeZendesk, clock: FakeClock, **settings: Any
) -> ZendeskConnector:
    fake.install(server)
    connector = make_connector(server, **settings)
    connector.use_clock(clock, clock.sleep)
    return connector


def reply(ticket: int = 35436, message_id: str = "<r1.T-000042@deskpilot>") -> OutboundReply:
    return OutboundReply(
        ticket_id="T-000042",
        ticket_external_id=str(ticket),
        message_id=message_id,
        subject="Charged twice for November",
        to_email="ann@example.com",
        body="Refunded: you will see it in 5 to 10 days.",
    )


# --- the contract kit --------------------------------------------------------------------------


class TestZendeskContract(TicketSourceContract):
    @pytest.fixture
    def connector(
        self, http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
    ) -> ZendeskConnector:
        return channel(http_server, account, clock)

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples(ticket_id="ZD-35436")


# --- the sync ----------------------------------------------------------------------------------


def test_an_agents_sync_searches_and_imports_every_comment(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    pulled = run(channel(http_server, account, clock), lambda c: c.pull(None))
    by_ticket: dict[str, list[Any]] = {}
    for message in pulled.messages:
        by_ticket.setdefault(message.ticket_external_id, []).append(message)
    assert list(by_ticket) == ["35436", "35437", "35438"], "tickets in the order they changed"
    thread = by_ticket["35436"]
    assert [m.author for m in thread] == [
        Author.CUSTOMER,
        Author.NOTE,
        Author.AGENT,
        Author.CUSTOMER,
    ]
    assert [m.body for m in thread][::3] == ["My card was charged twice this month.", "Thank you!"]
    assert [m.external_id for m in thread] == [str(c["id"]) for c in account.comments[35436]]
    first = thread[0]
    assert (first.from_email, first.from_name) == ("ann@example.com", "Ann Lee")
    assert first.subject == "Charged twice for November"
    assert first.at == datetime.fromtimestamp(T0 + 100 - 3600, tz=UTC)
    [invoice] = first.attachments
    assert (invoice.name, invoice.content_type, invoice.size) == (
        "invoice-november.pdf",
        "application/pdf",
        48213,
    )
    assert invoice.data == b"", "metadata only: the bytes stay on Zendesk's file host"
    assert (thread[2].from_email, thread[2].author) == ("ada@acme.example", Author.AGENT)
    [search] = http_server.received("GET", SEARCH)
    assert search.query["query"].startswith("type:ticket updated>")
    assert (search.query["sort_by"], search.query["sort_order"]) == ("updated_at", "asc")
    assert not http_server.received("GET", EXPORT), "the export is for admins"
    assert json.loads(pulled.cursor)["since"] == T0 + 300


def test_an_admins_sync_reads_the_export_with_users_on_every_page(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    account.role = "admin"
    connector = channel(http_server, account, clock, sync="export", page_size=2)
    pulled = run(connector, lambda c: c.pull(None))
    assert [m.ticket_external_id for m in pulled.messages] == ["35436"] * 4 + ["35437", "35438"]
    pages = http_server.received("GET", EXPORT)
    assert len(pages) == 2
    assert all(page.query["include"] == "users" for page in pages)
    assert "start_time" in pages[0].query and "cursor" in pages[1].query
    assert not http_server.received("GET", SEARCH)
    cursor = json.loads(pulled.cursor)
    assert cursor["export_cursor"] and cursor["since"] == T0 + 300


def test_a_long_thread_is_read_page_by_page_with_its_users_each_time(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    carol = account.add_user("Carol Day", "carol@example.com")
    said = [(carol if n % 2 == 0 else account.agent, f"message {n}", True) for n in range(230)]
    account.add_ticket("A long conversation", carol, said, updated=T0 + 400, number=40000)
    pulled = run(channel(http_server, account, clock), lambda c: c.pull(None))
    thread = [m for m in pulled.messages if m.ticket_external_id == "40000"]
    assert [m.body for m in thread] == [f"message {n}" for n in range(230)]
    assert {m.from_email for m in thread} == {"carol@example.com", "ada@acme.example"}
    pages = http_server.received("GET", "/api/v2/tickets/40000/comments")
    assert len(pages) == 3
    assert all(page.query["include"] == "users" for page in pages)
    assert [p.query.get("page[after]") for p in pages] == [None, "100", "200"]
    assert not http_server.received("GET", "/api/v2/users/show_many"), "all side-loaded"


def test_authors_missing_from_the_side_load_are_fetched_together(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    connector = channel(http_server, account, clock)
    # Comments answered without their users (as for a deleted author's CC): show_many fills in.
    http_server.respond(
        "GET",
        "/api/v2/tickets/35437/comments",
        json={"comments": account.comments[35437], "meta": {"has_more": False}},
    )
    pulled = run(connector, lambda c: c.pull(None))
    [bob] = [m for m in pulled.messages if m.ticket_external_id == "35437"]
    assert (bob.from_email, bob.from_name) == ("bob@example.com", "Bob Roe")
    [fetched] = http_server.received("GET", "/api/v2/users/show_many")
    assert fetched.query == {"ids": str(account.comments[35437][0]["author_id"])}


def test_the_cursor_resumes_with_only_what_changed(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    connector = channel(http_server, account, clock)
    first = run(connector, lambda c: c.pull(None))
    ann = account.tickets[35436]["requester_id"]
    account.add_ticket("Invoice address", ann, [(ann, "Please change it.", True)], T0 + 900)
    account.tickets[35437]["generated_timestamp"] = T0 + 950  # Bob wrote again
    account.tickets[35437]["updated_at"] = iso(T0 + 950)
    account.add_comment(35437, account.tickets[35437]["requester_id"], "Any news?", True, T0 + 950)
    before = len(http_server.requests)

    second = run(connector, lambda c: c.pull(first.cursor))
    assert [(m.ticket_external_id, m.body) for m in second.messages][-1] == ("35437", "Any news?")
    assert {m.ticket_external_id for m in second.messages} == {"1003", "35437"}
    read = [r.path for r in http_server.requests[before:] if r.path.endswith("/comments")]
    assert sorted(read) == ["/api/v2/tickets/1003/comments", "/api/v2/tickets/35437/comments"]
    # Looking back over the search index's lag re-finds 35438, already read: skipped.
    [search] = [r for r in http_server.requests[before:] if r.path == SEARCH]
    assert search.query["query"] == f"type:ticket updated>{iso(T0 + 300 - 300)}"

    third = run(connector, lambda c: c.pull(second.cursor))
    assert third.messages == [] and json.loads(third.cursor)["since"] == T0 + 950


def test_a_sync_that_fails_part_way_keeps_what_it_read_and_goes_on_later(
    http_server: RecordedServer,
    account: FakeZendesk,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connector = channel(http_server, account, clock, sync_max_retries=0)
    broken = http_server.respond("GET", "/api/v2/tickets/35437/comments", status=500)
    with caplog.at_level(logging.WARNING):
        first = run(connector, lambda c: c.pull(None))
    assert {m.ticket_external_id for m in first.messages} == {"35436"}
    assert json.loads(first.cursor)["since"] == T0 + 100, "after the last ticket fully read"
    assert any("sync stopped after 4 messages" in r.getMessage() for r in caplog.records)
    http_server.routes.remove(broken)
    second = run(connector, lambda c: c.pull(first.cursor))
    assert [m.ticket_external_id for m in second.messages] == ["35437", "35438"]
    http_server.routes[:] = [r for r in http_server.routes if r.path != SEARCH]
    http_server.respond("GET", SEARCH, status=500)
    with pytest.raises(ConnectorUnavailableError, match="HTTP 500"):
        run(connector, lambda c: c.pull(second.cursor))  # nothing read: an error, not "no news"


def test_a_cursor_that_is_not_ours_is_refused_clearly(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    with pytest.raises(ConnectorError, match="sync cursor is not one this connector wrote"):
        run(channel(http_server, account, clock), lambda c: c.pull("42"))


@pytest.mark.slow
def test_a_first_sync_of_1050_tickets_passes_the_search_limit_and_rate_limit(
    http_server: RecordedServer,
    openapi_spec: OpenApiSpec,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeZendesk(openapi_spec, clock)
    fake.search_limit = RateLimit(4, clock)
    customer = fake.add_user("Dan Ray", "dan@example.com")
    for n in range(1050):
        fake.add_ticket(f"Ticket {n}", customer, [(customer, f"Help {n}", True)], T0 + n // 3)
    with caplog.at_level(logging.INFO, logger="deskpilot.connectors"):
        pulled = run(channel(http_server, fake, clock), lambda c: c.pull(None))
    assert [m.body for m in pulled.messages] == [f"Help {n}" for n in range(1050)]
    searches = [r for r in http_server.received("GET", SEARCH)]
    assert max(int(r.query["page"]) for r in searches) == 10, "never past the 1,000 results"
    assert fake.search_limit.refused > 0 and clock.slept, "429s were waited out"
    assert any("retry" in r.getMessage() for r in caplog.records), "the wait is shown"


@pytest.mark.slow
def test_a_first_export_of_1050_tickets_keeps_to_ten_requests_a_minute(
    http_server: RecordedServer,
    openapi_spec: OpenApiSpec,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeZendesk(openapi_spec, clock, role="admin")
    fake.export_limit = RateLimit(10, clock)
    customer = fake.add_user("Dan Ray", "dan@example.com")
    for n in range(1050):
        fake.add_ticket(f"Ticket {n}", customer, [(customer, f"Help {n}", True)], T0 + n)
    connector = channel(http_server, fake, clock, sync="export", page_size=50)
    with caplog.at_level(logging.INFO, logger="deskpilot.connectors"):
        pulled = run(connector, lambda c: c.pull(None))
    assert len(pulled.messages) == 1050
    assert len(http_server.received("GET", EXPORT)) == 21
    assert fake.export_limit.refused == 0, "paced to the documented limit, never refused"
    assert sum(clock.slept) >= 120, "21 requests at 10 a minute take two minutes"
    assert any("allows 10 requests a minute" in r.getMessage() for r in caplog.records)


def test_an_export_limit_stricter_than_configured_is_waited_out(
    http_server: RecordedServer, openapi_spec: OpenApiSpec, clock: FakeClock
) -> None:
    fake = FakeZendesk(openapi_spec, clock, role="admin")
    fake.export_limit = RateLimit(2, clock)  # an account sharing its export budget
    customer = fake.add_user("Dan Ray", "dan@example.com")
    for n in range(12):
        fake.add_ticket(f"Ticket {n}", customer, [(customer, f"Help {n}", True)], T0 + n)
    connector = channel(http_server, fake, clock, sync="export", page_size=2)
    pulled = run(connector, lambda c: c.pull(None))
    assert len(pulled.messages) == 12
    assert fake.export_limit.refused > 0
    refused = [s for s in clock.slept if s > 1]
    assert refused and all(s <= 61 for s in refused), "Retry-After honoured, not a failure"


def test_a_wait_longer_than_the_sync_will_wait_is_an_error_saying_when(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    connector = channel(http_server, account, clock, sync_max_wait_seconds=600)
    http_server.routes[:] = [r for r in http_server.routes if r.path != SEARCH]
    http_server.respond("GET", SEARCH, status=429, headers={"Retry-After": "3600"}, text="Slow")
    with pytest.raises(ConnectorRateLimitedError, match="retry after 3600 s") as raised:
        run(connector, lambda c: c.pull(None))
    assert raised.value.retry_after == 3600 and clock.slept == []


def test_the_export_with_an_agents_token_says_it_needs_an_admin(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    connector = channel(http_server, account, clock, sync="export")
    with pytest.raises(ConnectorPermissionError, match=r"admins only.*sync = \"search\""):
        run(connector, lambda c: c.pull(None))
    with pytest.raises(ConnectorPermissionError, match=r"ada@acme.example \(agent\) is not an"):
        run(connector, lambda c: c.check())
    assert not issubclass(ConnectorPermissionError, ConnectorAuthError), "not bad credentials"


def test_check_names_the_sync_and_what_it_needs(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    said = run(channel(http_server, account, clock), lambda c: c.check())
    assert said.endswith(
        'ada@acme.example (agent); sync = "search" (the search API, open to agents)'
    )
    account.role = "admin"
    account.users[account.agent]["role"] = "admin"
    connector = make_connector(http_server, sync="export")
    said = run(connector, lambda c: c.check())
    assert said.endswith('sync = "export" (the incremental export, for admins only)')


# --- replies -------------------------------------------------------------------------------------


def test_deliver_adds_one_public_comment_marked_with_the_reply(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    connector = channel(http_server, account, clock, reply_author_id=account.agent)
    delivered = run(connector, lambda c: c.deliver(reply()))
    newest = account.comments[35436][-1]
    assert delivered == Delivered(
        message_id="<r1.T-000042@deskpilot>", external_id=str(newest["id"]), at=delivered.at
    )
    assert (newest["body"], newest["public"], newest["author_id"]) == (
        "Refunded: you will see it in 5 to 10 days.",
        True,
        account.agent,
    )
    [sent] = http_server.received("PUT", "/api/v2/tickets/35436")
    assert sent.json() == {
        "ticket": {
            "comment": {
                "body": "Refunded: you will see it in 5 to 10 days.",
                "public": True,
                "author_id": account.agent,
            },
            "metadata": {"deskpilot_message_id": "<r1.T-000042@deskpilot>"},
        }
    }
    # The next sync brings the comment back with the id the desk recorded: no duplicate.
    pulled = run(connector, lambda c: c.pull(None))
    assert str(newest["id"]) in {m.external_id for m in pulled.messages}


def test_an_unknown_outcome_is_found_and_never_sent_twice(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    connector = channel(http_server, account, clock)
    for n in range(150):  # a busy ticket: the reply's audit is on the second page
        account.add_comment(35436, account.agent, f"note {n}", False, T0 + 200 + n)
    account.lose_next_update_answer = True  # Zendesk applied it; the answer was lost
    with pytest.raises(ConnectorUnavailableError) as raised:
        run(connector, lambda c: c.deliver(reply()))
    assert not isinstance(raised.value, DeliveryError), "unknown, not 'did not go'"
    comments = len(account.comments[35436])
    found = run(connector, lambda c: c.find_delivered(reply()))
    assert found is not None and found.external_id == str(account.comments[35436][-1]["id"])
    assert len(account.comments[35436]) == comments, "looked up, not sent again"
    assert len(http_server.received("PUT", "/api/v2/tickets/35436")) == 1
    pages = http_server.received("GET", "/api/v2/tickets/35436/audits")
    assert [p.query.get("page[after]") for p in pages] == [None, "100"]
    other = reply(message_id="<r2.T-000042@deskpilot>")
    assert run(connector, lambda c: c.find_delivered(other)) is None


def test_delivery_failures_say_whether_retrying_can_help(
    http_server: RecordedServer, account: FakeZendesk, clock: FakeClock
) -> None:
    connector = channel(http_server, account, clock, max_retries=1)
    with pytest.raises(DeliveryError, match="ticket 99 no longer exists") as gone:
        run(connector, lambda c: c.deliver(reply(ticket=99)))
    assert gone.value.permanent
    with pytest.raises(DeliveryError, match="did not come from Zendesk") as foreign:
        run(connector, lambda c: c.deliver(reply().model_copy(update={"ticket_external_id": ""})))
    assert foreign.value.permanent
    http_server.respond(
        "PUT", "/api/v2/tickets/35437", status=429, headers={"Retry-After": "0"}, text="Slow down"
    )
    with pytest.raises(DeliveryError) as limited:
        run(connector, lambda c: c.deliver(reply(ticket=35437)))
    assert not limited.value.permanent
    assert account.comments[35437][-1]["body"] != reply().body


# --- the ticket interface (recorded answers) --------------------------------------------------


def test_the_recorded_tickets_carry_the_fields_of_zendesks_example(
    openapi_spec: OpenApiSpec,
) -> None:
    example = openapi_spec.example("GET", EXPORT)["tickets"][0]
    recording = json.loads((RECORDED / "zendesk" / "api.json").read_text(encoding="utf-8"))
    tickets = [
        ticket
        for route in recording["routes"]
        for answer in route["responses"]
        for ticket in (answer.get("json") or {}).get("tickets") or []
    ]
    assert len(tickets) == 5
    for ticket in tickets:
        assert list(ticket)[: len(example)] == list(example), f"ticket {ticket['id']}"


def test_the_export_follows_the_cursor_to_the_end_of_the_stream(zendesk: RecordedServer) -> None:
    connector = make_connector(zendesk, page_size=2, sync="export")
    tickets = run(connector, lambda c: c.pull_new(SINCE))
    assert [t.id for t in tickets] == ["ZD-35437", "ZD-35436", "ZD-35401"]  # oldest change first
    first, second = zendesk.received("GET", "/api/v2/incremental/tickets/cursor")
    assert first.query == {
        "start_time": str(int(SINCE.timestamp())),
        "include": "users",
        "per_page": "2",
    }
    assert second.query == {
        "cursor": "MTU3NjYxMzUzOS4wfHw0Njd8",
        "include": "users",
        "per_page": "2",
    }


def test_a_ticket_arrives_as_deskpilots_model(zendesk: RecordedServer) -> None:
    connector = make_connector(zendesk, sync="export")
    tickets = {t.id: t for t in run(connector, lambda c: c.pull_new(SINCE))}
    charged = tickets["ZD-35436"]
    assert charged.status is Status.PENDING, "the newer version from the second page wins"
    assert (charged.priority, charged.channel, charged.tags) == (
        Priority.HIGH,
        Channel.EMAIL,
        ["billing", "refund"],
    )
    assert charged.customer is not None
    assert (charged.customer.email, charged.customer.name) == ("ann@example.com", "Ann Lee")
    [message] = charged.messages
    assert message.author is Author.CUSTOMER and "charged twice" in message.body
    call = tickets["ZD-35437"]
    assert call.customer is None and call.channel is Channel.PHONE  # a caller without an email
    assert call.priority is Priority.NORMAL
    assert "ZD-35399" not in tickets  # deleted


def test_without_since_only_open_tickets_come(zendesk: RecordedServer) -> None:
    tickets = run(make_connector(zendesk, sync="export"), lambda c: c.pull_new())
    assert [t.id for t in tickets] == ["ZD-35437", "ZD-35436"]


def test_a_reply_is_a_public_comment_and_a_status_an_update(zendesk: RecordedServer) -> None:
    connector = make_connector(zendesk)
    posted = run(connector, lambda c: c.post_reply("ZD-35436", "Refunded, sorry!"))
    status = run(connector, lambda c: c.set_status("ZD-35436", Status.SOLVED))
    assert posted.reference == "audit 7040012345" and status.status is Status.SOLVED
    comment, solved = zendesk.received("PUT", "/api/v2/tickets/35436")
    assert comment.json() == {"ticket": {"comment": {"body": "Refunded, sorry!", "public": True}}}
    assert solved.json() == {"ticket": {"status": "solved"}}
    basic = base64.b64encode(f"ada@acme.example/token:{TOKEN}".encode()).decode()
    assert comment.headers["authorization"] == f"Basic {basic}"


def test_a_reply_is_never_sent_twice_after_a_server_error(http_server: RecordedServer) -> None:
    http_server.respond("PUT", "/api/v2/tickets/1", status=503, then=[{"status": 200, "json": {}}])
    with pytest.raises(ConnectorUnavailableError, match="HTTP 503"):
        run(make_connector(http_server), lambda c: c.post_reply("ZD-1", "Hello"))
    assert len(http_server.received()) == 1


def test_a_429_is_retried_after_retry_after(http_server: RecordedServer) -> None:
    http_server.respond(
        "PUT",
        "/api/v2/tickets/1",
        status=429,
        headers={"Retry-After": "0"},
        text="Rate limited",
        then=[{"status": 200, "json": {"audit": {"id": 5}}}],
    )
    posted = run(make_connector(http_server), lambda c: c.post_reply("ZD-1", "Hello"))
    assert posted.reference == "audit 5" and len(http_server.received()) == 2


def test_zendesks_errors_reach_the_agent(zendesk: RecordedServer) -> None:
    with pytest.raises(RemoteApiError, match="Status: closed prevents ticket update"):
        run(make_connector(zendesk), lambda c: c.set_status("ZD-35401", Status.OPEN))
    with pytest.raises(RemoteApiError, match=r"HTTP 404: Not found"):
        run(make_connector(zendesk), lambda c: c.post_reply("ZD-99999", "Hello"))
    with pytest.raises(ConnectorError, match="'T-1' is not a Zendesk ticket id"):
        run(make_connector(zendesk), lambda c: c.post_reply("T-1", "Hello"))


def test_check_names_the_agent_and_spots_an_anonymous_answer(
    zendesk: RecordedServer, every_log: pytest.LogCaptureFixture
) -> None:
    said = run(make_connector(zendesk), lambda c: c.check())
    assert "accepts the token of ada@acme.example (agent)" in said
    zendesk.routes.clear()
    anonymous = {"id": None, "name": "Anonymous user", "role": "end-user"}
    zendesk.respond("GET", "/api/v2/users/me", json={"user": anonymous})
    with pytest.raises(ConnectorAuthError, match="ZENDESK__API_TOKEN") as raised:
        run(make_connector(zendesk), lambda c: c.check())
    assert_secret_kept(TOKEN, raised.value, every_log)


def test_a_refused_oauth_token_names_its_variable(http_server: RecordedServer) -> None:
    http_server.respond(
        "GET", "/api/v2/users/me", status=401, json={"error": "Couldn't authenticate you"}
    )
    connector = make_connector(http_server, api_token=None, oauth_token=SecretStr("oauth-secret"))
    with pytest.raises(ConnectorAuthError, match="Couldn't authenticate you") as raised:
        run(connector, lambda c: c.check())
    assert "ZENDESK__OAUTH_TOKEN" in str(raised.value) and "oauth-secret" not in str(raised.value)
    assert http_server.received()[0].headers["authorization"] == "Bearer oauth-secret"


def test_config_needs_one_way_to_authenticate_and_a_known_sync() -> None:
    url = "https://acme.zendesk.com"
    with pytest.raises(ValidationError, match="set api_token"):
        ZendeskConfig(base_url=url)
    with pytest.raises(ValidationError, match="needs the email"):
        ZendeskConfig(base_url=url, api_token=SecretStr("t"))
    with pytest.raises(ValidationError, match="'search' or 'export'"):
        ZendeskConfig(base_url=url, oauth_token=SecretStr("t"), sync="scrape")
    config = ZendeskConfig(base_url=url, oauth_token=SecretStr("t"))
    assert (config.id_prefix, config.sync, config.export_requests_per_minute) == (
        "ZD-",
        "search",
        10,
    )


# --- the spec check itself, on Zendesk's spec ---------------------------------------------------


def test_the_spec_check_catches_what_zendesk_would_refuse() -> None:
    spec = zendesk_spec()
    fake = FakeZendesk(spec, FakeClock())
    with RecordedServer(check=spec) as server:
        fake.install(server)
        connector = make_connector(server)
        # A misplaced field: "public" belongs to the comment, not the ticket.
        bad = {"ticket": {"comment": {"body": "Hi"}, "public": True}}
        with pytest.raises(RemoteApiError, match="HTTP 400"):
            run(connector, lambda c: c.api.json("PUT", "/api/v2/tickets/1", json=bad))
        with pytest.raises(RemoteApiError, match="HTTP 400"):
            params = {"ids": "1", "limit": 5}
            run(connector, lambda c: c.api.get("/api/v2/users/show_many", params))
    assert server.violations[0].startswith(
        "PUT /api/v2/tickets/1 (tickets.openapi.yml: paths./api/v2/tickets/{ticket_id}.put): "
        "body $.ticket: Additional properties are not allowed ('public' was unexpected)"
    )
    assert "query parameter 'limit' is not declared by the spec" in server.violations[1]


# --- deskpilot plugins check zendesk ------------------------------------------------------------


@pytest.mark.parametrize("sync", ["search", "export"])
def test_plugins_check_names_the_sync_and_refuses_an_agent_on_the_export(
    http_server: RecordedServer,
    account: FakeZendesk,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sync: str,
) -> None:
    account.install(http_server)
    workspace = Workspace.create(tmp_path / "ws")
    with workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n[connectors.zendesk]\nbase_url = "{http_server.url}"\n'
            f'email = "ada@acme.example"\nsync = "{sync}"\n'
        )
    monkeypatch.setenv("DESKPILOT_CONNECTORS__ZENDESK__API_TOKEN", TOKEN)
    result = CliRunner().invoke(
        main, ["--workspace", str(workspace.root), "plugins", "check", "zendesk"]
    )
    if sync == "search":
        assert result.exit_code == 0, result.output
        assert 'ada@acme.example (agent); sync = "search"' in result.stdout
    else:
        assert result.exit_code == 2
        [line] = result.stderr.strip().splitlines()
        assert 'sync = "export" reads Zendesk\'s incremental export' in line
        assert "refused our credentials" not in line and TOKEN not in result.output
