"""Errors of connectors and their discovery: each says which connector, what failed and what to do.

They are ``DeskPilotError``s, so the CLI prints them as one line with exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterable

from deskpilot.errors import DeskPilotError


class ConnectorError(DeskPilotError):
    """A connector could not do what was asked (the remote said no, or the request was bad)."""


class NotSupportedError(ConnectorError):
    """The connector has the capability but not this optional operation (e.g. a read-only
    billing connector asked for a refund)."""

    def __init__(self, connector: str, operation: str) -> None:
        super().__init__(f"connector '{connector}' does not support {operation}")
        self.connector = connector
        self.operation = operation


class ConnectorUnavailableError(ConnectorError):
    """The remote system cannot be reached, timed out, refused our credentials or rate-limits us
    for longer than we are willing to wait."""


class UnknownConnectorError(ConnectorError):
    def __init__(self, name: str, installed: Iterable[str], hint: str = "") -> None:
        names = sorted(installed)
        listed = ", ".join(names) if names else "none"
        super().__init__(
            f"no connector named '{name}'; installed: {listed}"
            + (f" ({hint})" if hint else "")
            + "; install a plugin with pip or check the name in config.toml"
        )
        self.name = name
        self.installed = names


class PluginLoadError(ConnectorError):
    """A plugin that is installed (or listed in config) but cannot be loaded."""

    def __init__(self, name: str, source: str, problem: str) -> None:
        super().__init__(f"connector '{name}' from {source} is broken: {problem}")
        self.name = name
        self.source = source
        self.problem = problem


class NoConnectorError(ConnectorError):
    """No configured connector serves a capability the desk needs."""


class ConnectorAuthError(ConnectorUnavailableError):
    """The remote system refused our credentials (HTTP 401/403, or an API's own "invalid auth"
    answer). The message names the setting to fix, never its value."""


class ConnectorRateLimitedError(ConnectorUnavailableError):
    """The remote system keeps asking us to slow down, or asks us to wait longer than we will."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RemoteApiError(ConnectorError):
    """The remote API understood us and said no (a 4xx other than auth, or an API error code):
    ``status`` is the HTTP status, ``code`` the API's own error code when it sent one."""

    def __init__(self, message: str, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class DeliveryError(ConnectorError):
    """A channel could not deliver a reply. ``permanent`` says retrying cannot help (a refused
    recipient, a deleted ticket): the outbox stops and shows the reason; otherwise it retries
    with backoff."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class ConnectorPermissionError(ConnectorError):
    """The remote system accepted our credentials, but their role or scopes do not allow this
    operation (a Zendesk agent's token on the admin-only export, a missing OAuth scope). Not
    "bad credentials": the message names the role or scope needed and what to change."""
