"""Channels: replies reach customers and their answers come back into the thread.

``outbox`` delivers queued replies through each ticket's ticket source, ``sync`` pulls what the
sources received and files it under the right ticket, ``service`` runs both for
``deskpilot serve`` and ``deskpilot sync``. They work over any ``TicketSource`` (email, Zendesk,
the demo connector) and take narrow collaborators (the store, a connector lookup, a clock),
never the TUI.
"""
