"""Which of a customer's invoices their messages name, so a refund starts on the right one.

Customers quote an invoice's number ("INV-2026-000038") or the billing system's id; the latest
message that names one of the customer's invoices wins (a follow-up may correct the first).
"""

from __future__ import annotations

import re

from deskpilot.models import Author, Invoice, Ticket


def named_invoice(ticket: Ticket, invoices: list[Invoice]) -> str | None:
    """The id of the invoice the customer named most recently; None if they named none."""
    patterns = {
        invoice.id: re.compile(
            "|".join(rf"(?<![\w-]){re.escape(name)}(?![\w-])" for name in _names(invoice)),
            re.IGNORECASE,
        )
        for invoice in invoices
    }
    for message in reversed(ticket.messages):
        if message.author is not Author.CUSTOMER:
            continue
        named = [
            (found.start(), invoice_id)
            for invoice_id, pattern in patterns.items()
            if (found := pattern.search(message.body))
        ]
        if named:
            return min(named)[1]  # two in one message: the first one they wrote
    return None


def _names(invoice: Invoice) -> list[str]:
    return [name for name in {invoice.number, invoice.id} if name.strip()]
