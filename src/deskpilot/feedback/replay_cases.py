"""Replay cases: historical tickets with the replies agents really sent, read from a file, and
the figures a replay of them yields.

Pure data and reading, no desk: the driver that replays them through a desk sits above it
(``deskpilot.evaluation.replay``), and the benchmark reads the same cases for its baselines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deskpilot.copilot.adapt import INBOX_TAG
from deskpilot.feedback import twcs
from deskpilot.feedback.measures import ACCEPTED_AS_IS
from deskpilot.models import Author, Customer, Message, Ticket
from deskpilot.textfiles import UnreadableText, json_lines, read_utf8
from deskpilot.understand.datasets import DatasetError

BARE_CR = re.compile(r"\r(?!\n)")
START = datetime(2020, 1, 1, tzinfo=UTC)  # replayed tickets without dates get one a minute apart


@dataclass(frozen=True)
class ThreadMessage:
    """One message of the thread before the reply (the import format's ``messages``)."""

    author: Author
    body: str
    at: datetime | None = None


@dataclass(frozen=True)
class ReplayCase:
    id: str
    subject: str
    body: str  # the customer's latest message (the last of ``thread`` when there is one)
    reply: str
    intent: str | None = None
    created_at: datetime | None = None
    customer: str | None = None  # an email address or a name
    # The conversation before the reply, when the file gives it: the draft answers all of it.
    thread: tuple[ThreadMessage, ...] = ()
    company: str | None = None  # the inbox or brand that answered: the desk learns per inbox


@dataclass(frozen=True)
class ReplayRecord:
    """One replayed ticket, as ``--output`` writes it."""

    id: str
    draft: str
    reply: str
    similarity: float
    drafter: str
    sources: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "draft": self.draft,
            "reply": self.reply,
            "similarity": self.similarity,
            "drafter": self.drafter,
            "sources": self.sources,
        }


@dataclass
class ReplayResult:
    n: int
    learning: bool
    window: int
    similarities: list[float] = field(repr=False)
    seconds: float
    records: list[ReplayRecord] = field(default_factory=list, repr=False)

    @property
    def curve(self) -> list[float]:
        return [
            round(statistics.fmean(self.similarities[i : i + self.window]), 4)
            for i in range(0, self.n, self.window)
        ]

    def to_json(self) -> dict[str, Any]:
        curve = self.curve
        return {
            "n": self.n,
            "learning": self.learning,
            "window": self.window,
            "mean_similarity": round(statistics.fmean(self.similarities), 4) if self.n else 0.0,
            "mean_similarity_first_window": curve[0] if curve else 0.0,
            "mean_similarity_last_window": curve[-1] if curve else 0.0,
            "curve": curve,
            "accepted_as_is_rate": round(
                sum(s >= ACCEPTED_AS_IS for s in self.similarities) / max(1, self.n), 4
            ),
            "seconds": round(self.seconds, 1),
        }


# --- reading ---------------------------------------------------------------------------------


def read_replay_file(path: Path) -> list[ReplayCase]:
    """Tickets with the replies agents sent: JSONL (``body`` or the import format's
    ``messages``, ``reply``, optional ``id``, ``subject``, ``intent``, ``created_at``,
    ``customer``, ``company``) or CSV (the same columns, Bitext's
    ``instruction``/``response``/``intent``, or TWCS's tweets, each brand reply with the
    conversation before it: ``feedback.twcs``). All of it, or an error naming the line."""
    try:
        text = read_utf8(path)
    except UnreadableText as error:
        raise DatasetError(path, error.problem) from None
    if not text.strip():
        raise DatasetError(path, "the file is empty")
    rows = _csv_rows(path, text) if path.suffix.lower() == ".csv" else _json_rows(path, text)
    cases = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        case = _case(path, line, row)
        if case.id in first_line:
            raise DatasetError(
                path, f"ticket id '{case.id}' already appears on line {first_line[case.id]}", line
            )
        first_line[case.id] = line
        cases.append(case)
    if all(case.created_at for case in cases):
        cases.sort(key=lambda case: case.created_at or START)
    return cases


