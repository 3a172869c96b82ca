"""From free text to index terms: words, English stems, and corrections for likely typos.

Queries come from agents and customers, so no character in them is query syntax: the text is cut
into words here and the query is built from terms, never parsed by tantivy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import tantivy
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Mirrors tantivy's built-in "en_stem" analyzer (simple tokenizer, remove_long(40), lowercase,
# English stemmer), so query terms are exactly the terms the index holds.
_WORDS = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .build()
)
_STEMMER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)

# Words that match nearly every document; dropped from queries (unless nothing else is left) so
# that "how do I reset my password" ranks on "reset" and "password".
_STOPWORD_TEXT = (
    "a about am an and any are as at be been but by can could did do does doing for from had has "
    "have having how i if in into is it its just me my no nor not of on or our ours so some than "
    "that the their them then there these they this those to too very was we were what when "
    "where which who whom why will with would you your yours"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
MAX_QUERY_WORDS = 48  # a pasted customer message is still a query, but a bounded one
MIN_CORRECTABLE = 4  # shorter words have too many one-edit neighbours to guess from
MORE_COMMON = 10  # a correction must be this many times more frequent than the typed word
MAX_CORRECTIONS = 2


class TermStats(Protocol):
    """What the index tells the analyzer about its vocabulary."""

    @property
    def num_docs(self) -> int: ...

    def doc_freq(self, term: str) -> int: ...

    def terms_starting_with(self, prefix: str) -> dict[str, int]: ...


@dataclass(frozen=True)
class QueryTerms:
    terms: tuple[str, ...]  # stems of the words typed
    corrections: tuple[str, ...]  # indexed stems the rare or unknown words were probably meant as
    fuzzy: tuple[str, ...]  # unknown stems with no close indexed neighbour: matched by edits

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.corrections or self.fuzzy)


def stems(text: str) -> list[str]:
    """The distinct stems of the text's words, stopwords dropped when others remain."""
    words = [w for w in _WORDS.analyze(text) if len(w) > 1 or w.isdigit()][: MAX_QUERY_WORDS * 2]
    content = [w for w in words if w not in STOPWORDS] or words
    stemmed = (stem for word in content for stem in _STEMMER.analyze(word))
    return list(dict.fromkeys(stemmed))[:MAX_QUERY_WORDS]


def analyze_query(text: str, stats: TermStats) -> QueryTerms:
    terms = stems(text)
    corrections: list[str] = []
    fuzzy: list[str] = []
    for term in terms:
        frequency = stats.doc_freq(term)
        if not _correctable(term, frequency, stats.num_docs):
            continue
        found = _corrections(term, frequency, stats)
        corrections.extend(c for c in found if c not in terms and c not in corrections)
        if not found and frequency == 0:
            fuzzy.append(term)
    return QueryTerms(tuple(terms), tuple(corrections), tuple(fuzzy))


def max_edits(term: str) -> int:
    return 1 if len(term) <= 5 else 2


def _correctable(term: str, frequency: int, num_docs: int) -> bool:
    # Rare, not just unknown: customers' typos are in the tickets too, so a misspelling may
    # well be indexed a few times while the right spelling is indexed hundreds of times.
    rare = max(2, num_docs // 2000)
    return len(term) >= MIN_CORRECTABLE and not term.isdigit() and frequency <= rare


def _corrections(term: str, frequency: int, stats: TermStats) -> list[str]:
    vocabulary = stats.terms_starting_with(term[0])
    wanted = max(1, frequency * MORE_COMMON)
    candidates = [t for t, df in vocabulary.items() if df >= wanted and t != term]
    matches = process.extract(
        term, candidates, scorer=OSA.distance, score_cutoff=max_edits(term), limit=None
    )
    # Closest first; among equally close words, the one most documents use.
    ranked = sorted(matches, key=lambda match: (match[1], -vocabulary[match[0]]))
    closest = ranked[0][1] if ranked else 0
    return [word for word, distance, _ in ranked if distance == closest][:MAX_CORRECTIONS]


def merge_frequencies(*listings: Iterable[tuple[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for listing in listings:
        for term, frequency in listing:
            merged[term] = merged.get(term, 0) + frequency
    return merged
