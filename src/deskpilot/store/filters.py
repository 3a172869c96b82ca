"""Which tickets and in what order: the queue's filter (``QueueFilter``), its sort keys, and the
SQL conditions and ordering they become (the queue, counts, search and claiming share them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from deskpilot.models import Priority, Status
from deskpilot.store import schema


@dataclass(frozen=True)
class QueueFilter:
    statuses: frozenset[Status] | None = None  # None: every status
    intent: str | None = None
    priority: Priority | None = None
    assignee: str | None = None
    unassigned: bool = False
    # "Give me the next ticket": only tickets nobody owns or this agent owns already.
    free_for: str | None = None
    customer_id: str | None = None
    # Breaching views: per priority, tickets created before this moment are (nearly) late.
    created_before: tuple[tuple[Priority, datetime], ...] | None = None
    ids: frozenset[str] | None = None  # restrict to these (e.g. fuzzy search results)
    tag: str | None = None  # e.g. "autopilot-review"
    # Snooze: at this moment, leave out tickets still asleep (every saved view sets it) or,
    # with ``snoozed_only``, show only those.
    awake_at: datetime | None = None
    snoozed_only: bool = False


SORT_KEYS = (
    "priority",
    "age",
    "id",
    "status",
    "intent",
    "sentiment",
    "customer",
    "assignee",
    "subject",
    "updated",
)


def conditions(where: QueueFilter | None) -> list[sa.ColumnElement[bool]]:
    if where is None:
        return []
    t = schema.tickets
    conditions: list[sa.ColumnElement[bool]] = []
    if where.statuses is not None:
        conditions.append(t.c.status.in_(sorted(s.value for s in where.statuses)))
    if where.intent is not None:
        conditions.append(t.c.intent == where.intent)
    if where.priority is not None:
        conditions.append(t.c.priority == where.priority.value)
    if where.assignee is not None:
        conditions.append(t.c.assignee == where.assignee)
    if where.unassigned:
        conditions.append(t.c.assignee.is_(None))
    if where.free_for is not None:
        conditions.append(sa.or_(t.c.assignee.is_(None), t.c.assignee == where.free_for))
    if where.customer_id is not None:
        conditions.append(t.c.customer_id == where.customer_id)
    if where.created_before is not None:
        conditions.append(
            sa.or_(
                *(
                    sa.and_(t.c.priority == priority.value, t.c.created_at < moment)
                    for priority, moment in where.created_before
                )
            )
        )
    if where.ids is not None:
        conditions.append(t.c.id.in_(_one_of(where.ids)))
    if where.tag is not None:
        # Tags are a JSON list; its text holds each tag quoted, on every backend.
        conditions.append(sa.cast(t.c.tags, sa.Text).contains(json.dumps(where.tag)))
    if where.awake_at is not None:
        asleep = t.c.snoozed_until > where.awake_at
        conditions.append(
            asleep if where.snoozed_only else sa.or_(t.c.snoozed_until.is_(None), sa.not_(asleep))
        )
    return conditions


class _json_strings(FunctionElement[str]):
    """The strings of a JSON array as rows of one column, ``value``: SQLite's ``json_each``,
    PostgreSQL's ``json_array_elements_text``."""

    name = "json_strings"
    inherit_cache = True


@compiles(_json_strings)
def _json_each(element: _json_strings, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(_json_strings, "postgresql")
def _json_array_elements_text(element: _json_strings, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_array_elements_text(CAST({compiler.process(element.clauses, **kw)} AS JSON))"


def _one_of(ids: frozenset[str]) -> sa.Select[tuple[str]]:
    """The ids as one JSON parameter: a search's 500 ids as 500 bound parameters cost
    SQLAlchemy 5-10 ms a query to expand (the query itself: under 1 ms)."""
    strings = _json_strings(
        sa.bindparam("ids", json.dumps(sorted(ids)), type_=sa.Text, unique=True)
    )
    return sa.select(strings.table_valued("value").c.value)


def ordering(sort: str, descending: bool) -> list[sa.ColumnElement[Any]]:
    t, c = schema.tickets, schema.customers
    columns: dict[str, list[sa.ColumnElement[Any]]] = {
        "priority": [t.c.priority_rank, t.c.created_at],
        "age": [t.c.created_at],
        "id": [],
        "status": [t.c.status, t.c.priority_rank, t.c.created_at],
        "intent": [t.c.intent, t.c.priority_rank, t.c.created_at],
        "sentiment": [t.c.sentiment, t.c.priority_rank, t.c.created_at],
        "customer": [c.c.name, c.c.email, t.c.created_at],
        "assignee": [t.c.assignee, t.c.priority_rank, t.c.created_at],
        "subject": [t.c.subject],
        "updated": [t.c.updated_at],
    }
    if sort not in columns:
        raise ValueError(f"cannot sort the queue by '{sort}'; choose one of {', '.join(SORT_KEYS)}")
    keys = [*columns[sort], t.c.id]  # the id makes every order total, so pages never overlap
    # Missing values (no intent yet, no customer) sort first ascending, last descending, on
    # every backend: SQLite's way, which PostgreSQL only follows when told.
    return [_nulls((key.desc() if descending else key.asc()), key, descending) for key in keys]


def _nulls(
    ordered: sa.UnaryExpression[Any], key: sa.ColumnElement[Any], descending: bool
) -> sa.ColumnElement[Any]:
    if not _nullable(key):
        return ordered  # NULLS FIRST/LAST on a NOT NULL column could cost the queue its index
    return ordered.nulls_last() if descending else ordered.nulls_first()


def _nullable(key: sa.ColumnElement[Any]) -> bool:
    return isinstance(key, sa.Column) and (
        key.nullable is True or key.table is schema.customers  # customers are outer-joined
    )
