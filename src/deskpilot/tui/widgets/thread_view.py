"""The ticket's thread: each message with who, when and through which channel, its
attachments, and for a reply whether it reached the customer."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from deskpilot.models import Author, Message, Ticket
from deskpilot.store.channels import DeliveryState, OutboxEntry
from deskpilot.tui import outside

AUTHOR_STYLE = {
    Author.CUSTOMER: "bold $primary",
    Author.AGENT: "bold $success",
    Author.AI: "bold $secondary",
    Author.NOTE: "bold $warning",
}
DELIVERY_STYLE = {
    DeliveryState.SENT: "$success",
    DeliveryState.QUEUED: "$warning",
    DeliveryState.SENDING: "$warning",
    DeliveryState.FAILED: "bold $error",
}


@dataclass(frozen=True)
class Thread:
    """What the view shows: the ticket's messages and each reply's way out, by Message-ID."""

    ticket: Ticket
    deliveries: dict[str, OutboxEntry] = field(default_factory=dict)


class ThreadView(VerticalScroll):
    DEFAULT_CSS = """
    ThreadView { height: 1fr; padding: 0 1; }
    ThreadView .message { margin-bottom: 1; }
    ThreadView .note { background: $warning 15%; }
    ThreadView.-loading { visibility: hidden; }
    """

    thread: reactive[Thread | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[tuple[Content, str]] = []  # each block's content and classes

    def on_resize(self) -> None:
        """A thread longer than its pane is anchored: it keeps showing its newest message when
        the pane changes after the scroll to the end (the draft pane or the header taking rows
        as they fill in, the messages wrapping again when the scrollbar appears), until the agent
        scrolls up to read. A shorter one is not, as an anchor pins it to the pane's bottom."""
        overflows = self.max_scroll_y > 0
        if overflows != self.is_anchored:
            self.anchor(overflows)

    def watch_thread(self, thread: Thread | None) -> None:
        """Repaint in place: a block whose message looks the same is left alone, a changed one
        is updated, new ones are mounted. The thread is shown again after every load (a reply
        sent, a delivery's state changed), and remounting every message each time cost a
        frame or more on the event loop in the middle of a send."""
        if thread is None:
            # Another ticket is on its way (the screen shows the next one): the messages shown
            # are the old ticket's, hidden (kept, to be updated in place) until it comes.
            self.set_class(bool(self._shown), "-loading")
            return
        self.remove_class("-loading")
        wanted = [
            (
                message_content(thread.ticket, message, thread.deliveries),
                "message" + (" note" if message.author is Author.NOTE else ""),
            )
            for message in thread.ticket.messages
        ]
        blocks = list(self.query_children(Static))
        for block, shown, (content, classes) in zip(blocks, self._shown, wanted, strict=False):
            if shown != (content, classes):
                block.update(content)
                block.set_classes(classes)
        removed = self.remove_children(blocks[len(wanted) :])
        mounted = self.mount_all(
            [Static(content, classes=classes) for content, classes in wanted[len(blocks) :]]
        )
        self._shown = wanted

        async def scroll_to_the_newest() -> None:
            # The thread arrives from a worker, once the screen is laid out: its end is known
            # only when the old messages are gone and the new ones are mounted.
            await removed
            await mounted
            self.scroll_end(animate=False)

        self.call_later(scroll_to_the_newest)


def message_content(
    ticket: Ticket, message: Message, deliveries: dict[str, OutboxEntry]
) -> Content:
    """One message of the thread: who, when, through which channel, the text, its
    attachments, and for a reply whether it reached the customer."""
    style = AUTHOR_STYLE[message.author]
    lines = [
        outside.markup(
            f"[{style}]$who[/] [dim]$at · $channel[/dim]",
            who=outside.plain(message.author_name or message.author.value, one_line=True),
            at=f"{message.at:%Y-%m-%d %H:%M}",
            channel=(message.channel or ticket.channel).value,
        ),
        outside.text(message.body),
    ]
    lines += [
        outside.markup(
            "[dim]attachment: $name ($kind, $size bytes)[/dim]",
            name=outside.plain(attachment.name, one_line=True),
            kind=outside.plain(attachment.content_type, one_line=True),
            size=f"{attachment.size:,}",
        )
        for attachment in message.attachments
    ]
    entry = deliveries.get(message.external_id) if message.external_id else None
    if message.author is Author.AGENT and entry is not None:
        retry = " · R retries" if entry.state is DeliveryState.FAILED else ""
        lines.append(
            outside.markup(
                f"[{DELIVERY_STYLE[entry.state]}]$state[/]$retry",
                state=outside.plain(entry.describe(), one_line=True),
                retry=retry,
            )
        )
    return Content("\n").join(lines)
