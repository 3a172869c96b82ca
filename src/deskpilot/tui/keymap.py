"""Keys are data: every one-key action with its id, default key, scope and description.

Bindings are built from this table, users remap them by id (``[tui.keys]`` in config.toml),
and the help screen and the command palette are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

GLOBAL = "global"
QUEUE = "queue"
TICKET = "ticket"


@dataclass(frozen=True)
class KeyAction:
    id: str
    key: str
    action: str  # the Textual action it runs, e.g. "open_ticket"
    description: str
    scope: str
    show: bool = True  # in the footer


ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("quit", "q", "app.quit", "Quit", GLOBAL),
    KeyAction("help", "question_mark", "app.help", "Keys", GLOBAL),
    KeyAction("stats", "ctrl+t", "app.stats", "Team stats", GLOBAL, show=False),
    KeyAction("open", "enter", "open_ticket", "Open", QUEUE),
    KeyAction("down", "j,down", "cursor_down", "Down", QUEUE, show=False),
    KeyAction("up", "k,up", "cursor_up", "Up", QUEUE, show=False),
    KeyAction("page_down", "pagedown,ctrl+d", "page_down", "Page down", QUEUE, show=False),
    KeyAction("page_up", "pageup,ctrl+u", "page_up", "Page up", QUEUE, show=False),
    KeyAction("top", "home,g", "first", "First ticket", QUEUE, show=False),
    KeyAction("bottom", "end,G", "last", "Last ticket", QUEUE, show=False),
    KeyAction("search", "slash", "search", "Search", QUEUE),
    KeyAction("filter", "F", "filter", "Filter", QUEUE),
    KeyAction("sort", "s", "sort_next", "Sort", QUEUE),
    KeyAction("reverse", "S", "sort_reverse", "Reverse", QUEUE, show=False),
    KeyAction("views", "v", "next_view", "Next view", QUEUE),
    KeyAction("clear", "escape", "clear", "Clear search", QUEUE, show=False),
    KeyAction("refresh", "ctrl+r", "refresh", "Refresh", QUEUE, show=False),
    KeyAction("send", "a", "send", "Send draft", TICKET),
    KeyAction("edit", "e", "edit", "Edit draft", TICKET),
    KeyAction("regenerate", "r", "regenerate", "Regenerate", TICKET),
    KeyAction("discard", "d", "discard", "Discard draft", TICKET, show=False),
    KeyAction("macro", "m", "macro", "Macro", TICKET, show=False),
    KeyAction("reset_password", "p", "reset_password", "Reset password", TICKET),
    KeyAction("refund", "f", "refund", "Refund", TICKET),
    KeyAction("setting", "u", "update_setting", "Account setting", TICKET),
    KeyAction("bug", "b", "create_bug", "Bug ticket", TICKET),
    KeyAction("status", "s", "status_lookup", "Status", TICKET),
    KeyAction("escalate", "x", "escalate", "Escalate", TICKET),
    KeyAction("note", "n", "note", "Note", TICKET),
    KeyAction("intent", "t", "change_intent", "Intent", TICKET),
    KeyAction("read", "o", "read_knowledge", "Read sources", TICKET),
    KeyAction("close", "c", "close_ticket", "Close", TICKET),
    KeyAction("retry", "R", "retry_delivery", "Retry failed reply", TICKET, show=False),
    KeyAction("back", "escape", "back", "Back", TICKET),
)


BindingList = list[Binding | tuple[str, str] | tuple[str, str, str]]


def bindings(scope: str) -> BindingList:
    return [
        Binding(a.key, a.action, a.description, show=a.show, id=a.id)
        for a in ACTIONS
        if a.scope == scope
    ]


def actions_in(scope: str) -> list[KeyAction]:
    return [a for a in ACTIONS if a.scope == scope]


def display_key(key: str) -> str:
    names = {"question_mark": "?", "slash": "/", "escape": "esc", "pagedown": "PgDn"}
    names |= {"pageup": "PgUp", "enter": "enter"}
    return " ".join(names.get(part, part) for part in key.split(","))
