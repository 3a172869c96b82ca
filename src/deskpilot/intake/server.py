"""``deskpilot serve``: new tickets over HTTP, from a product's front-end or backend.

``POST /tickets`` takes one ticket object in the import's JSONL format (page context
included), validated by the import's own code, and stores and triages it through the desk.
``GET /health`` answers while the server runs.

A plain ASGI application served by uvicorn: three routes do not need a framework, and the
app reads the body itself so a size limit holds before the body is read in full.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from deskpilot import __version__
from deskpilot.config import ENV_PREFIX, IntakeSettings
from deskpilot.desk import Desk, Submission
from deskpilot.errors import ConfigError, DeskPilotError, ImportFileError
from deskpilot.intake.files import read_ticket_object
from deskpilot.textfiles import UnreadableText, json_document

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("deskpilot.intake")

SIGNATURE_HEADER = "x-deskpilot-signature"
SIGNATURE_PREFIX = "sha256="
SOURCE = "http"  # the audit trail's name for tickets that came in through this endpoint
CORS_HEADERS = "authorization, content-type, " + SIGNATURE_HEADER
CSAT_PATH = "/csat/"  # + a survey token: customers answer satisfaction surveys here


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""  # for the log line: the ticket id, or why it was refused


class Refused(Exception):
    """A request answered with an error status; ``field`` names the ticket field at fault."""

    def __init__(
        self,
        status: int,
        problem: str,
        field: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem
        self.field = field
        self.headers = headers or []

    def reply(self) -> Reply:
        body: dict[str, Any] = {"error": self.problem}
        if self.field:
            body["field"] = self.field
        # The log names the field, never the problem: that quotes the value, part of the body.
        note = f"field {self.field}" if self.field else self.problem
        return Reply(self.status, body, self.headers, note=note[:120])


class IntakeApp:
    """The ASGI application. Submissions are serialised: a desk is not thread-safe, and the
    database takes one writer at a time anyway."""

    def __init__(self, desk: Desk, settings: IntakeSettings) -> None:
        self._desk = desk
        self._settings = settings
        secret = settings.secret.get_secret_value() if settings.secret else ""
        self._secret = secret.encode() if secret else None
        self._desk_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        headers = _headers(scope)
        try:
            reply = await self._route(scope, headers, receive)
        except Refused as refused:
            reply = refused.reply()
        except Exception as error:  # one bad request must not take the server down
            log.exception("internal error on %s %s", scope["method"], scope["path"])
            reply = Reply(500, {"error": "internal error"}, note=type(error).__name__)
        reply.headers += self._cors(headers)
        size = await _send(send, reply)
        _log_request(scope, reply, size, started)

    async def _route(self, scope: Scope, headers: dict[str, str], receive: Receive) -> Reply:
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        if path.startswith(CSAT_PATH):
            # The token is the survey's only key: keep it out of the request log line.
            scope["path"] = CSAT_PATH + "<token>"
            return await self._csat(method, path[len(CSAT_PATH) :], scope, receive)
        routes: dict[str, dict[str, Callable[[], Awaitable[Reply]]]] = {
            "/health": {"GET": self._health},
            "/tickets": {
                "POST": lambda: self._post_ticket(headers, receive),
                "OPTIONS": lambda: self._preflight(headers),
            },
        }
        if path not in routes:
            raise Refused(404, f"no such endpoint: {path} (POST /tickets, GET /health)")
        handler = routes[path].get(method)
        if handler is None:
            allowed = ", ".join(routes[path])
            raise Refused(405, f"use {allowed} on {path}", headers=[("allow", allowed)])
        return await handler()

    async def _csat(self, method: str, token: str, scope: Scope, receive: Receive) -> Reply:
        """A satisfaction survey answer: ``GET ?score=N`` (the one-click link) or ``POST``
        JSON ``{"score": N, "comment": "..."}``; the unguessable token is the authorisation."""
        if method == "GET":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            answer: dict[str, Any] = {"score": (query.get("score") or [""])[0]}
        elif method == "POST":
            body = await _read_body(receive, self._settings.max_bytes)
            try:
                answer = json.loads(body or b"{}")
            except ValueError:
                raise Refused(400, "the body is not JSON") from None
            if not isinstance(answer, dict):
                raise Refused(400, 'send {"score": 1-5, "comment": "..."}')
        else:
            raise Refused(405, "use GET or POST on /csat/<token>", headers=[("allow", "GET, POST")])
        try:
            ticket_id = await asyncio.to_thread(
                self._answer_csat, token, answer.get("score"), answer.get("comment")
            )
        except LookupError:
            raise Refused(404, "no such survey") from None
        except DeskPilotError as error:
            raise Refused(422, str(error)) from None
        return Reply(200, {"thanks": True, "score": int(str(answer.get("score")))}, note=ticket_id)

    def _answer_csat(self, token: str, score: object, comment: object) -> str:
        with self._desk_lock:
            return self._desk.answer_csat(token, score, comment)

    async def _health(self) -> Reply:
        return Reply(200, {"status": "ok", "version": __version__})

    async def _post_ticket(self, headers: dict[str, str], receive: Receive) -> Reply:
        _check_declared_size(headers, self._settings.max_bytes)
        _check_content_type(headers.get("content-type", ""))
        body = await _read_body(receive, self._settings.max_bytes)
        self._check_authorised(headers, body)
        record = _parse_ticket(body)
        submitted = await asyncio.to_thread(self._submit, record)
        status = 201 if submitted.created else 200
        return Reply(
            status,
            {"id": submitted.ticket_id, "created": submitted.created},
            note=submitted.ticket_id + ("" if submitted.created else " (duplicate)"),
        )

    def _submit(self, record: Any) -> Submission:
        with self._desk_lock:
            try:
                return self._desk.submit_ticket(record, source=SOURCE)
            except ImportFileError as error:
                # Valid on its own but not in this workspace, e.g. an unknown customer id.
                raise Refused(422, error.problem, error.field) from None

    def _check_authorised(self, headers: dict[str, str], body: bytes) -> None:
        if self._secret is None:
            return  # loopback without a secret: only this machine can reach the endpoint
        challenge = [("www-authenticate", 'Bearer realm="deskpilot"')]
        authorization = headers.get("authorization", "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if authorization[:7].lower() == "bearer ":
            given = authorization[7:].strip().encode("latin-1")
            if hmac.compare_digest(given, self._secret):
                return
            raise Refused(401, "wrong bearer token", headers=challenge)
        if signature:
            if not signature.startswith(SIGNATURE_PREFIX):
                raise Refused(401, f"the signature must look like {SIGNATURE_PREFIX}<hex>")
            given = signature[len(SIGNATURE_PREFIX) :].strip().lower().encode("latin-1")
            expected = hmac.new(self._secret, body, hashlib.sha256).hexdigest().encode()
            if hmac.compare_digest(given, expected):
                return
            raise Refused(401, "the signature does not match the body", headers=challenge)
        raise Refused(
            401,
            "send 'Authorization: Bearer <secret>' or an 'X-DeskPilot-Signature' header",
            headers=challenge,
        )

    async def _preflight(self, headers: dict[str, str]) -> Reply:
        if not self._cors(headers):
            raise Refused(403, "this origin may not post tickets (see [intake] allowed_origins)")
        return Reply(
            204,
            {},
            [
                ("access-control-allow-methods", "POST"),
                ("access-control-allow-headers", CORS_HEADERS),
                ("access-control-max-age", "600"),
            ],
        )

    def _cors(self, headers: dict[str, str]) -> list[tuple[str, str]]:
        origin = headers.get("origin", "")
        if origin and origin in self._settings.allowed_origins:
            return [("access-control-allow-origin", origin), ("vary", "origin")]
        return []


# --- the request, step by step -------------------------------------------------------------


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _check_declared_size(headers: dict[str, str], limit: int) -> None:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refused(413, f"the body is {int(declared):,} bytes; the limit is {limit:,}")


def _check_content_type(value: str) -> None:
    kind, _, parameters = value.partition(";")
    if kind.strip().lower() != "application/json":
        raise Refused(415, f"send Content-Type: application/json (got {value or 'none'!r})")
    charset = parameters.strip().lower().removeprefix("charset=").strip('"')
    if parameters.strip() and charset not in {"utf-8", "utf8"}:
        raise Refused(415, f"send the body as UTF-8 (got {parameters.strip()!r})")


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The body, refused as soon as it passes the limit (a chunked body declares no size)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "the client went away before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"the body is over the limit of {limit:,} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _parse_ticket(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(400, f"the body is not UTF-8 text (byte at offset {error.start})") from None
    try:
        data = json_document(text, refuse_duplicate_keys=True)
    except UnreadableText as error:
        raise Refused(422 if error.field else 400, error.problem, error.field) from None
    try:
        return read_ticket_object(Path(SOURCE), data)
    except ImportFileError as error:
        raise Refused(422, error.problem, error.field) from None


async def _send(send: Send, reply: Reply) -> int:
    payload = json.dumps(reply.body).encode() if reply.status != 204 else b""
    headers = [(name.encode(), value.encode("latin-1")) for name, value in reply.headers]
    if payload:
        headers += [(b"content-type", b"application/json")]
    headers += [(b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
    return len(payload)


def _log_request(scope: Scope, reply: Reply, size: int, started: float) -> None:
    # One line a request: never the body, the query string or a header (secrets live there).
    client = scope.get("client") or ("-", 0)
    elapsed = (time.perf_counter() - started) * 1000
    log.info(
        "%s %s %s %s %dB %.1fms%s",
        client[0],
        scope["method"],
        scope["path"][:200],
        reply.status,
        size,
        elapsed,
        f" {reply.note}" if reply.note else "",
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


# --- running it ----------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything


def check_can_listen(host: str, settings: IntakeSettings) -> None:
    """Off loopback anyone on the network could post tickets: a secret is required there."""
    if not is_loopback(host) and settings.secret is None:
        raise ConfigError(
            f"refusing to listen on {host} without a secret: anyone who can reach it could "
            f"post tickets; set {ENV_PREFIX}INTAKE__SECRET (16 characters or more) in the "
            "environment or the workspace's secrets.env, or listen on 127.0.0.1"
        )


class IntakeServer:
    """The endpoint on one desk: in the foreground (``run``) or in a thread (tests)."""

    def __init__(
        self,
        desk: Desk,
        settings: IntakeSettings,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        import uvicorn

        self.host = host or settings.host
        self.port = settings.port if port is None else port
        check_can_listen(self.host, settings)
        self.app = IntakeApp(desk, settings)
        config = uvicorn.Config(
            self.app,
            log_config=None,  # the CLI configures logging; the app logs each request itself
            access_log=False,
            lifespan="off",
            timeout_keep_alive=5,
            server_header=False,
        )
        self._server = uvicorn.Server(config)

    def bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host.strip("[]"), self.port))
        except OSError as error:
            sock.close()
            raise ConfigError(
                f"cannot listen on {self.host}:{self.port} ({error.strerror}); "
                "pick another --port or --host"
            ) from None
        sock.listen(128)
        sock.set_inheritable(True)
        self.port = sock.getsockname()[1]  # port 0: the one the system picked
        return sock

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self, sock: socket.socket | None = None) -> None:
        """Serve until interrupted (Ctrl+C stops it gracefully)."""
        self._server.run(sockets=[sock or self.bind()])

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve in a background thread; yields the base URL."""
        sock = self.bind()
        thread = threading.Thread(target=self.run, args=(sock,), name="deskpilot-intake")
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not self._server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise DeskPilotError(f"the intake server did not start on {self.url}")
                time.sleep(0.01)
            yield self.url
        finally:
            self._server.should_exit = True
            thread.join(timeout=10)
            sock.close()
