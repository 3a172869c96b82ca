"""Settings: the workspace's ``config.toml``, overridden by ``DESKPILOT_*`` environment variables.

Secrets (API keys, tokens) come only from the environment or a secrets file in dotenv format
(``secrets.env`` in the workspace, or ``DESKPILOT_SECRETS_FILE``); a secret written into
``config.toml`` is refused, so it never lands in a file people share or commit.
"""

from __future__ import annotations

import getpass
import ipaddress
import math
import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from deskpilot.errors import ConfigError
from deskpilot.url_secrets import mask_url_secrets

ENV_PREFIX = "DESKPILOT_"
SECRET_MASK = "********"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentSettings(Section):
    name: str = Field(default_factory=lambda: _login_name())
    role: Literal["agent", "lead"] = "agent"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _working_week() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


class BusinessHours(Section):
    """The team's working week: SLA clocks run only inside it (``[sla.business_hours]``)."""

    days: list[Weekday] = Field(default_factory=_working_week, min_length=1)
    start: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field("17:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
    timezone: str = "UTC"  # an IANA name, e.g. "Europe/Berlin"

    @model_validator(mode="after")
    def _a_real_day(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(f"business hours end ({self.end}) must be after start ({self.start})")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.timezone!r}") from None
        return self


class SlaSettings(Section):
    """First-response and resolution targets per priority, in minutes (business minutes when
    ``business_hours`` is set)."""

    urgent_minutes: int = Field(60, gt=0)
    high_minutes: int = Field(4 * 60, gt=0)
    normal_minutes: int = Field(24 * 60, gt=0)
    low_minutes: int = Field(72 * 60, gt=0)
    due_soon_fraction: float = Field(0.75, gt=0, lt=1)
    urgent_resolution_minutes: int = Field(8 * 60, gt=0)
    high_resolution_minutes: int = Field(24 * 60, gt=0)
    normal_resolution_minutes: int = Field(72 * 60, gt=0)
    low_resolution_minutes: int = Field(7 * 24 * 60, gt=0)
    business_hours: BusinessHours | None = None  # None: the clock runs around the clock


class LlmSettings(Section):
    """An OpenAI-compatible endpoint; without ``base_url`` the local drafter is used."""

    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    # Once the answer has started, this much silence between chunks means the stream has
    # stalled: the draft fails (the local draft stands) instead of waiting out timeout_seconds.
    stall_timeout_seconds: float = Field(5.0, gt=0)
    redact: bool | None = None  # None: on for any endpoint that is not loopback


class IntakeSettings(Section):
    """``deskpilot serve``: the HTTP endpoint product front-ends post new tickets to."""

    host: str = "127.0.0.1"
    port: int = Field(8765, ge=1, le=65535)
    max_bytes: int = Field(64 * 1024, gt=0, le=16 * 1024 * 1024)  # a larger body: 413
    # Callers prove it as "Authorization: Bearer <secret>", or sign the body with it:
    # "X-DeskPilot-Signature: sha256=<hex HMAC-SHA256>". Required off loopback.
    secret: SecretStr | None = Field(None, min_length=16)
    # Browser pages on these origins may post straight to the endpoint (CORS).
    allowed_origins: list[str] = Field(default_factory=list)
    # Reverse proxies (addresses or networks, e.g. "10.0.0.0/8") whose X-Forwarded-For names
    # the client. Empty: the header is ignored, since anyone can send it.
    trusted_proxies: list[str] = Field(default_factory=list)
    # A body must arrive in full within this time; a client that announces more than it
    # sends is answered 408 instead of holding the connection open.
    read_timeout_seconds: float = Field(10.0, gt=0, le=300)

    @field_validator("secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            weakness = secret_weakness(value.get_secret_value())
            if weakness:
                raise ValueError(f"too weak: {weakness}; generate one with: openssl rand -hex 32")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/8)"
                ) from None
        return [entry.strip() for entry in value]


# A publishable site key: letters, digits, "_" and "-" (it sits in a page's source).
_SITE_KEY = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
# An origin as a browser sends it: scheme, host and an optional port, nothing after.
_ORIGIN = re.compile(r"^https?://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")


