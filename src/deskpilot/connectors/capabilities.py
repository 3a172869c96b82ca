"""One ABC per capability: the async methods the desk calls on a connector that serves it.

Abstract methods are what the capability means; the others are optional. Optional reads return
nothing by default, optional writes raise ``NotSupportedError``, so the desk can tell "no data"
from "cannot do that here" and offer only the actions a connector supports.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date, datetime
from typing import ClassVar, NoReturn

from deskpilot.connectors.base import Capability, ConnectorContext
from deskpilot.connectors.errors import ConnectorError, NotSupportedError
from deskpilot.connectors.models import (
    AccountUnlockResult,
    BugCreated,
    BugMatch,
    BugQuery,
    CancellationPreview,
    CustomerHistory,
    Delivered,
    Handoff,
    HandoffPosted,
    NewBug,
    Order,
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
from deskpilot.models import (
    Bug,
    CrmNote,
    CrmRecord,
    Customer,
    Invoice,
    Plan,
    PlanChange,
    Status,
    Subscription,
    Ticket,
)


class _Capability(Capability):
    context: ConnectorContext  # set by Connector.__init__; declared so the mixins type-check

    def _not_supported(self, operation: str) -> NoReturn:
        raise NotSupportedError(self.context.name, operation)


class Crm(_Capability):
    """Who the customer is: their record, account notes and past tickets."""

    capability: ClassVar[str] = "crm"

    @abstractmethod
    async def customer_by_email(self, email: str) -> Customer | None: ...

    @abstractmethod
    async def customer_by_id(self, customer_id: str) -> Customer | None: ...

    @abstractmethod
    async def record(self, customer_id: str) -> CrmRecord | None:
        """The account record (company, tier, owner, seats, value, notes)."""

    async def crm_customer_id(self, customer: Customer) -> str | None:
        """The id this CRM knows the desk's customer by, or None when it has no such customer.

        The desk's own customer ids mean nothing to another system (and might name someone
        else there), so by default the customer is found by email."""
        found = await self.customer_by_email(customer.email)
        return found.id if found else None

    async def notes(self, customer_id: str) -> list[CrmNote]:
        """Account notes, oldest first."""
        found = await self.record(customer_id)
        return list(found.notes) if found else []

    async def history(self, customer_id: str, limit: int = 20) -> CustomerHistory:
        """Past tickets, newest first: by default the desk's own ticket store."""
        source = self.context.ticket_history
        tickets = source(customer_id, limit) if source else []
        return CustomerHistory(customer_id=customer_id, tickets=tickets)


class Billing(_Capability):
    """What the customer pays: subscription, invoices with their lines, plan changes, refunds."""

    capability: ClassVar[str] = "billing"

    @abstractmethod
    async def subscription(self, customer_id: str) -> Subscription | None: ...

    @abstractmethod
    async def invoices(self, customer_id: str, limit: int = 12) -> list[Invoice]:
        """The customer's invoices with their lines, newest first."""

    @abstractmethod
    async def invoice(self, invoice_id: str) -> Invoice | None: ...

    async def billing_customer_id(self, customer: Customer) -> str | None:
        """The id this billing system knows the desk's customer by, or None when it has none.

        By default the desk's own id (a billing system keyed by DeskPilot's customers, like the
        demo records); a system with its own ids finds the customer by email (Stripe does)."""
        return customer.id

    async def plans(self) -> list[Plan]:
        return []

    async def plan(self, plan_id: str) -> Plan | None:
        return next((p for p in await self.plans() if p.id == plan_id), None)

    async def plan_changes(self, customer_id: str) -> list[PlanChange]:
        """Upgrades and downgrades, oldest first (they explain prorated invoice lines)."""
        return []

    async def refund(
        self, invoice_id: str, amount: float, reason: str, idempotency_key: str
    ) -> RefundResult:
        """Refund ``amount`` of an invoice. The same ``idempotency_key`` again must return the
        first refund (``replayed=True``) and never refund twice; reusing a key for a different
        refund is an error."""
        self._not_supported("refunds")

    async def find_refund(self, invoice_id: str, idempotency_key: str) -> RefundResult | None:
        """The refund made on the invoice with ``idempotency_key``, or None when there is none.
        The desk asks when a refund's answer was lost (a 5xx, a timeout, a dropped connection)
        to learn whether the money moved before it reports or retries. A connector that cannot
        tell leaves the outcome unknown, and the desk counts it against the limits."""
        self._not_supported("looking up refunds")

    # Account settings: the desk previews a change with the reads below, then applies it with
    # one of the changes; it offers only the settings whose ``change_*`` a connector overrides
    # (see ``updatable_settings``).

    async def billing_email(self, customer_id: str) -> str | None:
        """Where invoices go; None when this system does not say."""
        return None

    async def change_billing_email(
        self, customer_id: str, email: str, idempotency_key: str
    ) -> SettingChanged:
        self._not_supported("changing the billing email")

    async def change_plan(
        self, customer_id: str, plan_id: str, idempotency_key: str
    ) -> SettingChanged:
        """Move the subscription to ``plan_id`` now, prorated as the system does by default."""
        self._not_supported("changing plans")

    async def change_seats(
        self, customer_id: str, seats: int, idempotency_key: str
    ) -> SettingChanged:
        """Set the subscription's seat count (its quantity), prorated."""
        self._not_supported("changing seats")

    # Cancellation: the desk previews with ``preview_cancellation`` (by default worked out from
    # the subscription and its plan), then cancels with ``cancel_subscription``.

    async def preview_cancellation(
        self, customer_id: str, *, at_period_end: bool, today: date
    ) -> CancellationPreview:
        """When the subscription would end and, ending ``today``, the credit for the unused
        part of the paid period (the plan's price for the days left, to the cent)."""
        subscription = await self.subscription(customer_id)
        if subscription is None or subscription.status == "canceled":
            raise ConnectorError(f"customer '{customer_id}' has no subscription to cancel")
        if at_period_end:
            return CancellationPreview(
                customer_id=customer_id,
                plan_id=subscription.plan_id,
                at_period_end=True,
                ends_on=subscription.cycle_end,
            )
        plan = await self.plan(subscription.plan_id)
        period = max(1, (subscription.cycle_end - subscription.cycle_start).days)
        left = min(period, max(0, (subscription.cycle_end - today).days))
        credit = round(plan.monthly_price * left / period, 2) if plan else 0.0
        return CancellationPreview(
            customer_id=customer_id,
            plan_id=subscription.plan_id,
            at_period_end=False,
            ends_on=today,
            credit=credit,
        )

    async def cancel_subscription(
        self, customer_id: str, *, at_period_end: bool, idempotency_key: str
    ) -> SubscriptionCanceled:
        """Cancel the customer's subscription now (crediting unused time) or at the period's
        end. The same ``idempotency_key`` again returns the first cancellation."""
        self._not_supported("cancelling subscriptions")


