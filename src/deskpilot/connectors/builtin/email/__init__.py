"""The built-in ``email`` connector: a team mailbox as a ticket channel, IMAP in and SMTP out.

One module one job: ``config`` (the ``[connectors.email]`` table), ``imap`` (the mailbox),
``smtp`` (sending), ``mime`` with ``automatic``, ``html_text`` and ``quotes`` (reading a mail),
``compose`` with ``markdown_text`` (writing a reply), ``cursor`` and ``ids`` (how the desk and
the channel agree on what was read and which message is which), ``connector`` (the contract).
"""

from deskpilot.connectors.builtin.email.config import EmailConfig
from deskpilot.connectors.builtin.email.connector import EmailConnector

__all__ = ["EmailConfig", "EmailConnector"]