class SiteKeySettings(Section):
    """One site key: the pages (origins) that may use it."""

    allowed_origins: list[str] = Field(default_factory=list)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        origins = []
        for entry in value:
            origin = entry.strip().rstrip("/").lower()
            if not _ORIGIN.match(origin):
                raise ValueError(
                    f"{entry!r} is not an origin; write scheme, host and port only, "
                    "e.g. https://app.example.com or http://localhost:3000"
                )
            origins.append(origin)
        return origins


class WidgetSettings(Section):
    """The web widget (``/widget.js``): customers write from inside the product's pages.

    A page proves nothing about itself: the site key only says which desk it writes to, and
    the allowed origins which pages' browsers may use it. Who the customer is counts only when
    the product's backend signed their email with ``identity_secret``."""

    # Key name -> its allowed origins, e.g. [widget.site_keys.pk_acme_live].
    site_keys: dict[str, SiteKeySettings] = Field(default_factory=dict)
    # HMAC-SHA256 key the product's backend signs a customer's email with; secrets.env only.
    identity_secret: SecretStr | None = Field(None, min_length=16)
    max_bytes: int = Field(32 * 1024, gt=0, le=1024 * 1024)  # one widget request's body
    # New conversations and follow-ups a minute, from one address and through one key.
    writes_per_minute_per_ip: int = Field(6, gt=0)
    writes_per_minute_per_key: int = Field(120, gt=0)
    # Conversation reads (the panel polls while open) a minute from one address.
    reads_per_minute_per_ip: int = Field(60, gt=0)
    poll_seconds: float = Field(5.0, ge=1, le=300)  # how often an open panel asks for replies

    @field_validator("site_keys")
    @classmethod
    def _key_names(cls, value: dict[str, SiteKeySettings]) -> dict[str, SiteKeySettings]:
        for name in value:
            if not _SITE_KEY.match(name):
                raise ValueError(
                    f"site key {name!r}: use 4 to 64 letters, digits, '_' or '-' (pk_acme_live)"
                )
        return value

    @field_validator("identity_secret")
    @classmethod
    def _strong_identity_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            weakness = secret_weakness(value.get_secret_value())
            if weakness:
                raise ValueError(f"too weak: {weakness}; generate one with: openssl rand -hex 32")
        return value


# What a secret must have at the least (it guards an endpoint anyone on the network can try).
SECRET_MIN_DISTINCT = 8
SECRET_MIN_BITS = 128  # 16 bytes of entropy, estimated from its length and character classes
_CHARACTER_CLASSES = ((str.isdigit, 10), (str.islower, 26), (str.isupper, 26))


def secret_weakness(secret: str) -> str:
    """Why ``secret`` is too weak to guard the endpoint, or "" when it is strong enough.

    An estimate, not a proof: refuses the secrets people type (one character repeated, a
    short pattern, a word with digits), accepts what a generator gives (hex, base64, UUIDs).
    """
    if any(char.isspace() for char in secret):
        return "it contains whitespace"
    distinct = len(set(secret))
    if distinct == 1:
        return "it is one character repeated"
    if distinct < SECRET_MIN_DISTINCT:
        return f"it has only {distinct} different characters; use {SECRET_MIN_DISTINCT} or more"
    period = _shortest_period(secret)
    if period < len(secret) // 2 + 1:
        return f"it repeats a pattern of {period} characters"
    alphabet = sum(size for test, size in _CHARACTER_CLASSES if any(test(c) for c in secret))
    alphabet += 33 if any(not c.isalnum() for c in secret) else 0  # punctuation and others
    bits = len(secret) * math.log2(max(alphabet, 2))
    if bits < SECRET_MIN_BITS:
        return f"about {bits:.0f} bits of strength; use {SECRET_MIN_BITS} or more (a longer one)"
    return ""


def _shortest_period(text: str) -> int:
    """The length of the shortest unit ``text`` repeats ("abcabcab": 3; no repeat: its length)."""
    return next(
        (
            size
            for size in range(1, len(text))
            if all(text[i] == text[i - size] for i in range(size, len(text)))
        ),
        len(text),
    )


