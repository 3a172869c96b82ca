"""IMAP over TLS: implicit TLS (imaps) and STARTTLS on the plain port, against a Dovecot of
this module's own with a certificate from a throwaway CA; a certificate nobody vouches for is
refused, never silently accepted."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.connectors.errors import ConnectorUnavailableError
from deskpilot.testing.dovecot import ImapAccount, dovecot_binary
from deskpilot.testing.dovecot import start as start_dovecot
from deskpilot.testing.dovecot import stop as stop_dovecot
from deskpilot.testing.mail import TestMailbox

from .conftest import connector_for
from .test_inbound import customer_mail, pull


@pytest.fixture(scope="module")
def tls_dovecot() -> Iterator[tuple[ImapAccount, str]]:
    if dovecot_binary() is None:
        pytest.skip("Dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    import trustme

    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    folder = Path(tempfile.mkdtemp(prefix="deskpilot-dovecot-tls-"))
    chain = b"".join(blob.bytes() for blob in issued.cert_chain_pems)
    account = start_dovecot(folder, certificate=(chain, issued.private_key_pem.bytes()))
    ca_file = folder / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    try:
        yield account, str(ca_file)
    finally:
        stop_dovecot(folder)


def test_implicit_tls_and_starttls(tls_dovecot: tuple[ImapAccount, str]) -> None:
    account, ca_file = tls_dovecot
    mailbox = TestMailbox(account, "tls")
    mailbox.append(customer_mail(1))
    over_imaps = connector_for(mailbox, imap_port=account.tls_port, imap_ssl=True, ca_file=ca_file)
    assert [m.external_id for m in pull(over_imaps, None).messages] == ["<c1@example.com>"]
    # The plain port offers STARTTLS: the connector takes it before sending the password.
    over_starttls = connector_for(mailbox, imap_ssl=False, ca_file=ca_file)
    assert len(pull(over_starttls, None).messages) == 1


def test_a_certificate_from_an_unknown_authority_is_refused(
    tls_dovecot: tuple[ImapAccount, str],
) -> None:
    account, _ = tls_dovecot
    mailbox = TestMailbox(account, "tls-untrusted")
    connector = connector_for(mailbox, imap_port=account.tls_port, imap_ssl=True)
    with pytest.raises(ConnectorUnavailableError, match="certificate"):
        pull(connector, None)
    # STARTTLS on the plain port is verified the same way (so it really is taken).
    with pytest.raises(ConnectorUnavailableError, match="certificate"):
        pull(connector_for(mailbox, imap_ssl=False), None)
