"""The intake endpoint at the byte level, on a real socket: one request a connection (no
second ticket from bytes after the first), a body that never arrives answered 408, and a log
whose lines and client addresses a poster cannot write."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from deskpilot.desk import Desk
from deskpilot.intake.server import IntakeServer

from .test_server import SECRET, post, secured, stored, ticket, url  # noqa: F401


def exchange(base: str, data: bytes, *, timeout: float = 20.0) -> bytes:
    """Send raw bytes on one connection; everything the server answers until it closes."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def raw_post(body: bytes, *, length: int | None = None, extra: str = "") -> bytes:
    size = len(body) if length is None else length
    head = (
        "POST /tickets HTTP/1.1\r\nHost: desk\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {SECRET}\r\nContent-Length: {size}\r\n{extra}\r\n"
    )
    return head.encode() + body


def statuses(answer: bytes) -> list[int]:
    return [int(line.split()[1]) for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]


def test_bytes_after_a_complete_request_never_make_a_second_ticket(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
) -> None:
    first = json.dumps(ticket(subject="The real one")).encode()
    second = json.dumps(ticket(subject="Smuggled in after it")).encode()

    answer = exchange(url, raw_post(first) + raw_post(second))

    assert statuses(answer) == [201]
    assert b"connection: close" in answer.lower()
    assert [row.subject for row in secured.queue()] == ["The real one"]


def test_a_body_longer_than_its_content_length_is_cut_at_the_length(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
) -> None:
    body = json.dumps(ticket(subject="Exactly this")).encode()
    trailing = b'\r\n\r\n{"subject": "extra", "body": "x"}'

    answer = exchange(url, raw_post(body + trailing, length=len(body)))

    assert statuses(answer) == [201]
    assert secured.store.count_tickets() == 1


def test_content_length_and_chunked_together_are_refused(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
) -> None:
    body = json.dumps(ticket()).encode()
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"

    answer = exchange(url, raw_post(chunked, extra="Transfer-Encoding: chunked\r\n"))

    assert statuses(answer) == [400]
    assert stored(secured) == (0, 0)


def test_a_body_that_never_arrives_is_answered_408(secured: Desk) -> None:  # noqa: F811
    settings = secured.settings.intake.model_copy(update={"read_timeout_seconds": 0.5})
    with IntakeServer(secured, settings, port=0).running() as base:
        answer = exchange(base, raw_post(b'{"subject": "I said 1000', length=1000))
        healthy = httpx.get(f"{base}/health")  # the server still answers everyone else

    assert statuses(answer) == [408]
    assert b"did not arrive in full within 0.5 s" in answer
    assert healthy.status_code == 200
    assert stored(secured) == (0, 0)


# --- the log ---------------------------------------------------------------------------------


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def intake_log() -> Iterator[list[str]]:
    """The intake's log lines, live: each appears the moment it is written."""
    logger = logging.getLogger("deskpilot.intake")
    handler, level = _Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def one_line_each(lines: list[str], count: int) -> None:
    assert len(lines) == count
    assert all("\n" not in line and "\r" not in line for line in lines)


def test_a_newline_in_the_path_cannot_write_a_log_line(
    url: str,  # noqa: F811
    intake_log: list[str],
) -> None:
    forged = "/tickets%0a127.0.0.1%20POST%20/tickets%20201%2040B%201.0ms%20T-FORGED"
    answer = exchange(url, f"GET {forged} HTTP/1.1\r\nHost: desk\r\n\r\n".encode(), timeout=10)
    assert statuses(answer) == [404]
    one_line_each(intake_log, 1)
    assert "␊127.0.0.1 POST" in intake_log[0]


def test_a_newline_in_a_ticket_id_cannot_write_a_log_line(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
    intake_log: list[str],
) -> None:
    answers = [
        post(url, ticket(id="T-1\n127.0.0.1 POST /tickets 201 40B 1.0ms T-FORGED")),
        post(url, {**ticket(), "mood\nforged": 1}),
    ]
    assert [a.status_code for a in answers] == [422, 422]
    one_line_each(intake_log, 2)
    assert "mood␊forged" in intake_log[1]
    assert stored(secured) == (0, 0)


def test_x_forwarded_for_is_ignored_without_trusted_proxies(
    url: str,  # noqa: F811
    intake_log: list[str],
) -> None:
    httpx.get(f"{url}/health", headers={"X-Forwarded-For": "203.0.113.66"})
    one_line_each(intake_log, 1)
    assert intake_log[0].startswith("127.0.0.1 GET /health 200")


def test_a_trusted_proxy_names_the_client(secured: Desk, intake_log: list[str]) -> None:  # noqa: F811
    settings = secured.settings.intake.model_copy(update={"trusted_proxies": ["127.0.0.0/8"]})
    with IntakeServer(secured, settings, port=0).running() as base:
        # The client wrote the first address itself; the proxy appended the one it saw.
        httpx.get(f"{base}/health", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"})
        httpx.get(f"{base}/health", headers={"X-Forwarded-For": "not-an-address"})
    one_line_each(intake_log, 2)
    assert intake_log[0].startswith("198.51.100.7 GET /health 200")
    assert intake_log[1].startswith("127.0.0.1 GET /health 200")


def test_the_log_line_is_written_before_the_answer_arrives(
    url: str,  # noqa: F811
    intake_log: list[str],
) -> None:
    # No waiting anywhere: whoever has the answer already finds its line in the log.
    for number in range(1, 21):
        httpx.get(f"{url}/health")
        assert len(intake_log) == number


def test_wrong_secrets_are_throttled_per_client_without_blocking_others(
    url: str,  # noqa: F811
    secured: Desk,  # noqa: F811
) -> None:
    wrong = [post(url, ticket(), Authorization="Bearer wrong-guess").status_code for _ in range(6)]
    during = post(url, ticket())  # even the right secret waits out the lockout
    healthy = httpx.get(f"{url}/health")

    assert wrong == [401] * 5 + [429]
    assert during.status_code == 429 and int(during.headers["retry-after"]) >= 1
    assert healthy.status_code == 200
    assert stored(secured) == (0, 0)
