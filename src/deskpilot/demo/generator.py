"""A deterministic, realistic demo data set: customers, billing, CRM, bugs, articles and tickets.

Everything derives from one `random.Random(seed)` and the `now` passed in (a fixed date by
default), never from the wall clock or the global random state, so the same arguments always
give the same data. Ticket wording lives in `phrasing`, article texts in `content`.

Facts are consistent across records on purpose: a refund ticket names an invoice the customer
really has, a mid-cycle upgrade shows up as proration lines on the following invoice and as a
plan change, and a bug report carries the console error of a known bug on that bug's page.
"""

from __future__ import annotations

import gc
import random
import re
import unicodedata
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from deskpilot.demo import names, phrasing
from deskpilot.demo.content import APP_URL, ARTICLES, BUGS
from deskpilot.demo.phrasing import IntentWording, Scenario
from deskpilot.models import (
    Author,
    Bug,
    Channel,
    CrmNote,
    CrmRecord,
    Customer,
    Invoice,
    InvoiceLine,
    Message,
    PageContext,
    Plan,
    PlanChange,
    Priority,
    Status,
    Subscription,
    Ticket,
    Tier,
)

T = TypeVar("T")

DEFAULT_NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HISTORY_DAYS = 90
OPEN_QUEUE_DAYS = 14
# Refund scenarios whose agent reply refunds the whole invoice: the invoice is marked refunded.
FULL_REFUNDS = frozenset({"forgot_to_cancel", "accidental_upgrade", "general"})

INTENTS: tuple[str, ...] = (
    "account_access",
    "billing_question",
    "invoice_discrepancy",
    "refund_request",
    "onboarding",
    "bug_report",
    "order_status",
    "cancellation",
    "feature_request",
    "complaint",
    "contract_negotiation",
    "out_of_scope",
)
# Relative frequency of each intent in the queue, roughly what a B2B SaaS desk sees.
INTENT_WEIGHTS: dict[str, int] = {
    "account_access": 14,
    "billing_question": 10,
    "invoice_discrepancy": 8,
    "refund_request": 7,
    "onboarding": 12,
    "bug_report": 12,
    "order_status": 7,
    "cancellation": 6,
    "feature_request": 8,
    "complaint": 5,
    "contract_negotiation": 4,
    "out_of_scope": 7,
}

