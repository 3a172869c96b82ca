"""The co-pilot on the demo workspace: every intent gets a grounded draft or a hand-off."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from conftest import Cli
from deskpilot.copilot.context import DraftOutcome
from deskpilot.desk import Desk
from deskpilot.models import Channel, Invoice

from .test_model_drafter import FakeOpenAI, Reply

MONEY = re.compile(r"-?\$[\d,]+\.\d{2}")
INVOICE = re.compile(r"INV-[\d-]+")


@pytest.fixture
def desk(demo_desk: Desk) -> Desk:
    return demo_desk


def draft(desk: Desk, ticket_id: str) -> DraftOutcome:
    return asyncio.run(desk.draft_reply(ticket_id))


def open_by_intent(desk: Desk) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in desk.queue(limit=None):
        found.setdefault(row.intent or "-", []).append(row.id)
    return found


def context_text(outcome: DraftOutcome) -> str:
    c = outcome.context
    parts = [m.body for m in c.ticket.messages] + [c.ticket.subject]
    parts += [f.text for f in c.facts] + [k.body + k.snippet for k in c.knowledge + c.similar]
    return "\n".join(parts)


def test_every_open_intent_gets_a_grounded_draft_or_a_handoff(desk: Desk) -> None:
    by_intent = open_by_intent(desk)
    assert len(by_intent) >= 8
    for intent, ids in by_intent.items():
        for ticket_id in ids[:2]:
            outcome = draft(desk, ticket_id)
            text = outcome.draft.text
            customer = outcome.context.ticket.customer
            assert customer is not None
            assert text.startswith(f"Hi {customer.name.split()[0]},"), (intent, text)
            assert text.rstrip().endswith("ada"), "signed by the agent"
            source_text = context_text(outcome)
            for figure in MONEY.findall(text) + INVOICE.findall(text):
                assert figure.lstrip("-") in source_text, (intent, figure)
            if outcome.draft.handoff_reason:
                assert outcome.handoff_summary and outcome.draft.confidence <= 0.3
            else:
                assert outcome.draft.sources or intent in {"feature_request", "order_status"}
            stored = desk.store.latest_draft(ticket_id)
            assert stored is not None and stored.text == text


def test_mid_cycle_upgrade_is_explained_with_the_invoices_own_figures(desk: Desk) -> None:
    invoices = [
        Invoice.model_validate(i)
        for i in json.loads((desk.workspace.records_dir / "invoices.json").read_text())
    ]
    prorated = {i.customer_id: i for i in invoices if any(line.proration for line in i.lines)}
    candidates = [
        row.id
        for row in desk.queue(statuses=None, limit=None)
        if row.customer_id in prorated and row.intent == "invoice_discrepancy"
    ]
    assert candidates
    outcome = draft(desk, candidates[0])
    text = outcome.draft.text
    invoice = prorated[outcome.context.ticket.customer.id]  # type: ignore[union-attr]
    assert "days left in the billing cycle" in text
    for line in invoice.lines:
        if line.proration:
            assert f"${abs(line.amount):,.2f}" in text, (line, text)
    assert any(s.kind == "billing" for s in outcome.draft.sources)


def test_known_bug_with_workaround_and_steps_already_tried(desk: Desk) -> None:
    bug_ids = open_by_intent(desk)["bug_report"]
    outcome = next(
        o
        for o in (draft(desk, i) for i in bug_ids)
        if o.context.bugs and o.context.ticket.page_context
    )
    text = outcome.draft.text
    bug = outcome.context.bugs[0]
    assert bug.id in text and "known issue" in text
    for step in outcome.context.ticket.page_context.steps_attempted:  # type: ignore[union-attr]
        assert step.rstrip(".") in text


def test_sensitive_cases_get_a_holding_reply_and_a_summary(desk: Desk) -> None:
    by_intent = open_by_intent(desk)
    for intent in ("complaint", "contract_negotiation"):
        outcome = draft(desk, by_intent[intent][0])
        assert outcome.draft.handoff_reason
        assert "bringing in a colleague" in outcome.draft.text
        assert outcome.handoff_summary is not None
        assert "### Suggested next step" in outcome.handoff_summary


def test_a_broken_source_is_reported_and_the_draft_still_comes(desk: Desk) -> None:
    (desk.workspace.records_dir / "invoices.json").write_text("{ not json")
    ticket_id = open_by_intent(desk)["billing_question"][0]
    outcome = draft(desk, ticket_id)
    assert any("invoices" in problem for problem in outcome.context.problems)
    assert outcome.draft.text.startswith("Hi ")


def test_draft_cli_json(desk: Desk) -> None:
    demo_folder = desk.workspace.root  # a private copy: the CLI stores its drafts there
    ticket_id = open_by_intent(desk)["account_access"][0]
    result = Cli(demo_folder)("draft", ticket_id, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("ticket_id", "text", "drafter", "model", "confidence", "handoff", "sources"):
        assert key in data
    assert data["ticket_id"] == ticket_id and data["drafter"] == "local"
    assert all({"kind", "id", "title"} <= set(s) for s in data["sources"])
    streamed = Cli(demo_folder)("draft", ticket_id)
    assert streamed.exit_code == 0 and streamed.stdout.startswith("Hi ")
    assert "confidence" in streamed.stdout


def test_an_unreachable_model_endpoint_falls_back_to_the_local_draft(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    desk.settings.llm.base_url = f"http://127.0.0.1:{port}/v1"
    ticket_id = open_by_intent(desk)["account_access"][0]
    outcome = draft(desk, ticket_id)
    assert outcome.draft.drafter == "local"
    assert outcome.notice is not None and "model failed" in outcome.notice
    assert f"127.0.0.1:{port}" in outcome.notice
    assert outcome.draft.text.startswith("Hi ")


async def test_a_slow_model_shows_the_local_draft_first_then_replaces_it(desk: Desk) -> None:
    from deskpilot.copilot.context import Listener

    from .test_model_drafter import FakeOpenAI, Reply

    events: list[tuple[str, str]] = []
    listener = Listener(
        chunk=lambda text: events.append(("chunk", text)),
        restart=lambda: events.append(("restart", "")),
        status=lambda line: events.append(("status", line)),
    )
    ticket_id = open_by_intent(desk)["account_access"][0]
    with FakeOpenAI(Reply(chunks=["Hi from", " the model."], before_first=0.8)) as fake:
        desk.settings.llm.base_url = fake.url
        outcome = await desk.draft_reply(ticket_id, listener, local_after=0.1)
        await desk.aclose_connectors()
    kinds = [kind for kind, _ in events]
    restart = kinds.index("restart")
    local_text = "".join(text for kind, text in events[:restart] if kind == "chunk")
    assert local_text.startswith("Hi ") and "Best," in local_text  # the whole local draft
    assert any(kind == "status" and "still writing" in text for kind, text in events[:restart])
    assert "".join(text for kind, text in events[restart:] if kind == "chunk") == (
        "Hi from the model."
    )
    assert outcome.draft.text == "Hi from the model." and outcome.notice is None
    assert outcome.draft.drafter != "local"


async def test_a_slow_model_that_fails_leaves_the_local_draft_with_the_reason(desk: Desk) -> None:
    from deskpilot.copilot.context import Listener

    from .test_model_drafter import FakeOpenAI, failing

    chunks: list[str] = []
    restarts: list[None] = []
    ticket_id = open_by_intent(desk)["account_access"][0]
    with FakeOpenAI(failing(401, "bad key")) as fake:
        desk.settings.llm.base_url = fake.url
        listener = Listener(chunk=chunks.append, restart=lambda: restarts.append(None))
        outcome = await desk.draft_reply(ticket_id, listener, local_after=0.0)
        await desk.aclose_connectors()
    assert not restarts  # nothing replaced the local draft
    assert "".join(chunks) == outcome.draft.text and outcome.draft.drafter == "local"
    assert outcome.notice is not None and "model failed" in outcome.notice


async def test_a_model_stream_that_stops_without_finishing_leaves_the_local_draft(
    desk: Desk,
) -> None:
    from .test_model_drafter import FakeOpenAI, Reply

    chunks: list[str] = []
    ticket_id = open_by_intent(desk)["account_access"][0]
    cut_short = Reply(chunks=["Hi, your account is", " now"], finish=None, done=False)
    with FakeOpenAI(cut_short) as fake:
        desk.settings.llm.base_url = fake.url
        outcome = await desk.draft_reply(ticket_id, chunks.append)
        await desk.aclose_connectors()
    assert outcome.draft.drafter == "local" and outcome.draft.text.startswith("Hi ")
    assert "your account is now" not in outcome.draft.text
    assert outcome.notice is not None and "model failed" in outcome.notice
    assert "without a finish_reason" in outcome.notice
    shown = "".join(chunks)  # what the view saw: the cut text, the notice, the local draft
    assert shown.index("Hi, your account is now") < shown.index(outcome.notice)
    assert shown.endswith(outcome.draft.text)


def test_deskpilot_draft_does_not_wait_out_a_stalled_stream(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .test_model_drafter import FakeOpenAI, Reply

    ticket_id = open_by_intent(desk)["account_access"][0]
    # The second chunk would come after 30 s, the whole answer's time limit: the message
    # below says the stall bound, not that limit, ended the wait.
    with FakeOpenAI(Reply(chunks=["Hi, let me", " check"], between=30.0)) as fake:
        monkeypatch.setenv("DESKPILOT_LLM__BASE_URL", fake.url)
        monkeypatch.setenv("DESKPILOT_LLM__STALL_TIMEOUT_SECONDS", "0.5")
        result = Cli(desk.workspace.root)("draft", ticket_id, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["drafter"] == "local" and data["text"].startswith("Hi ")
    assert "stalled: nothing more for 0.5 s" in data["notice"]


async def test_a_models_markdown_is_taken_out_of_an_email_draft(desk: Desk) -> None:
    """The model was asked for plain text; what Markdown it writes anyway is removed for a
    channel that shows the reply as written (every channel but the API)."""
    ticket_id = open_by_intent(desk)["account_access"][0]
    assert desk.ticket(ticket_id).channel is not Channel.API  # shown as written
    markdown = Reply(chunks=["Open **Settings**, then ", "`app.acmecloud.com/login`."])
    with FakeOpenAI(markdown) as fake:
        desk.settings.llm.base_url = fake.url
        outcome = await desk.draft_reply(ticket_id)
        await desk.aclose_connectors()
    assert outcome.draft.text == "Open Settings, then app.acmecloud.com/login."
    assert outcome.confidence_basis.startswith("answers ")
