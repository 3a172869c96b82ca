"""A workspace from before the channels (schema v5) is upgraded in place: its tickets and
messages get empty channel ids, and its replies can go out through the outbox at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from deskpilot.desk import Desk
from deskpilot.models import Author
from deskpilot.store import SCHEMA_VERSION, migrations, sqlite_url
from deskpilot.store.channels import DeliveryState
from deskpilot.workspace import Workspace


def test_a_version_5_workspace_is_upgraded_and_answers_through_the_outbox(
    tmp_path: Path,
) -> None:
    workspace = Workspace.create(tmp_path / "ws")
    engine = sa.create_engine(sqlite_url(workspace.database_path))
    with engine.begin() as connection:
        migrations.migrate(connection, target=5)
    engine.dispose()
    raw = sqlite3.connect(workspace.database_path)
    raw.executescript(
        "INSERT INTO customers (id, email, name, company, tier, plan, created_at) VALUES"
        " ('C-1', 'ann@example.com', 'Ann', '', 'free', '', '2026-01-01 00:00:00');"
        "INSERT INTO tickets (id, subject, customer_id, channel, status, priority, priority_rank,"
        " created_at, updated_at, tags) VALUES ('T-1', 'old', 'C-1', 'email', 'open', 'normal', 2,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '[]');"
        "INSERT INTO messages (ticket_id, seq, author, author_name, body, at) VALUES"
        " ('T-1', 0, 'customer', 'Ann', 'Help, please.', '2026-01-01 00:00:00');"
    )
    raw.close()
    workspace.config_file.write_text('[connectors.email]\naddress = "help@acme.example"\n')

    with Desk.open(workspace) as desk:
        assert desk.store.schema_version == SCHEMA_VERSION
        ticket = desk.ticket("T-1")
        assert (ticket.source, ticket.external_id) == ("", "")
        assert ticket.messages[0].external_id == "" and ticket.messages[0].attachments == []
        desk.send_reply("T-1", "Here to help.")
        (entry,) = desk.outbox()
        assert entry.state is DeliveryState.QUEUED and entry.connector == "email"
        assert entry.reply.to_email == "ann@example.com" and entry.reply.in_reply_to == ""
        assert desk.ticket("T-1").messages[-1].author is Author.AGENT
