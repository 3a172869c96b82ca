"""A real HTTP server on 127.0.0.1 that answers with recorded responses.

Connector tests talk to it over real sockets with their real HTTP client, so timeouts, headers,
pagination and retries are exercised as in production, and it keeps every request it received
so a test can assert on them (an ``Idempotency-Key`` header, a second try after a 429)::

    server.respond("GET", "/v1/orders/1001", json={"id": "1001", ...})
    server.respond("GET", "/v1/orders", query={"cursor": "p2"}, json={...})
    server.respond("GET", "/v1/health", status=429, headers={"Retry-After": "0"}, then=[{}])
    ... connector calls server.url ...
    assert server.received("GET", "/v1/orders")[0].headers["authorization"] == "Bearer k"

Responses can also come from a JSON file (``server.load(path)``) recorded from the real API.

Given a ``check`` (``deskpilot.testing.spec.OpenApiSpec``: the vendor's published spec), the
server checks every request it receives and every answer it gives against it: a request the
spec does not allow is answered 400 with the reason, and every violation is kept in
``violations`` (the ``http_server`` fixture fails the test on any).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

HOST = "127.0.0.1"  # loopback only: tests never reach the network
POLL_INTERVAL = 0.01


@dataclass(frozen=True)
class RecordedResponse:
    status: int = 200
    json: Any = None  # the body as JSON; ignored when ``text`` is given
    text: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering, to exercise client timeouts
    # Close the connection without answering: a request whose answer is lost on the way.
    drop: bool = False

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> RecordedResponse:
        unknown = set(data) - {"status", "json", "text", "headers", "delay", "drop"}
        if unknown:
            raise ValueError(f"unknown response keys {sorted(unknown)}")
        return cls(**data)

    def body(self) -> tuple[bytes, str]:
        if self.text is not None:
            return self.text.encode("utf-8"), "text/plain; charset=utf-8"
        if self.json is None and self.status in (204, 304):
            return b"", ""
        return json.dumps(self.json).encode("utf-8"), "application/json"


@dataclass
class Route:
    """Answers requests with this method and path (and at least this query), with its
    responses in turn; the last one repeats. A ``{name}`` segment in the path matches any one
    segment (``/tickets/{id}/comments``); a route with the exact path wins over it, and of two
    equally specific routes the one added last."""

    method: str
    path: str
    responses: list[RecordedResponse]
    query: Mapping[str, str] = field(default_factory=dict)
    served: int = 0
    # Computes the answer from the request instead (see ``RecordedServer.handle``).
    responder: Callable[[ReceivedRequest], RecordedResponse] | None = None

    def matches(self, method: str, path: str, query: Mapping[str, str]) -> bool:
        return (
            self.method == method
            and self._matches_path(path)
            and all(query.get(key) == value for key, value in self.query.items())
        )

    @property
    def templated(self) -> bool:
        return "{" in self.path

    def _matches_path(self, path: str) -> bool:
        if not self.templated:
            return self.path == path
        mine, theirs = self.path.strip("/").split("/"), path.strip("/").split("/")
        return len(mine) == len(theirs) and all(
            a == b or (a.startswith("{") and a.endswith("}") and b)
            for a, b in zip(mine, theirs, strict=True)
        )

    def next_response(self, request: ReceivedRequest | None = None) -> RecordedResponse:
        if self.responder is not None and request is not None:
            self.served += 1
            return self.responder(request)
        response = self.responses[min(self.served, len(self.responses) - 1)]
        self.served += 1
        return response


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ExchangeCheck(Protocol):
    """Checks requests and answers against a specification (``OpenApiSpec`` is one)."""

    def check_request(self, request: ReceivedRequest) -> list[str]: ...

    def check_response(self, request: ReceivedRequest, response: RecordedResponse) -> list[str]: ...


class RecordedServer:
    """Start it (or use it as a context manager), point the connector at ``url``, stop it."""

    def __init__(self, routes: Iterable[Route] = (), *, check: ExchangeCheck | None = None) -> None:
        self.routes: list[Route] = list(routes)
        self.requests: list[ReceivedRequest] = []
        self.check = check
        self.violations: list[str] = []  # what ``check`` found, in the order it happened
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- routes ----------------------------------------------------------------------------

    def respond(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        json: Any = None,
        text: str | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        delay: float = 0.0,
        then: Iterable[RecordedResponse | Mapping[str, Any]] = (),
    ) -> Route:
        """Add a route; ``then`` lists the responses to later requests (e.g. 429, then 200)."""
        first = RecordedResponse(status, json, text, dict(headers or {}), delay)
        later = [r if isinstance(r, RecordedResponse) else RecordedResponse.parse(r) for r in then]
        route = Route(method.upper(), path, [first, *later], dict(query or {}))
        with self._lock:
            self.routes.append(route)
        return route

    def handle(
        self,
        method: str,
        path: str,
        responder: Callable[[ReceivedRequest], RecordedResponse],
        *,
        query: Mapping[str, str] | None = None,
    ) -> Route:
        """Add a route whose answer depends on the request: ``responder(request)`` returns it.
        For behaviour a list of answers cannot replay, e.g. ``IdempotentEndpoint``."""
        route = Route(method.upper(), path, [], dict(query or {}), responder=responder)
        with self._lock:
            self.routes.append(route)
        return route

    def load(self, path: Path) -> None:
        """Add the routes of a recording: ``{"routes": [{"method", "path", "query"?,
        "responses": [{"status", "headers", "json" | "text", "delay"}]}]}``."""
        data = json.loads(path.read_text(encoding="utf-8"))
        for number, item in enumerate(data["routes"], start=1):
            try:
                responses = [RecordedResponse.parse(r) for r in item["responses"]]
                route = Route(
                    item["method"].upper(), item["path"], responses, item.get("query", {})
                )
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{path}: route {number}: {error}") from None
            with self._lock:
                self.routes.append(route)

    def received(self, method: str | None = None, path: str | None = None) -> list[ReceivedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or r.path == path)
            ]

    def _answer(self, request: ReceivedRequest) -> RecordedResponse:
        response = self._recorded_answer(request)
        if self.check is None:
            return response
        refused = self.check.check_request(request)
        problems = refused or self.check.check_response(request, response)
        with self._lock:
            self.violations.extend(problems)
        if refused:
            # A real API refuses a request it does not understand; so does this one.
            return RecordedResponse(400, {"error": "SpecViolation", "description": refused[0]})
        return response

    def _recorded_answer(self, request: ReceivedRequest) -> RecordedResponse:
        with self._lock:
            self.requests.append(request)
            candidates = [
                (number, r)
                for number, r in enumerate(self.routes)
                if r.matches(request.method, request.path, request.query)
            ]
            if not candidates:
                return RecordedResponse(
                    404, {"error": f"no recorded response for {request.method} {request.path}"}
                )
            # The most specific route wins: the one that pins down the most query parameters,
            # then an exact path over a template, then the one added last (a test's
            # ``respond`` overrides the recording it loaded).
            _number, route = max(
                candidates, key=lambda c: (len(c[1].query), not c[1].templated, c[0])
            )
            return route.next_response(request)

    # --- running ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the recorded server is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RecordedServer:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        server.daemon_threads = True  # a client holding a keep-alive connection never blocks stop()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            # shutdown() waits up to one poll interval; the default 0.5 s would slow every test.
            kwargs={"poll_interval": POLL_INTERVAL},
            name="recorded-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> RecordedServer:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


class IdempotentEndpoint:
    """A write endpoint that honours ``Idempotency-Key`` the way Stripe-style APIs do: the
    first request with a key gets ``answer(request)``; the same key with the same body gets that
    answer again with ``Idempotent-Replayed: true``; the same key with another body gets
    ``conflict``. Requests without a key are answered afresh each time, and so are retries of a
    5xx or 429 answer (the server did not finish the first one).

    ``server.handle("POST", "/v1/refunds", IdempotentEndpoint(answer, conflict))``
    """

    def __init__(
        self,
        answer: Callable[[ReceivedRequest], RecordedResponse],
        conflict: RecordedResponse,
        header: str = "idempotency-key",
    ) -> None:
        self.answer = answer
        self.conflict = conflict
        self.header = header.lower()
        self.seen: dict[str, tuple[bytes, RecordedResponse]] = {}

    def __call__(self, request: ReceivedRequest) -> RecordedResponse:
        key = request.headers.get(self.header)
        if key is None:
            return self.answer(request)
        if key in self.seen:
            body, first = self.seen[key]
            if body != request.body:
                return self.conflict
            return RecordedResponse(
                first.status,
                first.json,
                first.text,
                {**first.headers, "Idempotent-Replayed": "true"},
            )
        response = self.answer(request)
        if response.status < 500 and response.status != 429:
            self.seen[key] = (request.body, response)
        return response


class GraphQLEndpoint:
    """A GraphQL endpoint (one URL, one POST per operation) answering by ``operationName`` and,
    when given, the variables a recording pins down; the most specific recording wins, its
    answers come in turn and the last repeats. Load recordings from JSON::

        {"operations": [{"operation": "Issue", "variables": {"id": "ENG-1"},
                         "responses": [{"status": 200, "json": {"data": ...}}]}]}

    ``server.handle("POST", "/graphql", GraphQLEndpoint.load(path))``
    """

    def __init__(self) -> None:
        self.recordings: list[tuple[str, dict[str, Any], Route]] = []

    @classmethod
    def load(cls, path: Path) -> GraphQLEndpoint:
        endpoint = cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        for number, item in enumerate(data["operations"], start=1):
            try:
                responses = [RecordedResponse.parse(r) for r in item["responses"]]
                endpoint.add(item["operation"], responses, item.get("variables"))
            except (KeyError, TypeError, ValueError) as error:
                raise ValueError(f"{path}: operation {number}: {error}") from None
        return endpoint

    def add(
        self,
        operation: str,
        responses: Iterable[RecordedResponse],
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        route = Route("POST", "", list(responses))
        self.recordings.append((operation, dict(variables or {}), route))

    def __call__(self, request: ReceivedRequest) -> RecordedResponse:
        try:
            body = request.json() or {}
        except ValueError:
            body = {}
        operation = body.get("operationName") or ""
        given = body.get("variables") or {}
        candidates = [
            (pinned, route)
            for name, pinned, route in self.recordings
            if name == operation and all(given.get(k) == v for k, v in pinned.items())
        ]
        if not candidates:
            message = f"no recorded answer for GraphQL operation {operation!r}"
            return RecordedResponse(200, {"data": None, "errors": [{"message": message}]})
        _pinned, route = max(candidates, key=lambda found: len(found[0]))
        return route.next_response()


def _handler_for(recorded: RecordedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real APIs and httpx's pool expect
        # Headers and body go out in two writes; with Nagle's algorithm the body waits for the
        # client's delayed ACK of the headers (40 ms a request on Linux).
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = ReceivedRequest(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            response = recorded._answer(request)
            if response.delay:
                time.sleep(response.delay)
            if response.drop:
                self.close_connection = True  # the client sees the connection end, no answer
                return
            self._send(response)

        def _send(self, response: RecordedResponse) -> None:
            body, content_type = response.body()
            self.send_response(response.status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The client may have given up (a timeout test): then there is no one to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; the requests are in RecordedServer.requests

    return Handler
