"""Redaction: personal data and secrets leave the machine as placeholders, and come back.

Before a prompt goes to a remote model endpoint (or to any endpoint through a proxy), emails,
phone numbers, card numbers (Luhn checked), IBANs (mod-97 checked), national identity numbers,
card security codes, passwords, API keys and tokens are replaced with stable placeholders such
as ``[EMAIL_1]`` (what is found, and how, is in ``sensitive.py``); the same value always gets
the same placeholder within one draft. The model's answer is then restored, chunk by chunk as
it streams (a placeholder split across chunks is held back until it closes), so the agent sees
the real values and the endpoint never does. Only this ticket's own values are restored, and
never credentials. The training export also redacts the workspace's known names (``names.py``).

Secrets DeskPilot itself holds (the endpoint's API key) are replaced by ``[REDACTED]`` wherever
they appear, whether redaction is on or not, and are never restored.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

from deskpilot.copilot.context import DraftContext
from deskpilot.copilot.names import COMPANY, PERSON, NameDirectory
from deskpilot.copilot.sensitive import (
    CARD,
    CVV,
    EMAIL,
    IBAN,
    NATIONAL_ID,
    PASSWORD,
    PHONE,
    SECRET,
    Detector,
    Finding,
    card_number_plausible,
    find_sensitive,
    iban_valid,
    luhn_valid,
)

__all__ = [
    "KINDS",
    "NEVER_RESTORED",
    "REDACTED",
    "Finding",
    "Redactor",
    "card_number_plausible",
    "find_sensitive",
    "iban_valid",
    "is_loopback_url",
    "is_proxied",
    "luhn_valid",
    "own_texts",
    "redaction_enabled",
]

KINDS = (EMAIL, PHONE, CARD, IBAN, NATIONAL_ID, CVV, PASSWORD, SECRET, PERSON, COMPANY)
# A reply never needs to repeat a credential or a card's security code back: their placeholders
# stay placeholders in the model's answer.
NEVER_RESTORED = frozenset({CVV, PASSWORD, SECRET})
REDACTED = "[REDACTED]"

PLACEHOLDER = re.compile(r"\[(?:" + "|".join(KINDS) + r")_\d+\]")


# --- the redactor ---------------------------------------------------------------------------


class Redactor:
    """Redacts the texts of one draft's prompt (or one exported conversation) and restores the
    model's answer.

    One instance per draft: placeholders are numbered per kind in order of first sight, and a
    number already written literally in a text (a customer typing ``[EMAIL_1]``) is skipped, so
    restoring never rewrites something the customer wrote.

    ``names`` adds the workspace's known people and companies (``prefer``: this conversation's
    own, where a name is shared). ``own_texts``, when given, are the texts that belong to this
    ticket and its customer: only values found in them are restored, so a placeholder standing
    for another customer's email (from a similar ticket or an example reply in the prompt) is
    never turned back into that email in this customer's draft. Credentials and security codes
    (``NEVER_RESTORED``) are never restored at all.
    """

    def __init__(
        self,
        known_secrets: Iterable[str] = (),
        *,
        names: NameDirectory | None = None,
        prefer: Collection[str] = (),
        own_texts: Iterable[str] | None = None,
    ) -> None:
        # Longest first, so a secret that contains another is removed whole.
        self._known_secrets = sorted({s for s in known_secrets if s}, key=len, reverse=True)
        self._extra: tuple[Detector, ...] = (names.detector(prefer),) if names else ()
        self._by_key: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}  # placeholder -> the original text
        self._keys: dict[str, tuple[str, str]] = {}  # placeholder -> (kind, key)
        self._counters: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._taken: set[str] = set()
        self._own: set[tuple[str, str]] | None = None
        if own_texts is not None:
            self._own = {
                (f.kind, f.key)
                for text in own_texts
                for f in find_sensitive(self.scrub_known_secrets(text), self._extra)
            }

    @property
    def placeholders(self) -> dict[str, str]:
        """Placeholder -> original value, for every value redacted so far."""
        return dict(self._originals)

    @property
    def restorable(self) -> dict[str, str]:
        """Placeholder -> original value, for the values ``restore`` puts back."""
        return {p: v for p, v in self._originals.items() if self._may_restore(p)}

    def _may_restore(self, placeholder: str) -> bool:
        kind, key = self._keys[placeholder]
        return kind not in NEVER_RESTORED and (self._own is None or (kind, key) in self._own)

    def scrub_known_secrets(self, text: str) -> str:
        for secret in self._known_secrets:
            text = text.replace(secret, REDACTED)
        return text

    def redact(self, text: str) -> str:
        text = self.scrub_known_secrets(text)
        self._taken.update(PLACEHOLDER.findall(text))
        pieces: list[str] = []
        position = 0
        for finding in find_sensitive(text, self._extra):
            pieces.append(text[position : finding.start])
            pieces.append(self._placeholder(finding, text[finding.start : finding.end]))
            position = finding.end
        pieces.append(text[position:])
        return "".join(pieces)

    def _placeholder(self, finding: Finding, original: str) -> str:
        existing = self._by_key.get((finding.kind, finding.key))
        if existing is not None:
            return existing
        while True:
            self._counters[finding.kind] += 1
            placeholder = f"[{finding.kind}_{self._counters[finding.kind]}]"
            if placeholder not in self._taken:
                break
        self._by_key[(finding.kind, finding.key)] = placeholder
        self._originals[placeholder] = original
        self._keys[placeholder] = (finding.kind, finding.key)
        return placeholder

    def restore(self, text: str) -> str:
        restorable = self.restorable
        if not restorable:
            return text
        return PLACEHOLDER.sub(lambda m: restorable.get(m.group(), m.group()), text)

    def restorer(self) -> StreamRestorer:
        return StreamRestorer(self)


class StreamRestorer:
    """Restores placeholders in a streamed answer; feed it chunks, then flush.

    A chunk ending in what could be the start of a known placeholder (``[EMA``) is held back
    until the placeholder closes or turns out not to be one, so a split placeholder is restored
    and everything else passes through at once.
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._pending = ""

    def feed(self, chunk: str) -> str:
        text = self._pending + chunk
        cut = self._hold_from(text)
        ready, self._pending = text[:cut], text[cut:]
        return self._redactor.restore(ready)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return self._redactor.restore(rest)

    def _hold_from(self, text: str) -> int:
        start = text.rfind("[")
        if start == -1:
            return len(text)
        tail = text[start:]
        if "]" not in tail and any(p.startswith(tail) for p in self._redactor.restorable):
            return start
        return len(text)


# --- whose values ----------------------------------------------------------------------------

# The parts of a draft context that are this ticket's and this customer's own (their thread,
# records and history, the team's articles and the facts computed from them), and the parts
# that carry other customers' words (answered tickets, example replies) or third parties' (bug
# reports). A field in neither list is treated as foreign: its values are never restored.
OWN_CONTEXT_FIELDS = frozenset(
    {
        "ticket",
        "triage",
        "crm",
        "history",
        "subscription",
        "invoices",
        "plan_changes",
        "team_messages",
        "facts",
        "knowledge",
        "problems",
        "brief",  # read from this ticket's own messages
    }
)
FOREIGN_CONTEXT_FIELDS = frozenset({"similar", "exemplars", "examples", "bugs"})


def own_texts(context: DraftContext) -> list[str]:
    """Every text in the context that belongs to this ticket and its customer: the values a
    draft for them may have restored (``Redactor(own_texts=...)``)."""
    texts: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    collect(context.model_dump(mode="json", include=set(OWN_CONTEXT_FIELDS)))
    return texts


# --- when to redact -------------------------------------------------------------------------


def is_loopback_url(url: str) -> bool:
    """True for an endpoint on this machine: localhost, 127.0.0.0/8 or ::1."""
    try:
        host = urlsplit(url if "://" in url else f"http://{url}").hostname
    except ValueError:
        return False
    if not host:
        return False
    host = host.rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_proxied(url: str) -> bool:
    """True when requests to ``url`` would go through a proxy: ``HTTP_PROXY``, ``HTTPS_PROXY``
    or ``ALL_PROXY`` apply and ``NO_PROXY`` does not exempt the host.

    Resolved by the very HTTP client class the openai library sends requests with (its
    default async client, reading the environment as it does), so the answer cannot drift
    from where the prompt really goes.
    """
    from openai import DefaultAsyncHttpxClient  # slow to import: only when the question arises

    try:
        # Never used to send anything, only asked where it would send: skipping certificate
        # loading (70 ms) changes nothing about the proxies it picks.
        client = DefaultAsyncHttpxClient(verify=False)
        target = type(client.base_url)(url if "://" in url else f"http://{url}")
        return client._transport_for_url(target) is not client._transport
    except Exception:
        # Cannot tell (a URL the client cannot parse, a client that changed): assume a proxy,
        # so the prompt is redacted rather than sent whole.
        return True


def redaction_enabled(redact: bool | None, base_url: str) -> bool:
    """``llm.redact`` if set; otherwise on for every endpoint that is not loopback, and for a
    loopback endpoint reached through a proxy (the proxy, and whatever it forwards to, sees
    the whole prompt)."""
    if redact is not None:
        return redact
    return not is_loopback_url(base_url) or is_proxied(base_url)
