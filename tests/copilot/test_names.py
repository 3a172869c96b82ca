"""Known names in text: one placeholder per person, ordinary words left alone."""

from __future__ import annotations

import pytest

from deskpilot.copilot.names import NameDirectory, greeting_names, lower_case_words
from deskpilot.copilot.redaction import Redactor


@pytest.fixture
def directory() -> NameDirectory:
    names = NameDirectory()
    names.add_person("customer:1", "Will Turner")
    names.add_person("customer:2", "Maya Okafor")
    names.add_person("customer:3", "Maya Patel")
    names.add_person("customer:4", "Yuki Van der Berg")
    names.add_person("staff:jordan blake", "Jordan Blake")
    names.add_company("company:apple", "Apple")
    names.add_company("company:northstar co.", "Northstar Co.")
    return names


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        # A name that is also a word: only where it stands as a name.
        ("Will this be fixed? I will check.", "Will this be fixed? I will check."),
        ("Hi Will, thanks for waiting.", "Hi [PERSON_1], thanks for waiting."),
        ("Will, the fix is out.", "[PERSON_1], the fix is out."),
        ("I asked Will yesterday.", "I asked [PERSON_1] yesterday."),
        ("Thanks,\nWill", "Thanks,\n[PERSON_1]"),
        ("Will Turner here; WILL TURNER; will turner", "[PERSON_1] here; [PERSON_1]; [PERSON_1]"),
        ("Willow and Willa are not Will.", "Willow and Willa are not [PERSON_1]."),
        # A company that is also a word; capitalised mid-sentence it is taken as the company.
        ("an apple a day", "an apple a day"),
        (
            "We at Apple love it, and the Apple store too.",
            "We at [COMPANY_1] love it, and the [COMPANY_1] store too.",
        ),
        # Every form of one person is one placeholder; possessives and lower case too.
        (
            "Maya Okafor wrote. Okafor's team, Ms OKAFOR, and maya.",
            "[PERSON_1] wrote. [PERSON_1]'s team, Ms [PERSON_1], and [PERSON_1].",
        ),
        ("Mayan ruins, Okaforian", "Mayan ruins, Okaforian"),
        ("Yuki Van der Berg and Mr Van der Berg", "[PERSON_1] and Mr [PERSON_1]"),
        ("Northstar Co.'s plan; Northstar is fine", "[COMPANY_1]'s plan; [COMPANY_1] is fine"),
        ("Best,\nJordan Blake\nAcme Support", "Best,\n[PERSON_1]\nAcme Support"),
    ],
)
def test_known_names_in_text(directory: NameDirectory, text: str, redacted: str) -> None:
    assert Redactor(names=directory).redact(text) == redacted


def test_a_shared_first_name_means_the_person_in_this_conversation(
    directory: NameDirectory,
) -> None:
    okafor = Redactor(names=directory, prefer={"customer:2"})
    assert okafor.redact("Maya Okafor / Maya") == "[PERSON_1] / [PERSON_1]"
    patel = Redactor(names=directory, prefer={"customer:3"})
    assert patel.redact("Maya Patel / Maya / Maya Okafor") == "[PERSON_1] / [PERSON_1] / [PERSON_2]"


def test_placeholders_hold_across_the_texts_of_one_conversation(directory: NameDirectory) -> None:
    redactor = Redactor(names=directory, prefer={"customer:2"})
    question = redactor.redact("Hello, I'm Maya Okafor from Apple. Mail maya@example.com")
    answer = redactor.redact("Hi Maya,\nyes.\nBest,\nJordan Blake")
    assert question == "Hello, I'm [PERSON_1] from [COMPANY_1]. Mail [EMAIL_1]"
    assert answer == "Hi [PERSON_1],\nyes.\nBest,\n[PERSON_2]"


def test_the_teams_own_lower_case_words_are_ordinary() -> None:
    replies = ["we will look", "we will fix it", "I will write", "hi hope, see you"]
    assert "will" in lower_case_words(replies) and "hope" not in lower_case_words(replies)
    names = NameDirectory(common_words={"summit"})
    names.add_company("company:summit", "Summit")
    names.add_company("company:lumenbridge", "Lumenbridge")
    redactor = Redactor(names=names)
    assert redactor.redact("Summit season. lumenbridge") == "Summit season. [COMPANY_1]"
    assert redactor.redact("We met at Summit") == "We met at [COMPANY_2]"


def test_the_name_after_a_greeting_is_found_in_other_languages_and_forms() -> None:
    said = {
        "Hola Cesar, ¿cómo estás?": ["Cesar"],
        "Buenos días Lucía, gracias": ["Lucía"],
        "Bonjour Amélie,": ["Amélie"],
        "Sehr geehrte Frau Müller, danke": ["Frau Müller"],
        "Hi Rachel thanks for waiting": ["Rachel"],  # no comma after the name
        "Hi Rachel Thanks for waiting": ["Rachel"],  # a sentence's opening is no surname
        "Dear Ms. Smith,": ["Ms. Smith"],
        "@115818 Hi Rachel Green, what": ["Rachel Green"],
        "Hi there, check": [],
        "Hi team, we": [],
        "Thanks for the wait": [],
    }
    for text, names in said.items():
        assert [text[a:b] for a, b in greeting_names(text)] == names, text
