"""The context panel: who the customer is, what triage found, the page they were on, and
what the connectors returned (CRM, billing, known bugs, team chat), each problem on its own.

State in reactives; the screen assigns what it loaded and the panel repaints itself. Every value
is outside text, shown through ``tui/outside.py``.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from deskpilot.copilot.context import DraftContext
from deskpilot.models import Ticket, TriageRecord
from deskpilot.tui import outside


class ContextPanel(Static):
    ticket: reactive[Ticket | None] = reactive(None, always_update=True, layout=True)
    triage: reactive[TriageRecord | None] = reactive(None, always_update=True, layout=True)
    # What the connectors returned: from the draft, or loaded on its own without one.
    context: reactive[DraftContext | None] = reactive(None, always_update=True, layout=True)
    problem: reactive[str | None] = reactive(None, layout=True)  # the context failed to load

    def watch_ticket(self) -> None:
        self._repaint()

    def watch_triage(self) -> None:
        self._repaint()

    def watch_context(self) -> None:
        self._repaint()

    def watch_problem(self) -> None:
        self._repaint()

    def _repaint(self) -> None:
        ticket, triage, context, problem = self.ticket, self.triage, self.context, self.problem
        if ticket is None:
            self.update("Loading…")  # the ticket is on its way
            return
        lines: list[Content | str] = []
        if ticket.customer:
            c = ticket.customer
            plan = f"plan {c.plan}" if c.plan else "no plan"
            lines += [
                outside.markup("[b]$who[/b]", who=c.name or c.email)
                + (outside.markup(" · $company", company=c.company) if c.company else ""),
                outside.text(c.email),
                outside.text(f"{c.tier.value} tier · {plan}"),
            ]
        else:
            lines.append("No customer on this ticket.")
        if triage:
            t = triage
            lines += [
                "",
                outside.markup(
                    "[b]Triage[/b] $intent ($confidence), $sentiment",
                    intent=t.intent,
                    confidence=f"{t.confidence:.0%}",
                    sentiment=t.sentiment.value,
                ),
            ]
            lines += [outside.markup("  $evidence", evidence=e) for e in t.evidence]
        page = ticket.page_context
        if page and not page.is_empty():
            lines += ["", outside.markup("[b]Page[/b] $title", title=page.title or page.url)]
            if page.url:
                lines.append(outside.markup("  $url", url=page.url))
            if page.visible_state:
                lines.append(outside.markup("  sees: $state", state=page.visible_state))
            lines += [outside.markup("  [red]error:[/red] $error", error=e) for e in page.errors]
            lines += [outside.markup("  tried: $step", step=s) for s in page.steps_attempted]
            if page.unverified_identity:
                lines.append(
                    outside.markup("  [b]unverified:[/b] $who", who=page.unverified_identity)
                )
            if page.environment:
                shown = " · ".join(page.environment[k] for k in sorted(page.environment))
                lines.append(outside.markup("  browser: $environment", environment=shown))
            lines += [
                outside.markup("  $name: $value", name=name, value=value)
                for name, value in sorted(page.product_context.items())
            ]
        if context is not None:
            lines += connector_lines(context)
        elif problem is not None:
            lines += [
                "",
                outside.markup("[red]CRM and billing: $error[/red]", error=problem),
            ]
        else:
            lines += ["", "Loading CRM and billing…"]
        self.update(outside.lines(lines))


def connector_lines(context: DraftContext) -> list[Content | str]:
    """The case brief, then CRM, billing and known bugs as the connectors returned them, each
    problem on its own."""
    lines: list[Content | str] = []
    if context.brief is not None and context.brief.lines():
        # What the draft was built to answer: the agent checks it against the thread.
        lines += ["", outside.markup("[b]Brief[/b]")]
        lines += [outside.markup("  $line", line=line) for line in context.brief.lines()]
    if context.crm:
        crm = context.crm
        lines += [
            "",
            outside.markup(
                "[b]CRM[/b] $seats seats · owner $owner",
                seats=crm.seats,
                owner=crm.account_owner or "-",
            ),
        ]
        lines += [
            outside.markup("  note $at: $body", at=f"{n.at:%Y-%m-%d}", body=n.body[:120])
            for n in crm.notes[-2:]
        ]
    if context.history:
        earlier = ", ".join(f"{t.id} {t.subject}" for t in context.history)
        lines.append(outside.markup("  earlier: $tickets", tickets=earlier))
    billing = [f for f in context.facts if f.label in {"plan", "proration", "invoice"}]
    if billing:
        lines += ["", outside.markup("[b]Billing[/b]")]
        lines += [outside.markup("  $fact", fact=f.text) for f in billing]
    if context.bugs:
        lines += ["", outside.markup("[b]Known bugs[/b]")]
        lines += [
            outside.markup("  $id ($status) $title", id=b.id, status=b.status, title=b.title)
            for b in context.bugs
        ]
    if context.team_messages:
        lines += ["", outside.markup("[b]Team chat[/b]")]
        lines += [
            outside.markup(
                "  $at $channel $author: $text",
                at=f"{m.at:%Y-%m-%d}",
                channel=m.channel,
                author=m.author,
                text=m.text[:160],
            )
            for m in context.team_messages
        ]
    lines += [outside.markup("[red]$problem[/red]", problem=p) for p in context.problems]
    return lines
