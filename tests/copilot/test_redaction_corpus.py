"""Redaction measured on a corpus: recall on planted values, false positives on ordinary text.

``tests/data/pii_corpus.json`` holds sentences with personal data and secrets planted in them
(cards, IBANs, phones, emails, identity numbers, security codes, passwords, keys; in several
languages and every usual spelling), each value with the placeholder kind it must become, and
ordinary support text (orders, invoices, dates, amounts, versions, tracking numbers) that must
come through unchanged. The figures are printed (``pytest -s``) and the README quotes them.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from deskpilot.copilot.redaction import PLACEHOLDER, Redactor

CORPUS = Path(__file__).parents[1] / "data" / "pii_corpus.json"


def _corpus() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return data


def _expected(text: str, values: list[list[str]]) -> str:
    """The text with each planted value replaced by its placeholder, numbered per kind."""
    numbers: Counter[str] = Counter()
    placeholders: dict[tuple[str, str], str] = {}
    for kind, value in values:
        if (kind, value) not in placeholders:
            numbers[kind] += 1
            placeholders[(kind, value)] = f"[{kind}_{numbers[kind]}]"
    for (_kind, value), placeholder in placeholders.items():
        assert value in text, f"corpus error: {value!r} is not in {text!r}"
        text = text.replace(value, placeholder)
    return text


def _measure() -> tuple[dict[str, list[int]], list[str], list[str], list[str]]:
    """Per kind [found, planted]; the planted values missed; sentences redacted beyond their
    values; ordinary texts changed."""
    corpus = _corpus()
    per_kind: dict[str, list[int]] = {}
    missed: list[str] = []
    over: list[str] = []
    for entry in corpus["planted"]:
        redacted = Redactor().redact(entry["text"])
        for kind, value in entry["values"]:
            tally = per_kind.setdefault(kind, [0, 0])
            tally[1] += 1
            if value not in redacted and f"[{kind}_" in redacted:
                tally[0] += 1
            else:
                missed.append(f"{kind} {value!r} in {redacted!r}")
        if redacted != _expected(entry["text"], entry["values"]):
            over.append(f"{entry['text']!r} -> {redacted!r}")
    changed = []
    for entry in corpus["ordinary"]:
        redacted = Redactor().redact(entry["text"])
        if redacted != entry["text"]:
            changed.append(f"{entry['text']!r} -> {redacted!r}")
    return per_kind, missed, over, changed


def test_the_corpus_is_large_and_varied() -> None:
    corpus = _corpus()
    values = [kind for entry in corpus["planted"] for kind, _ in entry["values"]]
    assert len(values) >= 150
    assert set(values) >= {
        "CARD",
        "CVV",
        "IBAN",
        "PHONE",
        "EMAIL",
        "NATIONAL_ID",
        "PASSWORD",
        "SECRET",
    }
    assert len({entry["lang"] for entry in corpus["planted"]}) >= 10
    assert len(corpus["ordinary"]) >= 50


def test_recall_and_false_positives_on_the_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    per_kind, missed, over, changed = _measure()
    found = sum(f for f, _ in per_kind.values())
    planted = sum(p for _, p in per_kind.values())
    ordinary = len(_corpus()["ordinary"])
    with capsys.disabled():
        print(f"\nredaction corpus: recall {found}/{planted} = {found / planted:.1%}")
        for kind, (hit, total) in sorted(per_kind.items()):
            print(f"  {kind:<12} {hit:>3}/{total:<3} {hit / total:.0%}")
        print(
            f"  false positives: {len(changed)} of {ordinary} ordinary texts changed, "
            f"{len(over)} planted sentences redacted beyond their values"
        )
    assert not missed, "\n".join(missed)
    assert not over, "\n".join(over)
    assert not changed, "\n".join(changed)


def test_the_corpus_round_trips_through_restore() -> None:
    """What is restorable comes back exactly; credentials stay placeholders."""
    for entry in _corpus()["planted"]:
        redactor = Redactor()
        restored = redactor.restore(redactor.redact(entry["text"]))
        kinds = {kind for kind, _ in entry["values"]}
        if kinds & {"PASSWORD", "SECRET", "CVV"}:
            assert PLACEHOLDER.search(restored), entry["text"]
        else:
            assert restored == entry["text"]
