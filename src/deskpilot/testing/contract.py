"""Contract tests every connector passes: one class per capability, inherited together.

::

    class TestMyConnector(CrmContract, BillingContract):  # the capabilities it serves
        @pytest.fixture
        def connector(self, http_server: RecordedServer) -> MyConnector:
            ...  # point it at the recorded server (or real files), return it

        @pytest.fixture
        def contract_samples(self) -> ContractSamples:
            return ContractSamples(customer_email="ann@example.com", invoice_id="in_1")

Each capability's contract (``CrmContract``, ``BillingContract``, ``IssuesContract``,
``IdentityContract``, ``NotifyContract``, ``TicketSourceContract``, ``OrdersContract``) adds its
tests to ``ConnectorContract``'s, which every connector passes; a connector's run holds the
tests of what it serves and nothing else, and fails when the classes inherited and the
capabilities declared differ. The tests check return types and the invariants the desk relies
on: lookups of unknown ids give None, lists come newest first and within their limit, a refund
or an account change retried with the same idempotency key happens once, the desk's customer is
found by email. An optional operation a connector does not support (``NotSupportedError``) skips
its test. Each test runs its calls in one event loop and closes the connector afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

import pytest

from deskpilot.connectors.base import Connector, ConnectorConfig
from deskpilot.connectors.capabilities import (
    CAPABILITIES,
    Billing,
    Crm,
    Identity,
    Issues,
    Notify,
    Orders,
    TicketSource,
    can_cancel_subscriptions,
    updatable_settings,
)
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
    InvoiceLine,
    Plan,
    PlanChange,
    Status,
    Subscription,
    Ticket,
    TicketSummary,
)

T = TypeVar("T")


@dataclass(frozen=True)
class ContractSamples:
    """Records the connector under test knows about; a capability's tests fail with a clear
    message when the sample they need is missing."""

    customer_email: str | None = None  # crm, identity
    customer_id: str | None = None  # billing without crm: the same customer's id
    invoice_id: str | None = None  # billing: a paid invoice of that customer, refundable
    refund_amount: float = 1.0
    bug_query: BugQuery | None = None  # issues: a report that matches a known bug
    order_id: str | None = None  # orders
    order_email: str | None = None  # orders: the email that order was placed with
    ticket_id: str = "T-CONTRACT-1"  # tickets: a ticket replies and statuses may go to
    unknown_id: str = "contract-unknown-0000"
    unknown_email: str = "nobody.contract@example.invalid"


def run(connector: Connector[Any], operation: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``operation(connector)`` in a fresh event loop and close the connector in it."""

    async def scenario() -> T:
        try:
            return await operation(connector)
        finally:
            await connector.aclose()

    return asyncio.run(scenario())


