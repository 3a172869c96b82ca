"""Each edit measure on hand-built drafts and finals whose answers are known."""

from __future__ import annotations

import pytest

from deskpilot.feedback.measures import EditClass, classify_edit, measure, similarity, word_diff

DRAFT = (
    "Hi Ana,\n\nYour invoice INV-1001 was $28.33 because you upgraded mid-cycle.\n\n"
    "Let me know if anything is unclear.\n\nBest,\nada"
)


def test_similarity_is_rapidfuzz_ratio_over_100() -> None:
    assert similarity("abcd", "abcd") == 1.0
    assert similarity("abcd", "abce") == 0.75  # ratio = 2*3/8
    assert similarity("", "abc") == 0.0


def test_identical_text_is_unchanged_with_no_operations() -> None:
    m = measure(DRAFT, DRAFT)
    assert (m.similarity, m.edit_distance, m.diff, m.edit_class) == (
        1.0,
        0.0,
        [],
        EditClass.UNCHANGED,
    )


def test_edit_distance_is_normalised_levenshtein() -> None:
    assert measure("kitten", "sitting").edit_distance == round(3 / 7, 4)


def test_word_diff_names_each_change() -> None:
    final = DRAFT.replace("$28.33", "$30.00").replace("Let me know", "Tell me")
    assert word_diff(DRAFT, final) == [
        ["replace", "$28.33", "$30.00"],
        ["replace", "Let", "Tell"],  # "me" stays: the minimal edit, word by word
        ["delete", "know", ""],
    ]
    assert word_diff("a b c", "a c") == [["delete", "b", ""]]
    assert word_diff("a c", "a b c") == [["insert", "", "b"]]


@pytest.mark.parametrize(
    ("final", "expected"),
    [
        (DRAFT.replace("$28.33", "$30.00"), EditClass.FACTS_CHANGED),
        (DRAFT.replace("INV-1001", "INV-1002"), EditClass.FACTS_CHANGED),
        (DRAFT.replace("Hi Ana,", "Hi Ana, so sorry for the wait!"), EditClass.TONE_CHANGED),
        (DRAFT.replace("\n\nLet me know if anything is unclear.", ""), EditClass.SHORTENED),
        (
            DRAFT.replace(
                "mid-cycle.",
                "mid-cycle. The new plan is billed from the day you switch, and the old plan's "
                "unused days are credited on the same invoice, which is why it is higher.",
            ),
            EditClass.LENGTHENED,
        ),
        ("Thanks, we have passed this to our billing team who will reply today.", "rewritten"),
        (DRAFT.replace("unclear", "not clear"), EditClass.MINOR),
    ],
)
def test_edit_classes(final: str, expected: str) -> None:
    assert classify_edit(DRAFT, final) == expected
