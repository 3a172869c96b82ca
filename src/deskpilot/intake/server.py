"""``deskpilot serve``: new tickets over HTTP, from a product's front-end or backend.

``POST /tickets`` takes one ticket object in the import's JSONL format (page context
included), validated by the import's own code, and stores and triages it through the desk.
``GET /health`` answers while the server runs.

A plain ASGI application served by uvicorn: three routes do not need a framework, and the
app reads the body itself so a size limit holds before the body is read in full, and a body
that never arrives in full is answered 408 after ``read_timeout_seconds``.

The poster is not trusted: what a post may set is ``intake.policy``'s to say, the body is read
by the one parser for outside JSON (``textfiles.parse_json``), every POST is answered on a
connection that then closes (bytes sent after a complete request never become a second
ticket), X-Forwarded-For counts only from ``trusted_proxies``, repeated wrong secrets are
throttled (``intake.throttle``), and every logged field has its control characters shown as
visible stand-ins, so a poster cannot write a log line of their own.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import math
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
from deskpilot.intake.policy import check_poster_may_set, with_desk_id
from deskpilot.intake.refusal import Refusal
from deskpilot.intake.throttle import AuthThrottle
from deskpilot.intake.widget import WidgetRoutes
from deskpilot.terminal_text import visible
from deskpilot.textfiles import UnreadableText, json_document

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("deskpilot.intake")
HealthReport = Callable[[], dict[str, Any]]  # blocking: called in a thread

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
    raw: bytes | None = None  # a body that is not JSON (the widget's script and demo page)


class Refused(Refusal):
    """A refusal, answered as JSON naming the field at fault."""

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

    def __init__(
        self,
        desk: Desk,
        settings: IntakeSettings,
        health: HealthReport | None = None,
        throttle: AuthThrottle | None = None,
        *,
        widget_demo: bool = False,
    ) -> None:
        self._desk = desk
        self._settings = settings
        self._health_report = health  # more for GET /health (the channels' state)
        secret = settings.secret.get_secret_value() if settings.secret else ""
        self._secret = secret.encode() if secret else None
        self._desk_lock = threading.Lock()
        self._throttle = throttle or AuthThrottle()
        self._trusted_proxies = [
            ipaddress.ip_network(entry, strict=False) for entry in settings.trusted_proxies
        ]
        # The web widget's routes (intake.widget); the demo page only on a demo workspace.
        self.widget_demo = widget_demo
        self._widget = WidgetRoutes(
            desk, desk.settings.widget, self._desk_lock, is_demo=widget_demo
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        headers = _headers(scope)
        client = self._client_address(scope)
        try:
            reply = await self._route(scope, headers, receive, client)
        except Refused as refused:
            reply = refused.reply()
        except Exception as error:  # one bad request must not take the server down
            log.exception(
                "internal error on %s %s", scope["method"], visible(scope["path"], one_line=True)
            )
            reply = Reply(500, {"error": "internal error"}, note=type(error).__name__)
        is_widget = WidgetRoutes.serves(scope["path"])
        reply.headers += self._widget.cors(headers) if is_widget else self._cors(headers)
        if scope["method"] == "POST":
            # One request a connection: bytes after this request (pipelined, or smuggled past
            # a proxy that framed the body differently) are dropped, never a second ticket.
            reply.headers.append(("connection", "close"))
        status, response_headers, payload = _encode(reply)
        # Logged before the response goes out: a client that has its answer finds the line.
        _log_request(scope, client, reply, len(payload), started)
        await _send(send, status, response_headers, payload)

    def _client_address(self, scope: Scope) -> str:
        """The peer's address; through a trusted proxy, the client its X-Forwarded-For names
        (the right-most address no trusted proxy added). The header is the poster's own text
        otherwise, so it counts for nothing."""
        peer = str((scope.get("client") or ("-", 0))[0])
        if not self._trusted_proxies or not _is_in(peer, self._trusted_proxies):
            return peer
        # Every X-Forwarded-For line, in order: each proxy may add its own.
        forwarded = [v.decode("latin-1") for n, v in scope["headers"] if n == b"x-forwarded-for"]
        hops = [hop.strip() for hop in ",".join(forwarded).split(",")]
        client = peer
        for hop in reversed([hop for hop in hops if hop]):
            try:
                ipaddress.ip_address(hop.strip("[]"))
            except ValueError:
                break  # not an address: the proxy before it is the last one to believe
            client = hop
            if not _is_in(hop, self._trusted_proxies):
                break
        return client

    async def _route(
        self, scope: Scope, headers: dict[str, str], receive: Receive, client: str
    ) -> Reply:
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        if path.startswith(CSAT_PATH):
            # The token is the survey's only key: keep it out of the request log line.
            scope["path"] = CSAT_PATH + "<token>"
            return await self._csat(method, path[len(CSAT_PATH) :], scope, receive)
        if WidgetRoutes.serves(path):
            return await self._widget_route(method, path, headers, receive, client)
        routes: dict[str, dict[str, Callable[[], Awaitable[Reply]]]] = {
            "/health": {"GET": self._health},
            "/tickets": {
                "POST": lambda: self._post_ticket(headers, receive, client),
                "OPTIONS": lambda: self._preflight(headers),
            },
        }
        if path not in routes:
            shown = visible(path[:200], one_line=True)
            raise Refused(404, f"no such endpoint: {shown} (POST /tickets, GET /health)")
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
            body = await _read_body(
                receive, self._settings.max_bytes, self._settings.read_timeout_seconds
            )
            answer = _json_body(body or b"{}")
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

    async def _widget_route(
        self, method: str, path: str, headers: dict[str, str], receive: Receive, client: str
    ) -> Reply:
        async def read_body(limit: int) -> bytes:
            return await _read_body(receive, limit, self._settings.read_timeout_seconds)

        try:
            answer = await self._widget.handle(method, path, headers, read_body, client)
        except Refusal as refusal:
            raise Refused(refusal.status, refusal.problem, refusal.field, refusal.headers) from None
        return Reply(answer.status, answer.body, answer.headers, answer.note, raw=answer.raw)

    async def _health(self) -> Reply:
        body: dict[str, Any] = {"status": "ok", "version": __version__}
        if self._health_report is not None:
            body |= await asyncio.to_thread(self._health_report)
        return Reply(200, body)

    async def _post_ticket(self, headers: dict[str, str], receive: Receive, client: str) -> Reply:
        self._check_not_throttled(client)
        _check_framing(headers)
        _check_declared_size(headers, self._settings.max_bytes)
        _check_content_type(headers.get("content-type", ""))
        body = await _read_body(
            receive, self._settings.max_bytes, self._settings.read_timeout_seconds
        )
        try:
            self._check_authorised(headers, body)
        except Refused:
            self._throttle.failed(client)
            raise
        if self._secret is not None:
            self._throttle.succeeded(client)
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

    def _check_not_throttled(self, client: str) -> None:
        if self._secret is None:
            return
        wait = self._throttle.retry_after(client)
        if wait > 0:
            seconds = math.ceil(wait)
            raise Refused(
                429,
                f"too many wrong secrets from this address; try again in {seconds} s",
                headers=[("retry-after", str(seconds))],
            )

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


def _check_framing(headers: dict[str, str]) -> None:
    """A body framed two ways is how requests are smuggled past a proxy that reads the other
    framing: refused, though HTTP would let the server pick Transfer-Encoding."""
    if "content-length" in headers and "transfer-encoding" in headers:
        raise Refused(400, "send Content-Length or Transfer-Encoding, not both")


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


async def _read_body(receive: Receive, limit: int, timeout: float) -> bytes:
    """The body, refused as soon as it passes the limit (a chunked body declares no size), or
    when it has not arrived in full within ``timeout`` seconds (408)."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
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
    except TimeoutError:
        raise Refused(
            408, f"the body did not arrive in full within {timeout:g} s ({size:,} bytes came)"
        ) from None