# Every template in `phrasing` may use exactly these facts; each ticket's facts carry all of them.
FACT_KEYS: frozenset[str] = frozenset(
    {
        # customer and account
        "first", "name", "company", "email", "workspace", "owner", "owner_first",
        # plan and billing
        "plan_name", "price", "seats", "included", "seat_price", "extra_seats", "seat_total",
        "next_bill", "next_amount", "annual_price", "invoice", "amount", "issued",
        # mid-cycle upgrade
        "old_plan", "new_plan", "old_price", "new_price", "upgrade_date", "days", "cycle_days",
        "credit", "charge",
        # known bug
        "bug_id", "bug_title", "page_name", "page_path", "error", "workaround", "symptom",
        "Symptom",
        # per ticket
        "agent", "agent_first", "when", "count", "integration", "export_no", "po_no",
        "order_no", "seat_target", "discount", "term_years",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Article:
    """A help-center article, written as Markdown into the workspace later."""

    slug: str
    title: str
    category: str
    body: str  # Markdown, starts with "# {title}"


@dataclass
class DemoData:
    customers: list[Customer]
    tickets: list[Ticket]
    articles: list[Article]
    crm: list[CrmRecord]
    plans: list[Plan]
    subscriptions: list[Subscription]
    invoices: list[Invoice]
    plan_changes: list[PlanChange]
    bugs: list[Bug]


def generate(*, tickets: int = 300, seed: int = 7, now: datetime | None = None) -> DemoData:
    """The demo data set for `tickets` tickets; identical output for identical arguments."""
    if tickets < 0:
        raise ValueError(f"tickets must be zero or more, not {tickets}")
    moment = DEFAULT_NOW if now is None else now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Hundreds of thousands of long-lived objects and no reference cycles worth collecting: the
    # cycle collector would rescan the growing heap again and again (40% of the time at 100k).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Builder(random.Random(seed), moment).build(tickets)
    finally:
        if collecting:
            gc.enable()


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class _PlanSpec:
    tier: Tier
    name: str
    price: float
    seats_included: int
    seat_price: float


PLAN_SPECS: dict[str, _PlanSpec] = {
    "free": _PlanSpec(Tier.FREE, "Free", 0.0, 3, 0.0),
    "starter": _PlanSpec(Tier.STARTER, "Starter", 29.0, 3, 9.0),
    "pro": _PlanSpec(Tier.PRO, "Pro", 79.0, 10, 12.0),
    "enterprise": _PlanSpec(Tier.ENTERPRISE, "Enterprise", 499.0, 50, 10.0),
}
# Share of customers per tier; the mix is exact (then shuffled), so small demos still get every
# tier, and enough paying customers for the billing cases.
TIER_SHARES: tuple[tuple[str, float], ...] = (
    ("free", 0.28),
    ("starter", 0.30),
    ("pro", 0.30),
    ("enterprise", 0.12),
)
UPGRADE_SHARE = 0.07  # of paying customers, at least MIN_UPGRADES
MIN_UPGRADES = 3
FAILED_SHARE = 0.07  # latest invoice declined
MIN_FAILED = 2
CANCELED_SHARE = 0.03
PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "proton.me", "yahoo.com", "icloud.com")


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _add_months(day: date, months: int) -> date:
    """Same day-of-month `months` later; callers keep the day at 28 or below."""
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", folded.lower())


# --------------------------------------------------------------------------- accounts


@dataclass
class _Upgrade:
    change: PlanChange
    old: _PlanSpec
    new: _PlanSpec
    remaining: int
    cycle_days: int
    credit: float
    charge: float


@dataclass
class _Account:
    """One customer with everything the generator knows about them."""

    customer: Customer
    spec: _PlanSpec
    seats: int
    workspace: str
    domain: str
    owner: str = names.SELF_SERVE_OWNER
    cycles: list[date] = field(default_factory=list)  # cycle starts, oldest first
    invoices: list[Invoice] = field(default_factory=list)
    failed: bool = False
    canceled: bool = False  # cancelled at the end of the current cycle
    upgrade: _Upgrade | None = None
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def paying(self) -> bool:
        return bool(self.invoices)

    @property
    def extra_seats(self) -> int:
        if self.spec.tier is Tier.FREE:
            return 0
        return max(0, self.seats - self.spec.seats_included)

    @property
    def monthly_amount(self) -> float:
        return self.spec.price + self.extra_seats * self.spec.seat_price


@dataclass
class _Choice:
    """Weighted choice with precomputed cumulative weights (rng.choices is slow per call)."""

    items: tuple[Any, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Sequence[tuple[Any, float]]) -> _Choice:
        return cls(tuple(p[0] for p in pairs), tuple(accumulate(p[1] for p in pairs)))

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


@dataclass
class _IntentPlan:
    wording: IntentWording
    scenarios: _Choice  # of (Scenario, pool)
    channels: _Choice
    priorities: _Choice
    invoice_scenarios: frozenset[str]  # keys of scenarios whose wording names an invoice


# --------------------------------------------------------------------------- builder


class _Builder:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.accounts: list[_Account] = []
        self.invoice_seq = 0
        self.plans = [
            Plan(id=plan_id, name=s.name, monthly_price=s.price, seats_included=s.seats_included)
            for plan_id, s in PLAN_SPECS.items()
        ]
        self.bugs = [
            Bug(
                id=bug_id,
                title=title,
                status=status,
                page_url=APP_URL + path,
                error_signature=signature,
                workaround=workaround,
                created=self.today - timedelta(days=age),
            )
            for bug_id, title, status, path, signature, workaround, age in BUGS
        ]
        self.bug_facts = [self._bug_facts(bug) for bug in self.bugs]

    def build(self, ticket_count: int) -> DemoData:
        self._make_accounts(max(60, ticket_count // 5))
        self._make_billing()
        for account in self.accounts:
            account.facts = self._account_facts(account)
        crm = [self._crm_record(account) for account in self.accounts]
        tickets = self._make_tickets(ticket_count)
        return DemoData(
            customers=[a.customer for a in self.accounts],
            tickets=tickets,
            articles=_articles(),
            crm=crm,
            plans=self.plans,
            subscriptions=[s for a in self.accounts if (s := self._subscription(a))],
            invoices=[inv for a in self.accounts for inv in a.invoices],
            plan_changes=[a.upgrade.change for a in self.accounts if a.upgrade],
            bugs=self.bugs,
        )

    # ----------------------------------------------------------------- customers

    def _tier_mix(self, count: int) -> list[str]:
        plan_ids: list[str] = []
        for plan_id, share in TIER_SHARES:
            if plan_id != "free":  # free takes whatever is left
                plan_ids += [plan_id] * max(3, round(count * share))
        plan_ids += ["free"] * max(3, count - len(plan_ids))
        plan_ids = plan_ids[:count]
        self.rng.shuffle(plan_ids)
        return plan_ids

    def _company(self) -> str:
        rng = self.rng
        first = _pick(rng, names.COMPANY_FIRST)
        if rng.random() < 0.35:
            first = first + _pick(rng, names.COMPANY_JOIN)
            return first + _pick(rng, names.COMPANY_SUFFIX)
        return f"{first} {_pick(rng, names.COMPANY_SECOND)}{_pick(rng, names.COMPANY_SUFFIX)}"

    def _make_accounts(self, count: int) -> None:
        rng = self.rng
        used_emails: set[str] = set()
        for index, plan_id in enumerate(self._tier_mix(count), start=1):
            spec = PLAN_SPECS[plan_id]
            first, last = _pick(rng, names.FIRST_NAMES), _pick(rng, names.LAST_NAMES)
            company = self._company()
            base = company
            for suffix in names.COMPANY_SUFFIX:
                if suffix and base.endswith(suffix):
                    base = base[: -len(suffix)]
            workspace = "-".join(_ascii_word(w) for w in base.split())
            domain = f"{workspace.replace('-', '')}.{_pick(rng, names.EMAIL_TLDS)}"
            email = self._email(first, last, domain, spec, used_emails)
            if spec.tier is Tier.FREE:
                # A share of free workspaces are brand new: they ask the onboarding questions.
                age = _between(rng, 3, 89) if rng.random() < 0.4 else _between(rng, 90, 1400)
            else:
                age = _between(rng, 65, 1400)  # long enough for two or more invoices
            created = self.now - timedelta(days=age, seconds=_between(rng, 0, 86_399))
            seats = self._seats(spec)
            customer = Customer(
                id=f"C-{index:05d}",
                email=email,
                name=f"{first} {last}",
                company=company,
                tier=spec.tier,
                plan=plan_id,
                created_at=created,
            )
            account = _Account(customer, spec, seats, workspace, domain)
            if spec.tier is Tier.ENTERPRISE or (spec.tier is Tier.PRO and rng.random() < 0.7):
                account.owner = _pick(rng, names.ACCOUNT_MANAGERS)
            self.accounts.append(account)

    def _email(self, first: str, last: str, domain: str, spec: _PlanSpec, used: set[str]) -> str:
        rng = self.rng
        f, la = _ascii_word(first), _ascii_word(last)
        if spec.tier is Tier.FREE and rng.random() < 0.3:
            local = f"{f}{la}{_between(rng, 1, 99)}"
            domain = _pick(rng, PERSONAL_DOMAINS)
        else:
            local = _pick(rng, (f"{f}.{la}", f, f"{f[0]}{la}", f"{f}{la[0]}", f"{f}_{la}"))
        email = f"{local}@{domain}"
        serial = 2
        while email in used:
            email = f"{local}{serial}@{domain}"
            serial += 1
        used.add(email)
        return email

    def _seats(self, spec: _PlanSpec) -> int:
        low, high = {
            Tier.FREE: (1, 3),
            Tier.STARTER: (1, 6),
            Tier.PRO: (4, 18),
            Tier.ENTERPRISE: (40, 320),
        }[spec.tier]
        return _between(self.rng, low, high)

    # ----------------------------------------------------------------- billing

    def _make_billing(self) -> None:
        rng = self.rng
        paying = [a for a in self.accounts if a.spec.tier is not Tier.FREE]
        for account in paying:
            account.cycles = self._cycles(account)
        # Upgrades happen in the previous cycle, so the current invoice carries the proration;
        # that invoice must be at least two days old so a ticket can ask about it.
        candidates = [
            a
            for a in paying
            if a.spec.tier in (Tier.PRO, Tier.ENTERPRISE)
            and len(a.cycles) >= 2
            and a.cycles[-1] <= self.today - timedelta(days=2)
        ]
        wanted = max(MIN_UPGRADES, round(len(paying) * UPGRADE_SHARE))
        for account in rng.sample(candidates, min(wanted, len(candidates))):
            self._upgrade(account)
        others = [a for a in paying if a.upgrade is None]
        wanted = max(MIN_FAILED, round(len(paying) * FAILED_SHARE))
        for account in rng.sample(others, min(wanted, len(others))):
            account.failed = True
        for account in others:
            account.canceled = not account.failed and rng.random() < CANCELED_SHARE
        for account in paying:
            account.invoices = self._invoices(account)

    def _cycles(self, account: _Account) -> list[date]:
        signup = account.customer.created_at.date()
        anchor = min(signup.day, 28)
        current = self.today.replace(day=anchor)
        if current > self.today:
            current = _add_months(current, -1)
        count = _between(self.rng, 2, 4)
        starts = [_add_months(current, -back) for back in range(count - 1, -1, -1)]
        return [start for start in starts if start >= signup] or [current]

    def _upgrade(self, account: _Account) -> None:
        new = account.spec
        old = PLAN_SPECS["starter"] if new.tier is Tier.PRO else PLAN_SPECS["pro"]
        # Seats within the old plan's allowance: the invoices then show only plan lines.
        account.seats = _between(self.rng, 1, old.seats_included)
        start, end = account.cycles[-2], account.cycles[-1]
        cycle_days = (end - start).days
        when = start + timedelta(days=_between(self.rng, 1, cycle_days - 1))
        remaining = (end - when).days
        account.upgrade = _Upgrade(
            change=PlanChange(
                customer_id=account.customer.id,
                at=when,
                from_plan=_plan_id(old),
                to_plan=_plan_id(new),
                cycle_start=start,
                cycle_end=end,
            ),
            old=old,
            new=new,
            remaining=remaining,
            cycle_days=cycle_days,
            credit=round(old.price * remaining / cycle_days, 2),
            charge=round(new.price * remaining / cycle_days, 2),
        )

    def _invoices(self, account: _Account) -> list[Invoice]:
        rng = self.rng
        upgrade = account.upgrade
        invoices = []
        for position, start in enumerate(account.cycles):
            end = _add_months(start, 1)
            latest = position == len(account.cycles) - 1
            spec = account.spec
            lines: list[InvoiceLine] = []
            if upgrade is not None:
                if start < upgrade.change.at:
                    spec = upgrade.old
                if latest:
                    lines += _proration_lines(upgrade)
            lines.append(
                InvoiceLine(
                    description=f"{spec.name} plan (monthly)",
                    amount=spec.price,
                    period_start=start,
                    period_end=end,
                )
            )
            extra = max(0, account.seats - spec.seats_included)
            if extra:
                lines.append(
                    InvoiceLine(
                        description=f"Additional seats ({spec.name})",
                        amount=spec.seat_price,
                        quantity=extra,
                        period_start=start,
                        period_end=end,
                    )
                )
            if latest and account.failed:
                status = "failed"
            elif latest and start == self.today:
                status = "open"
            elif not latest and rng.random() < 0.02:
                status = "refunded"
            else:
                status = "paid"
            self.invoice_seq += 1
            invoices.append(
                Invoice(
                    id=f"in_{self.invoice_seq:07d}",
                    customer_id=account.customer.id,
                    number=f"INV-{start.year}-{self.invoice_seq:06d}",
                    issued=start,
                    status=status,
                    lines=lines,
                )
            )
        return invoices

    def _subscription(self, account: _Account) -> Subscription | None:
        if not account.paying:
            return None
        status = "past_due" if account.failed else "canceled" if account.canceled else "active"
        return Subscription(
            customer_id=account.customer.id,
            plan_id=_plan_id(account.spec),
            status=status,
            cycle_start=account.cycles[-1],
            cycle_end=_add_months(account.cycles[-1], 1),
            seats=account.seats,
        )

    # ----------------------------------------------------------------- facts

    def _account_facts(self, account: _Account) -> dict[str, str]:
        customer, spec = account.customer, account.spec
        first = customer.name.split(" ")[0]
        facts = dict.fromkeys(FACT_KEYS, "")
        facts.update(
            first=first,
            name=customer.name,
            company=customer.company,
            email=customer.email,
            workspace=account.workspace,
            owner=account.owner,
            owner_first=account.owner.split(" ")[0],
            plan_name=spec.name,
            price=_money(spec.price),
            seats=str(account.seats),
            included=str(spec.seats_included),
            seat_price=_money(spec.seat_price),
            extra_seats=str(account.extra_seats),
            seat_total=_money(account.extra_seats * spec.seat_price),
            next_amount=_money(account.monthly_amount),
            annual_price=_money(spec.price * 10),
        )
        if account.invoices:
            facts["next_bill"] = _long_date(_add_months(account.cycles[-1], 1))
            facts.update(_invoice_facts(account.invoices[-1]))
        if (up := account.upgrade) is not None:
            facts.update(
                old_plan=up.old.name,
                new_plan=up.new.name,
                old_price=_money(up.old.price),
                new_price=_money(up.new.price),
                upgrade_date=_long_date(up.change.at),
                days=str(up.remaining),
                cycle_days=str(up.cycle_days),
                credit=_money(up.credit),
                charge=_money(up.charge),
            )
        return facts

    def _bug_facts(self, bug: Bug) -> dict[str, str]:
        page_name, _title, _state, _symptoms = phrasing.BUG_SYMPTOMS[bug.id]
        return {
            "bug_id": bug.id,
            "bug_title": bug.title,
            "page_name": page_name,
            "page_path": bug.page_url.removeprefix(APP_URL),
            "error": bug.error_signature,
            "workaround": bug.workaround,
        }

    def _ticket_facts(self, account: _Account, bug_index: int) -> dict[str, str]:
        rng = self.rng
        agent = _pick(rng, names.SUPPORT_AGENTS)
        seats = account.seats
        facts = account.facts.copy()
        facts.update(self.bug_facts[bug_index])
        symptom = _pick(rng, phrasing.BUG_SYMPTOMS[self.bugs[bug_index].id][3])
        facts.update(
            symptom=symptom,
            Symptom=symptom[0].upper() + symptom[1:],
            agent=agent,
            agent_first=agent.split(" ")[0],
            when=_pick(rng, phrasing.WHEN),
            count=str(_between(rng, 2, 9)),
            integration=_pick(rng, phrasing.INTEGRATIONS),
            export_no=f"EXP-{_between(rng, 10_000, 99_999)}",
            po_no=f"PO-{_between(rng, 100_000, 999_999)}",
            order_no=f"ORD-{_between(rng, 10_000, 99_999)}",
            seat_target=str(max(seats + 10, int(round(seats * rng.uniform(1.3, 2.5), -1)))),
            discount=str(_pick(rng, (10, 15, 20, 25, 30))),
            term_years=str(_pick(rng, (2, 3))),
        )
        return facts

    # ----------------------------------------------------------------- CRM

    def _crm_record(self, account: _Account) -> CrmRecord:
        rng = self.rng
        customer = account.customer
        signed_up = customer.created_at.date()
        months = (self.today - signed_up).days / 30.44
        notes = []
        audiences = {"any"}
        if account.paying:
            audiences.add("paying")
        if account.spec.tier is Tier.ENTERPRISE:
            audiences.add("enterprise")
        if account.failed:
            audiences.add("failed")
        templates = [t for audience, t in phrasing.CRM_NOTES if audience in audiences]
        most = 2 if account.upgrade is not None else 3  # the upgrade gets its own note
        chosen = rng.sample(templates, _between(rng, 0, min(most, len(templates))))
        if account.upgrade is not None:
            chosen.append(next(t for a, t in phrasing.CRM_NOTES if a == "upgrade"))
        facts = dict(account.facts, count=str(_between(rng, 5, 40)))
        span = max(1, int((self.now - customer.created_at).total_seconds()))
        for template in chosen:
            at = customer.created_at + timedelta(seconds=_between(rng, 0, span - 1))
            if "upgrade_date" in template and account.upgrade is not None:
                at = datetime.combine(account.upgrade.change.at, time(15, 30), tzinfo=UTC)
            author = account.owner if account.owner != names.SELF_SERVE_OWNER else None
            notes.append(
                CrmNote(
                    at=at,
                    author=author or _pick(rng, names.SUPPORT_AGENTS),
                    body=template.format_map(facts),
                )
            )
        notes.sort(key=lambda note: note.at)
        return CrmRecord(
            customer_id=customer.id,
            company=customer.company,
            tier=customer.tier,
            account_owner=account.owner,
            seats=account.seats,
            signed_up=signed_up,
            lifetime_value=round(months * account.monthly_amount, 2) if account.paying else 0.0,
            notes=notes,
        )

    # ----------------------------------------------------------------- tickets

    def _pools(self) -> dict[str, list[_Account]]:
        accounts = self.accounts
        paying = [a for a in accounts if a.paying]
        return {
            "any": accounts,
            "paying": paying,
            "invoice": paying,
            "upgrade": [a for a in paying if a.upgrade],
            "seats": [a for a in paying if a.extra_seats],
            "failed": [a for a in paying if a.failed],
            "enterprise": [a for a in paying if a.spec.tier is Tier.ENTERPRISE],
            "free": [a for a in accounts if not a.paying],
        }

    def _intent_plans(self, pools: dict[str, list[_Account]]) -> dict[str, _IntentPlan]:
        plans = {}
        for intent in INTENTS:
            wording = phrasing.WORDING[intent]
            usable = [(s, s.weight) for s in wording.scenarios if pools[s.requires]]
            plans[intent] = _IntentPlan(
                wording=wording,
                scenarios=_Choice.of(usable),
                channels=_Choice.of([(Channel(c), w) for c, w in wording.channels]),
                priorities=_Choice.of(wording.priorities),
                invoice_scenarios=frozenset(
                    s.key for s in wording.scenarios if _names_invoice(wording, s)
                ),
            )
        return plans

    def _intent_sequence(self, count: int) -> list[str]:
        # Every intent at least once, the rest by weight; shuffled so ids don't reveal intents.
        sequence = list(INTENTS) if count >= len(INTENTS) else []
        weights = [INTENT_WEIGHTS[i] for i in INTENTS]
        sequence += self.rng.choices(INTENTS, weights=weights, k=count - len(sequence))
        self.rng.shuffle(sequence)
        return sequence

    def _make_tickets(self, count: int) -> list[Ticket]:
        pools = self._pools()
        plans = self._intent_plans(pools)
        proration = next(
            s for s in plans["invoice_discrepancy"].wording.scenarios if s.requires == "upgrade"
        )
        drafts: list[tuple[datetime, int, dict[str, Any]]] = []
        # The headline demo case is always there: upgraded customers asking why the invoice is
        # higher than the plan price, once answered (a reply to learn from) and once waiting.
        headline = [True, False] if pools["upgrade"] else []
        for position, intent in enumerate(self._intent_sequence(count)):
            plan = plans[intent]
            scenario: Scenario = plan.scenarios.pick(self.rng)
            resolved = self.rng.random() < plan.wording.resolve_rate
            if intent == "invoice_discrepancy" and headline:
                scenario, resolved = proration, headline.pop(0)
            account = _pick(self.rng, pools[scenario.requires])
            fields = self._ticket_fields(intent, plan, scenario, account, resolved)
            drafts.append((fields["created_at"], position, fields))
        drafts.sort(key=lambda d: (d[0], d[1]))
        width = max(6, len(str(count)))
        return [
            Ticket(id=f"T-{number:0{width}d}", **fields)
            for number, (_created, _position, fields) in enumerate(drafts, start=1)
        ]

    def _ticket_fields(
        self, intent: str, plan: _IntentPlan, scenario: Scenario, account: _Account, resolved: bool
    ) -> dict[str, Any]:
        rng = self.rng
        wording = plan.wording
        bug_index = int(rng.random() * len(self.bugs))
        facts = self._ticket_facts(account, bug_index)
        not_before = account.customer.created_at + timedelta(hours=1)
        if scenario.key in plan.invoice_scenarios:
            # The ticket is written after the invoice it talks about was issued.
            invoice = self._invoice_for(intent, scenario, account)
            if invoice is not None:
                facts.update(_invoice_facts(invoice))
                issued = datetime.combine(invoice.issued, time(6, 0), tzinfo=UTC)
                not_before = max(not_before, issued)
                if intent == "refund_request" and resolved and scenario.key in FULL_REFUNDS:
                    invoice.status = "refunded"
        if intent == "bug_report":
            bug = self.bugs[bug_index]
            assert bug.created is not None
            bug_day = datetime.combine(bug.created, time(8, 0), tzinfo=UTC)
            not_before = max(not_before, bug_day)
        page = self._page_context(intent, scenario, bug_index)
        channel: Channel = plan.channels.pick(rng)
        if page is not None and channel not in (Channel.WEB, Channel.CHAT):
            channel = Channel.WEB  # the page context comes from the in-app widget
        created = self._created_at(not_before, resolved)
        if account.paying:
            facts["next_bill"] = _long_date(_next_bill(account, created.date()))
        messages, status, updated = self._thread(
            intent, wording, scenario, facts, channel, created, resolved, bug_index
        )
        customer = account.customer
        priority: Priority = plan.priorities.pick(rng)
        if customer.tier is Tier.ENTERPRISE and priority is Priority.NORMAL and rng.random() < 0.5:
            priority = Priority.HIGH
        # Topic tags are an agent's work, so only handled tickets have them; the open queue carries
        # only what the helpdesk adds by itself.
        tags: list[str] = []
        if resolved:
            tags += [*wording.tags, scenario.key.replace("_", "-")]
            if intent == "bug_report":
                tags.append(self.bugs[bug_index].id)
            if scenario.requires == "upgrade":
                tags.append("proration")
        if customer.tier is Tier.ENTERPRISE:
            tags.append("enterprise")
        if page is not None:
            tags.append("widget")
        return {
            "subject": self._subject(wording, scenario, facts),
            "messages": messages,
            "customer": customer,
            "channel": channel,
            "status": status,
            "priority": priority,
            "created_at": created,
            "updated_at": updated,
            "tags": list(dict.fromkeys(tags)),
            "intent": intent,
            "sentiment": _pick(rng, wording.sentiments),
            "assignee": None if status is Status.NEW else facts["agent"],
            "csat": self._csat(intent) if resolved else None,
            "page_context": page,
        }

    def _invoice_for(self, intent: str, scenario: Scenario, account: _Account) -> Invoice | None:
        """The invoice a ticket is about: the latest, or for refunds a paid one."""
        if not account.invoices:
            return None
        if intent == "refund_request":
            paid = [i for i in account.invoices if i.status == "paid" and i.issued < self.today]
            return _pick(self.rng, paid[-2:]) if paid else account.invoices[-1]
        if scenario.requires == "failed":
            return next((i for i in account.invoices if i.status == "failed"), account.invoices[-1])
        if scenario.requires == "upgrade":
            return account.invoices[-1]  # the one with the proration lines
        return _pick(self.rng, account.invoices[-2:])

    def _created_at(self, not_before: datetime, resolved: bool) -> datetime:
        rng = self.rng
        latest = self.now - timedelta(minutes=10)
        # Resolved history spreads over the last 90 days. The open queue is mostly today's and
        # yesterday's mail, with a tail of older tickets, as a live desk's is.
        days = HISTORY_DAYS if resolved else min(OPEN_QUEUE_DAYS, rng.expovariate(1.0) + 0.05)
        earliest = max(self.now - timedelta(days=days), not_before)
        if earliest >= latest:
            earliest = latest - timedelta(hours=1)
        span = (latest - earliest).total_seconds()
        created = earliest + timedelta(seconds=rng.random() * span)
        if resolved and rng.random() < 0.7:
            # Most people write during their working day.
            hour = _between(rng, 8, 17)
            moved = created.replace(
                hour=hour, minute=_between(rng, 0, 59), second=_between(rng, 0, 59)
            )
            if earliest <= moved <= latest:
                created = moved
        return created

    def _thread(
        self,
        intent: str,
        wording: IntentWording,
        scenario: Scenario,
        facts: dict[str, str],
        channel: Channel,
        created: datetime,
        resolved: bool,
        bug_index: int,
    ) -> tuple[list[Message], Status, datetime]:
        rng = self.rng
        customer_name, agent = facts["name"], facts["agent"]
        body = self._customer_body(wording, scenario, facts, channel)
        steps: list[tuple[Author, str, str, float]] = [(Author.CUSTOMER, body, customer_name, 0)]
        if resolved:
            reply = self._agent_reply(intent, scenario, facts, bug_index)
            steps.append((Author.AGENT, reply, agent, rng.uniform(600, 26 * 3600)))
            if rng.random() < 0.35:
                thanks = _pick(rng, wording.thanks or phrasing.THANKS_FOLLOWUPS).format_map(facts)
                steps.append((Author.CUSTOMER, thanks, customer_name, rng.uniform(300, 86_400)))
                if rng.random() < 0.5:
                    closing = _pick(rng, phrasing.AGENT_CLOSING_REPLIES).format_map(facts)
                    steps.append((Author.AGENT, closing, agent, rng.uniform(300, 3600)))
        elif rng.random() < 0.22:
            nudge = _pick(rng, phrasing.OPEN_FOLLOWUPS)
            steps.append((Author.CUSTOMER, nudge, customer_name, rng.uniform(3600, 3 * 86_400)))
        # Squeeze the thread if it would run past now (tickets written minutes ago).
        room = (self.now - timedelta(minutes=1) - created).total_seconds()
        total = sum(step[3] for step in steps) + (600 if resolved else 0)
        scale = min(1.0, room / total) if total else 1.0
        messages = []
        at = created
        for author, text, who, delay in steps:
            at = at + timedelta(seconds=delay * scale)
            messages.append(Message(author=author, body=text, at=at, author_name=who))
        if resolved:
            updated = at + timedelta(seconds=rng.uniform(60, 600) * scale)
            status = Status.CLOSED if updated < self.now - timedelta(days=4) else Status.SOLVED
        else:
            updated = at
            if rng.random() < wording.escalate_rate:
                status = Status.ESCALATED
            else:
                status = _pick(
                    rng, (Status.NEW, Status.NEW, Status.OPEN, Status.OPEN, Status.PENDING)
                )
        return messages, status, updated

    def _customer_body(
        self, wording: IntentWording, scenario: Scenario, facts: dict[str, str], channel: Channel
    ) -> str:
        rng = self.rng
        chat = channel is Channel.CHAT
        core = _pick(rng, scenario.cores)
        opener = _pick(rng, wording.openers) if rng.random() < 0.45 else ""
        detail = _pick(rng, scenario.details) if scenario.details and rng.random() < 0.6 else ""
        closer = ""
        if rng.random() < 0.7:
            generic = wording.polite and rng.random() < 0.4
            closer = _pick(rng, phrasing.CLOSERS if generic else wording.closers)
        if detail and not set(_FIELD.findall(detail)).isdisjoint(_FIELD.findall(core)):
            detail = ""  # the core already names that invoice, address or amount
        middle = [core, detail] if rng.random() < 0.75 else [detail, core]
        parts = [p.format_map(facts) for p in (opener, *middle, closer) if p]
        text = _join_sentences(parts, rng).replace("..", ".")  # "{company}." after "Co."
        if not chat and rng.random() < 0.65:
            text = f"{_pick(rng, phrasing.GREETINGS)}\n\n{text}"
        if not chat and rng.random() < 0.6:
            text = f"{text}\n\n{_pick(rng, phrasing.SIGNATURES).format_map(facts)}"
        return _roughen(text, rng, casual=chat)

    def _agent_reply(
        self, intent: str, scenario: Scenario, facts: dict[str, str], bug_index: int
    ) -> str:
        rng = self.rng
        if intent == "bug_report":
            bug = self.bugs[bug_index]
            if bug.status == "fixed":
                options = phrasing.BUG_REPLY_FIXED
            elif bug.workaround:
                options = phrasing.BUG_REPLY_WORKAROUND
            else:
                options = phrasing.BUG_REPLY_NO_WORKAROUND
        else:
            options = scenario.replies
        body = _pick(rng, options)
        if "{first}" in body[:80]:
            greeting = ""  # the reply already opens with their name
        elif body.startswith(("Thanks", "Sorry")):
            greeting = _pick(rng, phrasing.AGENT_GREETINGS[:2])
        else:
            greeting = _pick(rng, phrasing.AGENT_GREETINGS)
        parts = (
            greeting,
            body,
            _pick(rng, phrasing.AGENT_EXTRA_LINES),
            _pick(rng, phrasing.AGENT_SIGNOFFS),
        )
        return "\n\n".join(p for p in parts if p).format_map(facts).replace("..", ".")

    def _subject(self, wording: IntentWording, scenario: Scenario, facts: dict[str, str]) -> str:
        rng = self.rng
        pool = scenario.subjects if scenario.subjects and rng.random() < 0.55 else wording.subjects
        subject = _pick(rng, pool).format_map(facts)
        roll = rng.random()
        if roll < 0.1:
            subject = subject.lower()
        elif roll < 0.15:
            subject = f"Re: {subject}"
        elif roll < 0.2:
            subject = f"{subject} ({facts['company']})"
        return subject

    def _page_context(self, intent: str, scenario: Scenario, bug_index: int) -> PageContext | None:
        rng = self.rng
        if intent == "bug_report":
            bug = self.bugs[bug_index]
            _name, title, state, _symptoms = phrasing.BUG_SYMPTOMS[bug.id]
            errors = [_console_error(bug.error_signature, rng)]
            if rng.random() < 0.4:
                errors.append("Something went wrong. Please try again.")
            return PageContext(
                url=bug.page_url,
                title=title,
                visible_state=state,
                errors=errors,
                steps_attempted=rng.sample(phrasing.BUG_STEPS, _between(rng, 1, 3)),
            )
        page = scenario.page
        if page is None or rng.random() >= scenario.page_rate:
            return None
        steps = []
        if intent == "account_access" and rng.random() < 0.6:
            steps = rng.sample(("Tried my password again", "Used Forgot password?"), 1)
        return PageContext(
            url=APP_URL + page.path,
            title=page.title,
            visible_state=page.visible_state,
            errors=[page.banner] if page.banner else [],
            steps_attempted=steps,
        )

    def _csat(self, intent: str) -> int | None:
        rng = self.rng
        if rng.random() < 0.15:
            return None  # not everyone answers the survey
        if intent == "complaint":
            return _pick(rng, (1, 2, 2, 3, 3, 4))
        return _pick(rng, (5, 5, 5, 5, 5, 4, 4, 4, 3, 2))


# --------------------------------------------------------------------------- helpers


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    """rng.choice without its overhead: the ticket loop makes millions of these."""
    return items[int(rng.random() * len(items))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """rng.randint(low, high), faster."""
    return low + int(rng.random() * (high - low + 1))


def _plan_id(spec: _PlanSpec) -> str:
    return spec.tier.value


def _names_invoice(wording: IntentWording, scenario: Scenario) -> bool:
    texts = (
        *wording.subjects,
        *wording.openers,
        *wording.closers,
        *scenario.subjects,
        *scenario.cores,
        *scenario.details,
        *scenario.replies,
    )
    return any(key in text for text in texts for key in ("{invoice}", "{amount}", "{issued}"))


def _next_bill(account: _Account, day: date) -> date:
    """The billing date following `day` (every cycle starts on the same day of the month)."""
    bill = day.replace(day=account.cycles[-1].day)
    return bill if bill > day else _add_months(bill, 1)


def _invoice_facts(invoice: Invoice) -> dict[str, str]:
    return {
        "invoice": invoice.number,
        "amount": _money(invoice.total),
        "issued": _long_date(invoice.issued),
    }


def _proration_lines(upgrade: _Upgrade) -> list[InvoiceLine]:
    """Credit for the old plan's unused days and a charge for the new plan over those days."""
    when, end = upgrade.change.at, upgrade.change.cycle_end
    stamp = _long_date(when)
    return [
        InvoiceLine(
            description=f"Unused time on {upgrade.old.name} after {stamp}",
            amount=-upgrade.credit,
            period_start=when,
            period_end=end,
            proration=True,
        ),
        InvoiceLine(
            description=f"Remaining time on {upgrade.new.name} after {stamp}",
            amount=upgrade.charge,
            period_start=when,
            period_end=end,
            proration=True,
        ),
    ]


def _console_error(signature: str, rng: random.Random) -> str:
    bundle = f"main.{rng.getrandbits(24):06x}.js"
    column = _between(rng, 1_000, 99_999)
    style = rng.randrange(3)
    if style == 0:
        return f"Uncaught {signature}\n    at {bundle}:1:{column}"
    if style == 1:
        return f"Uncaught (in promise) {signature}"
    return f"{signature} (at {bundle}:2:{column})"


_END_PUNCTUATION = (".", "!", "?", ":", "…")


def _join_sentences(parts: list[str], rng: random.Random) -> str:
    """Joins slot texts; an opener ending mid-sentence ("…, but") runs into the next part."""
    text = parts[0]
    for part in parts[1:]:
        if text.endswith(_END_PUNCTUATION):
            separator = "\n\n" if rng.random() < 0.15 else " "
        else:
            separator = " "
            if len(part) > 1 and part[1].islower():
                part = part[0].lower() + part[1:]
        text = f"{text}{separator}{part}"
    return text


_FIELD = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"\b[a-z]{5,}\b")
_TOKEN = re.compile(r"\S+")


def _roughen(text: str, rng: random.Random, *, casual: bool) -> str:
    """The way people really type: the odd typo, all lowercase, no final full stop."""
    if rng.random() < 0.12:
        words = list(_WORD.finditer(text))
        if words:
            match = _pick(rng, words)
            word = match.group()
            cut = rng.randrange(1, len(word) - 2)
            kind = rng.randrange(3)
            if kind == 0:
                typo = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]
            elif kind == 1:
                typo = word[:cut] + word[cut + 1 :]
            else:
                typo = word[:cut] + word[cut] + word[cut:]
            text = text[: match.start()] + typo + text[match.end() :]
    if rng.random() < (0.3 if casual else 0.07):
        # Identifiers (invoice numbers, order ids) keep their case: people paste them.
        text = _TOKEN.sub(
            lambda m: m.group() if any(c.isdigit() for c in m.group()) else m.group().lower(),
            text,
        )
    if casual and text.endswith(".") and rng.random() < 0.5:
        text = text[:-1]
    return text


def _articles() -> list[Article]:
    articles = []
    for slug, category, body in ARTICLES:
        title = body.splitlines()[0].removeprefix("# ").strip()
        articles.append(Article(slug=slug, title=title, category=category, body=body))
    return articles
