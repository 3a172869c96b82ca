"""Redaction: personal data and secrets leave the machine as placeholders, and come back.

Before a prompt goes to a remote model endpoint, emails, phone numbers, card numbers (Luhn
checked), IBANs (mod-97 checked), API keys and tokens are replaced with stable placeholders
such as ``[EMAIL_1]``; the same value always gets the same placeholder within one draft. The
model's answer is then restored, chunk by chunk as it streams (a placeholder split across chunks
is held back until it closes), so the agent sees the real values and the endpoint never does.

Secrets DeskPilot itself holds (the endpoint's API key) are replaced by ``[REDACTED]`` wherever
they appear, whether redaction is on or not, and are never restored.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

EMAIL = "EMAIL"
PHONE = "PHONE"
CARD = "CARD"
IBAN = "IBAN"
SECRET = "SECRET"
KINDS = (EMAIL, PHONE, CARD, IBAN, SECRET)
REDACTED = "[REDACTED]"

PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|SECRET)_\d+\]")


@dataclass(frozen=True, order=True)
class Finding:
    start: int
    end: int
    kind: str
    key: str  # the normalised value: one placeholder per key


# --- detectors ------------------------------------------------------------------------------
# Each returns the findings in a text; where two overlap, the one found first in DETECTORS wins
# (a card number inside a token is part of the token).

_TOKENS = re.compile(
    r"""
      \bsk-[A-Za-z0-9_-]{16,}                        # OpenAI and many others: sk-..., sk-proj-...
    | \b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}       # Stripe
    | \bgh[pousr]_[A-Za-z0-9]{20,}                  # GitHub tokens
    | \bgithub_pat_[A-Za-z0-9_]{20,}
    | \bxox[abposr]-[A-Za-z0-9-]{10,}               # Slack
    | \b(?:AKIA|ASIA)[A-Z0-9]{16}\b                 # AWS access key ids
    | \bAIza[A-Za-z0-9_-]{30,}                      # Google API keys
    | \beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}   # JWTs
    """,
    re.VERBOSE,
)
_BEARER = re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{16,})")
_WORDISH = re.compile(r"(?<![\w-])[\w-]{20,}(?![\w-])")
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_IBAN_COMPACT = re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b")
_IBAN_GROUPED = re.compile(r"\b[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<![\w.,/-])\d(?:[ -]?\d){12,18}(?![\w/-])")
# Neither may sit inside a longer run of digit groups (an account or IBAN number).
_PHONES = (
    # International: +44 20 7946 0958, +1 (555) 123-4567
    re.compile(r"(?<![\w+])\+\d[\d ().-]{6,}\d(?![\w-])"),
    # North American with separators: (555) 123-4567, 555-123-4567, 555.123.4567
    re.compile(r"(?<![\w+-])(?<!\d )(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w-])(?! \d)"),
    # National trunk prefix with spaces or dashes: 020 7946 0958, 0171-1234567
    re.compile(r"(?<![\w+-])(?<!\d )0\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}(?![\w-])(?! \d)"),
)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_number_plausible(number: str) -> bool:
    """Luhn-valid, and a length that fits the issuer its first digits name; this keeps long
    order or account numbers that happen to pass Luhn (one in ten) out."""
    if not luhn_valid(number):
        return False
    length = len(number)
    if number.startswith(("34", "37")):  # American Express
        return length == 15
    if number.startswith(("30", "36", "38", "39")):  # Diners Club
        return 14 <= length <= 19
    if number.startswith("4"):  # Visa
        return length in (13, 16, 19)
    if number[0] in "25":  # Mastercard
        return length == 16
    if number.startswith(("35", "6")):  # JCB, Discover, UnionPay, Maestro
        return 16 <= length <= 19
    return False


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _looks_random(token: str) -> bool:
    """A long run of letters and digits that reads like a key, not like words or an id.

    Words joined by ``_`` or ``-`` (``customer_success_manager_2024``), UUIDs and invoice
    numbers are split on the separators and fall under the length; what remains must mix
    letters and digits and have high per-character entropy.
    """
    for part in re.split(r"[_-]", token):
        if len(part) < 20:
            continue
        digits = sum(ch.isdigit() for ch in part)
        letters = sum(ch.isalpha() for ch in part)
        mixed_case = any(ch.islower() for ch in part) and any(ch.isupper() for ch in part)
        if (
            digits >= 2
            and letters >= 2
            and (mixed_case or len(part) >= 32)
            and _entropy(part) >= 3.0
        ):
            return True
    return False


def _find_tokens(text: str) -> Iterable[Finding]:
    for match in _TOKENS.finditer(text):
        yield Finding(match.start(), match.end(), SECRET, match.group())
    for match in _BEARER.finditer(text):
        yield Finding(match.start(1), match.end(1), SECRET, match.group(1))
    for match in _WORDISH.finditer(text):
        if _looks_random(match.group()):
            yield Finding(match.start(), match.end(), SECRET, match.group())


def _find_emails(text: str) -> Iterable[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding(match.start(), match.end(), EMAIL, match.group().lower())


def _find_ibans(text: str) -> Iterable[Finding]:
    for match in _IBAN_COMPACT.finditer(text):
        if iban_valid(match.group()):
            yield Finding(match.start(), match.end(), IBAN, match.group())
    for match in _IBAN_GROUPED.finditer(text):
        # The last groups may be a following word in capitals ("... 0130 00 AND"): try the
        # longest run of groups that checks out.
        groups = match.group().split(" ")
        for count in range(len(groups), 2, -1):
            candidate = " ".join(groups[:count])
            if iban_valid(candidate):
                end = match.start() + len(candidate)
                yield Finding(match.start(), end, IBAN, candidate.replace(" ", ""))
                break


def _find_cards(text: str) -> Iterable[Finding]:
    for match in _CARD.finditer(text):
        number = _digits(match.group())
        if card_number_plausible(number):
            yield Finding(match.start(), match.end(), CARD, number)


def _find_phones(text: str) -> Iterable[Finding]:
    for pattern in _PHONES:
        for match in pattern.finditer(text):
            number = _digits(match.group())
            if 8 <= len(number) <= 15:
                yield Finding(match.start(), match.end(), PHONE, number)


DETECTORS: tuple[Callable[[str], Iterable[Finding]], ...] = (
    _find_tokens,
    _find_emails,
    _find_ibans,
    _find_cards,
    _find_phones,
)


def find_sensitive(text: str) -> list[Finding]:
    """Non-overlapping findings in text order; earlier detectors win overlaps."""
    chosen: list[Finding] = []
    for detector in DETECTORS:
        for finding in detector(text):
            if not any(finding.start < c.end and c.start < finding.end for c in chosen):
                chosen.append(finding)
    return sorted(chosen)


# --- the redactor ---------------------------------------------------------------------------


class Redactor:
    """Redacts the texts of one draft's prompt and restores the model's answer.

    One instance per draft: placeholders are numbered per kind in order of first sight, and a
    number already written literally in a text (a customer typing ``[EMAIL_1]``) is skipped, so
    restoring never rewrites something the customer wrote.
    """

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is removed whole.
        self._known_secrets = sorted({s for s in known_secrets if s}, key=len, reverse=True)
        self._by_key: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}  # placeholder -> the original text
        self._counters: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._taken: set[str] = set()

    @property
    def placeholders(self) -> dict[str, str]:
        """Placeholder -> original value, for every value redacted so far."""
        return dict(self._originals)

    def scrub_known_secrets(self, text: str) -> str:
        for secret in self._known_secrets:
            text = text.replace(secret, REDACTED)
        return text

    def redact(self, text: str) -> str:
        text = self.scrub_known_secrets(text)
        self._taken.update(PLACEHOLDER.findall(text))
        pieces: list[str] = []
        position = 0
        for finding in find_sensitive(text):
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
        return placeholder

    def restore(self, text: str) -> str:
        if not self._originals:
            return text
        return PLACEHOLDER.sub(lambda m: self._originals.get(m.group(), m.group()), text)

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
        if "]" not in tail and any(p.startswith(tail) for p in self._redactor.placeholders):
            return start
        return len(text)


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


def redaction_enabled(redact: bool | None, base_url: str) -> bool:
    """``llm.redact`` if set; otherwise on for every endpoint that is not loopback."""
    if redact is not None:
        return redact
    return not is_loopback_url(base_url)