def _json_body(body: bytes) -> Any:
    """A request body as JSON, through the one parser for outside JSON; refused with 4xx."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(400, f"the body is not UTF-8 text (byte at offset {error.start})") from None
    try:
        return json_document(text, refuse_duplicate_keys=True)
    except UnreadableText as error:
        raise Refused(422 if error.field else 400, error.problem, error.field) from None


def _parse_ticket(body: bytes) -> Any:
    data = _json_body(body)
    try:
        record = read_ticket_object(Path(SOURCE), data)
        check_poster_may_set(Path(SOURCE), record)  # a post adds a ticket; nothing else
    except ImportFileError as error:
        raise Refused(422, error.problem, error.field) from None
    return with_desk_id(SOURCE, record)


def _encode(reply: Reply) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    payload = json.dumps(reply.body).encode() if reply.status != 204 else b""
    if reply.raw is not None:
        payload = reply.raw
    headers = [(name.encode(), value.encode("latin-1")) for name, value in reply.headers]
    if payload and reply.raw is None:
        headers += [(b"content-type", b"application/json")]
    headers += [(b"content-length", str(len(payload)).encode())]
    return reply.status, headers, payload


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _log_request(scope: Scope, client: str, reply: Reply, size: int, started: float) -> None:
    # One line a request: never the body, the query string or a header (secrets live there).
    # Every field the poster chose (the path, a ticket id in the note, a forwarded address)
    # shows its control characters as stand-ins: a "%0a" in the path cannot start a line.
    elapsed = (time.perf_counter() - started) * 1000
    log.info(
        "%s %s %s %s %dB %.1fms%s",
        visible(client[:100], one_line=True),
        visible(scope["method"][:20], one_line=True),
        visible(scope["path"][:200], one_line=True),
        reply.status,
        size,
        elapsed,
        f" {visible(reply.note, one_line=True)}" if reply.note else "",
    )


def _is_in(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in networks)


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
        health: HealthReport | None = None,
    ) -> None:
        import uvicorn

        self.host = host or settings.host
        self.port = settings.port if port is None else port
        check_can_listen(self.host, settings)
        self.app = IntakeApp(
            desk,
            settings,
            health=health,
            widget_demo=desk.demo_description() is not None,
        )
        config = uvicorn.Config(
            self.app,
            log_config=None,  # the CLI configures logging; the app logs each request itself
            access_log=False,
            lifespan="off",
            timeout_keep_alive=5,
            server_header=False,
            # h11 whatever else is installed: strict framing (a body with both Content-Length
            # and Transfer-Encoding, or two lengths, is refused), pure Python, one behaviour.
            http="h11",
            # The app reads X-Forwarded-For itself, from [intake] trusted_proxies only:
            # uvicorn's own handling would trust any local caller's header by default.
            proxy_headers=False,
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