class ConnectorContract:
    """What every connector passes, whatever it serves. Inherit the capability contracts your
    connector serves (``CrmContract``, ``BillingContract``, ...), not this class alone: each
    adds its capability's tests to these, and
    ``test_runs_the_contract_of_every_capability_it_serves`` fails when one is missing."""

    capability: ClassVar[str] = ""  # each capability contract names its own

    @pytest.fixture
    def connector(self) -> Connector[Any]:
        pytest.fail("override the 'connector' fixture to return the connector under test")

    @pytest.fixture
    def contract_samples(self) -> ContractSamples:
        return ContractSamples()

    # --- every connector -------------------------------------------------------------------

    def test_declares_known_capabilities(self, connector: Connector[Any]) -> None:
        assert connector.capabilities, "a connector serves at least one capability"
        unknown = connector.capabilities - set(CAPABILITIES)
        assert not unknown, f"unknown capabilities {sorted(unknown)}"
        for capability in connector.capabilities:
            assert isinstance(connector, CAPABILITIES[capability])
        assert issubclass(connector.config_model, ConnectorConfig)
        assert isinstance(connector.config, connector.config_model)

    def test_check_says_what_it_checked(self, connector: Connector[Any]) -> None:
        said = run(connector, lambda c: c.check())
        assert isinstance(said, str) and said.strip()

    def test_runs_the_contract_of_every_capability_it_serves(
        self, connector: Connector[Any]
    ) -> None:
        """The contracts inherited are exactly the capabilities served: none left untested,
        none run (and skipped) for a capability the connector does not serve."""
        inherited = {name for name, contract in CONTRACTS.items() if isinstance(self, contract)}
        served = connector.capabilities & set(CONTRACTS)
        missing = [CONTRACTS[name].__name__ for name in sorted(served - inherited)]
        extra = [CONTRACTS[name].__name__ for name in sorted(inherited - served)]
        connector_name = type(connector).__name__
        if missing:
            pytest.fail(
                f"{connector_name} serves {sorted(served - inherited)}: let "
                f"{type(self).__name__} inherit {', '.join(missing)} too",
                pytrace=False,
            )
        if extra:
            pytest.fail(
                f"{connector_name} does not serve {sorted(inherited - served)}: drop "
                f"{', '.join(extra)} from {type(self).__name__}'s bases",
                pytrace=False,
            )

    def _customer_id(
        self, connector: Connector[Any], samples: ContractSamples, capability: str
    ) -> str:
        """The sample customer's id, or looked up by email through the connector's CRM."""
        if samples.customer_id is not None:
            return samples.customer_id
        if not isinstance(connector, Crm):
            return str(_sample(samples, "customer_id", capability))
        email = _sample(samples, "customer_email", capability)
        customer = run(connector, lambda _: connector.customer_by_email(email))
        assert customer is not None, f"no customer with the sample email {email}"
        return customer.id


