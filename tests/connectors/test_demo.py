"""The demo connector: the contract every connector passes, and what it writes to the records.

A small demo workspace is generated once (records, customers, tickets in a real SQLite store)
and copied for each test, so every test writes into fresh files.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from conftest import install_distribution
from deskpilot.config import load_settings
from deskpilot.connectors import (
    Billing,
    BugQuery,
    Connector,
    ConnectorConfig,
    ConnectorContext,
    ConnectorError,
    ConnectorRegistry,
    Crm,
    Handoff,
    NewBug,
    rank_bugs,
    ticket_history_from,
)
from deskpilot.connectors.configuration import build_config
from deskpilot.connectors.demo import DemoConfig, DemoConnector
from deskpilot.demo.generator import generate
from deskpilot.errors import ConfigError
from deskpilot.models import Bug, Status
from deskpilot.store import Store
from deskpilot.testing import (
    BillingContract,
    ContractSamples,
    CrmContract,
    IdentityContract,
    IssuesContract,
    NotifyContract,
    TicketSourceContract,
    run,
)
from deskpilot.workspace import Workspace

NOW = datetime(2026, 11, 1, tzinfo=UTC)
RECORD_FILES = {
    "customers.json": "customers",
    "crm.json": "crm",
    "plans.json": "plans",
    "subscriptions.json": "subscriptions",
    "invoices.json": "invoices",
    "plan_changes.json": "plan_changes",
    "bugs.json": "bugs",
}


def build_demo_workspace(root: Path, tickets: int = 60) -> Workspace:
    """A demo workspace as `deskpilot demo` leaves it, minus the slow parts (triage, index)."""
    workspace = Workspace.create(root)
    data = generate(tickets=tickets, seed=7, now=NOW)
    workspace.records_dir.mkdir()
    for file, attribute in RECORD_FILES.items():
        rows: list[BaseModel] = getattr(data, attribute)
        dumped = [row.model_dump(mode="json") for row in rows]
        (workspace.records_dir / file).write_text(json.dumps(dumped, indent=1), encoding="utf-8")
    with workspace.open_store() as store:
        store.add_customers(data.customers)
        store.add_tickets(data.tickets)
        store.set_meta("demo", f"seed 7, {tickets} tickets")
    return workspace


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_workspace(tmp_path_factory.mktemp("demo-template") / "ws").root


@pytest.fixture
def demo_workspace(demo_template: Path, tmp_path: Path) -> Workspace:
    root = tmp_path / "demo"
    shutil.copytree(demo_template, root)
    return Workspace(root)


@pytest.fixture
def demo_store(demo_workspace: Workspace) -> Iterator[Store]:
    with demo_workspace.open_store() as store:
        yield store


@pytest.fixture
def demo(demo_workspace: Workspace, demo_store: Store) -> DemoConnector:
    context = ConnectorContext(
        name="demo", workspace=demo_workspace, ticket_history=ticket_history_from(demo_store)
    )
    return DemoConnector(DemoConfig(), context)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def paid_invoice(workspace: Workspace) -> dict[str, Any]:
    invoices = read_json(workspace.records_dir / "invoices.json")
    return next(i for i in invoices if i["status"] == "paid" and i["lines"][0]["amount"] > 20)


def customer_email(workspace: Workspace, customer_id: str) -> str:
    customers = read_json(workspace.records_dir / "customers.json")
    return str(next(c["email"] for c in customers if c["id"] == customer_id))


class TestDemoConnectorContract(
    CrmContract,
    BillingContract,
    IssuesContract,
    IdentityContract,
    NotifyContract,
    TicketSourceContract,
):
    @pytest.fixture
    def connector(self, demo: DemoConnector) -> DemoConnector:
        return demo

    @pytest.fixture
    def contract_samples(self, demo_workspace: Workspace) -> ContractSamples:
        invoice = paid_invoice(demo_workspace)
        return ContractSamples(
            customer_email=customer_email(demo_workspace, invoice["customer_id"]),
            invoice_id=invoice["id"],
            refund_amount=5.0,
            bug_query=BugQuery(
                text="The reports page crashes when I open our saved filter",
                page_url="https://app.acmecloud.com/reports",
            ),
        )


# --- billing: refunds ----------------------------------------------------------------------


def test_a_refund_is_written_once_per_key(demo: DemoConnector, demo_workspace: Workspace) -> None:
    invoice = paid_invoice(demo_workspace)

    async def refund_twice(c: Billing) -> None:
        await c.refund(invoice["id"], 10, "double charge", "key-1")
        await c.refund(invoice["id"], 10, "double charge", "key-1")  # a retried click

    run(demo, refund_twice)
    refunds = read_json(demo_workspace.records_dir / "refunds.json")
    assert len(refunds) == 1
    assert refunds[0] | {"created_at": None} == {
        "refund_id": "re_0000001",
        "invoice_id": invoice["id"],
        "amount": 10.0,
        "currency": "USD",
        "reason": "double charge",
        "idempotency_key": "key-1",
        "status": "succeeded",
        "created_at": None,
    }
    assert not list(demo_workspace.records_dir.glob(".refunds.json.*")), "no temporary files left"


def test_refunds_cannot_exceed_the_invoice(demo: DemoConnector, demo_workspace: Workspace) -> None:
    invoice = paid_invoice(demo_workspace)
    total = sum(line["amount"] * line["quantity"] for line in invoice["lines"])

    async def refund_all_then_more(c: Billing) -> None:
        await c.refund(invoice["id"], total, "goodwill", "key-all")
        await c.refund(invoice["id"], 0.01, "one more cent", "key-more")

    with pytest.raises(ConnectorError, match=r"exceeds the 0\.00 USD still refundable"):
        run(demo, refund_all_then_more)
    refreshed = run(demo, lambda c: c.invoice(invoice["id"]))
    assert refreshed is not None and refreshed.status == "refunded"


def test_a_key_reused_for_another_refund_is_refused_and_nothing_written(
    demo: DemoConnector, demo_workspace: Workspace
) -> None:
    invoice = paid_invoice(demo_workspace)
    run(demo, lambda c: c.refund(invoice["id"], 3, "late delivery", "key-2"))
    with pytest.raises(ConnectorError, match=r"already used for a refund of 3\.00"):
        run(demo, lambda c: c.refund(invoice["id"], 4, "late delivery", "key-2"))
    assert len(read_json(demo_workspace.records_dir / "refunds.json")) == 1


def test_only_paid_invoices_are_refunded(demo: DemoConnector, demo_workspace: Workspace) -> None:
    invoices = read_json(demo_workspace.records_dir / "invoices.json")
    unpaid = next(i for i in invoices if i["status"] != "paid")
    with pytest.raises(ConnectorError, match=f"is {unpaid['status']}; only paid"):
        run(demo, lambda c: c.refund(unpaid["id"], 1, "test", "key-3"))
    with pytest.raises(ConnectorError, match="no invoice 'in_nope'"):
        run(demo, lambda c: c.refund("in_nope", 1, "test", "key-4"))


def test_concurrent_refunds_with_one_key_refund_once(
    demo: DemoConnector, demo_workspace: Workspace
) -> None:
    invoice = paid_invoice(demo_workspace)

    async def at_once(c: Billing) -> set[str]:
        calls = [c.refund(invoice["id"], 2, "double click", "key-5") for _ in range(8)]
        return {result.refund_id for result in await asyncio.gather(*calls)}

    assert run(demo, at_once) == {"re_0000001"}
    assert len(read_json(demo_workspace.records_dir / "refunds.json")) == 1


# --- billing and crm reads -------------------------------------------------------------------


def test_plan_changes_explain_prorated_lines(
    demo: DemoConnector, demo_workspace: Workspace
) -> None:
    change = read_json(demo_workspace.records_dir / "plan_changes.json")[0]

    async def billing_of(c: Billing) -> tuple[Any, Any]:
        customer = change["customer_id"]
        return await c.plan_changes(customer), await c.invoices(customer, limit=50)

    changes, invoices = run(demo, billing_of)
    assert (changes[0].from_plan, changes[0].to_plan) == (
        change["from_plan"],
        change["to_plan"],
    )
    assert any(line.proration for invoice in invoices for line in invoice.lines)


def test_history_is_the_customers_past_tickets_from_the_store(
    demo: DemoConnector, demo_store: Store
) -> None:
    ticket = demo_store.list_queue(limit=1)[0]
    assert ticket.customer_id is not None
    history = run(demo, lambda c: c.history(ticket.customer_id, limit=50))
    assert ticket.id in [t.id for t in history.tickets]
    assert all(t.customer_id == ticket.customer_id for t in history.tickets)


def test_crm_notes_come_from_the_record(demo: DemoConnector, demo_workspace: Workspace) -> None:
    with_notes = next(r for r in read_json(demo_workspace.records_dir / "crm.json") if r["notes"])

    async def notes(c: Crm) -> list[str]:
        return [note.body for note in await c.notes(with_notes["customer_id"])]

    assert run(demo, notes) == [note["body"] for note in with_notes["notes"]]


# --- issues --------------------------------------------------------------------------------


def test_search_finds_the_bug_behind_real_demo_reports(
    demo: DemoConnector, demo_store: Store
) -> None:
    """Every generated bug report names its bug's page and console error; the search must put
    that bug first (the tickets' page is the truth)."""
    bugs = {bug.page_url: bug.id for bug in run(demo, lambda c: _all_bugs(c))}
    reports = [
        demo_store.get_ticket(row.id)
        for row in demo_store.list_queue(limit=None)
        if row.intent == "bug_report"
    ]
    reports = [t for t in reports if t.page_context and t.page_context.url in bugs]
    assert reports, "the demo has bug reports"

    async def best(c: DemoConnector) -> list[str | None]:
        found = [await c.search_bugs(BugQuery.from_ticket(t), limit=1) for t in reports]
        return [matches[0].bug.id if matches else None for matches in found]

    expected = [bugs[t.page_context.url] for t in reports if t.page_context]
    assert run(demo, best) == expected


async def _all_bugs(connector: DemoConnector) -> list[Bug]:
    return await asyncio.to_thread(connector.records.bugs)


def test_search_weighs_a_generic_error_below_page_and_words() -> None:
    common = "TypeError: Cannot read properties of undefined (reading '{}')"
    reports = Bug(
        id="B-1",
        title="Reports page crashes with an empty saved filter",
        status="open",
        page_url="https://app.example.com/reports",
        error_signature=common.format("map"),
    )
    keys = Bug(
        id="B-2",
        title="API keys page crashes for legacy keys",
        status="open",
        page_url="https://app.example.com/settings/api-keys",
        error_signature=common.format("scopes"),
    )
    query = BugQuery(
        text="the api keys page errors out, can't rotate our key",
        page_url="https://app.example.com/settings/api-keys/",
        errors=[f"Uncaught {common.format('scopes')}\n    at main.js:1:2"],
    )
    matches = rank_bugs([reports, keys], query)
    assert [m.bug.id for m in matches] == ["B-2"]
    assert matches[0].matched_on == ["error", "page", "text"]
    assert rank_bugs([reports, keys], BugQuery(text="how do I change my invoice address")) == []


def test_a_filed_bug_is_appended_and_bugs_json_stays_valid(
    demo: DemoConnector, demo_workspace: Workspace
) -> None:
    new = NewBug(
        title="Calendar view shows events a day late",
        description="Since the DST change",
        page_url="https://app.acmecloud.com/calendar",
        ticket_ids=["T-000012"],
    )
    created = run(demo, lambda c: c.create_bug(new))
    rows = read_json(demo_workspace.records_dir / "bugs.json")
    assert rows[-1]["id"] == created.bug.id == "BUG-114"
    assert [Bug.model_validate(row) for row in rows][-1].title == new.title  # still Bug records
    filed = read_json_lines(demo_workspace.records_dir / "outbox.jsonl")
    assert filed[-1] | {"at": None, "id": None} == {
        "id": None,
        "at": None,
        "kind": "bug_filed",
        "bug_id": "BUG-114",
        "description": "Since the DST change",
        "ticket_ids": ["T-000012"],
    }


# --- actions that would leave the machine go to the outbox -----------------------------------


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_actions_are_recorded_in_the_outbox_and_nothing_is_sent(
    demo: DemoConnector, demo_workspace: Workspace
) -> None:
    email = customer_email(demo_workspace, "C-00001")

    async def act(c: DemoConnector) -> None:
        await c.send_password_reset(email.upper())
        await c.unlock_account(email)
        await c.post_handoff(Handoff(ticket_id="T-1", summary="Angry about a double charge"))
        await c.post_reply("T-1", "We refunded the second charge.", "ada")
        await c.set_status("T-1", Status.SOLVED)

    run(demo, act)
    outbox = read_json_lines(demo_workspace.records_dir / "outbox.jsonl")
    assert [(row["id"], row["kind"]) for row in outbox] == [
        ("out_0000001", "password_reset"),
        ("out_0000002", "account_unlock"),
        ("out_0000003", "handoff"),
        ("out_0000004", "reply"),
        ("out_0000005", "status"),
    ]
    assert outbox[0]["email"] == email
    assert outbox[2]["channel"] == "#support-handoffs"
    assert outbox[4]["status"] == "solved"


def test_a_reset_for_an_unknown_email_is_not_recorded(
    demo: DemoConnector, demo_workspace: Workspace
) -> None:
    result = run(demo, lambda c: c.send_password_reset("nobody@example.com"))
    assert not result.sent and "no account" in result.detail
    assert not (demo_workspace.records_dir / "outbox.jsonl").exists()


def test_pull_new_has_nothing_new(demo: DemoConnector) -> None:
    assert run(demo, lambda c: c.pull_new()) == []


def test_check_reports_a_missing_records_folder(tmp_path: Path) -> None:
    connector = DemoConnector(
        DemoConfig(records_dir=tmp_path / "nowhere"), ConnectorContext(name="demo")
    )
    with pytest.raises(ConnectorError, match="no records folder"):
        run(connector, lambda c: c.check())


def test_a_broken_records_file_names_the_file(
    demo: DemoConnector, demo_workspace: Workspace
) -> None:
    (demo_workspace.records_dir / "customers.json").write_text("[{", encoding="utf-8")
    with pytest.raises(ConnectorError, match=r"customers\.json: not valid Customer records"):
        run(demo, lambda c: c.customer_by_id("C-00001"))


# --- the contract's frame ---------------------------------------------------------------------


def test_capabilities_come_from_the_abcs() -> None:
    assert DemoConnector.capabilities == frozenset(
        {"crm", "billing", "issues", "identity", "notify", "tickets"}
    )


def test_declaring_a_capability_without_its_abc_is_refused() -> None:
    with pytest.raises(TypeError, match=r"declares capabilities \['billing'\]"):

        class Liar(Connector[ConnectorConfig], Crm):
            capabilities = frozenset({"crm", "billing"})


def test_a_declared_subset_narrows_the_capabilities() -> None:
    class CrmOnly(DemoConnector):
        capabilities = frozenset({"crm"})

    assert CrmOnly.capabilities == frozenset({"crm"})


def test_optional_writes_say_they_are_not_supported() -> None:
    class ReadOnlyBilling(Connector[ConnectorConfig], Billing):
        async def subscription(self, customer_id: str) -> None:
            return None

        async def invoices(self, customer_id: str, limit: int = 12) -> list[Any]:
            return []

        async def invoice(self, invoice_id: str) -> None:
            return None

    connector = ReadOnlyBilling(ConnectorConfig(), ConnectorContext(name="stripe_ro"))
    with pytest.raises(ConnectorError, match="connector 'stripe_ro' does not support refunds"):
        run(connector, lambda c: c.refund("in_1", 1, "x", "k"))
    assert run(connector, lambda c: c.plan_changes("C-1")) == []


# --- connector config -------------------------------------------------------------------------


class ApiConfig(ConnectorConfig):
    base_url: str
    dsn: SecretStr | None = None  # a secret with an innocent name
    timeout_seconds: float = 10.0


def test_config_comes_from_the_table_and_secrets_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('[connectors.api]\nbase_url = "https://api.example.com"\n')
    monkeypatch.setenv("DESKPILOT_CONNECTORS__API__DSN", "postgres://u:pw@db/x")
    monkeypatch.setenv("DESKPILOT_CONNECTORS__API__TIMEOUT_SECONDS", "2.5")
    table = load_settings(config_file).connectors["api"]
    config = build_config(ApiConfig, "api", table, config_file)
    assert isinstance(config, ApiConfig)
    assert config.base_url == "https://api.example.com" and config.timeout_seconds == 2.5
    assert config.dsn is not None and config.dsn.get_secret_value() == "postgres://u:pw@db/x"


def test_a_secret_field_in_config_toml_is_refused(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('[connectors.api]\nbase_url = "https://x"\ndsn = "postgres://pw@db"\n')
    table = load_settings(config_file).connectors["api"]
    with pytest.raises(ConfigError, match="set DESKPILOT_CONNECTORS__API__DSN in the environment"):
        build_config(ApiConfig, "api", table, config_file)


def test_a_bad_key_names_the_table_and_the_known_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[connectors.api\] 'base_ulr': Extra inputs") as error:
        build_config(ApiConfig, "api", {"base_ulr": "https://x"}, None)
    assert "known keys: base_url, capabilities, dsn, plugin, timeout_seconds" in str(error.value)


def test_the_connector_api_does_not_import_the_tui() -> None:
    """Connectors run in the TUI's workers but must not depend on it (the house import rule)."""
    code = (
        "import sys, deskpilot.connectors, deskpilot.connectors.demo, deskpilot.testing\n"
        "print(sorted({m for m in sys.modules if m.startswith(('textual', 'deskpilot.tui'))}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_tests_are_offered_the_builtin_connectors_only_unless_they_ask(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workspace: Workspace,
    request: pytest.FixtureRequest,
) -> None:
    """A plugin installed where the tests run is neither offered nor imported (conftest sets
    DESKPILOT_LOAD_PLUGINS to none); a test that asks for ``third_party_plugins`` sees it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "fake_isolated.py").write_text("raise RuntimeError('imported')\n")
    install_distribution(site, "deskpilot-isolated", {"isolated": "fake_isolated:IsolatedCrm"})
    monkeypatch.syspath_prepend(str(site))
    offered = ConnectorRegistry(workspace.settings(), workspace).names()
    assert "isolated" not in offered and "demo" in offered
    request.getfixturevalue("third_party_plugins")
    assert "isolated" in ConnectorRegistry(workspace.settings(), workspace).names()
    assert "fake_isolated" not in sys.modules  # listed from metadata, never imported
