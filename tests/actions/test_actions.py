"""Actions through the desk and its connectors: the demo records, real local HTTP servers for
the built-in connectors, and the audit trail afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.actions import ActionRefused
from deskpilot.connectors.demo import DemoRecords
from deskpilot.connectors.errors import ConnectorError
from deskpilot.desk import Desk
from deskpilot.models import ActionRecord, Author, Status, Subscription
from deskpilot.testing import RecordedServer
from deskpilot.testing.pytest_plugin import http_server
from deskpilot.workspace import Workspace

__all__ = ["http_server"]  # the fixture, imported as the connector tests do

SLACK_TOKEN = "xoxb-test-not-a-real-token"


def first_open(desk: Desk) -> str:
    return desk.page(desk.view("open"), 0, 1)[0].id


def audit(desk: Desk, ticket_id: str) -> list[ActionRecord]:
    return desk.store.list_actions(ticket_id)


def outbox(desk: Desk) -> list[dict[str, object]]:
    path = desk.workspace.records_dir / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def configure(desk: Desk, toml: str) -> Desk:
    """The same workspace opened again with ``toml`` added to its config.toml."""
    with desk.workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write("\n" + toml)
    reopened = Desk.open(Workspace.existing(desk.workspace.root))
    reopened.clock = desk.clock
    return reopened


@pytest.fixture
def slack_desk(
    demo_desk: Desk, http_server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    """The demo, with its hand-offs going to Slack (a local server) instead of the records."""
    monkeypatch.setenv("DESKPILOT_CONNECTORS__SLACK__BOT_TOKEN", SLACK_TOKEN)
    toml = f'[connectors.slack]\nbase_url = "{http_server.url}"\nchannel = "#escalations"\n'
    with configure(demo_desk, toml) as desk:
        yield desk


# --- escalation -------------------------------------------------------------------------------


async def test_escalating_posts_the_handoff_to_the_team(demo_desk: Desk) -> None:
    ticket_id = first_open(demo_desk)
    customer = demo_desk.ticket(ticket_id).customer
    assert customer is not None
    escalation = await demo_desk.escalate(ticket_id, "## Hand-off\n\nNeeds billing.")
    assert escalation.notified and escalation.posted is not None
    assert escalation.posted.channel == "#support-handoffs"
    [posted] = [row for row in outbox(demo_desk) if row["kind"] == "handoff"]
    assert (posted["ticket_id"], posted["customer_email"], posted["agent"]) == (
        ticket_id,
        customer.email,
        "ada",
    )
    assert posted["summary"] == "## Hand-off\n\nNeeds billing."
    records = audit(demo_desk, ticket_id)
    assert [r.action for r in records] == [
        "escalate",
        "notify_handoff.requested",
        "notify_handoff",
    ]
    assert records[-1].ok and escalation.posted.reference in records[-1].result
    assert demo_desk.ticket(ticket_id).status is Status.ESCALATED


async def test_a_failing_channel_is_reported_and_the_escalation_still_happens(
    slack_desk: Desk, http_server: RecordedServer
) -> None:
    http_server.respond(
        "POST", "/chat.postMessage", json={"ok": False, "error": "channel_not_found"}
    )
    ticket_id = first_open(slack_desk)
    escalation = await slack_desk.escalate(ticket_id, "Needs a human.")
    await slack_desk.aclose_connectors()
    assert not escalation.notified
    assert "channel_not_found" in escalation.problem
    assert "not notified" in escalation.describe()
    ticket = slack_desk.ticket(ticket_id)
    assert ticket.status is Status.ESCALATED
    assert (ticket.messages[-1].author, ticket.messages[-1].body) == (Author.NOTE, "Needs a human.")
    records = audit(slack_desk, ticket_id)
    assert [(r.action, r.ok) for r in records] == [
        ("escalate", True),
        ("notify_handoff.requested", True),
        ("notify_handoff", False),
    ]
    assert "channel_not_found" in records[-1].result
    [sent] = http_server.received("POST", "/chat.postMessage")
    assert sent.json()["channel"] == "#escalations"
    assert not [row for row in outbox(slack_desk) if row["kind"] == "handoff"]


async def test_without_a_notify_connector_the_note_is_the_handoff(
    desk: Desk, tmp_path: Path
) -> None:
    tickets = tmp_path / "one.jsonl"
    record = {"id": "T-1", "subject": "Help", "body": "Hi", "status": "open"}
    tickets.write_text(json.dumps(record | {"customer": "ann@example.com"}) + "\n")
    desk.import_tickets(tickets)
    escalation = await desk.escalate("T-1", "Over to you.")
    assert (escalation.notified, escalation.problem) == (False, "")
    assert "no team channel" in escalation.describe()
    assert desk.ticket("T-1").status is Status.ESCALATED
    assert [r.action for r in audit(desk, "T-1")] == ["escalate"]


async def test_the_handoff_is_in_the_next_context_as_the_teams_message(demo_desk: Desk) -> None:

    ticket_id = first_open(demo_desk)
    await demo_desk.escalate(ticket_id, "## Hand-off: double charge\n\nNeeds billing.")
    context = await demo_desk.draft_context(ticket_id)
    [message] = context.team_messages
    assert (message.channel, message.author) == ("#support-handoffs", "ada")
    assert message.text.startswith(f"Hand-off of {ticket_id}")
    assert "Hand-off: double charge" in message.text


# --- account settings -------------------------------------------------------------------------


def subscribed(desk: Desk) -> tuple[str, Subscription]:
    """An open ticket whose customer has a subscription, with it."""
    records = DemoRecords(desk.workspace.records_dir)
    subscriptions = {s.customer_id: s for s in records.subscriptions()}
    for row in desk.queue(limit=None):
        if row.customer_id in subscriptions:
            return row.id, subscriptions[row.customer_id]
    raise AssertionError("no subscribed customer in the demo")


async def test_a_plan_change_is_previewed_with_its_proration_then_applied(
    demo_desk: Desk,
) -> None:

    ticket_id, subscription = subscribed(demo_desk)
    records = DemoRecords(demo_desk.workspace.records_dir)
    settings, plans = await demo_desk.account_settings()
    assert settings == ["billing_email", "plan", "seats"]
    other = next(p for p in plans if p.id != subscription.plan_id)
    preview = await demo_desk.preview_setting(ticket_id, "plan", other.id)
    assert (preview.old_value, preview.new_value) == (subscription.plan_id, other.id)
    assert preview.new_shown.startswith(other.name)
    assert "days left in the billing cycle" in preview.proration
    assert not (demo_desk.workspace.records_dir / "account_changes.json").exists()
    assert audit(demo_desk, ticket_id) == []  # a preview changes nothing

    changed = await demo_desk.update_setting(preview)
    assert (changed.old_value, changed.new_value) == (subscription.plan_id, other.id)
    [now] = [s for s in records.subscriptions() if s.customer_id == subscription.customer_id]
    assert now.plan_id == other.id and now.seats == subscription.seats
    records_after = audit(demo_desk, ticket_id)
    assert [r.action for r in records_after] == [
        "update_setting.requested",
        "update_setting",
        "note",
    ]
    assert records_after[1].params["proration"] == preview.proration
    assert demo_desk.ticket(ticket_id).messages[-1].body.startswith("Changed the plan from")
    # The change is now one of the plan changes that explain the next invoice.
    context = await demo_desk.draft_context(ticket_id)
    assert (subscription.plan_id, other.id) in [
        (c.from_plan, c.to_plan) for c in context.plan_changes
    ]


async def test_billing_email_and_seats(demo_desk: Desk) -> None:

    ticket_id, subscription = subscribed(demo_desk)
    customer = demo_desk.ticket(ticket_id).customer
    assert customer is not None
    preview = await demo_desk.preview_setting(ticket_id, "billing_email", " Invoices@Example.ORG ")
    assert (preview.old_value, preview.new_value) == (customer.email, "invoices@example.org")
    await demo_desk.update_setting(preview)
    seats = str(subscription.seats + 3)
    preview = await demo_desk.preview_setting(ticket_id, "seats", seats)
    assert preview.describe() == f"Seats: {subscription.seats} -> {seats}"
    await demo_desk.update_setting(preview)
    records = DemoRecords(demo_desk.workspace.records_dir)
    assert records.billing_email(subscription.customer_id) == "invoices@example.org"
    [now] = [s for s in records.subscriptions() if s.customer_id == subscription.customer_id]
    assert now.seats == subscription.seats + 3
    with pytest.raises(ActionRefused, match="already"):
        await demo_desk.preview_setting(ticket_id, "seats", seats)
    with pytest.raises(ActionRefused, match="not an email"):
        await demo_desk.preview_setting(ticket_id, "billing_email", "nope")
    with pytest.raises(ActionRefused, match="at least 1"):
        await demo_desk.preview_setting(ticket_id, "seats", "0")


async def test_a_failed_change_changes_nothing_and_is_recorded(demo_desk: Desk) -> None:

    ticket_id, subscription = subscribed(demo_desk)
    folder = demo_desk.workspace.records_dir
    plans = json.loads((folder / "plans.json").read_text())
    other = next(p for p in plans if p["id"] != subscription.plan_id)
    preview = await demo_desk.preview_setting(ticket_id, "plan", other["id"])
    # The plan is withdrawn between the preview and the confirmation.
    (folder / "plans.json").write_text(json.dumps([p for p in plans if p is not other]))
    with pytest.raises(ConnectorError, match=f"no plan '{other['id']}'"):
        await demo_desk.update_setting(preview)
    assert not (folder / "account_changes.json").exists()
    records = audit(demo_desk, ticket_id)
    assert [(r.action, r.ok) for r in records] == [
        ("update_setting.requested", True),
        ("update_setting", False),
    ]
    assert "no plan" in records[-1].result
    assert demo_desk.ticket(ticket_id).messages[-1].author is not Author.NOTE


async def test_a_value_changed_since_the_preview_is_not_applied(demo_desk: Desk) -> None:

    ticket_id, subscription = subscribed(demo_desk)
    first = await demo_desk.preview_setting(ticket_id, "seats", "40")
    second = await demo_desk.preview_setting(ticket_id, "seats", "41")
    await demo_desk.update_setting(first)
    with pytest.raises(ActionRefused, match="changed since the preview"):
        await demo_desk.update_setting(second)
    assert [
        s.seats
        for s in DemoRecords(demo_desk.workspace.records_dir).subscriptions()
        if s.customer_id == subscription.customer_id
    ] == [40]


# --- status lookup ----------------------------------------------------------------------------

SHOP_RECORDING = (
    Path(__file__).resolve().parents[2]
    / "plugins"
    / "deskpilot-shop-orders"
    / "tests"
    / "recordings"
    / "shop_api.json"
)


def order_ticket(desk: Desk, tmp_path: Path) -> str:
    """Ann asks about order #1042; the ticket is linked to one of the demo's known bugs."""

    record = {
        "id": "T-ORDER-1",
        "subject": "Where is my order #1042?",
        "body": "It was due last week and the checkout page showed an error.",
        "customer": {"email": "ann@example.com", "name": "Ann Lee"},
        "status": "solved",
    }
    path = tmp_path / "order.jsonl"
    path.write_text(json.dumps(record) + "\n")
    desk.import_tickets(path)
    bug = DemoRecords(desk.workspace.records_dir).bugs()[0]
    desk.link_bug("T-ORDER-1", bug.id, bug.title)
    return "T-ORDER-1"


