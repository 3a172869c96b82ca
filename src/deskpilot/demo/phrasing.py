"""How demo customers write and how good agents answer, per intent: the shapes here, the words in
the data files (``data/phrasing.toml`` for every intent, ``data/intents/<intent>.toml`` per intent,
``data/bugs.toml`` for how customers describe each known bug, ``data/crm_notes.toml``).

A customer message is composed from independent slots (greeting, opener, core phrasing, detail,
closer, signature), so a few hundred tickets almost never repeat a body and the intent
classifier sees paraphrases rather than templates. Every slot is a `str.format` template over the
facts the generator computes for a ticket (see `generator.FACT_KEYS`): the customer's real
invoice numbers, amounts, plan, seats and the page they were on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deskpilot.demo.content import data_file, read_toml
from deskpilot.models import Priority, Sentiment


@dataclass(frozen=True)
class Page:
    """Where the in-app widget says the customer was; `banner` is an error shown on the page."""

    path: str
    title: str
    visible_state: str
    banner: str = ""


@dataclass(frozen=True)
class Scenario:
    """One situation within an intent: its phrasings and the reply a skilled agent sends."""

    key: str
    cores: tuple[str, ...]
    replies: tuple[str, ...]
    subjects: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    # Which customers can be in this situation: "any", "paying", "invoice" (paying, names one of
    # their invoices), "upgrade", "seats", "failed", "enterprise", "free".
    requires: str = "any"
    page: Page | None = None
    page_rate: float = 0.0  # how often the widget attached the page (1.0 = always)
    weight: int = 1


@dataclass(frozen=True)
class IntentWording:
    subjects: tuple[str, ...]
    openers: tuple[str, ...]
    closers: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    sentiments: tuple[Sentiment | None, ...]
    priorities: tuple[tuple[Priority, int], ...]
    tags: tuple[str, ...]
    resolve_rate: float = 0.64
    escalate_rate: float = 0.1  # share of open tickets that are escalated
    polite: bool = True  # False: no generic "Thanks!" closers (angry customers don't)
    thanks: tuple[str, ...] = ()  # customer follow-ups after a resolution; default THANKS_FOLLOWUPS
    channels: tuple[tuple[str, int], ...] = (("email", 55), ("chat", 20), ("web", 20), ("phone", 5))


# In the intent files' sentiments, "unset" leaves the tone for triage to read from the text.
UNSET_SENTIMENT = "unset"


def _strings(values: list[str]) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


def _scenario(table: dict[str, Any]) -> Scenario:
    fields = dict(table)
    page = fields.pop("page", None)
    for name in ("cores", "replies", "subjects", "details"):
        if name in fields:
            fields[name] = _strings(fields[name])
    return Scenario(**fields, page=Page(**page) if page is not None else None)


def _wording(table: dict[str, Any]) -> IntentWording:
    fields = dict(table)
    fields["scenarios"] = tuple(_scenario(s) for s in fields["scenarios"])
    fields["sentiments"] = tuple(
        None if s == UNSET_SENTIMENT else Sentiment(s) for s in fields["sentiments"]
    )
    fields["priorities"] = tuple((Priority(p), int(w)) for p, w in fields["priorities"])
    if "channels" in fields:
        fields["channels"] = tuple((str(c), int(w)) for c, w in fields["channels"])
    for name in ("subjects", "openers", "closers", "tags", "thanks"):
        if name in fields:
            fields[name] = _strings(fields[name])
    return IntentWording(**fields)


def _intents() -> dict[str, IntentWording]:
    folder = data_file("intents")
    entries = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".toml"))
    return {name.removesuffix(".toml"): _wording(read_toml(f"intents/{name}")) for name in entries}


_COMMON = read_toml("phrasing.toml")

GREETINGS = _strings(_COMMON["greetings"])
CLOSERS = _strings(_COMMON["closers"])
SIGNATURES = _strings(_COMMON["signatures"])
AGENT_GREETINGS = _strings(_COMMON["agent_greetings"])
AGENT_SIGNOFFS = _strings(_COMMON["agent_signoffs"])
AGENT_EXTRA_LINES = _strings(_COMMON["agent_extra_lines"])
THANKS_FOLLOWUPS = _strings(_COMMON["thanks_followups"])
AGENT_CLOSING_REPLIES = _strings(_COMMON["agent_closing_replies"])
OPEN_FOLLOWUPS = _strings(_COMMON["open_followups"])
# Steps the in-app widget records before a bug report was filed.
BUG_STEPS = _strings(_COMMON["bug_steps"])
BUG_REPLY_WORKAROUND = _strings(_COMMON["bug_reply_workaround"])
BUG_REPLY_NO_WORKAROUND = _strings(_COMMON["bug_reply_no_workaround"])
BUG_REPLY_FIXED = _strings(_COMMON["bug_reply_fixed"])
INTEGRATIONS = _strings(_COMMON["integrations"])
WHEN = _strings(_COMMON["when"])

# How customers describe each known bug, by bug id:
# (page name, page title, what the page shows, symptom phrasings).
BUG_SYMPTOMS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    bug["id"]: (bug["page_name"], bug["page_title"], bug["page_state"], _strings(bug["symptoms"]))
    for bug in read_toml("bugs.toml")["bugs"]
}

WORDING: dict[str, IntentWording] = _intents()

# CRM notes account managers and agents leave: (audience, template). Audience is "any",
# "paying", "enterprise", "failed" or "upgrade".
CRM_NOTES: tuple[tuple[str, str], ...] = tuple(
    (note["audience"], note["text"]) for note in read_toml("crm_notes.toml")["notes"]
)
