"""Actions that reach the connectors: reset password, refund, bug ticket, end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Label, Select, Static

from deskpilot.connectors.demo import DemoRecords
from deskpilot.desk import Desk
from deskpilot.testing import RecordedServer
from deskpilot.testing.pytest_plugin import http_server
from deskpilot.tui.app import DeskPilotApp
from deskpilot.tui.screens.action_modals import (
    BugScreen,
    ConfirmScreen,
    RefundScreen,
    SettingScreen,
    StatusScreen,
)
from deskpilot.tui.screens.escalate import EscalateScreen

from .conftest import confirm_on_ticket, open_ticket, settle, ticket_of_intent, until_modal

__all__ = ["http_server"]  # the local HTTP server fixture, as the connector tests use it


def showing(app: DeskPilotApp, screen: object) -> bool:
    return app.screen is screen


async def press_refund(modal: RefundScreen, pilot: object) -> None:
    modal.query_one("#refund", Button).press()
    await pilot.pause(0.1)  # type: ignore[attr-defined]


def audit(desk: Desk, ticket_id: str) -> list[str]:
    return [a.action for a in desk.store.list_actions(ticket_id)]


async def test_reset_password_asks_then_sends(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "account_access")
    email = desk.ticket(ticket_id).customer.email  # type: ignore[union-attr]
    outbox = await confirm_on_ticket(make_app(), desk, ticket_id, "p")
    assert any(email in line and "password" in line for line in outbox)
    assert audit(desk, ticket_id) == ["reset_password.requested", "reset_password"]


async def test_refund_checks_confirms_and_respects_the_limit(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "refund_request")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("f")
        modal = await until_modal(app, pilot, RefundScreen)
        assert isinstance(modal, RefundScreen)
        small = min(modal.invoices.values(), key=lambda i: i.total)
        modal.query_one("#invoice", Select).value = small.id
        amount = modal.query_one("#amount", Input)
        for _ in range(40):  # choosing the invoice fills in its total
            if amount.value == f"{small.total:.2f}":
                break
            await pilot.pause(0.05)
        assert amount.value == f"{small.total:.2f}"
        modal.query_one("#amount", Input).value = f"{desk.settings.actions.refund_limit + 1:.2f}"
        modal.query_one("#reason", Input).value = "charged after cancelling"
        await pilot.pause()
        await press_refund(modal, pilot)
        await pilot.pause()
        assert showing(app, modal) and modal.pending is None  # above the limit: refused
        modal.query_one("#amount", Input).value = "5.00"
        await pilot.pause()
        await press_refund(modal, pilot)
        await pilot.pause()
        problem = modal.query_one("#problem", Label).render()
        assert showing(app, modal) and modal.pending is not None, problem  # only asks first
        await press_refund(modal, pilot)
        await settle(app, pilot)
    refunds = json.loads((desk.workspace.records_dir / "refunds.json").read_text())
    assert [(r["invoice_id"], r["amount"]) for r in refunds] == [(small.id, 5.0)]
    assert audit(desk, ticket_id) == ["refund.requested", "refund", "note"]
    assert "Refunded" in desk.ticket(ticket_id).messages[-1].body


async def test_a_second_refund_of_an_invoice_asks_naming_the_first(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "refund_request")
    invoices = await desk.customer_invoices(ticket_id)
    invoice = min((i for i in invoices if i.status == "paid"), key=lambda i: i.total)
    first = await desk.refund(ticket_id, invoice.id, 1.0, "first [b]half[/b]")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("f")
        modal = await until_modal(app, pilot, RefundScreen)
        assert isinstance(modal, RefundScreen)
        modal.query_one("#invoice", Select).value = invoice.id
        await pilot.pause()
        modal.query_one("#amount", Input).value = "2.00"
        modal.query_one("#reason", Input).value = "second half"
        await pilot.pause()
        await press_refund(modal, pilot)
        await press_refund(modal, pilot)
        confirm = await until_modal(app, pilot, ConfirmScreen)
        asked = str(confirm.query_one(Label).render())  # type: ignore[attr-defined]
        assert first.refund_id in asked and "USD 1.00" in asked and "USD 2.00 more" in asked
        await pilot.press("enter")
        await settle(app, pilot)
    refunds = json.loads((desk.workspace.records_dir / "refunds.json").read_text())
    assert [r["amount"] for r in refunds] == [1.0, 2.0]
    [confirmed] = [
        a
        for a in desk.store.list_actions(ticket_id, action="refund")
        if a.ok and a.params.get("confirmed_after")
    ]
    assert confirmed.params["confirmed_after"] == first.refund_id


async def test_bug_ticket_prefilled_and_filed(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "bug_report")
    bugs_file = desk.workspace.records_dir / "bugs.json"
    before = len(json.loads(bugs_file.read_text()))
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("b")
        modal = await until_modal(app, pilot, BugScreen)
        assert isinstance(modal, BugScreen)
        assert ticket_id in modal.description
        await pilot.click("#create")
        await settle(app, pilot)
    bugs = json.loads(bugs_file.read_text())
    assert len(bugs) == before + 1
    assert audit(desk, ticket_id) == ["create_bug.requested", "create_bug", "note"]
    assert desk.ticket(ticket_id).messages[-1].body.startswith("Filed bug")


async def test_the_context_panel_shows_the_teams_messages(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    ticket_id = ticket_of_intent(desk, "refund_request")
    await desk.escalate(ticket_id, "## Hand-off: refund above the limit\n\nOver to billing.")
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_ticket(app, pilot, ticket_id)
        panel = str(screen.query_one("#context", Static).render())
    assert "Team chat" in panel
    assert f"#support-handoffs ada: Hand-off of {ticket_id}" in panel


async def test_account_setting_is_previewed_then_applied(
    make_app: Callable[..., DeskPilotApp], desk: Desk
) -> None:
    records = DemoRecords(desk.workspace.records_dir)
    subscriptions = {s.customer_id: s for s in records.subscriptions()}
    ticket_id, subscription = next(
        (row.id, subscriptions[row.customer_id])
        for row in desk.queue(limit=None)
        if row.customer_id in subscriptions
    )
    other = next(p for p in records.plans() if p.id != subscription.plan_id)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_ticket(app, pilot, ticket_id)
        await pilot.press("u")
        modal = await until_modal(app, pilot, SettingScreen)
        assert isinstance(modal, SettingScreen)
        assert modal.settings == ["billing_email", "plan", "seats"]
        modal.query_one("#setting", Select).value = "plan"
        await pilot.pause()
        assert modal.query_one("#value", Input).has_class("-hidden")
        modal.query_one("#plan", Select).value = other.id
        await pilot.pause()
        apply = modal.query_one("#apply", Button)
        apply.press()  # the first press previews
        for _ in range(50):
            if modal.shown is not None:
                break
            await pilot.pause(0.05)
        assert modal.shown is not None and app.screen is modal
        preview = str(modal.query_one("#preview", Label).render())
        assert f"Plan: {subscription.plan_id}" not in preview  # plans are shown by name
        assert f"-> {other.name}" in preview and "days left in the billing cycle" in preview
        assert not (desk.workspace.records_dir / "account_changes.json").exists()
        apply.press()  # the second applies what was previewed
        await settle(app, pilot)
    [change] = json.loads((desk.workspace.records_dir / "account_changes.json").read_text())
    assert (change["setting"], change["old_value"], change["new_value"]) == (
        "plan",
        subscription.plan_id,
        other.id,
    )
    [now] = [s for s in records.subscriptions() if s.customer_id == subscription.customer_id]
    assert now.plan_id == other.id
    assert audit(desk, ticket_id) == ["update_setting.requested", "update_setting", "note"]
    assert desk.ticket(ticket_id).messages[-1].body.startswith("Changed the plan from")


async def test_status_lookup_shows_linked_bugs_and_orders(
    desk: Desk,
    http_server: RecordedServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    third_party_plugins: None,  # the installed example plugin serves the orders
) -> None:
    shop = Path(__file__).resolve().parents[2] / "plugins" / "deskpilot-shop-orders"
    http_server.load(shop / "tests" / "recordings" / "shop_api.json")
    monkeypatch.setenv("DESKPILOT_CONNECTORS__SHOP_ORDERS__API_KEY", "sk_test_shop")
    with desk.workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[connectors.shop_orders]\nbase_url = "{http_server.url}"\n')
    record = {
        "id": "T-ORDER-1",
        "subject": "Where is my order #1042?",
        "body": "It was due last week.",
        "customer": {"email": "ann@example.com", "name": "Ann Lee"},
        "status": "pending",
    }
    (tmp_path / "order.jsonl").write_text(json.dumps(record) + "\n")
    bug = DemoRecords(desk.workspace.records_dir).bugs()[0]
    with Desk.open(desk.workspace) as shop_desk:
        if "shop_orders" not in shop_desk.connectors.entries():
            pytest.skip("the example plugin is not installed: pip install -e plugins/...")
        shop_desk.clock = desk.clock
        shop_desk.import_tickets(tmp_path / "order.jsonl")
        shop_desk.link_bug("T-ORDER-1", bug.id, bug.title)
        app = DeskPilotApp(shop_desk, theme="deskpilot-dark")
        async with app.run_test(size=(160, 48)) as pilot:
            await open_ticket(app, pilot, "T-ORDER-1")
            await pilot.press("s")
            modal = await until_modal(app, pilot, StatusScreen)
            assert isinstance(modal, StatusScreen)
            shown = [str(label.render()) for label in modal.query("#lines Label").results(Label)]
            await pilot.press("escape")
            await settle(app, pilot)
            assert not isinstance(app.screen, StatusScreen)
        await shop_desk.aclose_connectors()
        assert shown[0].startswith(f"{bug.id}: {bug.status}")
        assert shown[1].startswith("Order 1042: shipped")
        assert audit(shop_desk, "T-ORDER-1")[-1] == "status_lookup"
        assert shop_desk.ticket("T-ORDER-1").status.value == "pending"  # read-only


async def test_escalating_says_when_the_team_was_not_notified(
    desk: Desk, http_server: RecordedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_server.respond("POST", "/chat.postMessage", json={"ok": False, "error": "is_archived"})
    monkeypatch.setenv("DESKPILOT_CONNECTORS__SLACK__BOT_TOKEN", "xoxb-not-a-real-token")
    with desk.workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[connectors.slack]\nbase_url = "{http_server.url}"\nchannel = "#esc"\n')
    ticket_id = ticket_of_intent(desk, "refund_request")
    with Desk.open(desk.workspace) as slack_desk:
        slack_desk.clock = desk.clock
        app = DeskPilotApp(slack_desk, theme="deskpilot-dark")
        async with app.run_test(size=(160, 48)) as pilot:
            await open_ticket(app, pilot, ticket_id)
            await pilot.press("x")
            await until_modal(app, pilot, EscalateScreen)
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            said = [(n.message, n.severity) for n in app._notifications]
        await slack_desk.aclose_connectors()
        assert slack_desk.ticket(ticket_id).status.value == "escalated"
        assert audit(slack_desk, ticket_id)[-3:] == [
            "escalate",
            "notify_handoff.requested",
            "notify_handoff",
        ]
    [(message, severity)] = [s for s in said if "not notified" in s[0]]
    assert "is_archived" in message and severity == "warning"
