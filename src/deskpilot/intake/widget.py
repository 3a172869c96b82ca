"""The web widget's side of ``deskpilot serve``: the script, the demo page, and the public API
the script talks to.

The intake endpoint (``POST /tickets``) takes a secret a browser must never hold. The widget
runs on public pages instead, so nothing it sends is trusted:

- a publishable site key (``[widget] site_keys``) names which desk a page writes to, and only
  pages on the key's allowed origins may use it (an Origin check on every write, and CORS
  headers for those origins only);
- writes are rate-limited per client address and per site key, bodies are bounded and read
  by the one parser for outside JSON, and the page context is bounded, masked (emails, long
  digit runs, secrets in URLs) and strictly shaped;
- who the customer is counts only when the product's backend signed their email with
  ``[widget] identity_secret`` (HMAC-SHA256); an unsigned email is recorded on the ticket as
  unverified and never matched to a customer's history;
- a conversation is readable, and writable again, only with the token handed out when it
  was created; the store keeps only the token's SHA-256.

Routes: ``GET /widget.js``, ``GET /widget/demo`` (demo workspaces only),
``POST /widget/v1/conversations`` (a new ticket), and ``GET``/``POST
/widget/v1/conversations/<ref>/messages`` (the thread; a follow-up from the customer).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import math
import re
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from pydantic import ValidationError

from deskpilot.config import WidgetSettings
from deskpilot.desk import Desk
from deskpilot.errors import DeskPilotError, ImportFileError, NotFoundError
from deskpilot.intake.policy import with_desk_id
from deskpilot.intake.rates import RateLimit
from deskpilot.intake.records import TicketRecord
from deskpilot.intake.refusal import Refusal
from deskpilot.models import Author, PageContext, Ticket
from deskpilot.textfiles import UnreadableText, parse_json
from deskpilot.url_secrets import mask_url_secrets

SOURCE = "widget"  # the audit trail's name for tickets and messages from the widget
SCRIPT_PATH = "/widget.js"
DEMO_PATH = "/widget/demo"
API_PREFIX = "/widget/v1/conversations"
SITE_KEY_HEADER = "x-deskpilot-site-key"
CORS_ALLOWED_HEADERS = "authorization, content-type, " + SITE_KEY_HEADER
# On a demo workspace without a key of that name, the demo page's own key: usable only by
# pages this server serves itself at a loopback address (the Origin must be that address).
DEMO_SITE_KEY = "pk_demo"
TOKEN_META_PREFIX = "widget-token:"  # + ticket id, in the store's meta table

# What one widget request may carry.
MAX_MESSAGE = 5000
MAX_SUBJECT = 200
MAX_NAME = 120
MAX_LIST = 20  # errors and steps: the widget keeps the last 20 of each
MAX_ITEM = 500
MAX_URL = 2000
MAX_TITLE = 300
MAX_VISIBLE = 2000
MAX_PRODUCT_KEYS = 20
MAX_PRODUCT_VALUE = 200
ENVIRONMENT_KEYS = frozenset({"browser", "os", "viewport", "language", "timezone"})
CONTEXT_FIELDS = frozenset(
    {"url", "title", "visible_state", "errors", "steps_attempted", "environment", "product"}
)
SUBMIT_FIELDS = frozenset({"email", "name", "subject", "message", "signature", "context"})

_REFERENCE = re.compile(r"^T-[0-9a-f]{12}$")
_EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Captured text is masked before it is stored: emails, and runs of 7 or more digits (card,
# phone and account numbers), spaces or dashes between the digits included.
_EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+\.[A-Za-z]{2,}")
_LONG_DIGITS = re.compile(r"\d(?:[ -]?\d){6,}")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class WidgetAnswer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    raw: bytes | None = None  # the script or the demo page, sent as is
    headers: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""  # for the log line


ReadBody = Callable[[int], Awaitable[bytes]]


def mask_captured(text: str) -> str:
    """Captured page text as it may be stored: secrets in URLs, emails and long digit runs
    masked, control characters made spaces."""
    text = _CONTROL.sub(" ", text)
    text = mask_url_secrets(text)
    text = _EMAIL_IN_TEXT.sub("[email]", text)
    return _LONG_DIGITS.sub("[number]", text)


def identity_signature(secret: str, email: str) -> str:
    """What the product's backend sends for a customer: hex HMAC-SHA256 of their email
    (trimmed, lower case) under ``[widget] identity_secret``."""
    message = email.strip().lower().encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def asset(name: str) -> bytes:
    return resources.files("deskpilot.intake").joinpath("widget_assets", name).read_bytes()


class WidgetRoutes:
    """The widget's routes on one desk. ``desk_lock`` is the intake server's: one desk, one
    writer at a time."""

    def __init__(
        self,
        desk: Desk,
        settings: WidgetSettings,
        desk_lock: threading.Lock,
        *,
        is_demo: bool = False,
    ) -> None:
        self._desk = desk
        self._settings = settings
        self._lock = desk_lock
        self._origins = {name: set(key.allowed_origins) for name, key in settings.site_keys.items()}
        # The demo key: pages this server serves itself (checked against the Host header).
        self._same_origin_keys = (
            {DEMO_SITE_KEY} if is_demo and DEMO_SITE_KEY not in self._origins else set()
        )
        self._is_demo = is_demo
        secret = settings.identity_secret
        self._identity_secret = secret.get_secret_value() if secret else None
        self._writes_per_ip = RateLimit(settings.writes_per_minute_per_ip)
        self._writes_per_key = RateLimit(settings.writes_per_minute_per_key)
        self._reads_per_ip = RateLimit(settings.reads_per_minute_per_ip)

    @staticmethod
    def serves(path: str) -> bool:
        return path == SCRIPT_PATH or path == "/widget" or path.startswith("/widget/")

    # --- CORS and origins --------------------------------------------------------------

    def cors(self, headers: dict[str, str]) -> list[tuple[str, str]]:
        """CORS headers for a page whose origin some site key allows; none for any other."""
        origin = headers.get("origin", "")
        if origin and self._allowed_somewhere(origin, headers):
            return [("access-control-allow-origin", origin), ("vary", "origin")]
        return [("vary", "origin")]

    def _allowed_somewhere(self, origin: str, headers: dict[str, str]) -> bool:
        origin = origin.lower()
        if any(origin in allowed for allowed in self._origins.values()):
            return True
        own = _own_origin(headers)
        return bool(self._same_origin_keys) and bool(own) and origin == own

    def _allowed_for(self, key: str, origin: str, headers: dict[str, str]) -> bool:
        if key in self._same_origin_keys:
            own = _own_origin(headers)
            return bool(own) and origin.lower() == own
        return origin.lower() in self._origins.get(key, set())

    def _check_key_and_origin(self, headers: dict[str, str], *, write: bool) -> str:
        key = headers.get(SITE_KEY_HEADER, "").strip()
        if not key:
            raise Refusal(401, f"send the site key in an {SITE_KEY_HEADER} header")
        if key not in self._origins and key not in self._same_origin_keys:
            raise Refusal(403, "unknown site key (see [widget] site_keys)")
        origin = headers.get("origin")
        if origin is None and not write:
            # Browsers leave Origin out of same-origin reads; the token guards those.
            return key
        if origin is None:
            raise Refusal(403, "the widget writes from a web page: no Origin header came")
        if not self._allowed_for(key, origin, headers):
            raise Refusal(
                403, "this page's origin may not use this site key (see its allowed_origins)"
            )
        return key

    # --- routing -------------------------------------------------------------------------

    async def handle(
        self, method: str, path: str, headers: dict[str, str], read_body: ReadBody, client: str
    ) -> WidgetAnswer:
        if path == SCRIPT_PATH:
            self._only(method, "GET", path)
            return self._script()
        if path == DEMO_PATH:
            self._only(method, "GET", path)
            return self._demo_page()
        if path == API_PREFIX:
            if method == "OPTIONS":
                return self._preflight(headers, "POST")
            self._only(method, "POST", path)
            return await self._create(headers, read_body, client)
        reference = _reference_in(path)
        if reference is not None:
            if method == "OPTIONS":
                return self._preflight(headers, "GET, POST")
            if method == "GET":
                return await self._read(reference, headers, client)
            self._only(method, "POST", path, allowed="GET, POST, OPTIONS")
            return await self._follow_up(reference, headers, read_body, client)
        raise Refusal(
            404,
            f"no such widget endpoint (GET {SCRIPT_PATH}, GET {DEMO_PATH}, POST {API_PREFIX}, "
            f"GET/POST {API_PREFIX}/<reference>/messages)",
        )

    @staticmethod
    def _only(method: str, wanted: str, path: str, allowed: str | None = None) -> None:
        if method != wanted:
            allow = allowed or (f"{wanted}, OPTIONS" if path.startswith(API_PREFIX) else wanted)
            raise Refusal(405, f"use {allow} on {path}", headers=[("allow", allow)])

    def _script(self) -> WidgetAnswer:
        return WidgetAnswer(
            200,
            raw=asset("widget.js"),
            headers=[
                ("content-type", "text/javascript; charset=utf-8"),
                ("cache-control", "public, max-age=300"),
                ("x-content-type-options", "nosniff"),
            ],
        )

    def _demo_page(self) -> WidgetAnswer:
        if not self._is_demo:
            raise Refusal(
                404, "the widget demo page is served on the demo workspace (deskpilot demo)"
            )
        return WidgetAnswer(
            200,
            raw=asset("demo.html"),
            headers=[
                ("content-type", "text/html; charset=utf-8"),
                ("cache-control", "no-store"),
                ("x-content-type-options", "nosniff"),
            ],
        )

    def _preflight(self, headers: dict[str, str], methods: str) -> WidgetAnswer:
        origin = headers.get("origin", "")
        if not origin or not self._allowed_somewhere(origin, headers):
            raise Refusal(403, "this page's origin may not use the widget here")
        return WidgetAnswer(
            204,
            headers=[
                ("access-control-allow-methods", methods),
                ("access-control-allow-headers", CORS_ALLOWED_HEADERS),
                ("access-control-max-age", "600"),
            ],
        )

    # --- rate limits -------------------------------------------------------------------

    def _take_write(self, client: str, key: str) -> None:
        wait = self._writes_per_ip.take(client)
        if wait > 0:
            raise _too_many("from this address", wait)
        wait = self._writes_per_key.take(key)
        if wait > 0:
            raise _too_many("through this site key", wait)

    def _take_read(self, client: str) -> None:
        wait = self._reads_per_ip.take(client)
        if wait > 0:
            raise _too_many("from this address", wait)

    # --- a new conversation ------------------------------------------------------------

    async def _create(
        self, headers: dict[str, str], read_body: ReadBody, client: str
    ) -> WidgetAnswer:
        key = self._check_key_and_origin(headers, write=True)
        self._take_write(client, key)
        data = await self._json_body(headers, read_body)
        unknown = sorted(set(data) - SUBMIT_FIELDS)
        if unknown:
            raise Refusal(422, "not a field of a widget message", unknown[0])
        message = _text(data, "message", MAX_MESSAGE, required=True)
        email = _text(data, "email", 320, required=True).lower()
        if not _EMAIL_ADDRESS.match(email):
            raise Refusal(422, "not an email address", "email")
        name = _text(data, "name", MAX_NAME)
        subject = _text(data, "subject", MAX_SUBJECT) or _subject_from(message)
        verified = self._verified(email, data.get("signature"))
        page = page_context_from(data.get("context", {}))
        if not verified:
            shown = f"{name} <{email}>" if name else email
            page = page.model_copy(update={"unverified_identity": shown})
        record_data: dict[str, Any] = {
            "id": secrets.token_hex(8),  # each conversation its own ticket, never a duplicate
            "subject": subject,
            "body": message,
            "channel": "web",
            "page_context": page.model_dump(mode="json"),
        }
        if verified:
            record_data["customer"] = {"email": email, **({"name": name} if name else {})}
        try:
            record = with_desk_id(SOURCE, TicketRecord.model_validate(record_data))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or None
            raise Refusal(422, first["msg"], where) from None
        token = secrets.token_urlsafe(32)
        ticket = await asyncio.to_thread(self._submit, record, key, token)
        return WidgetAnswer(
            201,
            {
                "reference": ticket.id,
                "token": token,
                "verified": verified,
                "poll_seconds": self._settings.poll_seconds,
                **conversation(ticket),
            },
            note=ticket.id,
        )

    def _verified(self, email: str, signature: Any) -> bool:
        if signature in (None, ""):
            return False
        if not isinstance(signature, str):
            raise Refusal(422, "must be the hex HMAC-SHA256 of the email", "signature")
        if self._identity_secret is None:
            raise Refusal(
                422,
                "identity verification is not set up on this desk "
                "(DESKPILOT_WIDGET__IDENTITY_SECRET); send no signature",
                "signature",
            )
        expected = identity_signature(self._identity_secret, email)
        if not hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
            raise Refusal(403, "the identity signature does not match the email", "signature")
        return True

    def _submit(self, record: TicketRecord, key: str, token: str) -> Ticket:
        stored = json.dumps({"site_key": key, "token_sha256": token_digest(token)})
        with self._lock:
            try:
                with self._desk.transaction():
                    submitted = self._desk.submit_ticket(record, source=SOURCE)
                    self._desk.remember(TOKEN_META_PREFIX + submitted.ticket_id, stored)
            except ImportFileError as error:
                raise Refusal(422, error.problem, error.field) from None
            return self._desk.ticket(submitted.ticket_id)

    # --- an existing conversation ---------------------------------------------------------

    async def _read(self, reference: str, headers: dict[str, str], client: str) -> WidgetAnswer:
        key = self._check_key_and_origin(headers, write=False)
        self._take_read(client)
        ticket = await asyncio.to_thread(self._open, reference, key, headers)
        return WidgetAnswer(200, {"reference": ticket.id, **conversation(ticket)})

    async def _follow_up(
        self, reference: str, headers: dict[str, str], read_body: ReadBody, client: str
    ) -> WidgetAnswer:
        key = self._check_key_and_origin(headers, write=True)
        self._take_write(client, key)
        data = await self._json_body(headers, read_body)
        unknown = sorted(set(data) - {"message"})
        if unknown:
            raise Refusal(422, "a follow-up holds only 'message'", unknown[0])
        message = _text(data, "message", MAX_MESSAGE, required=True)
        ticket = await asyncio.to_thread(self._append, reference, key, headers, message)
        return WidgetAnswer(201, {"reference": ticket.id, **conversation(ticket)}, note=ticket.id)

    def _open(self, reference: str, key: str, headers: dict[str, str]) -> Ticket:
        with self._lock:
            self._check_token(reference, key, headers)
            try:
                return self._desk.ticket(reference)
            except NotFoundError:
                raise _no_conversation() from None

    def _append(self, reference: str, key: str, headers: dict[str, str], message: str) -> Ticket:
        with self._lock:
            self._check_token(reference, key, headers)
            try:
                self._desk.add_customer_message(reference, message, source=SOURCE)
                return self._desk.ticket(reference)
            except NotFoundError:
                raise _no_conversation() from None
            except DeskPilotError as error:
                raise Refusal(422, str(error), "message") from None

    def _check_token(self, reference: str, key: str, headers: dict[str, str]) -> None:
        """The bearer token must be the one this conversation was created with, through the
        same site key; any mismatch reads as "no such conversation", never "wrong token"."""
        authorization = headers.get("authorization", "")
        if authorization[:7].lower() != "bearer ":
            raise Refusal(401, "send the conversation's token: 'Authorization: Bearer <token>'")
        given = token_digest(authorization[7:].strip())
        stored = self._desk.recall(TOKEN_META_PREFIX + reference)
        if stored is None:
            raise _no_conversation()
        record = json.loads(stored)
        same_token = hmac.compare_digest(given.encode(), str(record["token_sha256"]).encode())
        if not same_token or record.get("site_key") != key:
            raise _no_conversation()

    # --- reading a body ----------------------------------------------------------------------

    async def _json_body(self, headers: dict[str, str], read_body: ReadBody) -> dict[str, Any]:
        kind = headers.get("content-type", "").partition(";")[0].strip().lower()
        if kind != "application/json":
            raise Refusal(415, "send Content-Type: application/json")
        declared = headers.get("content-length", "")
        limit = self._settings.max_bytes
        if declared.isdigit() and int(declared) > limit:
            raise Refusal(413, f"the body is over the limit of {limit:,} bytes")
        body = await read_body(limit)
        try:
            data = parse_json(body.decode("utf-8"), refuse_duplicate_keys=True)
        except UnicodeDecodeError:
            raise Refusal(400, "the body is not UTF-8 text") from None
        except UnreadableText as error:
            raise Refusal(400, error.problem, error.field) from None
        if not isinstance(data, dict):
            raise Refusal(400, "the body must be a JSON object")
        return data


# --- the page context ----------------------------------------------------------------------


def page_context_from(data: Any) -> PageContext:
    """The page context a widget sent, bounded and masked; a field of the wrong shape is
    refused by name (a product developer learns at once, nothing is silently dropped)."""
    if not isinstance(data, dict):
        raise Refusal(422, "must be an object", "context")
    unknown = sorted(set(data) - CONTEXT_FIELDS)
    if unknown:
        raise Refusal(422, "not a page context field", f"context.{unknown[0]}")
    url = _text(data, "url", MAX_URL, where="context.")
    if url and not url.lower().startswith(("http://", "https://")):
        raise Refusal(422, "must be an http(s) URL", "context.url")
    return PageContext(
        url=mask_captured(url),
        title=mask_captured(_text(data, "title", MAX_TITLE, where="context.")),
        visible_state=mask_captured(_text(data, "visible_state", MAX_VISIBLE, where="context.")),
        errors=[mask_captured(e) for e in _texts(data, "errors")],
        steps_attempted=[mask_captured(s) for s in _texts(data, "steps_attempted")],
        environment=_environment(data.get("environment", {})),
        product_context=_product(data.get("product", {})),
    )


def _environment(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise Refusal(422, "must be an object", "context.environment")
    unknown = sorted(set(value) - ENVIRONMENT_KEYS)
    if unknown:
        raise Refusal(422, "not an environment field", f"context.environment.{unknown[0]}")
    return {
        name: mask_captured(_text(value, name, 100, where="context.environment."))
        for name in sorted(value)
        if value[name] not in (None, "")
    }


def _product(value: Any) -> dict[str, str]:
    """What the product passed with setContext: scalars, shown as text (not masked: the
    product chose to send them)."""
    if not isinstance(value, dict):
        raise Refusal(422, "must be an object", "context.product")
    if len(value) > MAX_PRODUCT_KEYS:
        raise Refusal(422, f"at most {MAX_PRODUCT_KEYS} entries", "context.product")
    product: dict[str, str] = {}
    for name, item in value.items():
        where = f"context.product.{name[:64]}"
        if len(name) > 64 or not name.strip():
            raise Refusal(422, "a name of 1 to 64 characters", where)
        if isinstance(item, bool):
            shown = "true" if item else "false"
        elif isinstance(item, int | float | str) or item is None:
            shown = "" if item is None else str(item)
        else:
            raise Refusal(422, "must be text, a number or true/false", where)
        product[_CONTROL.sub(" ", name)] = _CONTROL.sub(" ", shown)[:MAX_PRODUCT_VALUE]
    return product


def _text(
    data: dict[str, Any], name: str, limit: int, *, required: bool = False, where: str = ""
) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Refusal(422, "must be text", where + name)
    value = value.replace("\x00", "").strip()
    if required and not value:
        raise Refusal(422, "is required", where + name)
    if len(value) > limit:
        raise Refusal(422, f"at most {limit:,} characters", where + name)
    return value


def _texts(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name) or []
    where = f"context.{name}"
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Refusal(422, "must be a list of text", where)
    if len(value) > MAX_LIST:
        raise Refusal(422, f"at most {MAX_LIST} entries", where)
    return [item.replace("\x00", "").strip()[:MAX_ITEM] for item in value if item.strip()]


def _subject_from(message: str) -> str:
    first = message.strip().splitlines()[0]
    return first if len(first) <= 80 else first[:77].rstrip() + "…"


# --- answers ------------------------------------------------------------------------------


def conversation(ticket: Ticket) -> dict[str, Any]:
    """The thread as the customer sees it: no internal notes, agents by their name only."""
    return {
        "status": ticket.status.value,
        "messages": [
            {
                "author": "customer" if message.author is Author.CUSTOMER else "agent",
                "name": message.author_name if message.author is not Author.CUSTOMER else "",
                "body": message.body,
                "at": _iso(message.at),
            }
            for message in ticket.public_thread
        ],
    }


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _reference_in(path: str) -> str | None:
    prefix = API_PREFIX + "/"
    if not (path.startswith(prefix) and path.endswith("/messages")):
        return None
    reference = path[len(prefix) : -len("/messages")]
    if not _REFERENCE.match(reference):
        raise _no_conversation()
    return reference


def _own_origin(headers: dict[str, str]) -> str:
    """This server's origin as the browser reached it (plain HTTP: ``deskpilot serve``
    speaks no TLS itself), when it reached it at a loopback address; "" otherwise. A page on
    any name that merely resolves to this machine (DNS rebinding) is not this server's."""
    host = headers.get("host", "").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not name or not _is_loopback_name(name.strip("[]")):
        return ""
    return "http://" + host


def _is_loopback_name(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _no_conversation() -> Refusal:
    return Refusal(404, "no such conversation, or the token does not open it")


def _too_many(where: str, wait: float) -> Refusal:
    seconds = max(1, math.ceil(wait))
    return Refusal(
        429,
        f"too many messages {where}; try again in {seconds} s",
        headers=[("retry-after", str(seconds))],
    )
