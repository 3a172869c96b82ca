"""Redaction: what leaves the machine as a placeholder, what stays, and the way back."""

from __future__ import annotations

import pytest

from deskpilot.copilot.redaction import (
    REDACTED,
    Redactor,
    card_number_plausible,
    iban_valid,
    is_loopback_url,
    is_proxied,
    luhn_valid,
    redaction_enabled,
)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("mail Ann.Lee+work@Example.co.uk please", "mail [EMAIL_1] please"),
        ("call +1 (555) 123-4567 today", "call [PHONE_1] today"),
        ("call +44 20 7946 0958.", "call [PHONE_1]."),
        ("ring (555) 123-4567 or 555.987.6543", "ring [PHONE_1] or [PHONE_2]"),
        ("office 020 7946 0958", "office [PHONE_1]"),
        ("card 4111 1111 1111 1111 expired", "card [CARD_1] expired"),
        ("card 4111-1111-1111-1111", "card [CARD_1]"),
        ("amex 3782 822463 10005", "amex [CARD_1]"),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN_1] please"),
        ("IBAN DE89 3704 0044 0532 0130 00 AND MORE", "IBAN [IBAN_1] AND MORE"),
        ("to GB82WEST12345698765432.", "to [IBAN_1]."),
        ("key sk-proj-abcDEF1234567890ghijKLMN works", "key [SECRET_1] works"),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[SECRET_1]"),
        ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[SECRET_1]"),
        ("xoxb-1234-5678-abcdefghijkl", "[SECRET_1]"),
        ("AKIAIOSFODNN7EXAMPLE", "[SECRET_1]"),
        ("Authorization: Bearer abc.def-ghi_jkl1234567890", "Authorization: Bearer [SECRET_1]"),
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9",
            "jwt [SECRET_1]",
        ),
        ("token Xk9pQ2mZ7vR4tY8wB3nC6hJ1 leaked", "token [SECRET_1] leaked"),
    ],
)
def test_sensitive_values_become_placeholders(text: str, redacted: str) -> None:
    assert Redactor().redact(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "invoice INV-2026-00123 and order #100234",
        "order 1234567890123 and account 79927398713",  # digits that pass Luhn, not a card
        "card 4111 1111 1111 1112",  # fails Luhn
        "IBAN DE89 3704 0044 0532 0130 01",  # fails mod-97
        "on 2026-10-01 at 09:30 we charged $1,234.56 (1,234,567.89 in total)",
        "ticket ZD-4512, request 550e8400-e29b-41d4-a716-446655440000",
        "customer_success_manager_2024 and payment_method_update_failed_3ds",
        "version 3.57.0, build 20261002, ip 192.168.1.10, port 11434, zip 94107",
        "see https://app.example.com/billing/invoices/in_1OXkG2LkdIwHu7ix?tab=lines",
        "the task-runner-configuration-file is missing",
    ],
)
def test_ordinary_support_text_is_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert card_number_plausible("378282246310005")
    assert not card_number_plausible("1234567890123")  # no issuer starts with 1
    assert not card_number_plausible("370400440532013001")  # Luhn-valid, wrong length for Amex
    assert iban_valid("DE89 3704 0044 0532 0130 00") and iban_valid("GB82WEST12345698765432")
    assert not iban_valid("DE89 3704 0044 0532 0130 01") and not iban_valid("DE89")


def test_placeholders_are_stable_within_a_draft() -> None:
    redactor = Redactor()
    first = redactor.redact("from ann@example.com, cc bob@example.com")
    second = redactor.redact("again ANN@example.com")
    assert first == "from [EMAIL_1], cc [EMAIL_2]"
    assert second == "again [EMAIL_1]"
    assert redactor.placeholders == {"[EMAIL_1]": "ann@example.com", "[EMAIL_2]": "bob@example.com"}


def test_a_placeholder_the_customer_typed_is_never_reused() -> None:
    redactor = Redactor()
    redacted = redactor.redact("I typed [EMAIL_1] by mistake; I am ann@example.com")
    assert redacted == "I typed [EMAIL_1] by mistake; I am [EMAIL_2]"
    assert redactor.restore("[EMAIL_1] / [EMAIL_2]") == "[EMAIL_1] / ann@example.com"


def test_known_secrets_are_removed_and_never_restored() -> None:
    key = "local-key-without-a-known-shape"
    redactor = Redactor(known_secrets=[key])
    assert redactor.scrub_known_secrets(f"key={key}") == f"key={REDACTED}"
    assert redactor.redact(f"my key is {key}") == f"my key is {REDACTED}"
    assert key not in redactor.restore("my key is [REDACTED]")


