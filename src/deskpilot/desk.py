"""The desk: the headless core of DeskPilot.

It offers the operations an agent performs; the TUI and the CLI are thin views over it, and the
tests drive it directly. Every operation that changes a ticket is written to the audit trail.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from deskpilot.actions import account, bugs, refunds
from deskpilot.actions import escalate as escalation
from deskpilot.actions import settings as account_changes
from deskpilot.actions import status as status_lookup
from deskpilot.actions.escalate import Escalation
from deskpilot.actions.kit import ActionKit
from deskpilot.actions.named_invoice import named_invoice
from deskpilot.actions.settings import SettingPreview
from deskpilot.actions.status import StatusReport
from deskpilot.channels.outbox import DeliveryOutcome, OutboxWorker
from deskpilot.channels.outbox import log as channel_log
from deskpilot.channels.sync import ChannelSync, Inbox
from deskpilot.config import Settings
from deskpilot.connectors import ConnectorRegistry
from deskpilot.connectors.capabilities import TicketSource
from deskpilot.connectors.errors import ConnectorError
from deskpilot.connectors.models import OutboundReply
from deskpilot.copilot.endpoint import configured_endpoint
from deskpilot.copilot.handoff import handoff_summary, holding_reply
from deskpilot.copilot.kit import DraftKit
from deskpilot.copilot.policy import NO_DRAFT, DraftPlan, draft_plan, reason_heading
from deskpilot.errors import ClaimError, DeskPilotError, ImportFileError, WorkspaceError
from deskpilot.feedback import surveys
from deskpilot.feedback.capture import EditCapture
from deskpilot.feedback.csat import CsatSurvey, answer, public_base_url, survey
from deskpilot.feedback.learning import LearnReport, remember_edit, remember_sent_reply
from deskpilot.feedback.learning import learn as learn_now
from deskpilot.intake.customers import resolve_customers
from deskpilot.intake.files import NumberedRecord, read_ticket_file
from deskpilot.models import (
    OPEN_STATUSES,
    ActionRecord,
    Author,
    Claim,
    CrmRecord,
    Customer,
    Draft,
    EditEvent,
    EditOutcome,
    IntentSource,
    Invoice,
    Message,
    Plan,
    QaScore,
    Source,
    Status,
    Subscription,
    Ticket,
    TicketSummary,
    TriageRecord,
    utcnow,
)
from deskpilot.queue import snooze as snoozing
from deskpilot.queue.merge import Duplicate, MergeResult, find_duplicates
from deskpilot.queue.merge import merge as merge_tickets
from deskpilot.queue.search import QueueSearch
from deskpilot.queue.views import ME, QueueView, resolve_view
from deskpilot.store import QueueFilter, Store, open_store, sqlite_url
from deskpilot.store.channels import ChannelStore, DeliveryState, OutboxEntry, SyncState
from deskpilot.store.demo_flag import DEMO_KEY, demo_description
from deskpilot.understand.datasets import OUT_OF_SCOPE
from deskpilot.understand.taxonomy import IntentSpec, load_taxonomy
from deskpilot.workspace import Workspace

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from deskpilot.actions.refunds import EarlierRefund
    from deskpilot.connectors.models import (
        AccountUnlockResult,
        BugCreated,
        BugMatch,
        CancellationPreview,
        PasswordResetResult,
        RefundResult,
        SettingChanged,
        SubscriptionCanceled,
    )
    from deskpilot.copilot.action_claims import Finding
    from deskpilot.copilot.context import DraftContext, DraftOutcome, Listener, OnChunk
    from deskpilot.copilot.model_drafter import ModelDrafter
    from deskpilot.feedback.autopilot import IntentAutonomy, Run
    from deskpilot.feedback.export import Format as ExportFormat
    from deskpilot.feedback.qa_model import ModelQaScorer
    from deskpilot.feedback.report import TeamReport
    from deskpilot.feedback.surveys import QueuedSurvey
    from deskpilot.intake.records import TicketRecord
    from deskpilot.knowledge import Hit, KnowledgeIndex, WorkspaceIndexReport
    from deskpilot.queue.watch import QueueWatcher
    from deskpilot.understand.answered import KnowledgeAnswers
    from deskpilot.understand.triage import Triage

Progress = Callable[[int, int], None]
StageProgress = Callable[[str, int, int], None]
EMAIL_CONNECTOR = "email"  # the built-in email channel: answers intake and imported tickets
WORKABLE_STATUSES = frozenset({Status.NEW, Status.OPEN})  # waiting for an agent to act
SEED_BATCH = 5000  # tickets a seeding stores between progress reports


@dataclass(frozen=True)
class ImportReport:
    path: Path
    added: int
    skipped: int  # already in the workspace: re-imports never duplicate
    # Known customers the file describes differently, left as they were (no --update-customers)
    customers_kept: int = 0

    def __str__(self) -> str:
        said = f"{self.path}: imported {self.added} tickets" + (
            f", skipped {self.skipped} already present" if self.skipped else ""
        )
        if self.customers_kept:
            said += (
                f"; {self.customers_kept} known customers kept as they are "
                "(--update-customers applies the file's details)"
            )
        return said


@dataclass(frozen=True)
class Submission:
    ticket_id: str
    created: bool  # False: the same ticket (same id) was already in the workspace


class Desk:
    """The one door: every operation a front end performs is a method here.

    ``store`` and ``channels`` are the desk's own collaborators, public so that tests can assert
    on what was stored; nothing above the desk uses them (``tests/test_layers.py`` fails naming
    the place), so that nothing changes a ticket without the audit trail.
    """

    def __init__(self, workspace: Workspace, settings: Settings, store: Store) -> None:
        self.workspace = workspace
        self.settings = settings
        self.store = store
        self.channels = ChannelStore(store)  # the outbox, sync cursors, unread markers
        self._triage: Triage | None = None
        self._knowledge: KnowledgeIndex | None = None
        self._queue_search = QueueSearch(store)
        self._connectors: ConnectorRegistry | None = None
        self._model_drafter: ModelDrafter | None = None
        self._model_drafter_looked_up = False
        self._edits: EditCapture | None = None
        self.clock: Callable[[], datetime] = utcnow  # tests and snapshots freeze it
        self._claims: dict[str, Claim] = {}  # the tickets this desk holds (team mode)
        self._lost: dict[str, Claim] = {}  # claims taken over: no acting until reopened

    @classmethod
    def open(cls, workspace: Workspace) -> Desk:
        settings = workspace.settings()
        return cls(workspace, settings, workspace.open_store(settings))

    def close(self) -> None:
        self.release_all()
        self.store.close()
        self._knowledge = None

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def agent(self) -> str:
        return self.settings.agent.name

    # --- reading -------------------------------------------------------------------------

    def queue(
        self,
        *,
        statuses: frozenset[Status] | None = OPEN_STATUSES,
        intent: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
        awake_only: bool = False,
    ) -> list[TicketSummary]:
        """Tickets in queue order; ``awake_only`` leaves out snoozed ones (as views do)."""
        return self.store.list_queue(
            self.queue_filter(statuses=statuses, intent=intent, awake_only=awake_only),
            limit=limit,
            offset=offset,
        )

    def queue_filter(
        self,
        *,
        statuses: frozenset[Status] | None = OPEN_STATUSES,
        intent: str | None = None,
        awake_only: bool = False,
    ) -> QueueFilter:
        awake_at = self.clock() if awake_only else None
        return QueueFilter(statuses=statuses, intent=intent, awake_at=awake_at)

    def ticket(self, ticket_id: str) -> Ticket:
        return self.store.get_ticket(ticket_id)

    def mark_read(self, ticket_id: str) -> bool:
        """The agent has seen the ticket's new messages (opening it does); a ticket back from
        a snooze loses its mark too."""
        self.store.clear_snooze_mark(ticket_id, self.clock())
        return self.channels.mark_read(ticket_id)

    # --- queue views -----------------------------------------------------------------------

    def view_titles(self) -> dict[str, str]:
        return {name: spec.title or name for name, spec in self.settings.views.items()}

    def view(self, name: str) -> QueueView:
        return resolve_view(name, self.settings, self.agent, self.clock())

    def count(self, view: QueueView) -> int:
        return self.store.count_tickets(self._awake_now(view.where))

    def page(self, view: QueueView, offset: int, limit: int) -> list[TicketSummary]:
        return self.store.list_queue(
            self._awake_now(view.where),
            limit=limit,
            offset=offset,
            sort=view.sort,
            descending=view.descending,
        )

    def first_page(self, view: QueueView, limit: int) -> tuple[list[TicketSummary], int]:
        """The view's first ``limit`` tickets and how many it holds, read together: for a
        search's view (a few hundred tickets at most), what a keystroke shows at once."""
        return self.store.first_page_and_count(
            self._awake_now(view.where), limit=limit, sort=view.sort, descending=view.descending
        )

    def prepare_search(self, view: QueueView) -> None:
        """Read what searching ``view`` needs (500-900 ms on a 100k desk) before the first
        keystroke does; blocking, for a worker thread."""
        self._queue_search.prepare(replace(self._awake_now(view.where), ids=None))

    def search_is_stale(self) -> bool:
        """Tickets changed since the search last read their texts (``prepare_search``)."""
        return self._queue_search.stale

    def search(
        self,
        query: str,
        view: QueueView,
        *,
        typos: bool = True,
        cancelled: Callable[[], bool] = lambda: False,
        stale_ok: bool = False,
    ) -> QueueView:
        """The view narrowed to tickets matching ``query`` (fuzzy, as the agent types).
        Without ``typos``: only the id and exact matches, a fast first answer to show while
        the near-misses are scored; ``cancelled``: a newer keystroke replaced this search
        (``SearchCancelled`` is raised); ``stale_ok``: the tickets' texts as read before the
        latest changes will do (a keystroke, when a refresh reads them again anyway)."""
        where = replace(self._awake_now(view.where), ids=None)
        ids = self._queue_search.search(
            query, where, typos=typos, cancelled=cancelled, stale_ok=stale_ok
        )
        return view.filtered(ids=frozenset(ids))

    def _awake_now(self, where: QueueFilter) -> QueueFilter:
        """A view resolved a while ago still lets snoozed tickets back in on time."""
        if where.awake_at is None:
            return where
        return replace(where, awake_at=self.clock())

    # --- intake --------------------------------------------------------------------------

    def import_tickets(
        self, path: Path, progress: Progress | None = None, *, update_customers: bool = False
    ) -> ImportReport:
        """Import a JSONL or CSV ticket file: all of it, or (on any bad line) nothing.

        New unsolved tickets are triaged straight away, as any arriving ticket is. Customers
        already in the workspace keep their profile unless ``update_customers``.
        """
        numbered = read_ticket_file(path, progress)
        tickets, kept = self._tickets_from_records(path, numbered, update_customers)
        triage = self.triage() if any(t.status.is_open for t in tickets) else None
        with self.store.transaction():
            result = self.store.add_tickets(tickets)
            added = set(result.added)
            arriving = [t for t in tickets if t.id in added and t.status.is_open]
            if triage and arriving:
                triage.run(self.store, arriving)
            report = ImportReport(
                path, added=len(result.added), skipped=len(result.skipped), customers_kept=kept
            )
            params = {"file": str(path), "update_customers": update_customers}
            self.audit("import", None, params, result=str(report))
        self._queue_search.invalidate()
        return report

    def _tickets_from_records(
        self, path: Path, numbered: list[NumberedRecord], update_customers: bool = False
    ) -> tuple[list[Ticket], int]:
        """The tickets, and how many known customers were kept though the file differs."""
        now = utcnow()
        resolved = resolve_customers(path, numbered, self.store, now, update_known=update_customers)
        customers = resolved.by_line
        first_line: dict[str, int] = {}
        tickets = []
        for item in numbered:
            try:
                ticket = item.record.to_ticket(now=now, customer=customers.get(item.line))
            except ValidationError as error:
                raise ImportFileError(path, error.errors()[0]["msg"], line=item.line) from None
            if ticket.id in first_line:
                raise ImportFileError(
                    path,
                    f"ticket id '{ticket.id}' already appears on line {first_line[ticket.id]}",
                    line=item.line,
                    field="id",
                )
            first_line[ticket.id] = item.line
            tickets.append(ticket)
        return tickets, len(resolved.kept)

    def submit_ticket(self, record: TicketRecord, *, source: str) -> Submission:
        """One ticket sent to the intake endpoint, taken in as an imported one is: its customer
        matched by email, triaged on arrival, written to the audit trail. The same ticket sent
        again (same id, given or derived from its content) is not stored twice.

        A known customer is matched, never rewritten. What an untrusted poster may set is the
        caller's to check first (the intake server applies ``intake.policy``); a trusted
        source, such as a channel connector, may give the whole format.

        Not thread-safe on one desk: callers serialise (the intake server does).
        """
        tickets, _kept = self._tickets_from_records(Path(source), [NumberedRecord(1, record)])
        ticket = tickets[0]
        triage = self.triage() if ticket.status.is_open else None
        with self.store.transaction():
            added = self.store.add_tickets(tickets).added
            if added and triage:
                triage.run(self.store, tickets)
            if added:
                self.audit("intake", ticket.id, {"source": source, "channel": ticket.channel})
        if added:
            self._queue_search.invalidate()
        return Submission(ticket.id, created=bool(added))

    def take_in(self, tickets: Sequence[Ticket], *, source: str) -> list[str]:
        """Tickets built elsewhere (a replay, a script), taken in as imported ones are: stored,
        the unsolved ones triaged on arrival, each written to the audit trail; returns the ids
        added (one already in the workspace is left as it is)."""
        triage = self.triage() if any(t.status.is_open for t in tickets) else None
        with self.store.transaction():
            added = set(self.store.add_tickets(list(tickets)).added)
            arriving = [t for t in tickets if t.id in added and t.status.is_open]
            if triage and arriving:
                triage.run(self.store, arriving)
            for ticket in tickets:
                if ticket.id in added:
                    self.audit("intake", ticket.id, {"source": source, "channel": ticket.channel})
        if added:
            self._queue_search.invalidate()
        return [t.id for t in tickets if t.id in added]

    def seed_demo(
        self,
        *,
        customers: Sequence[Customer],
        history: Sequence[Ticket],
        arriving: Sequence[Ticket],
        edits: Iterable[tuple[Draft, EditEvent]],
        demo: str,
        progress: StageProgress | None = None,
    ) -> None:
        """Fill an empty workspace with a generated demo (``deskpilot demo``), in one
        transaction: an interrupted seeding leaves the workspace empty, to be seeded again.

        ``history``: resolved tickets, kept with their intent labels (what the classifier
        learns from, so they are stored first); ``arriving``: unsolved tickets, triaged as
        arriving ones are; ``edits``: drafts and how agents edited them (the feedback
        history); ``demo``: how the demo was built, kept as the workspace's demo flag.
        Written to the audit trail once, as an import is (a demo holds no real work to
        account for ticket by ticket). Refuses a workspace that already holds tickets.
        """
        report = progress or (lambda _stage, _done, _total: None)
        tickets = [*history, *arriving]
        with self.store.transaction():
            if self.store.count_tickets():
                raise WorkspaceError(
                    f"{self.workspace.root}: already holds tickets; a demo is seeded only "
                    "into an empty workspace"
                )
            self.store.add_customers(customers)
            for start in range(0, len(tickets), SEED_BATCH):
                self.store.add_tickets(tickets[start : start + SEED_BATCH])
                report("storing", min(start + SEED_BATCH, len(tickets)), len(tickets))
            # Triaged after the history is stored: a first triage trains on its labels.
            triage = self.triage()
            triage.run(self.store, arriving, lambda done, total: report("triaging", done, total))
            drafts = 0
            for draft, event in edits:
                draft_id = self.store.save_draft(draft)
                self.store.save_edit_event(event.model_copy(update={"draft_id": draft_id}))
                drafts += 1
            self.store.set_meta(DEMO_KEY, demo)
            params = {
                "demo": demo,
                "tickets": len(tickets),
                "customers": len(customers),
                "drafts": drafts,
            }
            self.audit("seed_demo", None, params)
        self._queue_search.invalidate()

    @staticmethod
    def demo_at(workspace: Workspace) -> str | None:
        """How the demo in the workspace's own SQLite file was built, read without opening a
        desk on it (its settings may name another database); None when it holds no demo or
        there is no such file. A demo is always built into that file."""
        if not workspace.database_path.exists():
            return None
        with open_store(sqlite_url(workspace.database_path)) as store:
            return demo_description(store)

    def add_customer_message(self, ticket_id: str, body: str, *, source: str) -> Message:
        """The customer wrote again on their ticket (the web widget's follow-up): the message
        joins the thread, and a ticket waiting on them, solved or closed is open again."""
        text = body.strip()
        if not text:
            raise DeskPilotError("the message is empty")
        message = Message(author=Author.CUSTOMER, body=text, at=self.clock())
        with self.store.transaction():
            ticket = self.store.get_ticket(ticket_id)
            self.store.append_message(ticket_id, message)
            if ticket.status in (Status.PENDING, Status.SOLVED, Status.CLOSED):
                self.store.update_ticket(ticket_id, status=Status.OPEN)
            self.audit(
                "customer_message",
                ticket_id,
                {"source": source, "chars": len(text)},
                actor="customer",
            )
        self._queue_search.invalidate()
        return message

    def queue_watcher(self) -> QueueWatcher:
        """Tells a view when tickets arrived or changed, from any process using this store."""
        # start-up time: only the TUI watches the queue
        from deskpilot.queue.watch import NotifyQueueWatcher, PollingQueueWatcher

        inner: QueueWatcher
        if self.store.dialect == "postgresql":
            # Block on NOTIFY for most of each refresh tick: a change that lands in the rest
            # of it waits in the connection and is seen at the next tick's start.
            wait = min(self.settings.team.watch_timeout_seconds, self.settings.tui.refresh_seconds)
            inner = NotifyQueueWatcher(self.store, wait * 0.9)
        else:
            inner = PollingQueueWatcher(self.store)
        # Snoozed tickets come back on time without anything being written.
        return snoozing.WakingWatcher(inner, self.store, lambda: self.clock())

    def queue_changed(self) -> None:
        """The queue changed elsewhere: searches read the tickets afresh."""
        self._queue_search.invalidate()

    # --- understanding -------------------------------------------------------------------

    def triage(self) -> Triage:
        """The triage service, with the workspace's classifier (trained on first use)."""
        if self._triage is None:
            from deskpilot.understand.triage import Triage, load_or_train  # start-up: sklearn

            classifier = load_or_train(
                self.workspace.intent_model_path, self.store, self.taxonomy(), self.settings.triage
            )
            self._triage = Triage(classifier, self.settings.triage, self._knowledge_answers())
        return self._triage

    def _knowledge_answers(self) -> KnowledgeAnswers | None:
        """Help-centre articles that answer unsure tickets; with the ``ensemble`` classifier
        only, whose sentence encoders judge the match (the light one loads none)."""
        if self.settings.triage.classifier != "ensemble":
            return None
        from deskpilot.understand.answered import CANDIDATES, KnowledgeAnswers  # start-up time

        def articles(text: str) -> list[tuple[str, str]]:
            hits = self.knowledge().search(text, limit=CANDIDATES, kinds=["article"])
            # The snippet marks matched words with ** **: plain text for the encoder.
            return [(hit.title, f"{hit.title}. {hit.snippet.replace('**', '')}") for hit in hits]

        return KnowledgeAnswers(articles)

    def taxonomy(self) -> dict[str, IntentSpec]:
        return load_taxonomy(self.workspace.intents_file)

    def retrain_intents(self) -> list[str]:
        """Train the classifier afresh on seeds and every human label; returns its intents."""
        from deskpilot.understand.triage import train  # start-up time: scikit-learn

        classifier = train(
            self.workspace.intent_model_path, self.store, self.taxonomy(), self.settings.triage
        )
        self._triage = None
        return classifier.intents

    def retriage(
        self, ticket_ids: list[str] | None = None, progress: Progress | None = None
    ) -> list[TriageRecord]:
        """Triage the given tickets again, or every unsolved one; audited once, as an import
        is (the predicted intents and sentiments change; a human's label is kept)."""
        named = ticket_ids is not None
        if ticket_ids is None:
            ticket_ids = [row.id for row in self.queue(limit=None)]
        tickets = [self.store.get_ticket(ticket_id) for ticket_id in ticket_ids]
        triage = self.triage()
        with self.store.transaction():
            records = triage.run(self.store, tickets, progress)
            which = ticket_ids if named else "unsolved"
            self.audit("retriage", None, {"tickets": which, "count": len(records)})
        return records

    def label_intent(self, ticket_id: str, intent: str) -> None:
        """What the handling of the ticket showed its intent to be: a label the classifier
        learns at its next training (no hand-off re-decision, unlike ``correct_intent``)."""
        before = self.store.get_ticket(ticket_id).intent
        with self.store.transaction():
            self.store.update_ticket(ticket_id, intent=intent, intent_source=IntentSource.LABEL)
            self.audit("label_intent", ticket_id, {"from": before, "to": intent})

    def correct_intent(self, ticket_id: str, intent: str) -> None:
        """An agent's correction: the ticket's intent now, and a label the classifier learns."""
        known = set(self.taxonomy()) | {OUT_OF_SCOPE}
        if intent not in known:
            raise DeskPilotError(
                f"unknown intent '{intent}'; known intents: {', '.join(sorted(known))} "
                f"(add new ones to {self.workspace.intents_file})"
            )
        self.refuse_if_held(ticket_id)
        before = self.store.get_ticket(ticket_id).intent
        self.store.update_ticket(
            ticket_id, intent=intent, intent_confidence=1.0, intent_source=IntentSource.CORRECTION
        )
        # The hand-off decision and its reason follow the corrected intent at once; no model
        # is needed for that, so the retraining can wait for the next triage. (Imported here:
        # triage pulls in scikit-learn, which start-up does without.)
        from deskpilot.understand.triage import corrected_prediction, triage_record

        record = triage_record(
            self.store.get_ticket(ticket_id), corrected_prediction(intent), self.settings.triage
        )
        self.store.save_triages([record])
        # The model is stale now; the next triage retrains it with this label included.
        self.workspace.intent_model_path.unlink(missing_ok=True)
        self._triage = None
        self.audit("correct_intent", ticket_id, {"from": before, "to": intent})

    # --- connectors ------------------------------------------------------------------------

    @property
    def connectors(self) -> ConnectorRegistry:
        """The CRM, billing, issues, identity, notify and ticket connectors, loaded on demand."""
        if self._connectors is None:
            self._connectors = ConnectorRegistry(self.settings, self.workspace, store=self.store)
        return self._connectors

    async def aclose_connectors(self) -> None:
        """Close the connectors' and the model endpoint's HTTP clients, if any were opened."""
        if self._connectors is not None:
            await self._connectors.aclose()
            self._connectors = None
        if self._model_drafter is not None:
            await self._model_drafter.aclose()
            self._model_drafter = None
            self._model_drafter_looked_up = False

    def model_drafter(self) -> ModelDrafter | None:
        """The OpenAI-compatible endpoint's drafter, or None for the local drafter only."""
        if not self._model_drafter_looked_up:
            endpoint = configured_endpoint(self.settings.llm)
            if endpoint is not None:
                # start-up time: the OpenAI client, loaded only when there is an endpoint
                from deskpilot.copilot.model_drafter import ModelDrafter

                self._model_drafter = ModelDrafter(
                    endpoint, templates_dir=self.workspace.root / "prompts"
                )
            self._model_drafter_looked_up = True
        return self._model_drafter

    def use_local_drafter_only(self) -> None:
        """Ignore any configured endpoint (OPENAI_BASE_URL included): replays and benches."""
        self._model_drafter = None
        self._model_drafter_looked_up = True

    # --- knowledge -------------------------------------------------------------------------

    def search_knowledge(self, query: str, limit: int = 5) -> list[Hit]:
        """Articles, answered tickets and facts that match ``query``, best first."""
        return self.knowledge().search(query, limit=limit)

    def knowledge(self) -> KnowledgeIndex:
        """The workspace's search index (articles, resolved tickets, product facts)."""
        if self._knowledge is None:
            from deskpilot.knowledge import KnowledgeIndex  # start-up time: tantivy

            self._knowledge = KnowledgeIndex.open(self.workspace.index_dir)
        return self._knowledge

    def refresh_knowledge(self, progress: StageProgress | None = None) -> WorkspaceIndexReport:
        """Bring the index up to date with the articles folder, the store and the records."""
        from deskpilot.knowledge import build_workspace_index  # start-up time: tantivy

        return build_workspace_index(self.workspace, self.store, progress, index=self.knowledge())

    def rebuild_knowledge(self, progress: StageProgress | None = None) -> WorkspaceIndexReport:
        """Empty the index, then index the articles folder, the store and the records again
        (``deskpilot kb index --rebuild``)."""
        from deskpilot.knowledge import build_workspace_index  # start-up time: tantivy

        self._knowledge = None  # the emptied index is opened afresh when next searched
        return build_workspace_index(self.workspace, self.store, progress, rebuild=True)

    # --- acting on a ticket ----------------------------------------------------------------

    def send_reply(
        self,
        ticket_id: str,
        body: str,
        *,
        edit_id: str | None = None,
        keystrokes: int | None = None,
        agent: str | None = None,
        from_macro: bool = False,
    ) -> EditEvent | None:
        """Send the agent's reply; the ticket then waits on the customer (pending).

        With ``edit_id`` (the draft's edit event) the event ends as sent, as is or edited, in
        the same transaction; the sent reply then becomes an exemplar for similar tickets.
        ``agent`` names another sender than this desk's agent (the autopilot); ``from_macro``
        says the agent put a macro in place of the draft.
        """
        text = body.strip()
        if not text:
            raise DeskPilotError("the reply is empty; write or regenerate a draft first")
        sender = agent or self.agent
        reply = Message(author=Author.AGENT, body=text, author_name=sender, at=self.clock())
        event = None
        with self.store.transaction():
            claim = self._hold(ticket_id)  # in this transaction: no reply goes out twice
            ticket = self.store.get_ticket(ticket_id)
            channel = self._reply_channel(ticket)
            if channel is not None:
                # The reply's Message-ID is fixed now, with it, and never changes: every retry
                # sends the same one, which is how the channel recognises a reply it has.
                reply = reply.model_copy(update={"external_id": self._new_message_id()})
            self.store.append_message(ticket_id, reply, connector=channel or "")
            if channel is not None:
                self.channels.enqueue(outbound_reply(ticket, reply), channel, self.clock())
            self.store.update_ticket(ticket_id, status=Status.PENDING)
            self.channels.mark_read(ticket_id)
            if edit_id is not None:
                outcome = EditOutcome.REPLACED_BY_MACRO if from_macro else EditOutcome.SENT_AS_IS
                event = self.edits.finish(edit_id, outcome, text, keystrokes=keystrokes)
            params: dict[str, Any] = {"chars": len(text), "channel": channel}
            if channel is not None:
                params["message_id"] = reply.external_id
            self.audit("send", ticket_id, params, actor=sender)
            if agent is None:  # the agent who answers owns the ticket (not the autopilot)
                self._assign_if_unowned(ticket_id, via="send")
            self.store.release_claim(claim)
        self._claims.pop(ticket_id, None)
        if self.settings.feedback.learn:
            remember_sent_reply(self.knowledge(), self.store, ticket_id)
            if event is not None:
                remember_edit(self.store, event)
        return event

    # --- channels: how replies reach the customer ----------------------------------------------

    def reply_channel(self, ticket_id: str) -> str | None:
        """The connector a reply on this ticket goes out through; None when it has none (the
        reply is then kept in the thread only, and the agent is told so)."""
        return self._reply_channel(self.store.get_ticket(ticket_id))

    def _reply_channel(self, ticket: Ticket) -> str | None:
        if ticket.source:
            return ticket.source  # where the conversation lives
        if EMAIL_CONNECTOR in self.settings.connectors and ticket.customer is not None:
            return EMAIL_CONNECTOR  # an intake or imported ticket: answered by email
        return None

    def _new_message_id(self) -> str:
        address = str(self.settings.connectors.get(EMAIL_CONNECTOR, {}).get("address", ""))
        domain = address.rpartition("@")[2].strip().lower() or "localhost"
        return f"<{uuid.uuid4().hex}@deskpilot.{domain}>"

    def outbox_entry(self, key: str | int) -> OutboxEntry:
        """One reply on its way out, by its outbox number or Message-ID."""
        return self.channels.entry(key)

    def has_unread(self, ticket_id: str) -> bool:
        """The customer wrote since the agent last saw the ticket."""
        return self.channels.unread_since(ticket_id) is not None

    def pulled_yet(self, connector: str) -> bool:
        """The channel sync has pulled from ``connector`` at least once."""
        return self.channels.cursor(connector) is not None

    def deliveries(self, ticket_id: str) -> dict[str, OutboxEntry]:
        """The delivery of each reply on the ticket that went to a channel, by Message-ID."""
        return {e.message_id: e for e in self.channels.entries(ticket_id=ticket_id)}

    def outbox(
        self, *, states: frozenset[DeliveryState] | None = None, limit: int | None = 200
    ) -> list[OutboxEntry]:
        """Replies on their way out (or failed, or sent), newest first."""
        return self.channels.entries(states=states, limit=limit)

    def sync_states(self) -> list[SyncState]:
        """Each channel's last pull: when, whether it worked, how much it brought in."""
        return self.channels.sync_states()

    def outbox_counts(self) -> dict[str, dict[DeliveryState, int]]:
        """Per connector, how many replies are in each delivery state."""
        return self.channels.counts()

    def retry_reply(self, key: str | int) -> OutboxEntry:
        """Queue a failed reply (by its outbox number or Message-ID) for delivery again."""
        entry = self.channels.entry(key)
        self.refuse_if_held(entry.ticket_id)
        retried = self.channels.retry(key, self.clock())
        self.audit("retry_reply", entry.ticket_id, {"outbox": entry.id, "was": entry.last_error})
        return retried

    def ticket_sources(self) -> dict[str, TicketSource]:
        """The connectors the channel sync pulls: each configured one serving ``tickets``
        that can pull (the demo connector on a demo workspace)."""
        sources: dict[str, TicketSource] = {}
        for name in self.connectors.all_for_capability(TicketSource.capability):
            connector = self.connectors.connector(name)
            if (
                isinstance(connector, TicketSource)
                and type(connector).pull is not TicketSource.pull
            ):
                sources[name] = connector
        return sources

    def _ticket_source(self, name: str) -> TicketSource:
        connector = self.connectors.connector(name)
        if not isinstance(connector, TicketSource):
            raise ConnectorError(f"connector '{name}' does not serve tickets; it cannot deliver")
        return cast(TicketSource, connector)

    def outbox_worker(self, logger: logging.Logger | None = None) -> OutboxWorker:
        logger = logger or channel_log
        return OutboxWorker(
            self.channels, self._ticket_source, self.settings.channels, self.clock, logger
        )

    def channel_sync(self, logger: logging.Logger | None = None) -> ChannelSync:
        logger = logger or channel_log
        inbox = Inbox(
            self.store,
            self.channels,
            triage=self.triage,
            attachments_dir=self.workspace.attachments_dir,
            audit=self.audit,
            clock=self.clock,
            logger=logger,
        )
        return ChannelSync(inbox, self.channels, self.clock, logger)

    async def deliver_outbox(
        self, *, message_id: str | None = None, limit: int | None = None
    ) -> list[DeliveryOutcome]:
        """Deliver the replies that are due now, or just one (the TUI and ``deskpilot reply``
        try theirs right after sending; ``deskpilot serve`` keeps delivering the rest)."""
        return await self.outbox_worker().deliver_due(limit=limit, message_id=message_id)

    def sent_reply_id(self, ticket_id: str) -> str | None:
        """The Message-ID of the newest reply on the ticket that went to a channel."""
        entries = self.channels.entries(ticket_id=ticket_id, limit=1)
        return entries[0].message_id if entries else None

    def solve(self, ticket_id: str) -> None:
        self.set_status(ticket_id, Status.SOLVED)

    def csat_survey(self, ticket_id: str) -> CsatSurvey:
        """The solved ticket's one-click satisfaction survey (text and links), for the outbox
        to send through the ticket's channel."""
        return survey(self.store, self.settings, self.clock(), ticket_id)

    def queue_due_surveys(self) -> list[QueuedSurvey]:
        """Put the satisfaction surveys that are due into the outbox, through each ticket's
        channel (the channel service does, before delivering)."""
        channel = surveys.SurveyChannel(
            reply_channel=self._reply_channel,
            new_message_id=self._new_message_id,
            outbound_reply=outbound_reply,
            enqueue=self.channels.enqueue,
        )
        base = public_base_url(self.settings.csat, self.settings.intake)
        return surveys.queue_due(
            self.store, channel, self.settings.csat, base, audit=self.audit, now=self.clock()
        )

    def qa_model(self) -> ModelQaScorer | None:
        """The model QA scorer when an ``[llm]`` endpoint is configured, else None."""
        # Imported here for start-up time: the prompt's redaction loads its detectors.
        from deskpilot.feedback.qa_model import model_scorer

        return model_scorer(self.settings.llm)

    def answer_csat(self, token: str, score: object, comment: object = None) -> str:
        """A customer's survey answer (``deskpilot serve``, ``/csat/<token>``); returns the
        ticket id. DeskPilotError for a bad score or comment, LookupError for no such survey."""
        return answer(self.store, self.audit, self.clock, token, score, comment)

    def escalation_summary(
        self,
        ticket_id: str,
        references: Sequence[Source] = (),
        *,
        crm: CrmRecord | None = None,
        subscription: Subscription | None = None,
    ) -> str:
        """The hand-off summary a human can work from: with every action the audit trail holds
        for the ticket, and the account's key facts when the connectors gave them."""
        return handoff_summary(
            self.store.get_ticket(ticket_id),
            self.store.get_triage(ticket_id),
            references,
            actions=self.store.list_actions(ticket_id),
            crm=crm,
            subscription=subscription,
            currency=self.settings.actions.currency,
        )

    async def escalate(
        self,
        ticket_id: str,
        summary: str,
        *,
        edit_id: str | None = None,
        to: str | None = None,
        reason: str | None = None,
        holding_reply: str | None = None,
    ) -> Escalation:
        """Hand the ticket to a human team: the summary goes on it as an internal note, then to
        the team's channel when a ``notify`` connector serves this workspace. The hand-off is
        stored first and stands even if the channel cannot be reached: the result says whether
        the team was told, and the audit trail why not.

        ``to``: a team (``[team] escalation_teams``) or a teammate (``[team] members``, who is
        then assigned the ticket); ``reason``: why; ``holding_reply``: sent to the customer
        first, as any reply is. The send and the store's writes run in a thread (they block),
        the team's connector on the event loop (an async client bound to it)."""
        await asyncio.to_thread(
            self._hand_off,
            ticket_id,
            summary,
            edit_id=edit_id,
            to=(to or "").strip(),
            reason=(reason or "").strip(),
            holding_reply=holding_reply,
        )
        return await escalation.notify_team(self._action_kit(), ticket_id, summary)

    def _hand_off(
        self,
        ticket_id: str,
        summary: str,
        *,
        edit_id: str | None,
        to: str,
        reason: str,
        holding_reply: str | None,
    ) -> None:
        """The escalation in the store: the holding reply, the note, the status, the audit."""
        members = self.settings.team.members
        if to and to not in self.settings.team.escalation_teams and to not in members:
            known = ", ".join(self.settings.team.escalation_teams + members)
            raise DeskPilotError(f"no team or teammate '{to}' to escalate to; known: {known}")
        if holding_reply is not None and holding_reply.strip():
            self.send_reply(ticket_id, holding_reply)
        header = " · ".join(
            part
            for part in (f"Escalated to {to}" if to else "", reason and f"why: {reason}")
            if part
        )
        body = f"{header}\n\n{summary}" if header else summary
        note = Message(author=Author.NOTE, body=body, author_name=self.agent, at=self.clock())
        with self.store.transaction():
            claim = self._hold(ticket_id)
            self.store.append_message(ticket_id, note)
            self.store.update_ticket(ticket_id, status=Status.ESCALATED)
            before = self.store.get_ticket(ticket_id).assignee
            if to in members and before != to:
                self.store.update_ticket(ticket_id, assignee=to)
                self.audit("assign", ticket_id, {"from": before, "to": to, "via": "escalate"})
            if edit_id is not None:
                self.edits.finish(edit_id, EditOutcome.ESCALATED)
            params: dict[str, Any] = {"summary_chars": len(summary)}
            params |= {"to": to} if to else {}
            params |= {"reason": reason} if reason else {}
            self.audit("escalate", ticket_id, params)
            self.store.release_claim(claim)
        self._claims.pop(ticket_id, None)

    def add_note(self, ticket_id: str, body: str) -> None:
        text = body.strip()
        if not text:
            raise DeskPilotError("the note is empty")
        note = Message(author=Author.NOTE, body=text, author_name=self.agent, at=self.clock())
        with self.store.transaction():
            self.refuse_if_held(ticket_id)
            self.store.append_message(ticket_id, note)
            self.audit("note", ticket_id, {"chars": len(text)})

    def set_status(self, ticket_id: str, status: Status) -> None:
        with self.store.transaction():
            claim = self._hold(ticket_id)
            self.store.update_ticket(ticket_id, status=status)
            self.audit("set_status", ticket_id, {"status": status.value})
            if status in (Status.SOLVED, Status.CLOSED):  # its CSAT survey goes out later
                surveys.schedule(self.store, self.settings.csat, ticket_id, self.clock())
            self.store.release_claim(claim)
        self._claims.pop(ticket_id, None)
        # A resolved ticket becomes knowledge; a reopened one stops being it.
        from deskpilot.knowledge import upsert_ticket  # start-up time: tantivy

        upsert_ticket(self.knowledge(), self.store.get_ticket(ticket_id))

    def reopen(self, ticket_id: str) -> None:
        """A pending, escalated, solved or closed ticket back to open: the agent works it."""
        status = self.store.get_ticket(ticket_id).status
        if status in WORKABLE_STATUSES:
            raise DeskPilotError(f"{ticket_id} is already {status.value}; nothing to reopen")
        self.set_status(ticket_id, Status.OPEN)

    # --- snooze and merge ---------------------------------------------------------------------

    def snooze(self, ticket_id: str, when: str | datetime) -> datetime:
        """Take the ticket out of the views until ``when`` (a time, or words such as ``2h``,
        ``tomorrow 9:00``, ``monday``); it comes back marked then, or when the customer
        writes. Returns the time it comes back (UTC)."""
        now = self.clock()
        if isinstance(when, datetime):
            until = when.astimezone(UTC)
            if until <= now:
                raise DeskPilotError(f"{until:%Y-%m-%d %H:%M} UTC has passed; name a time ahead")
        else:
            until = snoozing.parse_when(when, now, self.team_zone())
        with self.store.transaction():
            self.refuse_if_held(ticket_id)
            snoozing.snooze(self.store, self.audit, ticket_id, until, now)
        self.release(ticket_id)  # out of the agent's hands until it comes back
        self._queue_search.invalidate()  # searches keep each ticket's wake-up time
        return until

    def read_when(self, text: str) -> datetime:
        """What a snooze time in words means now (UTC); DeskPilotError if it cannot be read."""
        return snoozing.parse_when(text, self.clock(), self.team_zone())

    def wake(self, ticket_id: str) -> bool:
        """Bring a snoozed ticket back now; False if it was not snoozed."""
        with self.store.transaction():
            woken = snoozing.wake(self.store, self.audit, ticket_id, self.clock())
        self._queue_search.invalidate()  # searches keep each ticket's wake-up time
        return woken

    def snoozed(self) -> list[tuple[str, datetime]]:
        """Tickets asleep now, and when each comes back."""
        return self.store.snoozed(self.clock())

    def team_zone(self) -> tzinfo:
        """The time zone wall-clock words ("tomorrow 9:00") mean: the business hours' zone."""
        hours = self.settings.sla.business_hours
        return ZoneInfo(hours.timezone) if hours is not None else UTC

    def duplicates(self, ticket_id: str) -> list[Duplicate]:
        """The customer's other recent tickets that read like this one (merge candidates)."""
        settings = self.settings.duplicates
        return find_duplicates(
            self.store,
            self.store.get_ticket(ticket_id),
            days=settings.days,
            min_similarity=settings.min_similarity,
        )

    def merge(self, ticket_id: str, into: str) -> MergeResult:
        """Move ``ticket_id``'s thread into ``into`` and close it with a note and a link; the
        merge is in both tickets' audit trails."""
        from deskpilot.knowledge import upsert_ticket  # start-up time: tantivy loads with it

        with self.store.transaction():
            self.refuse_if_held(ticket_id)
            self.refuse_if_held(into)
            result = merge_tickets(
                self.store, self.audit, ticket_id, into, agent=self.agent, now=self.clock()
            )
        self.release(ticket_id)
        self._queue_search.invalidate()
        for merged in (result.source, result.target):  # the knowledge reads the new threads
            upsert_ticket(self.knowledge(), self.store.get_ticket(merged))
        return result

    # --- ownership and flow ------------------------------------------------------------------
    # Who owns a ticket (its assignee) is separate from who works it right now (team mode's
    # claim): sending or taking a ticket makes it the agent's, so "Mine" lists what they
    # answered; a claim only says who has it open.

    def assign(self, ticket_id: str, agent: str, *, via: str = "assign") -> str:
        """Give the ticket to ``agent`` (``"me"``: this desk's agent); returns the assignee.
        With ``[team] members`` set, only a member (or this agent) can be given a ticket."""
        who = self.agent if agent.strip() == ME else agent.strip()
        if not who:
            raise DeskPilotError("name the agent to assign the ticket to, or 'me'")
        members = self.settings.team.members
        if members and who not in members and who != self.agent:
            raise DeskPilotError(
                f"'{who}' is not a team member; [team] members: {', '.join(members)}"
            )
        with self.store.transaction():
            self.refuse_if_held(ticket_id)
            before = self.store.get_ticket(ticket_id).assignee
            if before != who:
                self.store.update_ticket(ticket_id, assignee=who)
                self.audit("assign", ticket_id, {"from": before, "to": who, "via": via})
        return who

    def take(self, ticket_id: str) -> str:
        """The agent takes the ticket: it is theirs from now on."""
        return self.assign(ticket_id, ME, via="take")

    def next_ticket(self, view: QueueView | None = None) -> Ticket | None:
        """ "Give me the next ticket": the best one in ``view`` (most urgent, then oldest) that
        needs work, nobody has open and nobody else owns; claimed and assigned to this agent.
        None when the view has none left."""
        where = view.where if view is not None else QueueFilter(statuses=WORKABLE_STATUSES)
        statuses = where.statuses if where.statuses is not None else frozenset(Status)
        # New and open tickets wait for an agent; a view of only other statuses (escalated)
        # hands out its own.
        workable = statuses & WORKABLE_STATUSES or statuses
        mine = replace(where, statuses=workable, free_for=self.agent, ids=None)
        ticket = self.claim_next(QueueView("next", "next", self._awake_now(mine)))
        if ticket is None:
            return None
        self.assign(ticket.id, ME, via="next")
        return self.store.get_ticket(ticket.id)

    def arrived_since(self, ticket_id: str, seen: int) -> list[Message]:
        """What the customer or a teammate wrote on the ticket after the agent saw its first
        ``seen`` messages (the draft was written for those): a reply must not ignore them."""
        messages = self.store.get_ticket(ticket_id).messages[seen:]
        return [
            m
            for m in messages
            if m.author is Author.CUSTOMER
            or (m.author is Author.AGENT and m.author_name != self.agent)
        ]

    def _assign_if_unowned(self, ticket_id: str, *, via: str) -> None:
        if self.store.get_ticket(ticket_id).assignee is None:
            self.store.update_ticket(ticket_id, assignee=self.agent)
            self.audit("assign", ticket_id, {"from": None, "to": self.agent, "via": via})

    # --- edit feedback ------------------------------------------------------------------

    @property
    def edits(self) -> EditCapture:
        if self._edits is None:
            self._edits = EditCapture(self.store, lambda: self.clock())
        return self._edits

    def draft_shown(
        self, draft: Draft, draft_id: int | None = None, *, intent: str | None = None
    ) -> str:
        """The agent now sees this draft: its edit event starts; returns the event id.
        ``intent``: the ticket's, when the caller has it at hand (else it is read)."""
        if intent is None:
            intent = self.store.get_ticket(draft.ticket_id).intent
        return self.edits.begin(draft, agent=self.agent, draft_id=draft_id, intent=intent)

    def autosave_edit(self, edit_id: str, text: str, keystrokes: int) -> None:
        self.edits.autosave(edit_id, text, keystrokes)

    def end_edit(
        self,
        edit_id: str,
        outcome: EditOutcome,
        *,
        final_text: str | None = None,
        keystrokes: int | None = None,
        reason: str | None = None,
    ) -> EditEvent:
        """The draft was discarded, regenerated or replaced (sending and escalating end it
        themselves)."""
        return self.edits.finish(edit_id, outcome, final_text, keystrokes=keystrokes, reason=reason)

    def macro(self, name: str, ticket_id: str) -> str:
        """A macro's text for this ticket: {first_name}, {agent} and {ticket_id} filled in."""
        try:
            template = self.settings.macros[name]
        except KeyError:
            known = ", ".join(sorted(self.settings.macros)) or "none configured"
            raise DeskPilotError(f"no macro '{name}' ([macros] in config.toml: {known})") from None
        ticket = self.store.get_ticket(ticket_id)
        name_parts = (
            ticket.customer.name.split() if ticket.customer and ticket.customer.name else []
        )
        values = {
            "first_name": name_parts[0] if name_parts else "there",
            "agent": self.agent,
            "ticket_id": ticket_id,
        }
        try:
            return template.format_map(values)
        except (KeyError, ValueError, IndexError) as error:
            placeholders = "{first_name}, {agent} or {ticket_id}, and {{ }} for literal braces"
            raise DeskPilotError(
                f"macro '{name}': {error!s} is not a placeholder; use " + placeholders
            ) from None

    def draft_plan(self, ticket: Ticket) -> DraftPlan:
        """Whether opening ``ticket`` wants a fresh draft, this agent's unsent edit back, or
        nothing (the desk answered last; the co-pilot is off for the intent)."""
        if ticket.public_thread and not ticket.awaits_reply:
            return NO_DRAFT  # no need to look for an unsent edit
        return draft_plan(ticket, self.settings.automation, self.unsent_edit(ticket.id))

    def reason_heading(self, event: EditEvent | None) -> str | None:
        """After a send: the question asking the agent why they rewrote the draft, or None when
        they changed too little of it to ask (``[feedback] ask_reason_below``)."""
        return reason_heading(event, self.settings.feedback.ask_reason_below)

    def give_edit_reason(self, edit_id: str, reason: str) -> None:
        self.edits.set_reason(edit_id, reason)

    def unsent_edit(self, ticket_id: str) -> EditEvent | None:
        return self.edits.unsent(ticket_id, self.agent)

    # --- actions through the connectors ----------------------------------------------------
    # Each is audited before and after (``deskpilot.actions``); the desk hands them what they
    # work with, with its own claim-checked note and clock.

    def _action_kit(self) -> ActionKit:
        return ActionKit(
            store=self.store,
            connectors=self.connectors,
            audit=self.audit,
            add_note=self.add_note,
            agent=self.agent,
            settings=self.settings.actions,
            clock=self.clock,
        )

    async def reset_password(self, ticket_id: str) -> PasswordResetResult:
        return await account.reset_password(self._action_kit(), ticket_id)

    async def unlock_account(self, ticket_id: str) -> AccountUnlockResult:
        return await account.unlock_account(self._action_kit(), ticket_id)

    async def customer_invoices(self, ticket_id: str) -> list[Invoice]:
        return await refunds.customer_invoices(self._action_kit(), ticket_id)

    def named_invoice(self, ticket_id: str, invoices: list[Invoice]) -> str | None:
        """The invoice the ticket's customer named most recently, to start a refund on."""
        return named_invoice(self.ticket(ticket_id), invoices)

    async def refund(
        self,
        ticket_id: str,
        invoice_id: str,
        amount: float,
        reason: str,
        *,
        confirm_after: str = "",
    ) -> RefundResult:
        """Refund once, within the limits, audited as it goes (see ``actions.refunds.refund``)."""
        return await refunds.refund(
            self._action_kit(), ticket_id, invoice_id, amount, reason, confirm_after=confirm_after
        )

    def earlier_refunds(self, invoice_id: str) -> list[EarlierRefund]:
        return refunds.earlier_refunds(self._action_kit(), invoice_id)

    def refunded_today(self) -> float:
        return refunds.refunded_today(self._action_kit())

    def refunded_total(self, invoice_id: str | None = None) -> float:
        return refunds.refunded_total(self._action_kit(), invoice_id)

    async def account_settings(self) -> tuple[list[str], list[Plan]]:
        return await account_changes.account_settings(self._action_kit())

    async def preview_setting(self, ticket_id: str, setting: str, value: str) -> SettingPreview:
        return await account_changes.preview_setting(self._action_kit(), ticket_id, setting, value)

    async def update_setting(self, preview: SettingPreview) -> SettingChanged:
        return await account_changes.update_setting(self._action_kit(), preview)

    async def preview_cancellation(
        self, ticket_id: str, *, at_period_end: bool
    ) -> CancellationPreview:
        return await account.preview_cancellation(
            self._action_kit(), ticket_id, at_period_end=at_period_end
        )

    async def cancel_subscription(
        self, ticket_id: str, preview: CancellationPreview
    ) -> SubscriptionCanceled:
        return await account.cancel_subscription(self._action_kit(), ticket_id, preview)

    def linked_bugs(self, ticket_id: str) -> list[str]:
        return status_lookup.linked_bugs(self._action_kit(), ticket_id)

    async def look_up_status(self, ticket_id: str) -> StatusReport:
        return await status_lookup.look_up_status(self._action_kit(), ticket_id)

    async def similar_bugs(self, ticket_id: str) -> list[BugMatch]:
        return await bugs.similar_bugs(self._action_kit(), ticket_id)

    async def create_bug(self, ticket_id: str, title: str, description: str) -> BugCreated:
        return await bugs.create_bug(self._action_kit(), ticket_id, title, description)

    def link_bug(self, ticket_id: str, bug_id: str, title: str) -> None:
        bugs.link_bug(self._action_kit(), ticket_id, bug_id, title)

    def bug_description(self, ticket_id: str) -> str:
        return bugs.bug_description(self._action_kit(), ticket_id)

    def holding_reply(self, ticket_id: str, team: str = "the right team") -> str:
        """A short reply telling the customer a human team takes over (sent on escalating)."""
        return holding_reply(self.ticket(ticket_id), team, self.agent)

    # --- drafting ----------------------------------------------------------------------------

    def _draft_kit(self) -> DraftKit:
        return DraftKit(
            store=self.store,
            connectors=self.connectors,
            knowledge=self.knowledge,
            model_drafter=self.model_drafter,
            settings=self.settings,
            agent=self.agent,
            clock=self.clock,
            articles_dir=self.workspace.articles_dir,
        )

    def prepare_drafting(self) -> None:
        """Load the drafting code (the model endpoint's client, the drafters) ahead of the
        first draft. The desk imports it on first use, for the CLI's start-up time; the TUI
        calls this as it starts, so its first draft does not wait for the import."""
        importlib.import_module("deskpilot.copilot.service")

    async def draft_reply(
        self,
        ticket_id: str,
        on_chunk: OnChunk | Listener | None = None,
        *,
        local_after: float | None = None,
    ) -> DraftOutcome:
        """The co-pilot's draft for the ticket: context from the store, the connectors and the
        index, written by the model endpoint (else the local drafter), streamed to
        ``on_chunk`` as it comes, and kept (see ``copilot.service.draft_reply``)."""
        from deskpilot.copilot import service  # start-up time: the model endpoint's client

        after = service.LOCAL_DRAFT_AFTER if local_after is None else local_after
        return await service.draft_reply(self._draft_kit(), ticket_id, on_chunk, local_after=after)

    async def draft_context(self, ticket_id: str) -> DraftContext:
        """Everything known about the ticket that a draft may use, each fact with its source:
        the store, the connectors (concurrently; a failing one noted in ``problems``) and the
        index."""
        from deskpilot.copilot.assemble import assemble  # start-up time: the drafters

        return await assemble(self._draft_kit(), ticket_id)

    def triage_record(self, ticket_id: str) -> TriageRecord | None:
        """The ticket's last triage: intent, confidence, hand-off decision and its reason."""
        return self.store.get_triage(ticket_id)

    # --- learning, quality and statistics ------------------------------------------------------

    def learn(self) -> LearnReport:
        """Everything the feedback loop learns, at once (``deskpilot learn``)."""

        def retrain_if_stale() -> bool:
            if self.workspace.intent_model_path.exists():
                return False
            self.retrain_intents()
            return True

        return learn_now(self.knowledge(), self.store, retrain_if_stale)

    def score_solved(self) -> int:
        """QA-score every solved ticket not scored since it last changed; returns how many
        (and, with an [llm] endpoint, a few more are scored by the model)."""
        from deskpilot.feedback.qa import score_solved  # start-up time: the claim checks

        return score_solved(self.store, self.settings, self.clock(), self.qa_model())

    def qa_scores(self) -> list[QaScore]:
        return self.store.qa_scores()

    def team_report(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> TeamReport:
        """The lead's figures, reports and signals over one period (the CLI, the stats screen)."""
        from deskpilot.feedback.report import team_report  # start-up time: statistics

        return team_report(self.store, self.settings, self.clock(), since, until)

    def count_by_status(self) -> dict[Status, int]:
        return self.store.count_by_status()

    def count_tickets(
        self,
        *,
        statuses: frozenset[Status] | None = OPEN_STATUSES,
        intent: str | None = None,
        awake_only: bool = False,
    ) -> int:
        """How many tickets ``queue`` would list without a limit."""
        return self.store.count_tickets(
            self.queue_filter(statuses=statuses, intent=intent, awake_only=awake_only)
        )

    @property
    def schema_version(self) -> int:
        return self.store.schema_version

    def demo_description(self) -> str | None:
        """How the demo in this workspace was built; None when it is no demo."""
        return demo_description(self.store)

    async def export_crm_records(self) -> dict[str, CrmRecord]:
        """The CRM records of the customers whose conversations a training export holds."""
        from deskpilot.feedback.export import export_crm_records  # start-up time: redaction

        return await export_crm_records(self.connectors.crm, self.store)

    def export_training(
        self,
        path: Path,
        kind: ExportFormat,
        progress: Progress | None = None,
        *,
        crm_records: dict[str, CrmRecord] | None = None,
    ) -> int:
        """Fine-tuning examples from the team's sent replies, redacted; returns how many."""
        from deskpilot.feedback.export import export_training  # start-up time: redaction

        return export_training(
            self.store, path, kind, progress, crm_records=crm_records, staff=[self.agent]
        )

    # --- meta and units of work ----------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """One unit of work: what the calls inside change is kept all together or not at all."""
        return self.store.transaction()

    def remember(self, key: str, value: str) -> None:
        """Keep a value under ``key`` in the workspace (not on a ticket; the widget's tokens)."""
        self.store.set_meta(key, value)

    def recall(self, key: str) -> str | None:
        return self.store.get_meta(key)

    # --- the autopilot -------------------------------------------------------------------------
    # Graduated autonomy (``feedback.autopilot``): the evidence is judged below the desk; what
    # the autopilot does to a ticket goes through the desk's audited operations.

    # The autopilot's modules are imported where used, for start-up time: the draft claim
    # checks compile many patterns, and an agent's desk seldom runs the autopilot.

    def autopilot_status(self) -> list[IntentAutonomy]:
        """Every intent's level and evidence; demotes (audited) intents whose auto-sends went
        wrong."""
        from deskpilot.feedback import autopilot

        return autopilot.status(self.store, self.settings, self.taxonomy(), self.audit)

    def reset_autopilot(self, intent: str) -> bool:
        """A lead lifts a demotion; returns whether there was one."""
        from deskpilot.feedback import autopilot

        return autopilot.reset(self.store, self.audit, self.clock(), intent)

    async def run_autopilot(self) -> Run:
        """Auto-send every waiting ticket whose intent qualifies and whose draft passes the
        claim check; hold the others for a human (see ``feedback.autopilot``)."""
        from deskpilot.copilot.action_claims import review_draft
        from deskpilot.feedback import autopilot
        from deskpilot.feedback.stats import AUTOPILOT

        qualifying = {a.intent for a in self.autopilot_status() if a.qualifies}
        if not qualifying:
            return autopilot.Run([], [])
        settings = self.settings.automation
        sent: list[str] = []
        held: list[tuple[str, list[str]]] = []
        # A snoozed ticket waits for the agent who snoozed it, not for the autopilot.
        for summary in self.queue(statuses=WORKABLE_STATUSES, limit=None, awake_only=True):
            if summary.intent not in qualifying:
                continue
            triage = self.triage_record(summary.id)
            if triage is None or triage.handoff or triage.confidence < settings.min_confidence:
                continue
            ticket = self.ticket(summary.id)
            if not ticket.awaits_reply:
                continue
            holds = self.store.list_actions(ticket.id, action=autopilot.HOLD_ACTION)
            if autopilot.held_since(holds, ticket.public_thread[-1].at):
                continue  # already waiting for a human since the customer last wrote
            outcome = await self.draft_reply(summary.id)
            if outcome.draft.handoff_reason:
                continue
            if outcome.draft.confidence < settings.min_draft_confidence:
                continue  # the draft does not answer enough of the question: a human writes it
            findings = review_draft(outcome.draft.text, self.store.list_actions(summary.id))
            if findings:
                try:
                    self._hold_for_review(ticket, outcome.draft_id, findings)
                except ClaimError:
                    continue  # an agent opened it meanwhile: theirs to answer
                held.append((summary.id, [f.reason for f in findings]))
                continue
            edit_id = self.edits.begin(
                outcome.draft, agent=AUTOPILOT, draft_id=outcome.draft_id, intent=summary.intent
            )
            try:
                self.send_reply(summary.id, outcome.draft.text, edit_id=edit_id, agent=AUTOPILOT)
            except ClaimError:
                continue  # an agent opened it meanwhile (team mode): theirs to answer
            if autopilot.sampled(summary.id, settings.review_share):
                self.add_tag(summary.id, autopilot.REVIEW_TAG, actor=AUTOPILOT)
            sent.append(summary.id)
        return autopilot.Run(sent, held)

    def _hold_for_review(
        self, ticket: Ticket, draft_id: int | None, findings: list[Finding]
    ) -> None:
        """Leave the ticket to a human, saying why: a tag for the queue, an internal note on
        the ticket and the audit trail, in one transaction."""
        from deskpilot.feedback import autopilot
        from deskpilot.feedback.stats import AUTOPILOT

        note = autopilot.hold_note(findings, self.clock())
        with self.store.transaction():
            self.refuse_if_held(ticket.id)
            self.store.append_message(ticket.id, note)
            self._tag(ticket.id, autopilot.HELD_TAG)
            self.audit(
                autopilot.HOLD_ACTION,
                ticket.id,
                autopilot.hold_params(draft_id, findings),
                result="held for review",
                actor=AUTOPILOT,
            )

    def add_tag(self, ticket_id: str, tag: str, *, actor: str | None = None) -> None:
        """Tag the ticket (once), audited."""
        with self.store.transaction():
            if self._tag(ticket_id, tag):
                self.audit("tag", ticket_id, {"tag": tag}, actor=actor)

    def _tag(self, ticket_id: str, tag: str) -> bool:
        tags = self.store.get_ticket(ticket_id).tags
        if tag in tags:
            return False
        self.store.update_ticket(ticket_id, tags=[*tags, tag])
        return True

    # --- team mode: claims -------------------------------------------------------------------
    # One agent works a ticket at a time: opening it claims it for a lease (``[team]``) that the
    # desk renews while the agent works; sending, escalating or closing releases it, and checks
    # in the same transaction that this desk still holds it.

    def claim(self, ticket_id: str) -> Claim:
        """Take the ticket (opening it does); ClaimError while another agent holds it."""
        claim = self.store.claim(
            ticket_id, self.agent, lease=self.settings.team.lease, now=self.clock()
        )
        self._claims[ticket_id] = claim
        self._lost.pop(ticket_id, None)
        return claim

    def claim_next(self, view: QueueView | None = None) -> Ticket | None:
        """ "Give me the next ticket": the first new or open one in queue order (or in
        ``view``'s filter) that nobody holds, claimed for this agent; None when none is left."""
        now = self.clock()
        # Snoozed tickets are not handed out until they come back.
        where = view.where if view else QueueFilter(statuses=WORKABLE_STATUSES)
        claim = self.store.claim_next(
            self.agent,
            lease=self.settings.team.lease,
            where=replace(where, awake_at=now),
            now=now,
        )
        if claim is None:
            return None
        self._claims[claim.ticket_id] = claim
        return self.store.get_ticket(claim.ticket_id)

    def renew_claims(self) -> list[str]:
        """Extend the lease on every ticket this desk holds; returns the ones it lost."""
        lost = []
        for ticket_id, claim in list(self._claims.items()):
            try:
                self._claims[ticket_id] = self.store.renew_claim(
                    claim, lease=self.settings.team.lease, now=self.clock()
                )
            except ClaimError:
                self._lost[ticket_id] = self._claims.pop(ticket_id)
                lost.append(ticket_id)
        return lost

    def release(self, ticket_id: str) -> None:
        """Let go of a ticket the agent leaves without finishing it."""
        self._lost.pop(ticket_id, None)
        claim = self._claims.pop(ticket_id, None)
        if claim is not None:
            self.store.release_claim(claim)

    def release_all(self) -> None:
        """Let go of everything this desk holds (closing the desk does). Best effort: with the
        database unreachable the leases simply run out."""
        for ticket_id in list(self._claims):
            try:
                self.release(ticket_id)
            except Exception:  # any driver error: the lease lapses anyway
                self._claims.pop(ticket_id, None)

    def holds(self, ticket_id: str) -> bool:
        return ticket_id in self._claims

    def handled_by(self, ticket_id: str) -> str | None:
        """The other agent working this ticket now; None if it is free or this agent's."""
        claim = self.store.claim_holder(ticket_id, now=self.clock())
        return claim.agent if claim is not None and claim.agent != self.agent else None

    def refuse_if_held(self, ticket_id: str) -> None:
        """ClaimError if another agent is working the ticket."""
        claim = self.store.claim_holder(ticket_id, now=self.clock())
        if claim is not None and claim.agent != self.agent:
            raise ClaimError(
                f"{ticket_id} is being handled by {claim.agent}; leave it to them or ask them",
                ticket_id,
                claim.agent,
            )

    def _hold(self, ticket_id: str) -> Claim:
        """Inside the acting transaction: this desk's claim, checked to still hold the ticket,
        or a new claim (a CLI or script acting on a ticket it never opened). A claim that was
        taken over stays lost until the agent reopens the ticket (``claim``): pressing send
        again must not send on a ticket someone else has answered meanwhile."""
        held = self._claims.get(ticket_id) or self._lost.get(ticket_id)
        if held is None:
            return self.claim(ticket_id)
        try:
            self.store.check_claim(held)
        except ClaimError:
            self._claims.pop(ticket_id, None)
            self._lost[ticket_id] = held
            raise
        return held

    def audit(
        self,
        action: str,
        ticket_id: str | None,
        params: dict[str, Any],
        *,
        ok: bool = True,
        result: str = "",
        actor: str | None = None,
    ) -> ActionRecord:
        return self.store.record_action(
            ActionRecord(
                ticket_id=ticket_id,
                actor=actor or self.agent,
                action=action,
                params=params,
                ok=ok,
                result=result,
                at=self.clock(),
            )
        )


def outbound_reply(ticket: Ticket, reply: Message) -> OutboundReply:
    """The reply as its channel gets it: to the customer, answering their last message, with
    the thread's ids for threading."""
    thread_ids = [m.external_id for m in ticket.public_thread if m.external_id]
    last_customer = next(
        (m for m in reversed(ticket.messages) if m.author is Author.CUSTOMER and m.external_id),
        None,
    )
    customer = ticket.customer
    return OutboundReply(
        ticket_id=ticket.id,
        ticket_external_id=ticket.external_id,
        message_id=reply.external_id,
        subject=ticket.subject,
        to_email=customer.email if customer else "",
        to_name=customer.name if customer else "",
        body=reply.body,
        author_name=reply.author_name,
        in_reply_to=last_customer.external_id if last_customer else "",
        references=thread_ids,
    )
