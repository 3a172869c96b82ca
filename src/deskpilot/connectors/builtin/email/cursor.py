"""The email channel's cursor: the mailbox's UIDVALIDITY and the last UID handed to the desk.

IMAP UIDs only grow within one UIDVALIDITY, so "everything after UID n" is exactly what has not
been read. When the server changes UIDVALIDITY (a rebuilt mailbox, a migration) the old UIDs
mean nothing: the channel reads the mailbox again, skipping mail it marked processed, and the
desk drops any message whose Message-ID it already holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskpilot.connectors.errors import ConnectorError

_PREFIX = "imap1"


@dataclass(frozen=True)
class MailboxCursor:
    uidvalidity: int
    last_uid: int

    def encode(self) -> str:
        return f"{_PREFIX}:{self.uidvalidity}:{self.last_uid}"

    @classmethod
    def decode(cls, cursor: str | None) -> MailboxCursor | None:
        if not cursor:
            return None
        parts = cursor.split(":")
        if len(parts) != 3 or parts[0] != _PREFIX or not all(p.isdigit() for p in parts[1:]):
            raise ConnectorError(
                f"email: the stored sync cursor '{cursor[:40]}' is not one this connector wrote "
                "(expected imap1:<uidvalidity>:<uid>); reset the channel's cursor to read the "
                "mailbox again (messages already stored are recognised by Message-ID)"
            )
        return cls(uidvalidity=int(parts[1]), last_uid=int(parts[2]))
