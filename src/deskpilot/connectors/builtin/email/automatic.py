"""Mail no person wrote: auto-replies, bounces and list traffic never become tickets.

An out-of-office answer to an agent's reply would reopen the ticket and draft a reply to a
robot, which answers again: a loop. RFC 3834's ``Auto-Submitted``, the de-facto headers of
Exchange and others, ``Precedence: bulk/junk/list``, mailing-list headers, delivery reports
(RFC 3464's multipart/report) and the mailer daemons' addresses all say "no person here".
"""

from __future__ import annotations

from email.message import EmailMessage

_DAEMONS = ("mailer-daemon", "postmaster", "mail-daemon", "noreply-dmarc")
_BULK = frozenset({"bulk", "junk", "list", "auto_reply"})


def automatic_reason(message: EmailMessage, sender: str, team_address: str) -> str | None:
    """Why ``message`` was sent by a machine, or None when a person wrote it.

    A team whose address is itself a list (a Google Group as support@) gets every customer's
    mail with that list's List-Id and ``Precedence: list``: those mark the team's own list, not
    a newsletter, and are let through."""
    own_list = _is_own_list(message, team_address)
    submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"Auto-Submitted: {submitted}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Sender"):
        if message.get(header) is not None:
            return f"{header} header"
    # Microsoft's own marker on out-of-office and other automatic answers.
    suppress = str(message.get("X-Auto-Response-Suppress", "")).lower()
    if "oof" in suppress and message.get("X-MS-Exchange-Inbox-Rules-Loop") is not None:
        return "Exchange out-of-office"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in _BULK and not (own_list and precedence == "list"):
        return f"Precedence: {precedence}"
    if not own_list and (message.get("List-Id") or message.get("List-Unsubscribe")):
        return "a mailing list's message (List-Id/List-Unsubscribe)"
    if message.get_content_type() == "multipart/report":
        kind = message.get_param("report-type", "") or "report"
        return f"a delivery or read report (multipart/report; {kind})"
    local = sender.split("@", 1)[0].lower()
    if local.startswith(_DAEMONS):
        return f"sent by {local}"
    if not sender and message.get("Return-Path", "").strip() == "<>":
        return "a bounce (empty Return-Path)"
    return None


def _is_own_list(message: EmailMessage, team_address: str) -> bool:
    list_id = str(message.get("List-Id", "")).lower()
    return bool(list_id) and team_address.lower().replace("@", ".") in list_id