class CsatSettings(Section):
    """Satisfaction surveys: a one-click survey for every solved ticket, answered through
    ``deskpilot serve`` at ``/csat/<token>``."""

    enabled: bool = True
    # How long after solving the survey goes out through the ticket's channel (the outbox of
    # `deskpilot serve`), and the channels it never goes out on (a ticket channel such as
    # "chat", or a connector name such as "zendesk").
    delay_minutes: int = Field(60, ge=0)
    off_channels: list[str] = Field(default_factory=list)
    # Where customers reach `deskpilot serve`, e.g. "https://support.example.com"; None: the
    # [intake] host and port.
    base_url: str | None = None


class DuplicateSettings(Section):
    """Duplicate detection: the same customer, similar text, within ``days``."""

    days: int = Field(7, ge=0)
    min_similarity: float = Field(0.75, ge=0, le=1)


class ActionSettings(Section):
    refund_limit: float = Field(200.0, ge=0)  # the most one refund may be, for most agents
    # Agents with their own per-refund limit (a lead's is usually higher): name -> amount.
    agent_refund_limits: dict[str, float] = Field(default_factory=dict)
    # The most the whole team may refund in a day (UTC); None: no daily cap.
    daily_refund_limit: float | None = Field(None, ge=0)
    currency: str = "USD"

    def refund_limit_for(self, agent: str) -> float:
        return self.agent_refund_limits.get(agent, self.refund_limit)


class TriageSettings(Section):
    """When the co-pilot hands a ticket to a human, and how sure the classifier must be."""

    min_confidence: float = Field(0.5, ge=0, le=1)  # hand off below this intent confidence
    # "ensemble": TF-IDF plus sentence embeddings (encoders shipped in their wheels), the
    # strong default; "tfidf": TF-IDF alone, for tiny machines (no encoders loaded, 0.3 ms).
    classifier: Literal["tfidf", "ensemble"] = "ensemble"
    # No known intent fits below this; None: the classifier's own (ensemble 0.42, tfidf 0.3).
    out_of_scope_below: float | None = Field(None, ge=0, le=1)
    human_only_intents: list[str] = Field(
        default_factory=lambda: ["contract_negotiation", "complaint"]
    )
    escalate_on: list[str] = Field(default_factory=lambda: ["angry", "distressed", "legal"])


class ViewSettings(Section):
    """A saved queue view: a named filter an agent switches to with one key."""

    title: str = ""
    statuses: list[str] = Field(default_factory=lambda: ["new", "open", "pending", "escalated"])
    intent: str | None = None
    priority: str | None = None
    assignee: str | None = None  # "me" means the agent running the desk
    unassigned: bool = False
    breaching: bool = False  # only tickets past or near their SLA target
    tag: str | None = None  # only tickets with this tag, e.g. "autopilot-review"
    snoozed: bool = False  # only snoozed tickets (every other view leaves them out)
    sort: str = "priority"  # a queue column; prefix with "-" for descending


def _default_views() -> dict[str, ViewSettings]:
    return {
        "open": ViewSettings(title="All open"),
        "mine": ViewSettings(title="Mine", assignee="me"),
        "unassigned": ViewSettings(title="Unassigned", unassigned=True),
        "breaching": ViewSettings(title="Breaching SLA", breaching=True, sort="age"),
        "escalated": ViewSettings(title="Escalated", statuses=["escalated"]),
        "review": ViewSettings(
            title="To review",  # auto-sent replies sampled for a human
            statuses=["new", "open", "pending", "escalated", "solved", "closed"],
            tag="autopilot-review",
        ),
    }


class TuiSettings(Section):
    theme: str = "deskpilot-dark"
    default_view: str = "open"
    keys: dict[str, str] = Field(default_factory=dict)  # action id -> key, e.g. send = "ctrl+s"
    # How often the queue looks for tickets that arrived or changed elsewhere; 0: never.
    refresh_seconds: float = Field(1.0, ge=0, le=3600)
    # After send, close or escalate: open the view's next ticket ("next"), go back to the
    # queue ("queue"), or stay on the ticket to watch the reply go out ("stay").
    after_send: Literal["next", "queue", "stay"] = "next"


