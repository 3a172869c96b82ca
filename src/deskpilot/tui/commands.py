"""The command palette's desk commands: jump to a ticket by id or subject, switch the queue's
view, put a macro in the draft.

A Textual ``Provider`` (as Posting's): the palette asks it as the agent types. Ticket search
runs the queue search in a thread (it can take a moment on a large desk). Every title shown
is outside text (subjects, view titles, macro names), so hits are displayed as content, never
as markup (Textual's ``Matcher.highlight`` parses its candidate as markup: not used here).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError
from deskpilot.tui import messages, outside
from deskpilot.tui.screens.queue import QueueScreen
from deskpilot.tui.screens.ticket import TicketScreen

TICKETS_SHOWN = 8
SEARCH_FROM = 3  # characters typed before tickets are searched by subject and messages


class DeskCommands(Provider):
    """Tickets, views and macros, for the screen the palette was opened on."""

    @property
    def _desk(self) -> Desk | None:
        screen = self.screen
        return screen.desk if isinstance(screen, QueueScreen | TicketScreen) else None

    async def discover(self) -> Hits:
        for text, command, help_text in self._views_and_macros():
            yield DiscoveryHit(outside.text(text, one_line=True), command, text, help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._views_and_macros():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, _highlighted(matcher, text), command, text, help_text)
        for ticket_id, subject in await self._tickets(query):
            text = f"Ticket {ticket_id}: {subject}"
            # The queue search matched its messages too: a hit without a fuzzy match on the
            # title still shows, below those with one.
            score = max(matcher.match(text), 0.1)
            shown = _highlighted(matcher, text)
            yield Hit(score, shown, partial(self._open, ticket_id), text, "Open the ticket")

    def _views_and_macros(self) -> list[tuple[str, Callable[[], object], str]]:
        desk, screen = self._desk, self.screen
        found: list[tuple[str, Callable[[], object], str]] = []
        if desk is None:
            return found
        if isinstance(screen, QueueScreen):
            for number, (name, title) in enumerate(desk.view_titles().items(), start=1):
                found.append(
                    (f"View: {title}", partial(screen.switch_view, name), f"View {number}")
                )
        if isinstance(screen, TicketScreen):
            for name in desk.settings.macros:
                found.append(
                    (f"Macro: {name}", partial(screen.apply_macro, name), "Put it in the draft")
                )
        return found

    async def _tickets(self, query: str) -> list[tuple[str, str]]:
        desk = self._desk
        query = query.strip()
        if desk is None or not query:
            return []
        return await asyncio.to_thread(_find_tickets, desk, query)

    def _open(self, ticket_id: str) -> None:
        screen = self.screen
        if isinstance(screen, TicketScreen):
            screen.leave_for(ticket_id)
        else:
            self.app.post_message(messages.OpenTicket(ticket_id))


def _find_tickets(desk: Desk, query: str) -> list[tuple[str, str]]:
    """(id, subject) of the ticket with this id (any status), then of the default view's
    tickets matching the query (subject, messages, customer)."""
    found: dict[str, str] = {}
    for ticket_id in dict.fromkeys([query, query.upper()]):
        with contextlib.suppress(DeskPilotError):  # not an id
            found[ticket_id] = desk.ticket(ticket_id).subject
    if len(query) >= SEARCH_FROM:
        view = desk.search(query, desk.view(desk.settings.tui.default_view))
        for row in desk.page(view, 0, TICKETS_SHOWN):
            found.setdefault(row.id, row.subject)
    return list(found.items())[:TICKETS_SHOWN]


def _highlighted(matcher: Matcher, candidate: str) -> Content:
    """The candidate as text (never markup), its fuzzy-matched characters in the match style."""
    shown = outside.plain(candidate, one_line=True)
    content = Content(shown)
    score, offsets = matcher.fuzzy_search.match(matcher.query, shown)
    if not score:
        return content
    for offset in offsets:
        if not shown[offset].isspace():
            content = content.stylize(matcher._match_style, offset, offset + 1)
    return content
