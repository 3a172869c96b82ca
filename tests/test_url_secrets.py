"""Secrets carried in URLs (user info, keys in query strings and fragments) are masked where
configuration is shown and where errors are logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conftest import Cli
from deskpilot.config import load_settings, render_toml
from deskpilot.store import describe_url
from deskpilot.url_secrets import MASK, UrlSecretsFilter, mask_url_secrets

SECRET = "s3cr3tVALUE0123456789abcdef"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            f"https://llm.example.com/openai/deployments/gpt?api-version=2024-06-01&api-key={SECRET}",
            f"https://llm.example.com/openai/deployments/gpt?api-version=2024-06-01&api-key={MASK}",
        ),
        (f"https://h.example/v1?key={SECRET}", f"https://h.example/v1?key={MASK}"),
        (f"https://h.example/v1?apikey={SECRET}", f"https://h.example/v1?apikey={MASK}"),
        (f"https://h.example/v1?API_KEY={SECRET}", f"https://h.example/v1?API_KEY={MASK}"),
        (f"https://h.example/?token={SECRET}&x=1", f"https://h.example/?token={MASK}&x=1"),
        (
            f"https://h.example/?access_token={SECRET};page=2",
            f"https://h.example/?access_token={MASK};page=2",
        ),
        (f"https://h.example/f?sv=2024&sig={SECRET}", f"https://h.example/f?sv=2024&sig={MASK}"),
        (
            f"https://b.s3.example/o?X-Amz-Credential={SECRET}&X-Amz-Signature={SECRET}",
            f"https://b.s3.example/o?X-Amz-Credential={MASK}&X-Amz-Signature={MASK}",
        ),
        (f"https://h.example/?password={SECRET}", f"https://h.example/?password={MASK}"),
        (f"https://h.example/?client_secret={SECRET}", f"https://h.example/?client_secret={MASK}"),
        (f"https://h.example/?api%2Dkey={SECRET}", f"https://h.example/?api%2Dkey={MASK}"),
        (
            f"https://h.example/cb#access_token={SECRET}&t=1",
            f"https://h.example/cb#access_token={MASK}&t=1",
        ),
        (f"https://h.example/v1?{SECRET}", f"https://h.example/v1?{MASK}"),
        (f"https://user:{SECRET}@h.example:8443/v1", f"https://{MASK}@h.example:8443/v1"),
        (f"https://{SECRET}@h.example/v1", f"https://{MASK}@h.example/v1"),
        (
            f"postgresql://desk:{SECRET}@db/desk?sslmode=require",
            f"postgresql://{MASK}@db/desk?sslmode=require",
        ),
        # Nothing secret: left as it is.
        (
            "https://h.example/v1?api-version=2024-06-01",
            "https://h.example/v1?api-version=2024-06-01",
        ),
        (
            "https://h.example/kb/articles?page=2&sort=new#top",
            "https://h.example/kb/articles?page=2&sort=new#top",
        ),
        ("http://localhost:11434/v1", "http://localhost:11434/v1"),
        ("sqlite:///home/ada/desk.db", "sqlite:///home/ada/desk.db"),
    ],
)
def test_secrets_in_urls_are_masked(url: str, masked: str) -> None:
    assert mask_url_secrets(url) == masked


def test_urls_inside_text_are_masked_and_the_rest_kept() -> None:
    text = f"cannot reach https://h.example/v1?key={SECRET} (timed out); see https://docs.example/x"
    assert mask_url_secrets(text) == (
        f"cannot reach https://h.example/v1?key={MASK} (timed out); see https://docs.example/x"
    )


def test_config_show_masks_keys_in_query_strings_and_user_info(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("init").exit_code == 0
    monkeypatch.setenv(
        "DESKPILOT_LLM__BASE_URL", f"https://ai.example.com/v1?api-version=1&api-key={SECRET}"
    )
    monkeypatch.setenv(
        "DESKPILOT_STORAGE__DATABASE_URL",
        f"postgresql://desk:{SECRET}@db/desk?sslpassword={SECRET}",
    )
    monkeypatch.setenv(
        "DESKPILOT_CONNECTORS__ACME__URL", f"https://bot:{SECRET}@acme.example/hook?sig={SECRET}"
    )
    result = cli("config", "show")
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert f'base_url = "https://ai.example.com/v1?api-version=1&api-key={MASK}"' in result.stdout
    assert f'database_url = "postgresql://{MASK}@db/desk?sslpassword={MASK}"' in result.stdout
    assert f'url = "https://{MASK}@acme.example/hook?sig={MASK}"' in result.stdout


def test_render_toml_masks_a_token_in_a_connector_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[connectors.status]\nfeed = "https://status.example/feed?token={SECRET}"\n')
    shown = render_toml(load_settings(config))
    assert SECRET not in shown and f"feed?token={MASK}" in shown


def test_database_locations_in_messages_hide_query_passwords() -> None:
    shown = describe_url(f"postgresql://desk:{SECRET}@db:5432/desk?sslpassword={SECRET}")
    assert SECRET not in shown and shown.startswith("postgresql") and "db:5432/desk" in shown


def test_logged_errors_quoting_a_url_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.url_secrets")
    log.addFilter(UrlSecretsFilter())
    try:
        raise RuntimeError(f"Client error for url 'https://api.example/v1?api_key={SECRET}'")
    except RuntimeError as error:
        with caplog.at_level(logging.WARNING, logger="test.url_secrets"):
            log.warning(
                "posting to %s failed: %s", f"https://u:{SECRET}@h.example/x", error, exc_info=True
            )
    assert SECRET not in caplog.text
    assert f"https://{MASK}@h.example/x" in caplog.text and f"api_key={MASK}" in caplog.text


def test_a_malformed_log_record_is_left_to_the_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "two %s %s", ("one",), None)
    assert UrlSecretsFilter().filter(record), "the caller never sees the formatting error"
    assert record.args == ("one",)