def test_restore_round_trip() -> None:
    redactor = Redactor()
    original = "Card 4111 1111 1111 1111, phone +1 (555) 123-4567, mail ann@example.com"
    redacted = redactor.redact(original)
    assert redactor.restore(redacted) == original
    assert redactor.restore("unknown [CARD_9] stays") == "unknown [CARD_9] stays"


def test_streamed_placeholders_are_restored_at_every_split() -> None:
    redactor = Redactor()
    redactor.redact("ann@example.com and +44 20 7946 0958")
    answer = "Mail [EMAIL_1], call [PHONE_1]; [see] [EMAIL_9] a[b]."
    expected = "Mail ann@example.com, call +44 20 7946 0958; [see] [EMAIL_9] a[b]."
    for split in range(len(answer) + 1):
        restorer = redactor.restorer()
        out = restorer.feed(answer[:split]) + restorer.feed(answer[split:]) + restorer.flush()
        assert out == expected, split
    restorer = redactor.restorer()
    assert "".join(restorer.feed(ch) for ch in answer) + restorer.flush() == expected


def test_the_stream_holds_back_only_what_could_be_a_placeholder() -> None:
    redactor = Redactor()
    redactor.redact("ann@example.com")
    restorer = redactor.restorer()
    assert restorer.feed("Write to [EM") == "Write to "
    assert restorer.feed("AIL_1") == ""
    assert restorer.feed("] now [1]") == "ann@example.com now [1]"
    assert restorer.feed(" and [x") == " and [x", "not the start of any placeholder"
    assert restorer.feed(" [EMAIL_") == " "
    assert restorer.flush() == "[EMAIL_", "an unfinished placeholder is passed on as it is"


def test_without_placeholders_nothing_is_held_back() -> None:
    restorer = Redactor().restorer()
    assert restorer.feed("see [EMAIL_") == "see [EMAIL_"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://localhost:11434/v1", True),
        ("http://LOCALHOST./v1", True),
        ("http://127.0.0.1:8080/v1", True),
        ("http://127.42.0.9/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://[::ffff:127.0.0.1]/v1", True),
        ("localhost:11434", True),
        ("https://api.openai.com/v1", False),
        ("http://192.168.1.20:11434/v1", False),
        ("http://0.0.0.0:8000/v1", False),
        ("http://localhost.evil.example/v1", False),
        ("http://127.0.0.1.nip.io/v1", False),
        ("not a url", False),
    ],
)
def test_loopback_detection(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_redaction_is_on_by_default_unless_the_endpoint_is_loopback() -> None:
    assert redaction_enabled(None, "https://api.openai.com/v1") is True
    assert redaction_enabled(None, "http://127.0.0.1:11434/v1") is False
    assert redaction_enabled(True, "http://localhost:11434/v1") is True
    assert redaction_enabled(False, "https://api.openai.com/v1") is False


# --- whose values come back --------------------------------------------------------------------


def test_only_this_tickets_own_values_are_restored() -> None:
    redactor = Redactor(own_texts=["I am ann@example.com, call me on +44 20 7946 0958"])
    redacted = redactor.redact(
        "Customer: ann@example.com, +44 20 7946 0958.\n"
        "A similar ticket: bob@other.example wrote from +1 (555) 987-6543."
    )
    assert redacted == (
        "Customer: [EMAIL_1], [PHONE_1].\nA similar ticket: [EMAIL_2] wrote from [PHONE_2]."
    )
    answer = "Mail [EMAIL_1] or [EMAIL_2]; call [PHONE_1] or [PHONE_2]."
    assert redactor.restore(answer) == (
        "Mail ann@example.com or [EMAIL_2]; call +44 20 7946 0958 or [PHONE_2]."
    )
    restorer = redactor.restorer()
    streamed = "".join(restorer.feed(ch) for ch in answer) + restorer.flush()
    assert streamed == redactor.restore(answer)


def test_credentials_and_security_codes_are_never_restored() -> None:
    redactor = Redactor()
    redacted = redactor.redact("password: hunter22, CVV 123, key sk-proj-abcDEF1234567890ghijKLMN")
    assert redacted == "password: [PASSWORD_1], CVV [CVV_1], key [SECRET_1]"
    assert redactor.restore(redacted) == redacted


def test_every_context_field_is_either_own_or_foreign() -> None:
    """A new field of DraftContext must be classified: are its values this customer's?"""
    from deskpilot.copilot.context import DraftContext
    from deskpilot.copilot.redaction import FOREIGN_CONTEXT_FIELDS, OWN_CONTEXT_FIELDS

    assert not OWN_CONTEXT_FIELDS & FOREIGN_CONTEXT_FIELDS
    assert set(DraftContext.model_fields) == OWN_CONTEXT_FIELDS | FOREIGN_CONTEXT_FIELDS


# --- proxies ------------------------------------------------------------------------------------

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("variables", "url", "proxied"),
    [
        ({}, "http://127.0.0.1:11434/v1", False),
        ({"HTTP_PROXY": "http://proxy.example:3128"}, "http://127.0.0.1:11434/v1", True),
        ({"http_proxy": "proxy.example:3128"}, "http://localhost:11434/v1", True),
        ({"HTTPS_PROXY": "http://proxy.example:3128"}, "http://127.0.0.1:11434/v1", False),
        ({"HTTPS_PROXY": "http://proxy.example:3128"}, "https://localhost/v1", True),
        ({"ALL_PROXY": "http://proxy.example:3128"}, "http://[::1]:8000/v1", True),
        (
            {"ALL_PROXY": "http://p.example:1", "NO_PROXY": "127.0.0.1"},
            "http://127.0.0.1/v1",
            False,
        ),
        ({"ALL_PROXY": "http://p.example:1", "NO_PROXY": "localhost"}, "http://127.0.0.1/v1", True),
        ({"ALL_PROXY": "http://p.example:1", "no_proxy": "*"}, "http://localhost/v1", False),
    ],
)
def test_a_proxied_loopback_endpoint_counts_as_remote(
    no_proxy_environment: pytest.MonkeyPatch, variables: dict[str, str], url: str, proxied: bool
) -> None:
    for name, value in variables.items():
        no_proxy_environment.setenv(name, value)
    assert is_proxied(url) is proxied
    assert redaction_enabled(None, url) is proxied
    assert redaction_enabled(False, url) is False, "an explicit llm.redact = false is obeyed"