class CrmContract(ConnectorContract):
    """The contract of the CRM: customers by email and id, records, notes, history."""

    capability: ClassVar[str] = "crm"

    def test_crm_finds_customer_by_email_and_id(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        crm: Crm = _serving(connector, "crm")
        email = _sample(contract_samples, "customer_email", "crm")

        async def lookups(c: Crm) -> tuple[Customer | None, Customer | None, Customer | None]:
            found = await c.customer_by_email(email)
            assert found is not None, f"no customer with the sample email {email}"
            return found, await c.customer_by_id(found.id), await c.customer_by_email(email.upper())

        by_email, by_id, by_upper = run(connector, lambda _: lookups(crm))
        assert isinstance(by_email, Customer) and by_email.email == email.strip().lower()
        _assert_same_customer(by_id, "customer_by_id(its id)", by_email, "customer_by_email")
        _assert_same_customer(by_upper, "customer_by_email(in capitals)", by_email, "in lower case")

    def test_crm_unknown_customer_is_none(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        crm: Crm = _serving(connector, "crm")

        async def lookups(c: Crm) -> list[object]:
            return [
                await c.customer_by_email(contract_samples.unknown_email),
                await c.customer_by_id(contract_samples.unknown_id),
                await c.record(contract_samples.unknown_id),
            ]

        assert run(connector, lambda _: lookups(crm)) == [None, None, None]

    def test_crm_record_notes_and_history(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        crm: Crm = _serving(connector, "crm")
        email = _sample(contract_samples, "customer_email", "crm")

        async def details(
            c: Crm,
        ) -> tuple[Customer, CrmRecord | None, list[CrmNote], CustomerHistory]:
            customer = await c.customer_by_email(email)
            assert customer is not None
            return (
                customer,
                await c.record(customer.id),
                await c.notes(customer.id),
                await c.history(customer.id, limit=5),
            )

        customer, record, notes, history = run(connector, lambda _: details(crm))
        if record is not None:
            assert isinstance(record, CrmRecord) and record.customer_id == customer.id
        assert all(isinstance(note, CrmNote) for note in notes)
        assert isinstance(history, CustomerHistory) and history.customer_id == customer.id
        assert len(history.tickets) <= 5
        assert all(isinstance(t, TicketSummary) for t in history.tickets)
        assert all(t.customer_id in (customer.id, None) for t in history.tickets)
        _assert_newest_first([t.created_at for t in history.tickets])

    def test_crm_finds_the_desks_customer_by_email(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        crm: Crm = _serving(connector, "crm")
        email = _sample(contract_samples, "customer_email", "crm")
        # The desk's own id means nothing to the CRM: the email finds the customer.
        ours = Customer(id="desk-contract-1", email=email)
        nobody = Customer(id="desk-contract-2", email=contract_samples.unknown_email)

        async def lookups(c: Crm) -> tuple[Customer | None, str | None, str | None]:
            return (
                await c.customer_by_email(email),
                await c.crm_customer_id(ours),
                await c.crm_customer_id(nobody),
            )

        by_email, resolved, unknown = run(connector, lambda _: lookups(crm))
        assert by_email is not None and resolved == by_email.id
        assert unknown is None


class BillingContract(ConnectorContract):
    """The contract of billing: the desk's customer, account changes, cancellation and
    refunds, each done once per idempotency key."""

    capability: ClassVar[str] = "billing"

    def test_billing_knows_the_desks_customer(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        customer_id = self._customer_id(connector, contract_samples, "billing")
        email = contract_samples.customer_email or contract_samples.unknown_email
        customer = Customer(id=customer_id, email=email)

        async def reads(c: Billing) -> tuple[str | None, str | None]:
            resolved = await c.billing_customer_id(customer)
            return resolved, await c.billing_email(resolved) if resolved else None

        resolved, billing_email = run(connector, lambda _: reads(billing))
        assert resolved is not None, "the sample customer is known to billing"
        assert billing_email is None or isinstance(billing_email, str)

    def test_billing_account_changes_apply_once_per_key(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        settings = updatable_settings(billing)
        if not settings:
            pytest.skip(f"{type(connector).__name__} changes no account settings")
        customer_id = self._customer_id(connector, contract_samples, "billing")

        async def change(c: Billing, setting: str) -> list[SettingChanged]:
            key = f"contract-{uuid.uuid4()}"
            subscription = await c.subscription(customer_id)
            if setting == "billing_email":
                email = f"contract-{uuid.uuid4().hex[:8]}@example.com"
                return [await c.change_billing_email(customer_id, email, key) for _ in "12"]
            if subscription is None:
                pytest.skip(f"the sample customer has no subscription whose {setting} changes")
            if setting == "seats":
                seats = subscription.seats + 1
                return [await c.change_seats(customer_id, seats, key) for _ in "12"]
            others = [p.id for p in await c.plans() if p.id != subscription.plan_id]
            if not others:
                pytest.skip("one plan only: nothing to change to")
            return [await c.change_plan(customer_id, others[0], key) for _ in "12"]

        for setting in settings:
            first, again = run(connector, partial(_call, change, billing, setting))
            assert isinstance(first, SettingChanged) and first.setting == setting
            assert first.old_value != first.new_value and not first.replayed
            assert again.replayed, f"{setting}: the same key again must not change it twice"
            assert (again.old_value, again.new_value) == (first.old_value, first.new_value)

    def test_billing_cancellation_is_previewed_then_done_once_per_key(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        if not can_cancel_subscriptions(billing):
            pytest.skip(f"{type(connector).__name__} cancels no subscriptions")
        customer_id = self._customer_id(connector, contract_samples, "billing")

        async def cancel(c: Billing) -> tuple[CancellationPreview, list[SubscriptionCanceled]]:
            subscription = await c.subscription(customer_id)
            if subscription is None or subscription.status == "canceled":
                pytest.skip("the sample customer has no live subscription to cancel")
            preview = await c.preview_cancellation(
                customer_id, at_period_end=True, today=subscription.cycle_start
            )
            key = f"contract-{uuid.uuid4()}"
            done = [
                await c.cancel_subscription(customer_id, at_period_end=True, idempotency_key=key)
                for _ in "12"
            ]
            return preview, done

        preview, (first, again) = run(connector, lambda _: cancel(billing))
        assert preview.at_period_end and preview.credit == 0
        assert isinstance(first, SubscriptionCanceled) and first.customer_id == customer_id
        assert first.at_period_end and not first.replayed
        assert again.replayed, "the same key again must not cancel twice"
        assert again.reference == first.reference

    def test_billing_subscription_and_invoices_belong_to_the_customer(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        customer_id = self._customer_id(connector, contract_samples, "billing")

        async def reads(
            c: Billing,
        ) -> tuple[Subscription | None, list[Invoice], list[PlanChange], Invoice | None]:
            invoices = await c.invoices(customer_id, limit=3)
            first = await c.invoice(invoices[0].id) if invoices else None
            return (
                await c.subscription(customer_id),
                invoices,
                await c.plan_changes(customer_id),
                first,
            )

        subscription, invoices, changes, first = run(connector, lambda _: reads(billing))
        if subscription is not None:
            assert isinstance(subscription, Subscription)
            assert subscription.customer_id == customer_id
        assert len(invoices) <= 3
        for invoice in invoices:
            assert isinstance(invoice, Invoice) and invoice.customer_id == customer_id
            assert all(isinstance(line, InvoiceLine) for line in invoice.lines)
        _assert_newest_first([invoice.issued for invoice in invoices])
        if invoices:
            assert first is not None and first.id == invoices[0].id
        assert all(isinstance(c, PlanChange) and c.customer_id == customer_id for c in changes)

    def test_billing_plans_are_found_by_id(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        customer_id = self._customer_id(connector, contract_samples, "billing")

        async def reads(c: Billing) -> tuple[list[Plan], list[Plan | None], Subscription | None]:
            plans = await c.plans()
            found = [await c.plan(plan.id) for plan in plans[:3]]
            return (
                plans,
                [*found, await c.plan(contract_samples.unknown_id)],
                (await c.subscription(customer_id)),
            )

        plans, found, subscription = run(connector, lambda _: reads(billing))
        assert all(isinstance(plan, Plan) for plan in plans)
        assert len({plan.id for plan in plans}) == len(plans), "plan ids are unique"
        assert found == [*plans[:3], None]
        if plans and subscription is not None:
            assert subscription.plan_id in {plan.id for plan in plans}

    def test_billing_unknown_invoice_is_none(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        assert run(connector, lambda _: billing.invoice(contract_samples.unknown_id)) is None

    def test_billing_refund_with_the_same_key_refunds_once(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        invoice_id = _sample(contract_samples, "invoice_id", "billing")
        amount = contract_samples.refund_amount
        key = f"contract-{uuid.uuid4()}"

        async def twice(c: Billing) -> tuple[RefundResult, RefundResult]:
            first = await c.refund(invoice_id, amount, "contract test", key)
            return first, await c.refund(invoice_id, amount, "contract test", key)

        first, again = _unless_unsupported(lambda: run(connector, lambda _: twice(billing)))
        assert isinstance(first, RefundResult) and not first.replayed
        assert first.invoice_id == invoice_id and first.amount == pytest.approx(amount)
        assert first.idempotency_key == key
        assert again.refund_id == first.refund_id, "the same key must not refund twice"
        assert again.replayed

    def test_billing_refund_is_found_again_by_its_key(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        """What the desk asks when a refund's answer was lost: was it made?"""
        billing: Billing = _serving(connector, "billing")
        invoice_id = _sample(contract_samples, "invoice_id", "billing")
        amount = contract_samples.refund_amount
        key, never_used = f"contract-{uuid.uuid4()}", f"contract-{uuid.uuid4()}"

        async def made_then_found(
            c: Billing,
        ) -> tuple[RefundResult, RefundResult | None, RefundResult | None]:
            made = await c.refund(invoice_id, amount, "contract test", key)
            found = await c.find_refund(invoice_id, key)
            return made, found, await c.find_refund(invoice_id, never_used)

        made, found, nobody = _unless_unsupported(
            lambda: run(connector, lambda _: made_then_found(billing))
        )
        assert found is not None, "a refund made with a key must be found by that key"
        assert found.refund_id == made.refund_id and found.amount == pytest.approx(amount)
        assert nobody is None, "a key never used finds no refund"

    def test_billing_refund_refuses_a_non_positive_amount(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        invoice_id = _sample(contract_samples, "invoice_id", "billing")
        key = f"contract-{uuid.uuid4()}"
        with pytest.raises(ConnectorError) as raised:
            run(connector, lambda _: billing.refund(invoice_id, 0.0, "contract test", key))
        if isinstance(raised.value, NotSupportedError):
            pytest.skip(str(raised.value))

    def test_billing_refund_key_reused_for_another_refund_is_refused(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        billing: Billing = _serving(connector, "billing")
        invoice_id = _sample(contract_samples, "invoice_id", "billing")
        amount = contract_samples.refund_amount
        key = f"contract-{uuid.uuid4()}"

        async def reuse(c: Billing) -> None:
            await c.refund(invoice_id, amount, "contract test", key)
            await c.refund(invoice_id, round(amount / 2, 2), "contract test", key)

        with pytest.raises(ConnectorError) as raised:
            run(connector, lambda _: reuse(billing))
        if isinstance(raised.value, NotSupportedError):
            pytest.skip(str(raised.value))


class IssuesContract(ConnectorContract):
    """The contract of issues: finding a known bug, nothing for an empty query, filing one."""

    capability: ClassVar[str] = "issues"

    def test_issues_search_finds_a_known_bug(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        issues: Issues = _serving(connector, "issues")
        query = _sample(contract_samples, "bug_query", "issues")

        async def search(c: Issues) -> tuple[list[BugMatch], Bug | None]:
            matches = await c.search_bugs(query, limit=3)
            return matches, (await c.bug(matches[0].bug.id) if matches else None)

        matches, best = run(connector, lambda _: search(issues))
        assert matches, "the sample bug query matches no bug"
        assert len(matches) <= 3 and all(isinstance(m, BugMatch) for m in matches)
        scores = [m.score for m in matches]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        assert isinstance(best, Bug) and best.id == matches[0].bug.id and best.status

    def test_issues_empty_query_and_unknown_bug_find_nothing(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        issues: Issues = _serving(connector, "issues")

        async def nothing(c: Issues) -> tuple[list[BugMatch], Bug | None]:
            return await c.search_bugs(BugQuery()), await c.bug(contract_samples.unknown_id)

        assert run(connector, lambda _: nothing(issues)) == ([], None)

    def test_issues_created_bug_can_be_read_back(self, connector: Connector[Any]) -> None:
        issues: Issues = _serving(connector, "issues")
        new = NewBug(title="Contract test: export button does nothing", page_url="/export")

        async def create(c: Issues) -> tuple[BugCreated, Bug | None]:
            created = await c.create_bug(new)
            return created, await c.bug(created.bug.id)

        created, read_back = _unless_unsupported(lambda: run(connector, lambda _: create(issues)))
        assert isinstance(created, BugCreated) and created.bug.title == new.title
        assert read_back is not None and read_back.id == created.bug.id


class IdentityContract(ConnectorContract):
    """The contract of identity: password resets and unlocking."""

    capability: ClassVar[str] = "identity"

    def test_identity_sends_a_password_reset(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        identity: Identity = _serving(connector, "identity")
        email = _sample(contract_samples, "customer_email", "identity")
        result = run(connector, lambda _: identity.send_password_reset(email))
        assert isinstance(result, PasswordResetResult) and result.sent
        assert result.email.lower() == email.strip().lower()

    def test_identity_unlocks_an_account(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        identity: Identity = _serving(connector, "identity")
        email = _sample(contract_samples, "customer_email", "identity")
        result = _unless_unsupported(
            lambda: run(connector, lambda _: identity.unlock_account(email))
        )
        assert isinstance(result, AccountUnlockResult) and result.unlocked


class NotifyContract(ConnectorContract):
    """The contract of notify: posting a hand-off, searching the team's messages."""

    capability: ClassVar[str] = "notify"

    def test_notify_posts_a_handoff(self, connector: Connector[Any]) -> None:
        notify: Notify = _serving(connector, "notify")
        handoff = Handoff(ticket_id="T-CONTRACT-1", summary="Customer asks for a refund of $120.")
        posted = run(connector, lambda _: notify.post_handoff(handoff))
        assert isinstance(posted, HandoffPosted) and posted.channel and posted.reference

    def test_notify_message_search_is_newest_first_within_the_limit(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        notify: Notify = _serving(connector, "notify")
        query = contract_samples.customer_email or contract_samples.ticket_id
        found = run(connector, lambda _: notify.search_messages(query, limit=2))
        assert isinstance(found, list) and len(found) <= 2
        assert all(isinstance(message, TeamMessage) for message in found)
        _assert_newest_first([message.at for message in found])


class TicketSourceContract(ConnectorContract):
    """The contract of a ticket source: pulling, replying, setting status, and the channel
    contract (pull from a cursor, deliver once)."""

    capability: ClassVar[str] = "tickets"

    def test_tickets_pull_returns_tickets(self, connector: Connector[Any]) -> None:
        source: TicketSource = _serving(connector, "tickets")
        since = datetime(2000, 1, 1, tzinfo=UTC)
        pulled = run(connector, lambda _: source.pull_new(since))
        assert isinstance(pulled, list) and all(isinstance(t, Ticket) for t in pulled)

    def test_tickets_reply_and_status_are_posted(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        source: TicketSource = _serving(connector, "tickets")
        ticket_id = contract_samples.ticket_id

        async def post(c: TicketSource) -> tuple[ReplyPosted, StatusUpdated]:
            reply = await c.post_reply(ticket_id, "Thanks, we are on it.", "Contract")
            return reply, await c.set_status(ticket_id, Status.PENDING)

        reply, status = _unless_unsupported(lambda: run(connector, lambda _: post(source)))
        assert isinstance(reply, ReplyPosted) and reply.ticket_id == ticket_id
        assert isinstance(status, StatusUpdated) and status.status is Status.PENDING

    def test_tickets_pull_resumes_after_its_cursor(self, connector: Connector[Any]) -> None:
        """The channel contract: what one pull returned never comes again from its cursor."""
        source: TicketSource = _serving(connector, "tickets")

        async def twice(c: TicketSource) -> tuple[Pulled, Pulled]:
            first = await c.pull(None)
            return first, await c.pull(first.cursor)

        first, again = _unless_unsupported(lambda: run(connector, lambda _: twice(source)))
        assert isinstance(first, Pulled) and isinstance(again, Pulled)
        assert all(m.external_id for m in first.messages + again.messages)
        seen = {m.external_id for m in first.messages}
        assert not seen & {m.external_id for m in again.messages}, "pulled twice from the cursor"

    def test_tickets_delivered_reply_is_found_by_its_message_id(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        """A reply the channel accepted is found again by its Message-ID (when the connector
        can look: that is how the outbox avoids sending it twice); another one is not."""
        source: TicketSource = _serving(connector, "tickets")
        reply = OutboundReply(
            ticket_id=contract_samples.ticket_id,
            ticket_external_id=contract_samples.ticket_id,
            message_id=f"<{uuid.uuid4().hex}@deskpilot.contract.invalid>",
            subject="Contract reply",
            to_email=contract_samples.customer_email or "customer.contract@example.com",
            body="Thanks, we are **on it**.",
            author_name="Contract",
        )
        never_sent = reply.model_copy(
            update={"message_id": f"<{uuid.uuid4().hex}@deskpilot.contract.invalid>"}
        )

        async def deliver(c: TicketSource) -> tuple[Delivered, Delivered | None, Delivered | None]:
            delivered = await c.deliver(reply)
            return delivered, await c.find_delivered(reply), await c.find_delivered(never_sent)

        delivered, found, not_found = _unless_unsupported(
            lambda: run(connector, lambda _: deliver(source))
        )
        assert delivered.message_id == reply.message_id and delivered.external_id
        assert not_found is None
        if type(source).find_delivered is not TicketSource.find_delivered:
            assert found is not None and found.external_id == delivered.external_id


class OrdersContract(ConnectorContract):
    """The contract of orders: one order by id, a customer's newest first."""

    capability: ClassVar[str] = "orders"

    def test_orders_look_up_by_id(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        orders: Orders = _serving(connector, "orders")
        order_id = _sample(contract_samples, "order_id", "orders")

        async def lookups(c: Orders) -> tuple[Order | None, Order | None]:
            return await c.order(order_id), await c.order(contract_samples.unknown_id)

        found, unknown = run(connector, lambda _: lookups(orders))
        assert isinstance(found, Order) and found.id == order_id
        assert unknown is None

    def test_orders_for_a_customer_are_theirs_newest_first(
        self, connector: Connector[Any], contract_samples: ContractSamples
    ) -> None:
        orders: Orders = _serving(connector, "orders")
        email = _sample(contract_samples, "order_email", "orders")
        order_id = _sample(contract_samples, "order_id", "orders")

        async def listings(c: Orders) -> tuple[list[Order], list[Order], list[Order]]:
            return (
                await c.orders_for_customer(email, limit=100),
                await c.orders_for_customer(email, limit=1),
                await c.orders_for_customer(contract_samples.unknown_email),
            )

        everything, one, nobody = run(connector, lambda _: listings(orders))
        assert order_id in [o.id for o in everything]
        assert all(isinstance(o, Order) for o in everything)
        assert all(o.customer_email.lower() == email.strip().lower() for o in everything)
        _assert_newest_first([o.placed_at for o in everything])
        assert len(one) == 1 and one[0].id == everything[0].id
        assert nobody == []


# The contract class of each capability (``connectors.capabilities.CAPABILITIES``'s keys).
CONTRACTS: dict[str, type[ConnectorContract]] = {
    contract.capability: contract
    for contract in (
        CrmContract,
        BillingContract,
        IssuesContract,
        IdentityContract,
        NotifyContract,
        TicketSourceContract,
        OrdersContract,
    )
}


def _serving(connector: Connector[Any], capability: str) -> Any:
    """The connector (annotate the variable with the capability ABC); a connector that does not
    serve the capability fails here with what to change, rather than being skipped."""
    if capability not in connector.capabilities:
        pytest.fail(
            f"{type(connector).__name__} does not serve '{capability}': drop "
            f"{CONTRACTS[capability].__name__} from the test class's bases",
            pytrace=False,
        )
    return connector


def _sample(samples: ContractSamples, field: str, capability: str) -> Any:
    value = getattr(samples, field)
    if value is None:
        pytest.fail(
            f"a '{capability}' connector's contract tests need ContractSamples.{field}; "
            "override the contract_samples fixture"
        )
    return value


def _unless_unsupported(call: Callable[[], T]) -> T:
    """Optional operations may be unsupported; then their test is skipped, not failed."""
    try:
        return call()
    except NotSupportedError as error:
        pytest.skip(str(error))


async def _call(
    operation: Callable[[Billing, str], Awaitable[T]], billing: Billing, setting: str, _: object
) -> T:
    return await operation(billing, setting)


# What makes two lookups the same customer. ``created_at`` is not among them: a connector
# whose system has no creation date leaves it at "now", which differs between two lookups.
IDENTITY_FIELDS = ("id", "email", "name", "company")


def _assert_same_customer(
    found: Customer | None, how: str, expected: Customer, expected_how: str
) -> None:
    """Two lookups of one customer agree on who it is; otherwise fail saying how they differ."""
    if found is None:
        pytest.fail(f"{how} found nobody; {expected_how} found {expected.id}", pytrace=False)
    differences = [
        f"  {name}: {getattr(found, name)!r} ({how}) != {getattr(expected, name)!r} "
        f"({expected_how})"
        for name in IDENTITY_FIELDS
        if getattr(found, name) != getattr(expected, name)
    ]
    if differences:
        pytest.fail(
            "the same customer looked up two ways differs:\n" + "\n".join(differences),
            pytrace=False,
        )


def _assert_newest_first(moments: list[Any]) -> None:
    assert moments == sorted(moments, reverse=True), "expected newest first"
