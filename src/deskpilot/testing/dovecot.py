"""A throwaway Dovecot IMAP server for tests: its own config, a passwd-file user, a maildir
in a temporary folder, plaintext login on a free loopback port; stopped and removed afterwards.

Tests of the email channel run against a real IMAP server, not a mock: Dovecot is what many
teams' mail actually sits on, and it answers UIDVALIDITY, MOVE, APPEND and keywords as
production servers do. This module uses the standard library only, so ``.ci/run`` can start
the server with the system's Python before any virtual environment exists::

    python3 src/deskpilot/testing/dovecot.py start /tmp/dovecot   # prints imap://user:pw@host:port
    python3 src/deskpilot/testing/dovecot.py stop /tmp/dovecot

The test fixtures (``deskpilot.testing.mail``) start one the same way when nothing is exported
in ``DESKPILOT_TEST_IMAP_URL`` and the ``dovecot`` binary is installed.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

IMAP_URL_ENV = "DESKPILOT_TEST_IMAP_URL"
USER = "desk"
# Dovecot refuses to run mail processes as root; as root the mail user is the package's
# unprivileged 'dovenull' (or 'nobody'), otherwise the user running the tests.
_ROOT_MAIL_USERS = ("dovenull", "nobody")


@dataclass(frozen=True)
class ImapAccount:
    """Where a test IMAP server listens and whom it lets in (plaintext, loopback only)."""

    host: str
    port: int
    user: str
    password: str
    tls_port: int = 0  # implicit TLS (imaps), when started with a certificate

    @property
    def url(self) -> str:
        return f"imap://{quote(self.user)}:{quote(self.password)}@{self.host}:{self.port}"

    @classmethod
    def from_url(cls, url: str) -> ImapAccount:
        parts = urlsplit(url)
        if parts.scheme != "imap" or not parts.hostname or not parts.port:
            raise ValueError(f"{IMAP_URL_ENV}: expected imap://user:password@host:port")
        return cls(
            host=parts.hostname,
            port=parts.port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if Path(path).exists()),
        None,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(
    folder: Path,
    port: int,
    owner: pwd.struct_passwd,
    internal: str,
    login: str,
    tls_port: int = 0,
) -> str:
    ssl = (
        f"ssl = yes\nssl_cert = <{folder}/cert.pem\nssl_key = <{folder}/key.pem\n"
        if tls_port
        else "ssl = no\n"
    )
    return (
        ssl
        + f"""\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
instance_name = deskpilot-test-{port}
listen = 127.0.0.1
protocols = imap
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {_group_name(internal)}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{folder}/mail/%u
mail_uid = {owner.pw_uid}
mail_gid = {owner.pw_gid}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={folder}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )


def _group_name(user: str) -> str:
    import grp

    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


def start(
    folder: Path, port: int | None = None, certificate: tuple[bytes, bytes] | None = None
) -> ImapAccount:
    """Start Dovecot with everything under ``folder`` (created); wait until it answers.
    With ``certificate`` (PEM certificate chain, PEM key) it also offers STARTTLS on the plain
    port and implicit TLS on ``tls_port``."""
    binary = dovecot_binary()
    if binary is None:
        raise RuntimeError("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    if os.geteuid() == 0:
        mail_user = next(u for u in _ROOT_MAIL_USERS if _exists(u))
        owner = pwd.getpwnam(mail_user)
        internal = "dovecot" if _exists("dovecot") else mail_user
        login = "dovenull" if _exists("dovenull") else mail_user
    else:
        owner = pwd.getpwuid(os.geteuid())
        internal = login = owner.pw_name
    password = secrets.token_urlsafe(12)
    (folder / "mail").mkdir(exist_ok=True)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{password}\n", encoding="utf-8")
    tls_port = 0
    if certificate is not None:
        tls_port = free_port()
        (folder / "cert.pem").write_bytes(certificate[0])
        (folder / "key.pem").write_bytes(certificate[1])
        (folder / "key.pem").chmod(0o600)
    (folder / "dovecot.conf").write_text(
        _config(folder, port, owner, internal, login, tls_port), encoding="utf-8"
    )
    if os.geteuid() == 0:
        # The mail user writes the maildir and the auth process reads the passwd file.
        folder.chmod(0o755)
        os.chown(folder / "mail", owner.pw_uid, owner.pw_gid)
        os.chown(folder / "passwd", pwd.getpwnam(internal).pw_uid, -1)
        (folder / "passwd").chmod(0o600)
    # The master daemonizes and keeps its standard streams: a pipe here would never close.
    with (folder / "startup.log").open("wb") as startup:
        subprocess.run(
            [binary, "-c", str(folder / "dovecot.conf")],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=startup,
            stderr=subprocess.STDOUT,
        )
    _wait_for(port, folder)
    return ImapAccount(host="127.0.0.1", port=port, user=USER, password=password, tls_port=tls_port)


def stop(folder: Path) -> None:
    """Stop the Dovecot started in ``folder`` and remove the folder."""
    binary = dovecot_binary()
    config = folder / "dovecot.conf"
    if binary and config.exists():
        subprocess.run(
            [binary, "-c", str(config), "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pid_file = folder / "run" / "master.pid"
        for _ in range(50):  # the master removes its pid file when its children are gone
            if not pid_file.exists():
                break
            time.sleep(0.1)
    shutil.rmtree(folder, ignore_errors=True)


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def _wait_for(port: int, folder: Path, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    log = folder / "dovecot.log"
    said = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise RuntimeError(f"dovecot did not answer on 127.0.0.1:{port}:\n{said}")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: dovecot.py start|stop FOLDER", file=sys.stderr)
        return 2
    command, folder = argv[0], Path(argv[1])
    if command == "start":
        print(start(folder).url)
    else:
        stop(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