# --- through the model drafter ----------------------------------------------------------------


async def test_through_a_proxy_a_loopback_endpoint_gets_a_redacted_prompt(
    no_proxy_environment: pytest.MonkeyPatch,
) -> None:
    from .test_model_drafter import FakeOpenAI, collect, drafter_for, make_context, ok

    with FakeOpenAI(ok("Hi")) as proxy:
        no_proxy_environment.setenv("HTTP_PROXY", proxy.url.removesuffix("/v1"))
        drafter = drafter_for(proxy, base_url="http://localhost:9/v1")  # nothing listens there
        assert drafter.redact is True
        await collect(drafter, make_context("Reach me at ann.lee@example.com"))
    (request,) = proxy.received
    assert request.path == "http://localhost:9/v1/chat/completions", "sent via the proxy"
    assert "ann.lee@example.com" not in request.text()
    assert "[EMAIL_1]" in request.content("user")


async def test_another_customers_values_are_never_restored_into_this_draft() -> None:
    from deskpilot.copilot.context import KnowledgeItem
    from deskpilot.models import Source

    from .test_model_drafter import FakeOpenAI, collect, drafter_for, make_context, ok

    context = make_context("Please write to ann.lee@example.com, card 4111 1111 1111 1111.")
    context.similar = [
        KnowledgeItem(
            source=Source(kind="ticket", ref="T-9"),
            title="Refund to a card",
            snippet="Refund to bob@other.example and card 5555 5555 5555 4444 please",
            body="Done, Bob: refunded to 5555 5555 5555 4444.",
        )
    ]
    context.examples = ["Hi Carol, we wrote to carol@third.example about it."]
    with FakeOpenAI() as fake:
        drafter = drafter_for(fake, redact=True)
        placeholders = {v: p for p, v in drafter.prepare(context).redactor.placeholders.items()}
    own = [placeholders["ann.lee@example.com"], placeholders["4111 1111 1111 1111"]]
    foreign = [
        placeholders["bob@other.example"],
        placeholders["5555 5555 5555 4444"],
        placeholders["carol@third.example"],
    ]
    answer = " ".join(own + foreign)
    with FakeOpenAI(ok(answer[:9], answer[9:])) as fake:
        draft = "".join(await collect(drafter_for(fake, redact=True), context))
    sent = fake.received[0].text()
    assert all(value not in sent for value in placeholders)
    assert draft == "ann.lee@example.com 4111 1111 1111 1111 " + " ".join(foreign)