def _json_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        for line, value in json_lines(text):
            if not isinstance(value, dict):
                raise DatasetError(path, "each line must be a JSON object", line)
            yield line, value
    except UnreadableText as error:
        raise DatasetError(path, error.problem, error.line) from None


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if "\n" in text:
        # A bare carriage return inside a row (TWCS has one in a tweet) is a space: the csv
        # module refuses it outside quotes.
        text = BARE_CR.sub(" ", text)
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    if twcs.is_twcs(columns):
        # Tweets, not pairs: each brand reply with the conversation before it.
        tweets = ((reader.line_num, row) for row in reader)
        try:
            yield from twcs.thread_rows(tweets)
        except UnreadableText as error:
            raise DatasetError(path, error.problem, error.line) from None
        return
    if not ({"body", "reply"} <= columns or {"instruction", "response"} <= columns):
        raise DatasetError(
            path, "a CSV needs the columns body and reply (or instruction and response)", 1
        )
    for row in reader:
        body = row.get("body") or row.get("instruction")
        reply = row.get("reply") or row.get("response")
        yield reader.line_num, {**row, "body": body, "reply": reply}


def _case(path: Path, line: int, row: dict[str, Any]) -> ReplayCase:
    thread = _thread(path, line, row.get("messages"))
    if thread and row.get("body"):
        raise DatasetError(path, "give either 'body' or 'messages', not both", line)
    if thread:
        row = {**row, "body": next(m.body for m in reversed(thread) if m.author is Author.CUSTOMER)}
    for name in ("body", "reply"):
        value = row.get(name)
        if not isinstance(value, str) or not value.strip():
            raise DatasetError(path, f"'{name}' must be non-empty text", line)
    when = _when(path, line, row.get("created_at"), "created_at")
    body = row["body"].strip()
    ticket_id = str(
        row.get("id") or "replay-" + hashlib.sha1(f"{line}:{body}".encode()).hexdigest()[:12]
    )
    intent = row.get("intent") or None
    company = row.get("company")
    if company is not None and (not isinstance(company, str) or not company.strip()):
        raise DatasetError(path, "'company' must be non-empty text", line)
    return ReplayCase(
        id=ticket_id,
        subject=str(row.get("subject") or body.splitlines()[0][:80]),
        body=body,
        reply=row["reply"].strip(),
        intent=str(intent) if intent else None,
        created_at=when or (thread[0].at if thread else None),
        customer=str(row["customer"]) if row.get("customer") else None,
        thread=thread,
        company=company.strip() if company else None,
    )


def _when(path: Path, line: int, value: Any, name: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise DatasetError(path, f"'{name}' {value!r} is not an ISO date", line) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _thread(path: Path, line: int, messages: Any) -> tuple[ThreadMessage, ...]:
    """The import format's ``messages``: objects with ``author`` (customer, agent or note),
    ``body`` and an optional ``at``; at least one from the customer."""
    if messages is None:
        return ()
    if not isinstance(messages, list) or not messages:
        raise DatasetError(path, "'messages' must be a non-empty list of messages", line)
    thread = []
    for number, message in enumerate(messages, start=1):
        where = f"'messages' item {number}"
        if not isinstance(message, dict):
            raise DatasetError(path, f"{where} must be an object", line)
        try:
            author = Author(str(message.get("author")))
        except ValueError:
            choices = ", ".join(a.value for a in Author)
            raise DatasetError(path, f"{where}: 'author' must be one of {choices}", line) from None
        body = message.get("body")
        if not isinstance(body, str) or not body.strip():
            raise DatasetError(path, f"{where}: 'body' must be non-empty text", line)
        at = _when(path, line, message.get("at"), f"messages[{number}].at")
        thread.append(ThreadMessage(author, body.strip(), at))
    if not any(m.author is Author.CUSTOMER for m in thread):
        raise DatasetError(path, "'messages' holds no message from the customer", line)
    return tuple(thread)


# --- the desk's view of a case -------------------------------------------------------------


def case_ticket(case: ReplayCase, number: int) -> Ticket:
    """The ticket the desk sees for ``case``, the ``number``-th replayed: its thread (or the
    customer's message), its customer when the file names one by email, and its inbox tag."""
    at = case.created_at or START + timedelta(minutes=number)
    customer = None
    if case.customer and "@" in case.customer:
        customer = Customer(
            id="c-" + hashlib.sha1(case.customer.lower().encode()).hexdigest()[:12],
            email=case.customer,
            created_at=at,
        )
    if case.thread:
        # Messages without a time keep their order, a second apart, ending at the ticket's.
        count = len(case.thread)
        messages = [
            Message(
                author=m.author,
                body=m.body,
                at=m.at or at - timedelta(seconds=count - 1 - i),
            )
            for i, m in enumerate(case.thread)
        ]
    else:
        messages = [Message(author=Author.CUSTOMER, body=case.body, at=at)]
    latest = max(m.at for m in messages)
    return Ticket(
        id=case.id,
        subject=case.subject,
        messages=messages,
        customer=customer,
        created_at=min(m.at for m in messages),
        updated_at=latest,
        tags=[INBOX_TAG + case.company] if case.company else [],
    )