@pytest.fixture
def shop_desk(
    demo_desk: Desk, http_server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    """The demo with the example plugin's shop API (a local server) as its orders connector."""
    http_server.load(SHOP_RECORDING)
    monkeypatch.setenv("DESKPILOT_CONNECTORS__SHOP_ORDERS__API_KEY", "sk_test_shop")
    toml = f'[connectors.shop_orders]\nbase_url = "{http_server.url}"\nmax_retries = 0\n'
    with configure(demo_desk, toml) as desk:
        if "shop_orders" not in desk.connectors.entries():
            pytest.skip("the example plugin is not installed: pip install -e plugins/...")
        yield desk


async def test_status_shows_linked_bugs_and_the_order_mentioned(
    shop_desk: Desk, tmp_path: Path
) -> None:

    ticket_id = order_ticket(shop_desk, tmp_path)
    bug = DemoRecords(shop_desk.workspace.records_dir).bugs()[0]
    report = await shop_desk.look_up_status(ticket_id)
    await shop_desk.aclose_connectors()
    assert [(b.id, b.status) for b in report.bugs] == [(bug.id, bug.status)]
    assert [(o.id, o.status) for o in report.orders] == [("1042", "shipped")]
    assert report.problems == []
    lines = report.lines()
    assert lines[0].startswith(f"{bug.id}: {bug.status}")
    assert lines[1].startswith("Order 1042: shipped")
    [record] = [r for r in audit(shop_desk, ticket_id) if r.action == "status_lookup"]
    assert record.ok and record.params == {"bugs": [bug.id], "orders": ["1042"]}


async def test_a_failing_shop_is_one_line_and_the_bugs_still_answer(
    shop_desk: Desk, http_server: RecordedServer, tmp_path: Path
) -> None:

    http_server.routes = [r for r in http_server.routes if not r.path.startswith("/v1/orders")]
    http_server.respond("GET", "/v1/orders/1042", status=503, json={"error": "maintenance"})
    ticket_id = order_ticket(shop_desk, tmp_path)
    report = await shop_desk.look_up_status(ticket_id)
    await shop_desk.aclose_connectors()
    assert len(report.bugs) == 1 and report.orders == []
    [problem] = report.problems
    assert problem.startswith("orders: ") and problem in report.lines()
    [record] = [r for r in audit(shop_desk, ticket_id) if r.action == "status_lookup"]
    assert not record.ok


async def test_without_an_orders_connector_the_customers_bugs_only(demo_desk: Desk) -> None:

    ticket_id = first_open(demo_desk)
    report = await demo_desk.look_up_status(ticket_id)
    assert (report.bugs, report.orders, report.problems) == ([], [], [])
    assert report.lines() == ["No linked bugs or orders to look up."]


# --- refund limits: per agent and for the whole team a day -------------------------------------


async def _refundable(desk: Desk) -> tuple[str, str, float]:

    for summary in desk.queue(limit=None):
        invoices = await desk.customer_invoices(summary.id)
        paid = [i for i in invoices if i.status == "paid" and i.total >= 30]
        if paid:
            return summary.id, paid[0].id, paid[0].total
    raise AssertionError("the demo has no open ticket with a paid invoice")


def _limits(desk: Desk, **changes: object) -> None:
    actions = desk.settings.actions.model_copy(update=changes)
    desk.settings = desk.settings.model_copy(update={"actions": actions})


async def test_an_agents_own_limit_replaces_the_default(demo_desk: Desk) -> None:

    ticket_id, invoice_id, total = await _refundable(demo_desk)
    _limits(demo_desk, refund_limit=10.0, agent_refund_limits={"bo": 500.0})
    with pytest.raises(ActionRefused, match=r"\[actions\] refund_limit"):
        await demo_desk.refund(ticket_id, invoice_id, total, "double charge")
    _limits(demo_desk, agent_refund_limits={"ada": 5.0})  # ada's own, lower limit
    with pytest.raises(ActionRefused, match=r"\[actions.agent_refund_limits\] ada"):
        await demo_desk.refund(ticket_id, invoice_id, 6.0, "double charge")
    _limits(demo_desk, agent_refund_limits={"ada": 500.0})
    result = await demo_desk.refund(ticket_id, invoice_id, total, "double charge")
    assert result.amount == pytest.approx(total)


async def test_the_team_daily_limit_counts_todays_refunds(demo_desk: Desk) -> None:

    ticket_id, invoice_id, _total = await _refundable(demo_desk)
    _limits(demo_desk, daily_refund_limit=25.0)
    await demo_desk.refund(ticket_id, invoice_id, 20.0, "goodwill")
    assert demo_desk.refunded_today() == pytest.approx(20.0)
    with pytest.raises(ActionRefused, match=r"refunded USD 20.00 today.*daily_refund_limit"):
        await demo_desk.refund(ticket_id, invoice_id, 6.0, "goodwill")
    refunds = [a for a in audit(demo_desk, ticket_id) if a.action.startswith("refund")]
    assert [(a.action, a.ok, a.params.get("outcome")) for a in refunds] == [
        ("refund.requested", True, None),
        ("refund", True, "moved"),
        ("refund", False, "refused"),  # the refused one is audited, and moved nothing
    ]
    assert "daily_refund_limit" in refunds[-1].result and refunds[-1].params["moved"] == 0
    assert demo_desk.refunded_today() == pytest.approx(20.0)