class FeedbackSettings(Section):
    """How the desk captures agents' edits and learns from them."""

    learn: bool = True  # sent replies become exemplars at once; corrections retrain the classifier
    autosave_seconds: float = Field(1.0, gt=0, le=10)
    ask_reason_below: float = Field(0.7, ge=0, le=1)  # similarity under which the desk asks why
    reasons: list[str] = Field(
        default_factory=lambda: [
            "didn't answer the question",  # the most common reason agents give, so key 1
            "wrong facts",
            "too long",
            "wrong tone",
            "policy",
            "outdated article",
        ],
        max_length=9,
    )
    abandoned_after_days: int = Field(7, gt=0)  # pending this long without an answer: abandoned


AutomationLevel = Literal["off", "suggest", "auto"]


class AutomationSettings(Section):
    """Graduated autonomy: per intent, whether the co-pilot drafts, and whether it may send."""

    levels: dict[str, AutomationLevel] = Field(default_factory=dict)  # intent -> level
    default_level: AutomationLevel = "suggest"
    min_confidence: float = Field(0.85, ge=0, le=1)  # the ticket's intent confidence
    # The draft's own confidence (how much of the question its sources answer), checked once
    # it is written: an intent the classifier is sure of can still get a draft that misses.
    min_draft_confidence: float = Field(0.7, ge=0, le=1)
    acceptance_bar: float = Field(0.9, ge=0, le=1)  # as-is acceptance of the last `window` drafts
    window: int = Field(50, gt=0)
    min_reviewed: int = Field(20, gt=0)  # fewer human-reviewed drafts than this: no evidence yet
    review_share: float = Field(0.1, ge=0, le=1)  # auto-sent replies sampled for a human review
    # Reopens, escalations and bad CSAT (1-2) among an intent's last `window` auto-sends that
    # drop it back to suggest.
    setbacks_to_demote: int = Field(2, gt=0)


class StorageSettings(Section):
    database_url: str | None = None  # None: the workspace's SQLite file


class TeamSettings(Section):
    """Team mode: several desks on one database, each ticket worked by one agent at a time."""

    # An opened ticket is the agent's for this long, renewed while they keep it open; a desk
    # that disappears lets it go when the lease runs out.
    lease_minutes: float = Field(10.0, gt=0)
    # PostgreSQL: the longest the queue watcher blocks on LISTEN at a time (a NOTIFY wakes it
    # at once); capped by [tui] refresh_seconds.
    watch_timeout_seconds: float = Field(1.0, gt=0)
    # The teammates a ticket can be assigned to (and escalated to by name); empty: any name.
    members: list[str] = Field(default_factory=list)
    # The teams an escalation can go to, and the reasons an agent picks from.
    escalation_teams: list[str] = Field(
        default_factory=lambda: ["Tier 2", "Billing", "Engineering", "Account management"]
    )
    escalation_reasons: list[str] = Field(
        default_factory=lambda: [
            "needs a decision above my limit",
            "bug or outage",
            "billing exception",
            "angry or at-risk customer",
            "legal or security",
            "other",
        ]
    )

    @property
    def lease(self) -> timedelta:
        return timedelta(minutes=self.lease_minutes)

    @property
    def renew_every(self) -> timedelta:
        """Renew well before the lease runs out: a third of it."""
        return self.lease / 3