class Issues(_Capability):
    """Known bugs: find the one a customer hit, check its status, file a new one."""

    capability: ClassVar[str] = "issues"

    @abstractmethod
    async def search_bugs(self, query: BugQuery, limit: int = 5) -> list[BugMatch]:
        """Known bugs matching the report's text, page or console errors, best first."""

    @abstractmethod
    async def bug(self, bug_id: str) -> Bug | None:
        """One bug with its current status."""

    async def create_bug(self, new: NewBug) -> BugCreated:
        self._not_supported("filing bugs")


class Identity(_Capability):
    """Account access: password resets and unlocking."""

    capability: ClassVar[str] = "identity"

    @abstractmethod
    async def send_password_reset(self, email: str) -> PasswordResetResult: ...

    async def unlock_account(self, email: str) -> AccountUnlockResult:
        self._not_supported("unlocking accounts")


class Notify(_Capability):
    """Tell a team: post a hand-off summary to a channel (and, optionally, find what the team
    said before)."""

    capability: ClassVar[str] = "notify"

    @abstractmethod
    async def post_handoff(self, handoff: Handoff) -> HandoffPosted: ...

    async def search_messages(self, query: str, limit: int = 5) -> list[TeamMessage]:
        """The team's messages matching ``query`` (a customer's email, a ticket id), newest
        first, so the context shows what colleagues already said; none by default."""
        return []


class TicketSource(_Capability):
    """Where tickets come from and where replies go back (a help desk, a shared inbox)."""

    capability: ClassVar[str] = "tickets"

    @abstractmethod
    async def pull_new(self, since: datetime | None = None) -> list[Ticket]:
        """Tickets created or updated since ``since`` (all open ones when None)."""

    async def post_reply(self, ticket_id: str, body: str, author_name: str = "") -> ReplyPosted:
        self._not_supported("posting replies")

    async def set_status(self, ticket_id: str, status: Status) -> StatusUpdated:
        self._not_supported("setting ticket status")

    # --- the channel contract: what the desk's sync and outbox call -------------------------

    async def pull(self, cursor: str | None) -> Pulled:
        """Messages received since ``cursor`` (None: the first sync), and the next cursor.
        A pull that fails part-way returns what it has with the cursor after the last message
        it returns, so nothing is skipped and nothing is read twice."""
        self._not_supported("pulling messages")

    async def deliver(self, reply: OutboundReply) -> Delivered:
        """Send one reply to the customer. Raises ``DeliveryError`` (permanent or not) when it
        did not go; any other error means the outcome is unknown and the outbox asks
        ``find_delivered`` before trying again."""
        self._not_supported("delivering replies")

    async def find_delivered(self, reply: OutboundReply) -> Delivered | None:
        """Whether a reply whose delivery had an unknown outcome reached the channel (looked
        up by its ``message_id``), so a retry never sends it twice. None when the channel has
        no record of it."""
        return None


class Orders(_Capability):
    """A shop's orders: where is my order?"""

    capability: ClassVar[str] = "orders"

    @abstractmethod
    async def order(self, order_id: str) -> Order | None: ...

    @abstractmethod
    async def orders_for_customer(self, email: str, limit: int = 10) -> list[Order]:
        """The customer's orders, newest first."""


ACCOUNT_SETTINGS: dict[str, str] = {
    "billing_email": "change_billing_email",
    "plan": "change_plan",
    "seats": "change_seats",
}


def updatable_settings(billing: Billing) -> list[str]:
    """The account settings this billing connector can change: those whose ``change_*`` it
    implements, in the order of ``ACCOUNT_SETTINGS``."""
    return [
        setting
        for setting, method in ACCOUNT_SETTINGS.items()
        if getattr(type(billing), method) is not getattr(Billing, method)
    ]


def can_cancel_subscriptions(billing: Billing) -> bool:
    return type(billing).cancel_subscription is not Billing.cancel_subscription


CAPABILITIES: dict[str, type[Capability]] = {
    cls.capability: cls for cls in (Crm, Billing, Issues, Identity, Notify, TicketSource, Orders)
}
