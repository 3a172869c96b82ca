"""Secrets carried inside URLs, masked wherever a URL is shown or logged.

Endpoints often take their credentials in the URL itself: ``https://user:pass@host``, an Azure
or proxy ``?api-key=...``, a signed link's ``sig=`` or ``X-Amz-Signature=``, an OAuth
``#access_token=``. A URL is configuration a user may paste into ``config show`` output or a
bug report, so its user info and the values of such parameters are replaced by a mask while
the rest (scheme, host, path, harmless parameters like ``api-version``) stays readable.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

MASK = "********"

# A URL inside any text: a scheme, "://", then everything up to white space or a quote.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
# Parameter names (lower case, without "-", "_" and ".") whose values are secrets, by part...
_SECRET_NAME_PARTS = (
    "key",
    "token",
    "secret",
    "passw",
    "passwd",
    "pwd",
    "sig",
    "auth",
    "credential",
    "session",
    "cookie",
    "jwt",
    "bearer",
    "private",
    "otp",
)
# ... or whole.
_SECRET_NAMES = frozenset({"pass", "pw", "code", "hmac", "sas"})
# A query parameter without a name ("?sk-abc123..."): masked when it is this long, one word
# of letters and digits (not a path-like route).
_BARE_SECRET = re.compile(r"(?=[^/]*[A-Za-z])(?=[^/]*\d)[^/]{12,}")


def is_secret_parameter(name: str) -> bool:
    """Whether a query or fragment parameter of this name carries a secret."""
    plain = re.sub(r"[-_.\s\[\]]", "", unquote(name).lower())
    return plain in _SECRET_NAMES or any(part in plain for part in _SECRET_NAME_PARTS)


def mask_url_secrets(text: str) -> str:
    """``text`` with every URL's user info and secret parameters masked."""
    return _URL.sub(lambda match: _mask_url(match.group()), text)


def _mask_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    rest, hash_mark, fragment = rest.partition("#")
    rest, question_mark, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = MASK + "@" + authority.rpartition("@")[2]
    masked = f"{scheme}://{authority}{slash}{path}"
    if question_mark:
        masked += "?" + _mask_parameters(query, bare=True)
    if hash_mark:
        masked += "#" + _mask_parameters(fragment, bare=False)
    return masked


def _mask_parameters(parameters: str, *, bare: bool) -> str:
    parts = re.split(r"([&;])", parameters)
    for index in range(0, len(parts), 2):
        name, equals, value = parts[index].partition("=")
        if equals and value and is_secret_parameter(name):
            parts[index] = f"{name}={MASK}"
        elif not equals and bare and _BARE_SECRET.fullmatch(name):
            parts[index] = MASK
    return "".join(parts)


class UrlSecretsFilter(logging.Filter):
    """Masks URL secrets in a logger's records (message, arguments and traceback) before any
    handler formats them. Add it to the loggers of code that logs outside errors, which may
    quote the URL they were about."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it, never the caller
            return True
        masked = mask_url_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_url_secrets(logging.Formatter().formatException(record.exc_info))
        return True
