"""Customer Support on Twitter (TWCS) in its own CSV, read as replay threads.

The public TWCS file holds tweets, not pairs: each has an author, whether it came from a
customer (``inbound``), and the tweet it answers (``in_response_to_tweet_id``). A brand's reply
to a customer who wrote several times, or who answered the brand's first reply, is only
understood with the whole conversation before it, so each brand reply becomes one replay case
in the import format: ``messages`` is the conversation before it, oldest first (every tweet
not by the answering brand as the customer's, the brand's own earlier replies as the agent's),
``reply`` the brand's reply and ``company`` the brand. With that, ``deskpilot eval replay``
and ``bench/bench_replay.py --set twcs-threads`` replay the file as it is; the data's licence
(CC BY-NC-SA) forbids copying it, so nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from deskpilot.textfiles import UnreadableText

COLUMNS = frozenset({"tweet_id", "author_id", "inbound", "created_at", "text"})
REPLY_TO = "in_response_to_tweet_id"
TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"  # "Tue Oct 31 22:10:47 +0000 2017"
# Handles become addresses, as a desk would store a social customer (copilot.adapt.handle_of).
HANDLE_DOMAIN = "twitter.example"


def is_twcs(columns: Iterable[str]) -> bool:
    """Whether a CSV with these columns is TWCS's tweet table."""
    return COLUMNS | {REPLY_TO} <= set(columns)


def thread_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """One import-format row per brand reply that answers a tweet the file holds, with the
    line of that reply; a conversation whose start the file lacks begins where it has it.
    Raises ``UnreadableText`` naming the line of a tweet that cannot be read."""
    tweets: dict[str, tuple[int, dict[str, str]]] = {}
    for line, row in rows:
        tweets[_tweet_id(row.get("tweet_id"), line)] = (line, row)
    for line, row in tweets.values():
        if _inbound(row, line) or not _tweet_id(row.get(REPLY_TO), line, optional=True):
            continue
        company = (row.get("author_id") or "").strip()
        before = _conversation_before(row, tweets)
        messages = [_message(tweet, company, at_line) for at_line, tweet in before]
        customers = [t for _line, t in before if (t.get("author_id") or "") != company]
        if not customers or not (row.get("text") or "").strip():
            continue  # nothing a customer said in the file, or nothing replied
        yield (
            line,
            {
                "id": f"twcs-{_tweet_id(row.get('tweet_id'), line)}",
                "messages": messages,
                "reply": row["text"],
                "created_at": _time(row, line),
                "customer": f"{customers[-1]['author_id']}@{HANDLE_DOMAIN}",
                "company": company,
            },
        )


def _conversation_before(
    reply: dict[str, str], tweets: dict[str, tuple[int, dict[str, str]]]
) -> list[tuple[int, dict[str, str]]]:
    """The tweets ``reply`` answers, back to the first the file holds, oldest first."""
    chain: list[tuple[int, dict[str, str]]] = []
    seen: set[str] = set()
    current = reply
    while True:
        parent = _tweet_id(current.get(REPLY_TO), 0, optional=True)
        if not parent or parent in seen or parent not in tweets:
            return chain[::-1]
        seen.add(parent)
        found = tweets[parent]
        chain.append(found)
        current = found[1]


def _message(tweet: dict[str, str], company: str, line: int) -> dict[str, str]:
    author = "agent" if (tweet.get("author_id") or "") == company else "customer"
    return {"author": author, "body": tweet.get("text") or "", "at": _time(tweet, line)}


def _tweet_id(value: str | None, line: int, *, optional: bool = False) -> str:
    """A tweet id as the file writes it ("3" or, in the reply column, "3.0")."""
    text = (value or "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text and optional:
        return ""
    if not text.isdigit():
        raise UnreadableText(f"tweet id {value!r} is not a number", line)
    return text


def _inbound(row: dict[str, str], line: int) -> bool:
    value = (row.get("inbound") or "").strip().lower()
    if value not in ("true", "false"):
        raise UnreadableText(f"'inbound' must be True or False, not {row.get('inbound')!r}", line)
    return value == "true"


def _time(row: dict[str, str], line: int) -> str:
    value = (row.get("created_at") or "").strip()
    try:
        return datetime.strptime(value, TWITTER_TIME).isoformat()
    except ValueError:
        raise UnreadableText(f"'created_at' {value!r} is not a tweet's time", line) from None
