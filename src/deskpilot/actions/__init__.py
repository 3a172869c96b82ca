"""Actions carried out through connectors, each written to the audit trail before and after.

One module an action: ``refunds``, ``settings`` (billing email, plan, seats), ``account``
(password reset, unlock, cancellation), ``bugs``, ``status`` (linked bugs and orders now),
``escalate`` (telling the team); ``common`` holds what they share, ``kit`` what the desk hands
them. The desk calls them (``Desk.refund``...); the front ends import only the refusals and
results named here, for their dialogs.
"""

from deskpilot.actions.common import ActionRefused
from deskpilot.actions.escalate import Escalation
from deskpilot.actions.refunds import EarlierRefund, RefundNeedsConfirmation, RefundOutcomeUnknown
from deskpilot.actions.settings import SettingPreview
from deskpilot.actions.status import StatusReport

__all__ = [
    "ActionRefused",
    "EarlierRefund",
    "Escalation",
    "RefundNeedsConfirmation",
    "RefundOutcomeUnknown",
    "SettingPreview",
    "StatusReport",
]
