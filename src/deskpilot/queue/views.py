"""Saved queue views: named filters from config, resolved for one agent at one moment."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from deskpilot.config import Settings, ViewSettings
from deskpilot.errors import ConfigError
from deskpilot.models import Priority, Status
from deskpilot.queue.sla import CLOCK_RUNNING, due_soon_cutoffs
from deskpilot.store import SORT_KEYS, QueueFilter

ME = "me"


@dataclass(frozen=True)
class QueueView:
    name: str
    title: str
    where: QueueFilter
    sort: str = "priority"
    descending: bool = False

    def sorted_by(self, column: str) -> QueueView:
        """Sort by ``column``; choosing the current column again flips the direction."""
        if column == self.sort:
            return replace(self, descending=not self.descending)
        return replace(self, sort=column, descending=False)

    def filtered(self, **changes: object) -> QueueView:
        return replace(self, where=replace(self.where, **changes))  # type: ignore[arg-type]


# Sort keys whose stored order runs against what the column shows: "age" sorts by the time a
# ticket was created, so its natural (ascending) order lists the oldest (largest age) first.
COUNTER_ORDERED = frozenset({"age"})


def order_label(sort: str, descending: bool) -> str:
    """The order in the agent's words: it must agree with what the rows show."""
    if sort == "age":
        return "newest first" if descending else "oldest first"
    if sort == "priority":
        return "lowest priority first" if descending else "most urgent first"
    return "descending" if descending else "ascending"


def shows_descending(sort: str, descending: bool) -> bool:
    """Whether the column's shown values fall down the list (the header's ▼)."""
    return descending != (sort in COUNTER_ORDERED)


def resolve_view(name: str, settings: Settings, agent: str, now: datetime) -> QueueView:
    try:
        spec = settings.views[name]
    except KeyError:
        raise ConfigError(
            f"no queue view '{name}'; views: {', '.join(settings.views)} ([views] in config.toml)"
        ) from None
    return _view(name, spec, settings, agent, now)


def _view(
    name: str, spec: ViewSettings, settings: Settings, agent: str, now: datetime
) -> QueueView:
    try:
        statuses = frozenset(Status(s) for s in spec.statuses)
        priority = Priority(spec.priority) if spec.priority else None
    except ValueError as error:
        raise ConfigError(f"[views.{name}]: {error}") from None
    if spec.breaching:
        statuses = statuses & CLOCK_RUNNING
    sort, descending = spec.sort.removeprefix("-"), spec.sort.startswith("-")
    if sort not in SORT_KEYS:
        raise ConfigError(f"[views.{name}] sort: '{sort}' is not one of {', '.join(SORT_KEYS)}")
    where = QueueFilter(
        statuses=statuses,
        intent=spec.intent,
        priority=priority,
        assignee=agent if spec.assignee == ME else spec.assignee,
        unassigned=spec.unassigned,
        created_before=due_soon_cutoffs(now, settings.sla) if spec.breaching else None,
        tag=spec.tag,
        awake_at=now,  # snoozed tickets stay out until they come back (Desk.page renews it)
        snoozed_only=spec.snoozed,
    )
    return QueueView(name, spec.title or name, where, sort, descending)
