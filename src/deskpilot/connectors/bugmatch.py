"""Rank known bugs against a customer's report: its words, the page it came from, the console
errors the page captured. For issues connectors that fetch a list of bugs and match locally.

Each signal the report carries scores 0..1 per bug; the score is their weighted mean, so a bug
that matches on every signal outranks one that shares only a generic error message (many bugs
say "TypeError: Cannot read properties of undefined").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Literal
from urllib.parse import urlsplit

from rapidfuzz import fuzz, utils

from deskpilot.connectors.models import BugMatch, BugQuery
from deskpilot.models import Bug

Signal = Literal["error", "page", "text"]
SIGNALS: tuple[Signal, ...] = ("error", "page", "text")
WEIGHTS: dict[str, float] = {"error": 0.45, "text": 0.30, "page": 0.25}
MIN_SCORE = 0.65  # below this a "match" is mostly shared vocabulary (see the demo tickets)
SIGNAL_MATCHES_AT = 0.8  # a signal this strong is named in BugMatch.matched_on
# Customers describe symptoms in their own words: mentioning half of a bug's (rarity-weighted)
# keywords already counts as a full text match. Tuned on the demo's tickets with MIN_SCORE.
TEXT_FULL_AT = 0.5
# Words too common in bug titles and customer mail to tell bugs apart.
STOPWORDS = frozenset(
    {"the", "and", "for", "with", "not", "when", "has", "have", "does", "are", "was", "from"}
    | {"this", "that", "into", "after", "over", "than", "some", "you", "your", "our", "all"}
    | {"can", "cant"}
)
_CONSOLE_PREFIX = re.compile(r"^(uncaught\s+(\(in promise\)\s*)?)", re.IGNORECASE)


def rank_bugs(
    bugs: Iterable[Bug], query: BugQuery, limit: int = 5, min_score: float = MIN_SCORE
) -> list[BugMatch]:
    if query.is_empty() or limit <= 0:
        return []
    known = list(bugs)
    errors = [clean_error(e) for e in query.errors if e.strip()]
    text_words = set(utils.default_process(query.text).split())
    keywords = _keywords(known) if text_words else {}
    path = url_path(query.page_url) if query.page_url.strip() else ""
    matches = []
    for bug in known:
        signals: dict[str, float] = {}
        if errors and bug.error_signature:
            signals["error"] = max(_error_score(e, bug.error_signature) for e in errors)
        if text_words:
            signals["text"] = _text_score(text_words, keywords[bug.id])
        if path and bug.page_url:
            signals["page"] = _page_score(path, url_path(bug.page_url))
        score = _weighted(signals)
        if score >= min_score:
            strong = [name for name in SIGNALS if signals.get(name, 0.0) >= SIGNAL_MATCHES_AT]
            matches.append(BugMatch(bug=bug, score=round(score, 4), matched_on=strong))
    matches.sort(key=lambda m: (-m.score, m.bug.id))
    return matches[:limit]


def clean_error(error: str) -> str:
    """The first line of a console error without the browser's "Uncaught (in promise)"."""
    first = error.strip().splitlines()[0] if error.strip() else ""
    return _CONSOLE_PREFIX.sub("", first).strip()


def url_path(url: str) -> str:
    """``https://app.example.com/settings/billing/?x=1`` -> ``/settings/billing``."""
    url = url.strip()
    path = urlsplit(url).path if "://" in url else url.split("?", 1)[0].split("#", 1)[0]
    return "/" + path.strip("/") if path.strip("/") else "/"


def _error_score(error: str, signature: str) -> float:
    # Whole-string similarity: the distinguishing part of an error is often one word at the end
    # ("reading 'map'" vs "reading 'scopes'"), which partial matching would ignore.
    return fuzz.ratio(error, signature, processor=utils.default_process) / 100


def _text_score(text_words: set[str], keywords: dict[str, float]) -> float:
    """The weighted share of the bug's keywords the text mentions (see TEXT_FULL_AT)."""
    total = sum(keywords.values())
    if not total:
        return 0.0
    found = sum(weight for word, weight in keywords.items() if _mentions(text_words, word))
    return min(1.0, found / total / TEXT_FULL_AT)


def _mentions(text_words: set[str], word: str) -> bool:
    if word in text_words:
        return True
    # Typos and inflections ("expport", "crash"/"crashes") still count as the word.
    return len(word) >= 5 and any(
        abs(len(other) - len(word)) <= 2 and fuzz.ratio(word, other) >= 80 for other in text_words
    )


def _keywords(bugs: list[Bug]) -> dict[str, dict[str, float]]:
    """Per bug: its title and page words, weighted by how rare they are among the bugs (every
    bug "fails" on some "page"; few mention "scopes")."""
    words = {bug.id: _bug_words(bug) for bug in bugs}
    frequency: dict[str, int] = {}
    for found in words.values():
        for word in found:
            frequency[word] = frequency.get(word, 0) + 1
    count = len(bugs)
    return {
        bug_id: {word: math.log(1 + count / frequency[word]) for word in found}
        for bug_id, found in words.items()
    }


def _bug_words(bug: Bug) -> set[str]:
    page_words = re.split(r"[/\-_.]+", url_path(bug.page_url)) if bug.page_url else []
    text = utils.default_process(f"{bug.title} {' '.join(page_words)}")
    return {word for word in text.split() if len(word) > 2 and word not in STOPWORDS}


def _page_score(path: str, bug_path: str) -> float:
    if path == bug_path:
        return 1.0
    if path.startswith(bug_path + "/") or bug_path.startswith(path + "/"):
        return 0.7  # a sub-page of the bug's page, or its parent
    return 0.0


def _weighted(signals: dict[str, float]) -> float:
    if not signals:
        return 0.0
    total = sum(WEIGHTS[name] for name in signals)
    return sum(WEIGHTS[name] * value for name, value in signals.items()) / total
