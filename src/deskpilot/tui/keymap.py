"""Keys are data: every one-key action with its id, default key, scope and description.

Bindings are built from this table, users remap them by id (``[tui.keys]`` in config.toml),
and the help screen and the command palette are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

GLOBAL = "global"  # the app's
QUEUE = "queue"  # the queue screen's
QUEUE_TABLE = "queue_table"  # the queue table's: moving the cursor (it has the focus)
TICKET = "ticket"  # the ticket screen's


@dataclass(frozen=True)
class KeyAction:
    id: str
    key: str
    action: str  # the Textual action it runs, e.g. "open_ticket"
    description: str
    scope: str
    show: bool = True  # in the footer


ACTIONS: tuple[KeyAction, ...] = (
    # In the footer (``show``): the keys agents use most, in this order, then ``?`` for the
    # rest; the help screen and the command palette list every one.
    KeyAction("quit", "q", "app.quit", "Quit", GLOBAL),
    KeyAction("help", "question_mark", "app.help", "All keys", GLOBAL),
    KeyAction("stats", "ctrl+t", "app.stats", "Team stats", GLOBAL, show=False),
    KeyAction("open", "enter", "open_ticket", "Open", QUEUE),
    KeyAction("next", "n", "next_ticket", "Next ticket", QUEUE),
    KeyAction("take", "t", "take", "Take", QUEUE),
    KeyAction("assign", "A", "assign", "Assign", QUEUE, show=False),
    KeyAction("search", "slash", "search", "Search", QUEUE),
    KeyAction("filter", "F", "filter", "Filter", QUEUE),
    KeyAction("views", "v", "next_view", "Next view", QUEUE),
    KeyAction("sort", "s", "sort_next", "Sort", QUEUE),
    KeyAction("reverse", "S", "sort_reverse", "Reverse", QUEUE, show=False),
    KeyAction("down", "j,down", "cursor_down", "Down", QUEUE_TABLE, show=False),
    KeyAction("up", "k,up", "cursor_up", "Up", QUEUE_TABLE, show=False),
    KeyAction("page_down", "pagedown,ctrl+d", "page_down", "Page down", QUEUE_TABLE, show=False),
    KeyAction("page_up", "pageup,ctrl+u", "page_up", "Page up", QUEUE_TABLE, show=False),
    KeyAction("top", "home,g", "first", "First ticket", QUEUE_TABLE, show=False),
    KeyAction("bottom", "end,G", "last", "Last ticket", QUEUE_TABLE, show=False),
    KeyAction("clear", "escape", "clear", "Clear search", QUEUE, show=False),
    KeyAction("refresh", "ctrl+r", "refresh", "Refresh", QUEUE, show=False),
    # The saved views by their place in [views] (remap ``view_1`` ... like any other key).
    *(
        KeyAction(f"view_{n}", str(n), f"view({n})", f"View {n}", QUEUE, show=False)
        for n in range(1, 10)
    ),
    KeyAction("send", "a", "send", "Send", TICKET),
    KeyAction("edit", "e", "edit", "Edit", TICKET),
    KeyAction("regenerate", "r", "regenerate", "Regenerate", TICKET),
    KeyAction("discard", "d", "discard", "Discard", TICKET),
    KeyAction("macro", "m", "macro", "Macro", TICKET),
    KeyAction("note", "n", "note", "Note", TICKET),
    KeyAction("escalate", "x", "escalate", "Escalate", TICKET),
    KeyAction("close", "c", "close_ticket", "Close", TICKET),
    KeyAction("retry", "R", "retry_delivery", "Retry failed reply", TICKET, show=False),
    KeyAction("ticket_next", "N", "next_ticket", "Next ticket", TICKET),
    KeyAction("back", "escape", "back", "Back", TICKET),
    KeyAction("ticket_take", "T", "take", "Take", TICKET, show=False),
    KeyAction("ticket_assign", "A", "assign", "Assign", TICKET, show=False),
    KeyAction("reopen", "O", "reopen", "Reopen", TICKET, show=False),
    KeyAction("snooze", "z", "snooze", "Snooze", TICKET, show=False),
    KeyAction("merge", "M", "merge", "Merge into…", TICKET, show=False),
    KeyAction("reset_password", "p", "reset_password", "Reset password", TICKET, show=False),
    KeyAction("unlock", "U", "unlock_account", "Unlock account", TICKET, show=False),
    KeyAction(
        "cancel_subscription", "C", "cancel_subscription", "Cancel subscription", TICKET, show=False
    ),
    KeyAction("refund", "f", "refund", "Refund", TICKET, show=False),
    KeyAction("setting", "u", "update_setting", "Account setting", TICKET, show=False),
    KeyAction("bug", "b", "create_bug", "Bug ticket", TICKET, show=False),
    KeyAction("status", "s", "status_lookup", "Status", TICKET, show=False),
    KeyAction("intent", "t", "change_intent", "Intent", TICKET, show=False),
    KeyAction("read", "o", "read_knowledge", "Read sources", TICKET, show=False),
)


BindingList = list[Binding | tuple[str, str] | tuple[str, str, str]]


def bindings(scope: str) -> BindingList:
    return [
        Binding(a.key, a.action, a.description, show=a.show, id=a.id)
        for a in ACTIONS
        if a.scope == scope
    ]


# Moving around is for keys, not for the command palette (which lists the views by name).
NAVIGATION = frozenset(
    {"down", "up", "page_down", "page_up", "top", "bottom", "clear", "refresh", "back"}
    | {f"view_{n}" for n in range(1, 10)}
)


def footer_rank(binding_id: str | None) -> int:
    """Where a key stands in the footer: the key map's order, whatever key it is mapped to
    (a remapped binding must not drop to the end, past the edge of the terminal)."""
    for index, action in enumerate(ACTIONS):
        if action.id == binding_id:
            # The help key closes the list: every other key is one press of it away.
            return len(ACTIONS) + (action.id == "help") if action.scope == GLOBAL else index
    return len(ACTIONS) + 1


def actions_in(*scopes: str) -> list[KeyAction]:
    return [a for a in ACTIONS if a.scope in scopes]


def display_key(key: str) -> str:
    names = {"question_mark": "?", "slash": "/", "escape": "esc", "pagedown": "PgDn"}
    names |= {"pageup": "PgUp", "enter": "enter"}
    return " ".join(names.get(part, part) for part in key.split(","))
