"""The ticket's header: id, subject, status and owner, who else holds it, and a hand-off banner.

State in reactives (the ticket, the agent holding it, the triage); the screen assigns them
and the widgets repaint themselves.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from deskpilot.models import Ticket, TriageRecord
from deskpilot.tui import outside


class TicketHeader(Static):
    """``[b]T-1[/b] · subject`` and the ticket's state on the second line."""

    DEFAULT_CSS = """
    TicketHeader { height: auto; padding: 0 1; background: $boost; }
    """

    ticket: reactive[Ticket | None] = reactive(None, always_update=True, layout=True)
    handled_by: reactive[str | None] = reactive(None, layout=True)  # another agent: read only
    # Under the state line: asleep or back from a snooze, merged, or a likely duplicate.
    notice: reactive[Content] = reactive(Content(""), layout=True)

    def watch_ticket(self) -> None:
        self._repaint()

    def watch_handled_by(self) -> None:
        self._repaint()

    def watch_notice(self) -> None:
        self._repaint()

    def _repaint(self) -> None:
        ticket = self.ticket
        if ticket is None:
            self.update("")  # another ticket is on its way
            return
        intent = ticket.intent or "-"
        if ticket.intent_confidence is not None and ticket.intent_source != "correction":
            intent += f" {ticket.intent_confidence:.0%}"
        sentiment = ticket.sentiment.value if ticket.sentiment else "-"
        title = outside.markup(
            "[b]$id[/b] · $subject\n$status · $priority · intent $intent · mood $mood · $channel"
            " · owner $owner",
            owner=ticket.assignee or "nobody",
            id=ticket.id,
            subject=ticket.subject,
            status=ticket.status.value,
            priority=ticket.priority.value,
            intent=intent,
            mood=sentiment,
            channel=ticket.channel.value,
        )
        title += self.notice
        if self.handled_by:
            title += outside.markup(
                "\n[b $warning]Being handled by $holder[/] · read only", holder=self.handled_by
            )
        self.update(title)


class HandoffBanner(Static):
    """Shown when triage says a human is needed, with its reason."""

    DEFAULT_CSS = """
    HandoffBanner { height: auto; padding: 0 1; background: $warning 30%; display: none; }
    HandoffBanner.-shown { display: block; }
    """

    triage: reactive[TriageRecord | None] = reactive(None, always_update=True, layout=True)

    def watch_triage(self, triage: TriageRecord | None) -> None:
        if triage and triage.handoff:
            self.update(
                outside.markup("[b]Human needed:[/b] $reason", reason=triage.handoff_reason)
            )
            self.add_class("-shown")
        else:
            self.remove_class("-shown")
