"""The demo records read one customer at a time through an index: the same answers as the
whole files, and never a stale one after a file changes."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from deskpilot.connectors.demo import index
from deskpilot.connectors.demo.index import INDEX_DIR
from deskpilot.connectors.demo.records import DemoRecords
from deskpilot.connectors.errors import ConnectorError
from deskpilot.demo.generator import DemoData, generate
from deskpilot.desk import Desk

NOW = datetime(2026, 11, 1, tzinfo=UTC)
FILES = {
    "customers.json": "customers",
    "crm.json": "crm",
    "plans.json": "plans",
    "subscriptions.json": "subscriptions",
    "invoices.json": "invoices",
    "plan_changes.json": "plan_changes",
    "bugs.json": "bugs",
}


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(tickets=40, seed=7, now=NOW)


@pytest.fixture
def folder(tmp_path: Path, data: DemoData) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    for file, attribute in FILES.items():
        rows: list[BaseModel] = getattr(data, attribute)
        # ensure_ascii off, as the demo writes them: names with accents are raw UTF-8.
        text = json.dumps([r.model_dump(mode="json") for r in rows], indent=1, ensure_ascii=False)
        (folder / file).write_text(text, encoding="utf-8")
    return folder


def test_lookups_answer_as_the_whole_files_do(folder: Path, data: DemoData) -> None:
    whole = DemoRecords(folder)
    indexed = DemoRecords(folder)
    with_plan_change = {c.customer_id for c in whole.plan_changes()}
    for customer in data.customers[:25] + [c for c in data.customers if c.id in with_plan_change]:
        cid = customer.id
        assert indexed.customer(cid) == next(c for c in whole.customers() if c.id == cid)
        assert indexed.customer_by_email(f"  {customer.email.upper()} ") == indexed.customer(cid)
        assert indexed.crm_record(cid) == next(
            (r for r in whole.crm() if r.customer_id == cid), None
        )
        assert indexed.subscription(cid) == next(
            (s for s in whole.subscriptions() if s.customer_id == cid), None
        )
        invoices = [i for i in whole.invoices() if i.customer_id == cid]
        assert indexed.customer_invoices(cid) == invoices
        for invoice in invoices:
            assert indexed.invoice(invoice.id) == invoice
        assert indexed.customer_plan_changes(cid) == [
            c for c in whole.plan_changes() if c.customer_id == cid
        ]
    assert with_plan_change, "the sample has a customer with a recorded plan change"
    assert indexed.customer("C-99999") is None
    assert indexed.customer_invoices("C-99999") == []
    assert indexed.invoice("in_nope") is None


def test_non_ascii_keys_are_found_however_the_file_writes_them(folder: Path) -> None:
    rows = json.loads((folder / "customers.json").read_text(encoding="utf-8"))
    rows[0]["id"] = "C-Zoë"
    for ensure_ascii in (False, True):
        text = json.dumps(rows, indent=1, ensure_ascii=ensure_ascii)
        (folder / "customers.json").write_text(text, encoding="utf-8")
        found = DemoRecords(folder).customer("C-Zoë")
        assert found is not None and found.email == rows[0]["email"]


def test_the_demo_build_index_is_saved_and_read_by_the_next_process(folder: Path) -> None:
    DemoRecords(folder).build_indexes()
    saved = sorted(p.name for p in (folder / INDEX_DIR).iterdir())
    assert "invoices.json.customer_id.idx" in saved
    assert "customers.json.email.idx" in saved
    # A later process reads the saved index: it points into the file as it is.
    later = DemoRecords(folder)
    first = json.loads((folder / "invoices.json").read_text(encoding="utf-8"))[0]
    invoice = later.invoice(first["id"])
    assert invoice is not None and invoice.number == first["number"]


def test_a_changed_file_is_indexed_again(folder: Path) -> None:
    records = DemoRecords(folder)
    records.build_indexes()
    path = folder / "invoices.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    customer_id = rows[0]["customer_id"]
    before = records.customer_invoices(customer_id)
    # A new invoice at the end: every record the index knows stays where it was.
    added = {**rows[0], "id": "in_added", "number": "INV-ADDED"}
    path.write_text(json.dumps([*rows, added], indent=1), encoding="utf-8")
    for reader in (records, DemoRecords(folder)):  # this process, and the next one
        after = reader.customer_invoices(customer_id)
        assert [i.id for i in after] == [*(i.id for i in before), "in_added"]
    # One at the top shifts every record.
    path.write_text(json.dumps([added, *rows], indent=1), encoding="utf-8")
    for reader in (records, DemoRecords(folder)):
        after = reader.customer_invoices(customer_id)
        assert [i.id for i in after] == ["in_added", *(i.id for i in before)]


def test_records_moved_under_an_unchanged_stamp_are_found_again(folder: Path) -> None:
    """The same size and modification time, other content: the index would point at another
    customer's record; the lookup notices and indexes the file again."""
    path = folder / "crm.json"
    rows = json.loads(path.read_text(encoding="utf-8"))[:2]
    first, second = ({**rows[0], "customer_id": cid, "company": cid} for cid in ("C-1", "C-2"))
    path.write_text(json.dumps([first, second], indent=1), encoding="utf-8")
    records = DemoRecords(folder)
    found = records.crm_record("C-1")
    assert found is not None and found.company == "C-1"
    stat = path.stat()
    path.write_text(json.dumps([second, first], indent=1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    for reader in (records, DemoRecords(folder)):  # this process, and the next one
        found = reader.crm_record("C-1")
        assert found is not None and found.company == "C-1"


def test_refunds_and_account_changes_show_in_lookups(folder: Path) -> None:
    records = DemoRecords(folder, clock=lambda: NOW)
    paid = next(i for i in records.invoices() if i.status == "paid" and i.total > 0)
    records.refund(paid.id, paid.total, "duplicate charge", "key-1")
    refunded = records.invoice(paid.id)
    assert refunded is not None and refunded.status == "refunded"
    assert records.customer_invoices(paid.customer_id)[0].customer_id == paid.customer_id
    assert any(i.status == "refunded" for i in records.customer_invoices(paid.customer_id))
    subscription = next(s for s in records.subscriptions() if s.status == "active")
    records.change_setting(subscription.customer_id, "seats", "77", "key-2")
    changed = records.subscription(subscription.customer_id)
    assert changed is not None and changed.seats == 77


def test_a_broken_file_names_itself(folder: Path) -> None:
    (folder / "invoices.json").write_text('[{"id": "in_1", "customer_id": "C-1"} {', "utf-8")
    with pytest.raises(ConnectorError, match=r"invoices\.json: not valid Invoice records"):
        DemoRecords(folder).customer_invoices("C-1")


def test_a_missing_file_has_no_records(folder: Path) -> None:
    (folder / "plan_changes.json").unlink()
    assert DemoRecords(folder).customer_plan_changes("C-00001") == []
    assert not (folder / INDEX_DIR / "plan_changes.json.customer_id.idx").exists()


def test_the_demo_build_leaves_the_index_the_connector_reads(
    demo_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_indexing(*_args: object) -> None:
        raise AssertionError("the demo's files were indexed again")

    monkeypatch.setattr(index, "build", no_indexing)
    folder = demo_desk.workspace.records_dir
    customer = json.loads((folder / "customers.json").read_text(encoding="utf-8"))[0]
    records = DemoRecords(folder)
    assert records.customer_by_email(customer["email"]) == records.customer(customer["id"])
    assert records.customer_invoices(customer["id"]) == [
        i for i in records.invoices() if i.customer_id == customer["id"]
    ]


def test_a_saved_index_finds_every_value_and_nothing_else() -> None:
    """Values sharing prefixes, quotes, escapes and accents: each line is found by the binary
    search over the saved bytes, and values between, before and after them are not."""
    values = ["C-1", "C-10", "C-100", 'C-1"x', "C-1\\y", "a@b.c", "zoë@example.com", "Z", ""]
    values += [f"C-{number:05d}" for number in range(0, 3000, 7)]
    spans = {value: [number * 10, number + 1] for number, value in enumerate(values)}
    saved = index.FieldIndex.of((5, 6), spans)
    loaded = index.FieldIndex.parse(saved.data)
    assert loaded is not None and loaded.stamp == (5, 6)
    for number, value in enumerate(values):
        assert loaded.find(value) == [(number * 10, number + 1)]
    for absent in ("C-", "C-0", "C-1000000", "C-2", " ", "~", "zoe@example.com", "C-1\t"):
        assert loaded.find(absent) == []
    assert index.FieldIndex.of((1, 1), {}).find("C-1") == []
    assert index.FieldIndex.parse(b'{"stamp": [1, 2], "spans": {}}') is None
    assert index.FieldIndex.parse(saved.data[:-3]) is None  # cut short


def test_an_index_saved_as_json_before_is_read_and_saved_again(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workspaces built before the sorted format hold JSON indexes: read once (not indexed
    again), saved in the new format, the old file removed."""
    path = folder / "invoices.json"
    for field in ("customer_id", "id"):
        spans: dict[str, list[int]] = {}
        for start, end, row in index._records(path.read_bytes()):
            spans.setdefault(row[field], []).extend((start, end - start))
        old = index.sidecar(path, field, index.OLD_SUFFIX)
        old.parent.mkdir(exist_ok=True)
        stamp = list(index.stamp_of(path) or ())
        old.write_text(json.dumps({"stamp": stamp, "spans": spans}), encoding="utf-8")

    def no_indexing(*_args: object) -> None:
        raise AssertionError("the records were indexed again")

    monkeypatch.setattr(index, "build", no_indexing)
    rows = json.loads(path.read_text(encoding="utf-8"))
    records = DemoRecords(folder)
    customer_id = rows[0]["customer_id"]
    assert [i.id for i in records.customer_invoices(customer_id)] == [
        row["id"] for row in rows if row["customer_id"] == customer_id
    ]
    found = records.invoice(rows[-1]["id"])
    assert found is not None and found.number == rows[-1]["number"]
    saved = sorted(p.name for p in (folder / INDEX_DIR).iterdir())
    assert saved == ["invoices.json.customer_id.idx", "invoices.json.id.idx"]
