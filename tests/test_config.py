"""Settings: config.toml, environment overrides, secrets kept out of files and output."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpilot.config import SECRET_MASK, load_settings, render_toml
from deskpilot.errors import ConfigError
from deskpilot.workspace import Workspace


def test_defaults_come_from_the_written_config(workspace: Workspace, desk: object) -> None:
    settings = workspace.settings()
    assert settings.sla.urgent_minutes == 60
    assert settings.actions.refund_limit == 200.0
    assert settings.llm.base_url is None
    assert settings.agent.name == "ada"  # from DESKPILOT_AGENT__NAME set by conftest


def test_file_values_and_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[llm]\nmodel = "llama3.1"\nbase_url = "http://localhost:11434/v1"\n'
        "[sla]\nhigh_minutes = 30\n[connectors.stripe]\nbase_url = 'http://x'\n"
    )
    monkeypatch.setenv("DESKPILOT_SLA__HIGH_MINUTES", "45")
    settings = load_settings(config)
    assert settings.llm.model == "llama3.1"
    assert settings.sla.high_minutes == 45  # the environment wins over the file
    assert settings.connectors == {"stripe": {"base_url": "http://x"}}


def test_config_file_override_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "team.toml"
    other.write_text("[actions]\nrefund_limit = 50\n")
    monkeypatch.setenv("DESKPILOT_CONFIG_FILE", str(other))
    assert load_settings(tmp_path / "config.toml").actions.refund_limit == 50


def test_a_secret_in_config_toml_is_refused_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[llm]\nmodel = "gpt-4o"\napi_key = "sk-live-123"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "line 3" in message and "DESKPILOT_LLM__API_KEY" in message
    assert "sk-live-123" not in message


def test_a_connector_token_in_config_toml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[connectors.linear]\napi_token = 'lin_abc'\n")
    with pytest.raises(ConfigError, match=r"connectors\.linear\.api_token"):
        load_settings(config)


def test_secrets_from_env_and_secrets_file_are_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("DESKPILOT_LLM__API_KEY=sk-from-file-999\n")
    monkeypatch.setenv("DESKPILOT_CONNECTORS__STRIPE__API_KEY", "rk_env_777")
    settings = load_settings(tmp_path / "config.toml", secrets)
    assert settings.llm.api_key is not None
    assert settings.llm.api_key.get_secret_value() == "sk-from-file-999"
    shown = render_toml(settings)
    assert "sk-from-file-999" not in shown and "rk_env_777" not in shown
    assert shown.count(SECRET_MASK) == 2
    assert "sk-from-file-999" not in repr(settings)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[sla\n", "not valid TOML"),
        ("[sla]\nurgent_minutes = 'soon'\n", "'sla.urgent_minutes'"),
        ("[sla]\nurgent_minutes = -5\n", "greater than 0"),
        ("[agent]\nrole = 'boss'\n", "'agent.role'"),
        ("[llm]\nmodle = 'x'\n", "'llm.modle': Extra inputs"),
    ],
)
def test_bad_config_names_the_file_and_key(tmp_path: Path, content: str, expected: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(config) in str(caught.value) and expected in str(caught.value)


@pytest.mark.parametrize(
    ("content", "dotted", "line"),
    [
        ("[connectors.x]\nurl = 'u'\napiKey = 'k'\n", "connectors.x.apiKey", 3),
        ("[connectors.x]\npasswd = 'p'\n", "connectors.x.passwd", 2),
        ("[connectors.x]\nauth = { key = 'k' }\n", "connectors.x.auth.key", 2),
        ("[connectors.x.auth]\nkey = 'k'\n", "connectors.x.auth.key", 2),
    ],
)
def test_connector_secrets_anywhere_in_config_toml_are_refused(
    tmp_path: Path, content: str, dotted: str, line: int
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert f"line {line}: '{dotted}' is a secret" in str(caught.value)


def test_urls_with_passwords_and_nested_secrets_are_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKPILOT_STORAGE__DATABASE_URL", "postgresql://desk:hunter2@db/desk")
    monkeypatch.setenv("DESKPILOT_CONNECTORS__X__AUTH__KEY", "nested-secret")
    shown = render_toml(load_settings(tmp_path / "config.toml"))
    assert "hunter2" not in shown and "nested-secret" not in shown
    assert "postgresql://********@db/desk" in shown


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[sla]\nhigh_minutes = 5\n\n[slaa]\nlow_minutes = 1\n")
    with pytest.raises(ConfigError, match=r"line 4: unknown section or key 'slaa'"):
        load_settings(config)


def test_a_bad_environment_value_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKPILOT_SLA__URGENT_MINUTES", "soon")
    with pytest.raises(ConfigError, match="environment variable DESKPILOT_SLA__URGENT_MINUTES"):
        load_settings(tmp_path / "config.toml")


def test_unreadable_or_missing_override_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_bytes(b"DESKPILOT_LLM__API_KEY=caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(tmp_path / "config.toml", secrets)
    monkeypatch.setenv("DESKPILOT_CONFIG_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"DESKPILOT_CONFIG_FILE=.*no such file"):
        load_settings(tmp_path / "config.toml")
