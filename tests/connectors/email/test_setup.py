"""The email connector as a user sets it up: found through the entry-point group, configured
from config.toml with its passwords from the environment, checked by ``deskpilot plugins check
email`` against both servers, and passing the connector contract kit."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from click.testing import CliRunner, Result
from pydantic import SecretStr

from deskpilot.cli import main
from deskpilot.connectors import GROUP, ConnectorRegistry
from deskpilot.connectors.builtin.email import EmailConnector
from deskpilot.errors import ConfigError
from deskpilot.testing import TicketSourceContract
from deskpilot.testing.mail import SmtpServer, TestMailbox
from deskpilot.workspace import Workspace

from .conftest import connector_for


def configure(workspace: Workspace, mailbox: TestMailbox, smtp: SmtpServer) -> None:
    account = mailbox.account
    table = f"""
[connectors.email]
address = "help@acme.test"
display_name = "ACME Support"
imap_host = "{account.host}"
imap_port = {account.port}
imap_ssl = false
imap_user = "{account.user}"
mailbox = "{mailbox.inbox}"
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
smtp_security = "starttls"
smtp_user = "{smtp.user}"
ca_file = "{smtp.ca_file}"
"""
    with workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write(table)


def test_email_registers_in_the_entry_point_group() -> None:
    registered = {point.name: point.value for point in entry_points(group=GROUP)}
    if "email" not in registered:
        pytest.skip("entry points not installed: pip install -e . --no-deps")
    assert registered["email"] == "deskpilot.connectors.builtin.email:EmailConnector"
    assert EmailConnector.capabilities == frozenset({"tickets"})


def test_configured_from_config_toml_with_passwords_from_the_environment(
    workspace: Workspace,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(workspace, mailbox, smtp_server)
    monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD", mailbox.account.password)
    monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__SMTP_PASSWORD", smtp_server.password)
    registry = ConnectorRegistry(workspace.settings(), workspace, environ={})
    if "email" not in registry.entries():
        pytest.skip("entry points not installed: pip install -e . --no-deps")
    source = registry.tickets()
    assert isinstance(source, EmailConnector)
    assert source.config.imap_password == SecretStr(mailbox.account.password)
    assert source.config.smtp_password == SecretStr(smtp_server.password)
    assert source.config.mailbox == mailbox.inbox and source.config.processed_folder == ""


def test_a_password_in_config_toml_is_refused(workspace: Workspace) -> None:
    with workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write('\n[connectors.email]\nimap_password = "hunter2-in-the-file"\n')
    with pytest.raises(ConfigError) as raised:
        ConnectorRegistry(workspace.settings(), workspace, environ={}).config_for("email")
    assert "DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD" in str(raised.value)
    assert "hunter2-in-the-file" not in str(raised.value)


def test_plugins_check_email_logs_in_to_both_servers(
    workspace: Workspace,
    mailbox: TestMailbox,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(workspace, mailbox, smtp_server)
    monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD", mailbox.account.password)
    monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__SMTP_PASSWORD", smtp_server.password)

    def cli(*args: str) -> Result:
        return CliRunner().invoke(main, ["--workspace", str(workspace.root), *args])

    result = cli("plugins", "check", "email")
    if "no connector named 'email'" in result.output:
        pytest.skip("entry points not installed: pip install -e . --no-deps")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: email: IMAP ") and "SMTP 127.0.0.1" in result.stdout

    monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__SMTP_PASSWORD", "wrong-smtp-secret-789")
    result = cli("plugins", "check", "email")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "DESKPILOT_CONNECTORS__EMAIL__SMTP_PASSWORD" in result.stderr
    assert "wrong-smtp-secret-789" not in result.output + result.stderr


class TestEmailContract(TicketSourceContract):
    @pytest.fixture
    def connector(self, mailbox: TestMailbox, smtp_server: SmtpServer) -> EmailConnector:
        return connector_for(mailbox, smtp_server)


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ("", "DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD"),
        ('smtp_security = "tls"\n', "'smtp_security': Input should be 'starttls', 'ssl' or 'none'"),
        ('imap_ssl = "maybe"\n', "'imap_ssl'"),
    ],
    ids=["no password", "unknown smtp_security", "imap_ssl not a boolean"],
)
def test_a_bad_table_names_what_to_fix(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, extra: str, said: str
) -> None:
    with workspace.config_file.open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[connectors.email]\naddress = "help@acme.test"\nimap_host = "imap.acme.test"\n'
            f'smtp_host = "smtp.acme.test"\n{extra}'
        )
    if extra:  # the password is there: the other mistake is the one named
        monkeypatch.setenv("DESKPILOT_CONNECTORS__EMAIL__IMAP_PASSWORD", "set")
    with pytest.raises(ConfigError) as raised:
        ConnectorRegistry(workspace.settings(), workspace, environ={}).config_for("email")
    assert said in str(raised.value) and str(raised.value).startswith("[connectors.email]")
