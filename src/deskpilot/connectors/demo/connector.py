"""The demo connector: every capability but orders, served offline from the workspace's records.

It is what a demo workspace uses without any configuration, and the reference implementation
the contract tests run against. Nothing it does leaves the machine: actions are written to the
records folder (refunds.json, bugs.json, account_changes.json, outbox.jsonl).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from deskpilot.connectors.base import Connector, ConnectorConfig, ConnectorContext
from deskpilot.connectors.bugmatch import rank_bugs
from deskpilot.connectors.capabilities import Billing, Crm, Identity, Issues, Notify, TicketSource
from deskpilot.connectors.demo.records import DemoRecords
from deskpilot.connectors.models import (
    AccountSetting,
    AccountUnlockResult,
    BugCreated,
    BugMatch,
    BugQuery,
    Delivered,
    Handoff,
    HandoffPosted,
    NewBug,
    OutboundReply,
    PasswordResetResult,
    Pulled,
    RefundResult,
    ReplyPosted,
    SettingChanged,
    StatusUpdated,
    SubscriptionCanceled,
    TeamMessage,
)
from deskpilot.errors import ConfigError
from deskpilot.models import (
    Bug,
    CrmRecord,
    Customer,
    Invoice,
    Plan,
    PlanChange,
    Status,
    Subscription,
    Ticket,
)


class DemoConfig(ConnectorConfig):
    records_dir: Path | None = None  # default: the workspace's records/ folder
    handoff_channel: str = "#support-handoffs"


class DemoConnector(Connector[DemoConfig], Crm, Billing, Issues, Identity, Notify, TicketSource):
    config_model: ClassVar[type[ConnectorConfig]] = DemoConfig
    title: ClassVar[str] = "Demo records in the workspace (offline; actions go to records/)"

    def __init__(self, config: DemoConfig, context: ConnectorContext) -> None:
        super().__init__(config, context)
        self.records = DemoRecords(_records_dir(config, context))

    async def check(self) -> str:
        return await asyncio.to_thread(self.records.summary)

    # --- crm -------------------------------------------------------------------------------

    async def customer_by_email(self, email: str) -> Customer | None:
        return await asyncio.to_thread(self.records.customer_by_email, email)

    async def customer_by_id(self, customer_id: str) -> Customer | None:
        return await asyncio.to_thread(self.records.customer, customer_id)

    async def record(self, customer_id: str) -> CrmRecord | None:
        return await asyncio.to_thread(self.records.crm_record, customer_id)

    # --- billing ---------------------------------------------------------------------------

    async def subscription(self, customer_id: str) -> Subscription | None:
        return await asyncio.to_thread(self.records.subscription, customer_id)

    async def invoices(self, customer_id: str, limit: int = 12) -> list[Invoice]:
        mine = await asyncio.to_thread(self.records.customer_invoices, customer_id)
        mine.sort(key=lambda i: (i.issued, i.id), reverse=True)
        return mine[:limit]

    async def invoice(self, invoice_id: str) -> Invoice | None:
        return await asyncio.to_thread(self.records.invoice, invoice_id)

    async def plans(self) -> list[Plan]:
        return await asyncio.to_thread(self.records.plans)

    async def plan_changes(self, customer_id: str) -> list[PlanChange]:
        changes = await asyncio.to_thread(self.records.customer_plan_changes, customer_id)
        return sorted(changes, key=lambda c: c.at)

    async def refund(
        self, invoice_id: str, amount: float, reason: str, idempotency_key: str
    ) -> RefundResult:
        return await asyncio.to_thread(
            self.records.refund, invoice_id, amount, reason, idempotency_key
        )

    async def find_refund(self, invoice_id: str, idempotency_key: str) -> RefundResult | None:
        refunds = await asyncio.to_thread(self.records.refunds)
        return next(
            (
                r
                for r in refunds
                if r.invoice_id == invoice_id and r.idempotency_key == idempotency_key
            ),
            None,
        )

    async def billing_email(self, customer_id: str) -> str | None:
        return await asyncio.to_thread(self.records.billing_email, customer_id)

    async def change_billing_email(
        self, customer_id: str, email: str, idempotency_key: str
    ) -> SettingChanged:
        return await self._change(customer_id, "billing_email", email, idempotency_key)

    async def change_plan(
        self, customer_id: str, plan_id: str, idempotency_key: str
    ) -> SettingChanged:
        return await self._change(customer_id, "plan", plan_id, idempotency_key)

    async def change_seats(
        self, customer_id: str, seats: int, idempotency_key: str
    ) -> SettingChanged:
        return await self._change(customer_id, "seats", str(seats), idempotency_key)

    async def cancel_subscription(
        self, customer_id: str, *, at_period_end: bool, idempotency_key: str
    ) -> SubscriptionCanceled:
        done = await asyncio.to_thread(self.records.cancellations)
        earlier = next((c for c in done if c.idempotency_key == idempotency_key), None)
        if earlier is not None:
            return earlier.model_copy(update={"replayed": True})
        today = self.records.clock().date()
        preview = await self.preview_cancellation(
            customer_id, at_period_end=at_period_end, today=today
        )
        return await asyncio.to_thread(self.records.cancel_subscription, preview, idempotency_key)

    async def _change(
        self, customer_id: str, setting: AccountSetting, value: str, key: str
    ) -> SettingChanged:
        return await asyncio.to_thread(
            self.records.change_setting, customer_id, setting, value, key
        )

    # --- issues ----------------------------------------------------------------------------

    async def search_bugs(self, query: BugQuery, limit: int = 5) -> list[BugMatch]:
        bugs = await asyncio.to_thread(self.records.bugs)
        return await asyncio.to_thread(rank_bugs, bugs, query, limit)

    async def bug(self, bug_id: str) -> Bug | None:
        bugs = await asyncio.to_thread(self.records.bugs)
        return next((b for b in bugs if b.id == bug_id), None)

    async def create_bug(self, new: NewBug) -> BugCreated:
        bug = await asyncio.to_thread(self.records.add_bug, new)
        # What a tracker would keep beyond the Bug record goes to the outbox.
        details = {"bug_id": bug.id, "description": new.description, "ticket_ids": new.ticket_ids}
        await asyncio.to_thread(self.records.record_outgoing, "bug_filed", details)
        return BugCreated(bug=bug)

    # --- identity --------------------------------------------------------------------------

    async def send_password_reset(self, email: str) -> PasswordResetResult:
        customer = await self.customer_by_email(email)
        if customer is None:
            return PasswordResetResult(email=email, sent=False, detail="no account with that email")
        reference = await self._outgoing("password_reset", email=customer.email)
        return PasswordResetResult(email=customer.email, sent=True, reference=reference)

    async def unlock_account(self, email: str) -> AccountUnlockResult:
        customer = await self.customer_by_email(email)
        if customer is None:
            return AccountUnlockResult(
                email=email, unlocked=False, detail="no account with that email"
            )
        reference = await self._outgoing("account_unlock", email=customer.email)
        return AccountUnlockResult(email=customer.email, unlocked=True, reference=reference)

    # --- notify ----------------------------------------------------------------------------

    async def post_handoff(self, handoff: Handoff) -> HandoffPosted:
        channel = handoff.channel or self.config.handoff_channel
        payload = handoff.model_dump(mode="json") | {"channel": channel}
        reference = await self._outgoing("handoff", **payload)
        return HandoffPosted(channel=channel, reference=reference)

    async def search_messages(self, query: str, limit: int = 5) -> list[TeamMessage]:
        """The hand-offs posted so far (the outbox is the demo's team channel) that name the
        query: a customer's email or a ticket id, as a chat search would find them."""
        wanted = query.strip().lower()
        if not wanted or limit <= 0:
            return []
        rows = await asyncio.to_thread(self.records.outbox)
        found = [_team_message(row) for row in rows if _mentions(row, wanted)]
        found.sort(key=lambda message: message.at, reverse=True)
        return found[:limit]

    # --- tickets ---------------------------------------------------------------------------

    async def pull_new(self, since: datetime | None = None) -> list[Ticket]:
        return []  # the demo's tickets are already in the store; no source delivers new ones

    async def post_reply(self, ticket_id: str, body: str, author_name: str = "") -> ReplyPosted:
        reference = await self._outgoing(
            "reply", ticket_id=ticket_id, body=body, author=author_name
        )
        return ReplyPosted(ticket_id=ticket_id, reference=reference)

    # The demo's channel: customers' messages wait in records/inbox.jsonl (the demo puts a
    # follow-up there), and delivered replies land in outbox.jsonl like everything it "sends".

    async def pull(self, cursor: str | None) -> Pulled:
        """The inbox's messages after ``cursor`` (how many lines were read before)."""
        start = int(cursor) if cursor and cursor.isdigit() else 0
        messages = await asyncio.to_thread(self.records.inbox)
        return Pulled(messages=messages[start:], cursor=str(len(messages)))

    async def deliver(self, reply: OutboundReply) -> Delivered:
        reference = await self._outgoing(
            "reply",
            ticket_id=reply.ticket_id,
            message_id=reply.message_id,
            to=reply.to_email,
            subject=reply.subject,
            body=reply.body,
            author=reply.author_name,
            in_reply_to=reply.in_reply_to,
        )
        return Delivered(message_id=reply.message_id, external_id=reference)

    async def find_delivered(self, reply: OutboundReply) -> Delivered | None:
        rows = await asyncio.to_thread(self.records.outbox)
        for row in rows:
            if row.get("kind") == "reply" and row.get("message_id") == reply.message_id:
                at = datetime.fromisoformat(str(row["at"]))
                return Delivered(message_id=reply.message_id, external_id=row["id"], at=at)
        return None

    async def set_status(self, ticket_id: str, status: Status) -> StatusUpdated:
        reference = await self._outgoing("status", ticket_id=ticket_id, status=status.value)
        return StatusUpdated(ticket_id=ticket_id, status=status, reference=reference)

    async def _outgoing(self, kind: str, **payload: object) -> str:
        return await asyncio.to_thread(self.records.record_outgoing, kind, dict(payload))


def _mentions(row: dict[str, Any], wanted: str) -> bool:
    if row.get("kind") != "handoff":
        return False
    fields = ("customer_email", "ticket_id", "summary", "reason")
    return any(wanted in str(row.get(field) or "").lower() for field in fields)


def _team_message(row: dict[str, Any]) -> TeamMessage:
    summary = next((line for line in str(row.get("summary") or "").splitlines() if line), "")
    why = f" ({row['reason']})" if row.get("reason") else ""
    return TeamMessage(
        channel=str(row.get("channel") or ""),
        text=f"Hand-off of {row.get('ticket_id')}{why}: {summary.lstrip('# ')}",
        at=datetime.fromisoformat(str(row["at"])),
        author=str(row.get("agent") or ""),
    )


def _records_dir(config: DemoConfig, context: ConnectorContext) -> Path:
    workspace = context.workspace
    if config.records_dir is None:
        if workspace is None:
            raise ConfigError(
                f"[connectors.{context.name}] 'records_dir': needed when there is no workspace"
            )
        return workspace.records_dir
    folder = config.records_dir.expanduser()
    if folder.is_absolute() or workspace is None:
        return folder
    return workspace.root / folder  # relative to the workspace, wherever the desk was started
