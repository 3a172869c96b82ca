"""Hostile outside text planted in every field a desk shows: the TUI and CLI tests share it.

Each value carries markup that would crash the parser (``[/]``), vanish (``[urgent]``) or turn
into an action (``[@click=app.quit]``), a template variable (``$subject``), and the terminal
escapes of a posted subject (set the window title, clear the screen) plus a direction override.
Each starts with a short tag naming its field, so a test can tell which field it sees.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from deskpilot.desk import Desk
from deskpilot.knowledge import index_articles
from deskpilot.models import Author, Customer, Message, PageContext, Priority, Ticket, Tier

MARKUP = "why [/] closed [urgent] [@click=app.quit]x[/] $subject"
ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\u202e"
SHOWN_ESCAPES = "␛]0;PWNED␇␛[2J⟨U+202E⟩"  # what visible() makes of ESCAPES
CONTROL_CHARS = ("\x1b", "\x07", "\u202e")
TICKET_ID = "HX-1"
CUSTOMER_ID = "C-HOSTILE"
BUG_ID = "BUG-HX"
INVOICE_ID = "in_hostile"


def hostile(tag: str) -> str:
    """The hostile value for the field ``tag``."""
    return f"{tag}: {MARKUP} {ESCAPES}"


def shown(tag: str) -> str:
    """What the agent must see for ``hostile(tag)``: the same text, escapes made visible."""
    return f"{tag}: {MARKUP} {SHOWN_ESCAPES}"


# Email addresses hold no spaces and one @: their own hostile value.
EMAIL = "why[/]closed[urgent]\x1b]0;pwned\x07@evil.example.com"
SHOWN_EMAIL = "why[/]closed[urgent]␛]0;pwned␇@evil.example.com"

# Every field that carries outside text, by tag (the tests look for each).
FIELDS = {
    "subject": "SUBJ",
    "customer name": "NAME",
    "company": "CORP",
    "page title": "PTITLE",
    "page state": "PSTATE",
    "page error": "PERR",
    "page step": "PSTEP",
    "customer message": "BODY",
    "note": "NOTE",
    "crm note": "CRMNOTE",
    "account owner": "OWNER",
    "bug title": "BUGTITLE",
    "article title": "ARTICLE",
    "invoice number": "INVNO",
    "team message": "TEAM",
}


def plant(desk: Desk, articles_dir: Path) -> str:
    """A ticket with hostile text in every field, from a customer whose CRM, billing, bug and
    team-chat records (the demo connector's files) are hostile too; returns the ticket id."""
    now = desk.clock()
    customer = Customer(
        id=CUSTOMER_ID,
        email=EMAIL,
        name=hostile("NAME"),
        company=hostile("CORP"),
        tier=Tier.PRO,
        plan="pro",
    )
    ticket = Ticket(
        id=TICKET_ID,
        subject=hostile("SUBJ"),
        priority=Priority.URGENT,
        customer=customer,
        created_at=now - timedelta(hours=1),
        updated_at=now - timedelta(hours=1),
        page_context=PageContext(
            url="https://app.example.com/hx?q=[/]&x=\x1b[2J",
            title=hostile("PTITLE"),
            visible_state=hostile("PSTATE"),
            errors=[hostile("PERR")],
            steps_attempted=[hostile("PSTEP")],
        ),
        messages=[
            Message(
                author=Author.CUSTOMER,
                author_name=hostile("NAME"),
                body=hostile("BODY") + "\nsecond line [b]not bold[/b]",
                at=now - timedelta(hours=1),
            ),
            Message(
                author=Author.NOTE,
                author_name="ada",
                body=hostile("NOTE"),
                at=now - timedelta(minutes=50),
            ),
            Message(
                author=Author.CUSTOMER,
                author_name=hostile("NAME"),
                body="Still waiting on the refund [urgent], please.",
                at=now - timedelta(minutes=40),
            ),
        ],
    )
    desk.store.add_tickets([ticket])
    _plant_records(desk, now)
    _plant_article(desk, articles_dir)
    return TICKET_ID


def _plant_records(desk: Desk, now: Any) -> None:
    records = desk.workspace.root / "records"
    _append(
        records / "customers.json",
        {
            "id": CUSTOMER_ID,
            "email": EMAIL,
            "name": hostile("NAME"),
            "company": hostile("CORP"),
            "tier": "pro",
            "plan": "pro",
            "created_at": "2024-01-01T00:00:00Z",
        },
    )
    _append(
        records / "crm.json",
        {
            "customer_id": CUSTOMER_ID,
            "company": hostile("CORP"),
            "tier": "pro",
            "account_owner": hostile("OWNER"),
            "seats": 12,
            "notes": [{"at": "2026-10-01T09:00:00Z", "author": "x", "body": hostile("CRMNOTE")}],
        },
    )
    _append(
        records / "subscriptions.json",
        {
            "customer_id": CUSTOMER_ID,
            "plan_id": "pro",
            "status": "active",
            "cycle_start": "2026-10-16",
            "cycle_end": "2026-11-16",
            "seats": 12,
        },
    )
    _append(
        records / "invoices.json",
        {
            "id": INVOICE_ID,
            "customer_id": CUSTOMER_ID,
            "number": hostile("INVNO"),
            "issued": "2026-10-16",
            "status": "paid",
            "currency": "USD",
            "lines": [{"description": hostile("LINE"), "amount": 99.0, "quantity": 1}],
        },
    )
    _append(
        records / "bugs.json",
        {
            "id": BUG_ID,
            "title": hostile("BUGTITLE") + " refund closed urgent",
            "status": "open",
            "page_url": "https://app.example.com/hx",
            "error_signature": hostile("PERR"),
            "workaround": hostile("WORKAROUND"),
        },
    )
    outbox = records / "outbox.jsonl"
    row = {
        "kind": "handoff",
        "at": (now - timedelta(days=1)).isoformat(),
        "channel": "#support [/]",
        "agent": hostile("AGENT"),
        "ticket_id": "HX-0",
        "customer_email": EMAIL,
        "summary": hostile("TEAM"),
        "reason": "",
    }
    with outbox.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


def _plant_article(desk: Desk, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hostile.md").write_text(
        f"---\ntitle: {hostile('ARTICLE')}\n---\n\n"
        f"Refunds closed urgent why: {hostile('SNIPPET')}\n",
        encoding="utf-8",
    )
    index_articles(desk.knowledge(), folder)


def _append(path: Path, row: dict[str, Any]) -> None:
    rows = json.loads(path.read_text(encoding="utf-8"))
    rows.append(row)
    path.write_text(json.dumps(rows), encoding="utf-8")


HOSTILE_INTENT = "i[/]\x1b]0;P\x07"  # short: it fits a table column unwrapped
SHOWN_INTENT = "i[/]␛]0;P␇"


def plant_for_stats(desk: Desk) -> None:
    """Six recent tickets labelled with a hostile intent, from one hostile page: the team
    statistics list the intent and the page (a recurring-page signal)."""
    now = desk.clock()
    desk.store.add_tickets(
        Ticket(
            id=f"HX-S{number}",
            subject="Stats",
            intent=HOSTILE_INTENT,
            created_at=now - timedelta(hours=number + 2),
            updated_at=now - timedelta(hours=number + 2),
            page_context=PageContext(title=hostile("STATSPAGE")),
            messages=[Message(author=Author.CUSTOMER, body="Hi", at=now - timedelta(hours=3))],
        )
        for number in range(6)
    )