class ChannelSettings(Section):
    """[channels]: replies on their way to customers, and customers' answers coming back."""

    sync_seconds: float = Field(30.0, gt=0)  # how often `deskpilot serve` pulls each channel
    deliver_seconds: float = Field(2.0, gt=0)  # how often it looks for replies to deliver
    # A reply that could not go out is tried again after retry_base_seconds, doubling each
    # time up to retry_max_seconds; after max_attempts it fails and waits for an agent.
    retry_base_seconds: float = Field(30.0, gt=0)
    retry_max_seconds: float = Field(3600.0, gt=0)
    max_attempts: int = Field(10, gt=0)
    # A worker holds a reply this long while it delivers it; one that vanished (killed) lets it
    # go then, and the next asks the channel whether it arrived before sending it again.
    lease_seconds: float = Field(120.0, gt=0)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",  # DESKPILOT_WORKSPACE and friends are read by the CLI, not here
    )

    agent: AgentSettings = Field(default_factory=AgentSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    actions: ActionSettings = Field(default_factory=ActionSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    csat: CsatSettings = Field(default_factory=CsatSettings)
    duplicates: DuplicateSettings = Field(default_factory=DuplicateSettings)
    widget: WidgetSettings = Field(default_factory=WidgetSettings)
    triage: TriageSettings = Field(default_factory=TriageSettings)
    tui: TuiSettings = Field(default_factory=TuiSettings)
    views: dict[str, ViewSettings] = Field(default_factory=_default_views)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    team: TeamSettings = Field(default_factory=TeamSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    automation: AutomationSettings = Field(default_factory=AutomationSettings)
    channels: ChannelSettings = Field(default_factory=ChannelSettings)
    # Canned replies an agent puts in place of the draft with one key: name -> text, with
    # {first_name}, {agent} and {ticket_id} filled in.
    macros: dict[str, str] = Field(default_factory=dict)
    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init arguments; the environment wins over the file.
        return env_settings, dotenv_settings, init_settings

    @model_validator(mode="after")
    def _human_only_intents_never_auto(self) -> Settings:
        """An intent the triage always hands to a human must not be auto-sent: saying so in
        ``[automation.levels]`` is a contradiction the lead should hear about at once."""
        clashing = sorted(
            intent
            for intent, level in self.automation.levels.items()
            if level == "auto" and intent in self.triage.human_only_intents
        )
        if clashing:
            raise ValueError(
                f'automation.levels: {", ".join(clashing)} cannot be "auto": '
                "[triage] human_only_intents always hands them to a human"
            )
        return self

    def can_see_per_agent_stats(self) -> bool:
        """Per-agent figures are for leads (``[agent] role = "lead"``); everyone sees the
        team's totals."""
        return self.agent.role == "lead"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "agent"


def secret_paths(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """Dotted paths of every SecretStr field, e.g. ``llm.api_key``."""
    paths = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if annotation is not None and "SecretStr" in repr(annotation):
            paths.append(prefix + name)
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths.extend(secret_paths(annotation, f"{prefix}{name}."))
    return paths


# Connector tables are free-form; a key that looks like any of these holds a secret.
SECRET_KEY_PATTERN = re.compile(
    r"(api_?key|token|secret|passw(or)?d|passwd|credential|private_?key|^key$|^auth$)", re.I
)


def looks_secret(key: str) -> bool:
    return bool(SECRET_KEY_PATTERN.search(key))


def load_settings(config_file: Path | None, secrets_file: Path | None = None) -> Settings:
    """Read ``config_file`` (may be missing), then the secrets file and the environment."""
    config_file = _override_path("DESKPILOT_CONFIG_FILE", config_file)
    secrets_file = _override_path("DESKPILOT_SECRETS_FILE", secrets_file)
    file_values = _read_toml(config_file) if config_file and config_file.exists() else {}
    if file_values and config_file:
        _refuse_unknown_sections(file_values, config_file)
        _refuse_secrets_in_file(file_values, config_file)
    if secrets_file and secrets_file.exists():
        _check_utf8(secrets_file)
    try:
        env_file = secrets_file if secrets_file and secrets_file.exists() else None
        return Settings(_env_file=env_file, **file_values)
    except ValidationError as error:
        raise ConfigError(_describe_validation_error(error, config_file)) from None


def _override_path(variable: str, default: Path | None) -> Path | None:
    value = os.environ.get(variable)
    if not value:
        return default
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"{variable}={value}: no such file")
    return path


def _check_utf8(path: Path) -> None:
    try:
        path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


def _refuse_unknown_sections(values: dict[str, Any], path: Path) -> None:
    for key in values:
        if key not in Settings.model_fields:
            raise ConfigError(
                f"{path}, line {_line_of(path, key)}: unknown section or key '{key}' "
                f"(known: {', '.join(Settings.model_fields)})"
            )


def _refuse_secrets_in_file(values: dict[str, Any], path: Path) -> None:
    found = [p for p in secret_paths() if _lookup(values, p) is not None]
    found += _secret_keys(values.get("connectors", {}), "connectors")
    if found:
        dotted = found[0]
        variable = ENV_PREFIX + dotted.replace(".", "__").upper()
        raise ConfigError(
            f"{path}, line {_line_of(path, dotted.rsplit('.', 1)[-1])}: '{dotted}' is a secret "
            f"and must not be in config.toml; set {variable} in the environment or in the "
            "workspace's secrets.env instead"
        )


def _secret_keys(table: Any, prefix: str) -> list[str]:
    if not isinstance(table, dict):
        return []
    found = []
    for key, value in table.items():
        dotted = f"{prefix}.{key}"
        if isinstance(value, dict):
            found += _secret_keys(value, dotted)
        elif looks_secret(key):
            found.append(dotted)
    return found


def _lookup(values: dict[str, Any], dotted: str) -> Any:
    current: Any = values
    for part in dotted.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _line_of(path: Path, key: str) -> int | str:
    """The line that sets ``key``: as ``key =``, a ``[table]`` header, or inside a dotted or
    inline table."""
    pattern = re.compile(rf"(^|[.\[{{,\s]){re.escape(key)}\s*(=|\]|\.)")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.search(line.split("#", 1)[0]):
            return number
    return "?"


def _describe_validation_error(error: ValidationError, path: Path | None) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    variable = ENV_PREFIX + "__".join(str(part) for part in first["loc"]).upper()
    if variable in os.environ:
        source = f"environment variable {variable}"
    else:
        source = str(path) if path else "settings"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{source}: '{where}': {first['msg']}{more}"


def masked_dict(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, secrets replaced by a mask (or absent if unset)."""
    data = settings.model_dump(mode="python", exclude_none=True)

    def mask(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return SECRET_MASK
        if isinstance(value, dict):
            return {
                key: SECRET_MASK if looks_secret(key) and not isinstance(item, dict) else mask(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [mask(item) for item in value]
        if isinstance(value, str):
            return mask_url_secrets(value)  # user info and keys in query strings
        return value

    return mask(data)  # type: ignore[no-any-return]


def render_toml(settings: Settings) -> str:
    return tomli_w.dumps(masked_dict(settings))


DEFAULT_CONFIG_TOML = """\
# DeskPilot workspace settings. Every key can be overridden by an environment variable:
# DESKPILOT_<SECTION>__<KEY>, e.g. DESKPILOT_LLM__MODEL=llama3.1.
# Secrets (API keys, tokens) never go here: set them in the environment or in secrets.env
# next to this file, e.g. DESKPILOT_LLM__API_KEY=sk-...

[agent]
# name = "ada"          # defaults to your login name
role = "agent"          # "lead" sees per-agent statistics

[sla]                   # first-response targets, minutes
urgent_minutes = 60
high_minutes = 240
normal_minutes = 1440
low_minutes = 4320
due_soon_fraction = 0.75
urgent_resolution_minutes = 480     # resolution targets, for the lead's reports
high_resolution_minutes = 1440
normal_resolution_minutes = 4320
low_resolution_minutes = 10080
# [sla.business_hours]  # count only working time against the targets in the reports
# days = ["mon", "tue", "wed", "thu", "fri"]
# start = "09:00"
# end = "17:00"
# timezone = "Europe/Berlin"

[llm]
# base_url = "http://localhost:11434/v1"   # any OpenAI-compatible endpoint; unset = local drafter
model = "gpt-4o-mini"
timeout_seconds = 30
stall_timeout_seconds = 5   # silence mid-answer this long: the local draft stands instead

[actions]
refund_limit = 200.0    # refunds above this need a lead
# daily_refund_limit = 2000.0   # the team's total a day
# [actions.agent_refund_limits]  # agents with their own limit per refund
# bo = 1000.0
currency = "USD"

[triage]                # when the co-pilot hands a ticket to a human
min_confidence = 0.5    # intent confidence under this: a human decides
classifier = "ensemble" # "tfidf": lighter and weaker, loads no sentence encoders
# out_of_scope_below = 0.42  # no known intent fits below this (default: ensemble 0.42, tfidf 0.3)
human_only_intents = ["contract_negotiation", "complaint"]
escalate_on = ["angry", "distressed", "legal"]   # sentiment signals that need a human
# The intent taxonomy and its seed examples live in intents.toml next to this file.

[intake]                # deskpilot serve: front-ends post new tickets to POST /tickets
host = "127.0.0.1"      # another host needs DESKPILOT_INTAKE__SECRET (secrets.env)
port = 8765
max_bytes = 65536       # larger request bodies are refused (413)
read_timeout_seconds = 10.0   # a body not in full within this is refused (408)
# allowed_origins = ["https://app.example.com"]   # pages that may post from the browser
# trusted_proxies = ["10.0.0.5"]   # proxies whose X-Forwarded-For names the client

[csat]                  # a one-click satisfaction survey for each solved ticket
enabled = true
delay_minutes = 60      # after solving, sent through the ticket's channel by deskpilot serve
off_channels = []       # e.g. ["chat"]
# base_url = "https://support.example.com"   # where customers reach deskpilot serve

[widget]                # the web widget: <script src=".../widget.js"> on the product's pages
# [widget.site_keys.pk_acme_live]   # a publishable key, and the pages that may use it
# allowed_origins = ["https://app.example.com"]
# Identity verification: the product's backend signs the customer's email with
# DESKPILOT_WIDGET__IDENTITY_SECRET (secrets.env); unsigned emails are marked unverified.
writes_per_minute_per_ip = 6     # new conversations and follow-ups from one address
writes_per_minute_per_key = 120  # ...and through one site key
reads_per_minute_per_ip = 60     # an open panel asks for replies every poll_seconds
poll_seconds = 5.0

[tui]
theme = "deskpilot-dark"   # or "deskpilot-light", or any Textual theme
default_view = "open"
refresh_seconds = 1.0      # the queue shows arriving tickets this soon; 0: on ctrl+r only
after_send = "next"        # after send, close or escalate: next ticket, "queue" or "stay"
# [tui.keys]             # remap a one-key action, e.g.
# send = "ctrl+s"

# Saved queue views (switch with the number keys); these are the defaults:
# [views.mine]
# title = "Mine"
# assignee = "me"
# [views.breaching]
# title = "Breaching SLA"
# breaching = true
# sort = "age"
# [views.snoozed]       # snoozed tickets are in no other view until they come back
# title = "Snoozed"
# snoozed = true

[duplicates]            # the ticket screen suggests merging a customer's near-identical tickets
days = 7                # ...created within this many days of each other
min_similarity = 0.75   # 0-1: how alike subject and first message must be

[feedback]              # every edit of a draft is a training signal
learn = true            # sent replies become exemplars; intent corrections retrain
autosave_seconds = 1.0  # a killed desk loses at most this much typing
ask_reason_below = 0.7  # edits that change more than this ask for a one-key reason
reasons = ["didn't answer the question", "wrong facts", "too long", "wrong tone", "policy",
           "outdated article"]
abandoned_after_days = 7

[automation]            # graduated autonomy, per intent: "off", "suggest" (default) or "auto"
default_level = "suggest"
min_confidence = 0.85   # an auto-send needs at least this intent confidence...
min_draft_confidence = 0.7  # ...a draft whose sources answer this much of the question...
acceptance_bar = 0.9    # ...and this share of the intent's last `window` drafts sent as is
window = 50
min_reviewed = 20
review_share = 0.1      # share of auto-sent replies sampled into the review view
setbacks_to_demote = 2  # reopens, escalations, bad CSAT after auto-sends that demote an intent
# [automation.levels]
# account_access = "auto"

# [macros]              # canned replies, one key (m) in the ticket workspace
# thanks = "Hi {first_name},\\n\\nGlad that's sorted, I'll close this now.\\n\\n{agent}"

[channels]              # replies reach customers; their answers come back (deskpilot serve)
sync_seconds = 30.0     # pull each channel this often
deliver_seconds = 2.0   # look for replies to deliver this often
retry_base_seconds = 30.0   # a reply that could not go out: again after 30 s, 60 s, 120 s...
retry_max_seconds = 3600.0
max_attempts = 10       # then it fails and shows in the thread, for an agent to retry

[storage]
# database_url = "postgresql://desk@db.internal/deskpilot"   # unset = this workspace's SQLite

[team]                  # several desks on one PostgreSQL database
lease_minutes = 10      # an open ticket stays yours this long, renewed while you work on it
# members = ["ada", "bo", "cy"]   # who tickets can be assigned to; unset: any name
# escalation_teams = ["Tier 2", "Billing", "Engineering", "Account management"]
"""
