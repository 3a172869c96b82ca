"""Render a draft context into chat messages, from templates a team can edit.

The templates are ``system.md`` and ``user.md`` in ``copilot/prompts/``; a workspace's own
``prompts/`` folder overrides them file by file. They are ``string.Template`` texts: ``$facts``,
``$conversation`` and the other names listed in ``VARIABLES`` are filled in, ``$$`` is a
literal dollar sign, and ``<!-- comments -->`` are dropped before anything is sent.

Whatever the customer (or anyone outside the team) wrote or chose is quoted inside tags such as
``<customer_message>``: every value of the ticket (its id and subject included), the customer's
record, the page context, connectors' text and errors, and the other tickets, articles and
replies shown as examples. Only DeskPilot's own words (headings, the channel and priority) are
outside. Tags like ours inside quoted text are neutralised, so a message cannot close its fence
and speak as the instructions; the text is normalised first (NFKC, format characters such as
zero-width spaces and soft hyphens removed) so a look-alike of a tag is caught as the tag. The
system template tells the model that text inside the tags is data, never instructions.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Literal, TypedDict

from deskpilot.copilot.adapt import candidates
from deskpilot.copilot.context import DraftContext, KnowledgeItem
from deskpilot.errors import ConfigError
from deskpilot.models import Author, Message, Ticket

TEMPLATE_FILES = ("system.md", "user.md")
VARIABLES = frozenset(
    {
        "ticket_id",
        "channel",
        "priority",
        "subject",
        "triage",
        "customer",
        "facts",
        "knowledge",
        "similar",
        "history",
        "examples",
        "problems",
        "page",
        "conversation",
        "brief",
        "few_shot",
    }
)
NONE = "(none)"

# How much of each item goes into the prompt: enough to answer from, bounded so one long
# article or thread cannot crowd out the rest.
MESSAGE_CHARS = 6000
THREAD_MESSAGES = 12
ARTICLE_CHARS = 2500
SIMILAR_CHARS = 1200
EXAMPLE_CHARS = 1500
FEW_SHOT = 3  # past conversations and the team's replies, shown as examples of its answers
HISTORY_TICKETS = 3
HISTORY_CHARS = 300

_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)

# The tags that fence quoted data (see ``fence``).
FENCE_TAGS = (
    "ticket_id",
    "ticket_subject",
    "triage",
    "customer_message",
    "agent_reply",
    "page_context",
    "earlier_ticket",
    "source",
    "source_error",
    "example",
    "case_brief",
)

# Our fence tags are also caught when written with spaces, dashes or underscores of any kind
# between the words, with letters that look like the ASCII ones (Cyrillic "с" for "c"), after
# a look-alike bracket, or escaped as HTML, a URL or JSON would escape "<". Matching runs on
# text already normalised (see ``normalise``), which folds full-width forms to ASCII.
_SEPARATOR = (
    r"[\s_\-\u00b7\u02d7\u058a\u05be\u1400\u1806\u2010-\u2015\u203f\u2040\u2043\u2054"
    r"\u2212\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u301c\u3030\u30a0\ufe31-\ufe34\ufe4d-\ufe4f"
    r"\ufe58\ufe63]*"
)
_LOOK_ALIKES = {
    "a": "аαɑ",
    "b": "ƅЬь",
    "c": "сϲᴄ",
    "d": "ԁ",
    "e": "еҽ",
    "g": "ɡց",
    "i": "іιıɩӏ1|",
    "j": "јϳ",
    "k": "кκᴋ",
    "l": "ӏɩ1|",
    "m": "мᴍ",
    "n": "пո",
    "o": "оοօᴏ0",
    "p": "рρ",
    "r": "гᴦ",
    "s": "ѕꜱ",
    "t": "тτᴛ",
    "u": "υսᴜ",
    "x": "хχ",
    "y": "уүγʏ",
}
_OPENING_BRACKET = r"(?:<|‹|〈|⟨|❮|❬|˂|ᐸ|⧼|&lt;?|&#0*60;?|&#x0*3c;?|%3c|\\u003c|\\x3c)"


def _tag_pattern(tag: str) -> str:
    words = [
        "".join(f"[{re.escape(letter + _LOOK_ALIKES.get(letter, ''))}]" for letter in word)
        for word in tag.split("_")
    ]
    return _SEPARATOR.join(words)


_FENCE_LIKE = re.compile(
    _OPENING_BRACKET
    + r"(\s*/?\s*(?:"
    + "|".join(_tag_pattern(tag) for tag in sorted(FENCE_TAGS, key=len, reverse=True))
    + r"))",
    re.IGNORECASE,
)


class ChatMessage(TypedDict):
    role: Literal["system", "user"]
    content: str


@dataclass(frozen=True)
class PromptTemplates:
    system: Template
    user: Template
    version: str  # a short hash of the template texts: recorded with every draft
    origins: tuple[str, ...]  # where each template was read from, for messages and `config show`

    @classmethod
    def load(cls, templates_dir: Path | None = None) -> PromptTemplates:
        """The packaged templates, each replaced by ``templates_dir/<name>`` when that exists."""
        texts: dict[str, str] = {}
        origins: list[str] = []
        for name in TEMPLATE_FILES:
            override = templates_dir / name if templates_dir is not None else None
            if override is not None and override.is_file():
                raw, origin = _read_override(override), str(override)
            else:
                raw = (
                    resources.files("deskpilot.copilot")
                    .joinpath("prompts", name)
                    .read_text("utf-8")
                )
                origin = f"deskpilot/copilot/prompts/{name}"
            # Checked with comments blanked out line for line, so errors name the file's lines.
            _check_template(_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), raw), origin)
            texts[name] = _strip_comments(raw)
            origins.append(origin)
        digest = hashlib.sha256()
        for name in TEMPLATE_FILES:
            digest.update(f"{name}\0{texts[name]}\0".encode())
        return cls(
            system=Template(texts["system.md"]),
            user=Template(texts["user.md"]),
            version=digest.hexdigest()[:12],
            origins=tuple(origins),
        )


def _read_override(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None


def _strip_comments(text: str) -> str:
    return _COMMENT.sub("", text).strip() + "\n"


def _check_template(text: str, origin: str) -> None:
    template = Template(text)
    if not template.is_valid():
        for match in template.pattern.finditer(text):
            if match.group("invalid") is not None:
                line = text.count("\n", 0, match.start()) + 1
                snippet = text[match.start() : match.start() + 12].split()[0]
                raise ConfigError(
                    f"{origin}, line {line}: '{snippet}' is not a placeholder; "
                    "write $$ for a literal dollar sign"
                )
    unknown = sorted(set(template.get_identifiers()) - VARIABLES)
    if unknown:
        raise ConfigError(
            f"{origin}: unknown placeholder ${unknown[0]} "
            f"(known: {', '.join('$' + v for v in sorted(VARIABLES))})"
        )


# --- rendering ------------------------------------------------------------------------------


def render_messages(context: DraftContext, templates: PromptTemplates) -> list[ChatMessage]:
    values = prompt_values(context)
    return [
        ChatMessage(role="system", content=templates.system.substitute(values).strip()),
        ChatMessage(role="user", content=templates.user.substitute(values).strip()),
    ]


def prompt_values(context: DraftContext) -> dict[str, str]:
    """Every template variable, rendered."""
    ticket = context.ticket
    return {
        "ticket_id": inline_fence("ticket_id", ticket.id),
        "channel": ticket.channel.value,
        "priority": ticket.priority.value,
        "subject": fence("ticket_subject", ticket.subject),
        "triage": inline_fence("triage", _triage(context)),
        "customer": _customer(context),
        "facts": _blocks(
            fence("source", f.text, id=_source_id(f.source.kind, f.source.ref), label=f.label)
            for f in context.facts
        ),
        "knowledge": _blocks(_knowledge(item) for item in context.knowledge),
        "similar": _blocks(_similar(item) for item in context.similar),
        "history": _blocks(_earlier(t) for t in context.history[:HISTORY_TICKETS]),
        "examples": _blocks(fence("example", _clip(e, EXAMPLE_CHARS)) for e in context.examples),
        "problems": _blocks(fence("source_error", problem) for problem in context.problems),
        "page": _page(ticket),
        "conversation": _conversation(ticket),
        "brief": _brief(context),
        "few_shot": _blocks(_few_shot(context)),
    }


def normalise(text: str) -> str:
    """``text`` in NFKC (full-width and other compatibility forms folded) without format
    characters (Unicode category Cf: zero-width spaces and joiners, soft hyphens, direction
    marks), which are invisible and would only hide a tag from ``neutralise``."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(char for char in folded if unicodedata.category(char) != "Cf")


def neutralise(text: str) -> str:
    """``text`` normalised, with anything that looks like one of our fence tags defused, so
    quoted text cannot close its fence or open a new one: ``</customer_message>`` becomes
    ``‹/customer_message>``."""
    return _FENCE_LIKE.sub(lambda m: "‹" + m.group(1), normalise(text))


def fence(tag: str, text: str, **attributes: str) -> str:
    """``text`` quoted as data inside ``<tag ...>`` and ``</tag>``."""
    rendered = "".join(
        f' {name}="{_attribute(value)}"' for name, value in attributes.items() if value
    )
    return f"<{tag}{rendered}>\n{neutralise(text).strip()}\n</{tag}>"


def inline_fence(tag: str, text: str) -> str:
    """A short value (an id, a line) quoted as data on one line: ``<tag>value</tag>``."""
    return f"<{tag}>{_inline(text)}</{tag}>"


def _attribute(value: str) -> str:
    return neutralise(html.escape(" ".join(value.split()), quote=True))


def _inline(text: str) -> str:
    return neutralise(" ".join(text.split()))


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " […]"


def _blocks(blocks: Iterable[str]) -> str:
    return "\n".join(blocks) or NONE


def _source_id(kind: str, ref: str) -> str:
    return f"{kind}:{ref}"


def _triage(context: DraftContext) -> str:
    triage = context.triage
    if triage is None:
        intent = context.ticket.intent
        return f"intent {intent}" if intent else "not triaged"
    parts = [f"intent {triage.intent} ({triage.confidence:.0%} sure)"]
    if triage.out_of_scope:
        parts.append("outside what the co-pilot knows")
    parts.append(f"sentiment {triage.sentiment.value}")
    if triage.signals:
        parts.append("signals: " + ", ".join(triage.signals))
    if triage.handoff:
        parts.append(f"a human should handle it ({triage.handoff_reason or 'policy'})")
    return _inline("; ".join(parts))


def _brief(context: DraftContext) -> str:
    """The case brief (what they ask, gave, tried, what the records answer, what policy
    allows): fenced, since its sentences quote the customer."""
    brief = context.brief
    if brief is None:
        return NONE
    lines = brief.lines()
    if brief.plain_text:
        lines.append("Format: plain text, no Markdown")
    return fence("case_brief", "\n".join(lines) or "(nothing beyond the conversation)")


def _few_shot(context: DraftContext) -> list[str]:
    """The answered conversations most like this one (the same inbox's first, as retrieval
    ranked them), each with the team's reply adapted to this customer (the other customer's
    name, handle and order numbers swapped or dropped, see ``copilot.adapt``): the model's
    few-shot examples of how the team answers."""
    found = candidates(context, "")[:FEW_SHOT]  # in retrieval order: the index ranks better
    return [
        fence(
            "example",
            _clip(
                f"The customer wrote: {(c.item.question or c.item.snippet).strip()}\n"
                f"The team replied: {c.text.strip()}",
                EXAMPLE_CHARS,
            ),
            id=_source_id(c.item.source.kind, c.item.source.ref),
        )
        for c in found
    ]


def _customer(context: DraftContext) -> str:
    customer = context.ticket.customer
    if customer is None:
        return "(no customer record: do not assume who they are)"
    lines = [f"Name: {customer.name or '(unknown)'}"]
    if customer.company:
        lines.append(f"Company: {customer.company}")
    lines.append(f"Tier: {customer.tier.value}")
    if customer.plan:
        lines.append(f"Plan: {customer.plan}")
    crm = context.crm
    if crm is not None:
        if crm.account_owner:
            lines.append(f"Account owner: {crm.account_owner}")
        lines.append(f"Seats: {crm.seats}")
        if crm.signed_up:
            lines.append(f"Customer since: {crm.signed_up:%B %Y}")
    return fence("source", "\n".join(lines), id=_source_id("crm", customer.id))


def _knowledge(item: KnowledgeItem) -> str:
    text = item.body or item.snippet
    return fence(
        "source",
        _clip(text, ARTICLE_CHARS),
        id=_source_id(item.source.kind, item.source.ref),
        title=item.title,
    )


def _similar(item: KnowledgeItem) -> str:
    text = f"The customer asked: {item.snippet.strip()}"
    if item.body:
        text += f"\nWe replied: {item.body.strip()}"
    return fence(
        "source",
        _clip(text, SIMILAR_CHARS),
        id=_source_id(item.source.kind, item.source.ref),
        title=item.title,
    )


def _earlier(ticket: Ticket) -> str:
    return fence(
        "earlier_ticket",
        _clip(ticket.first_customer_message, HISTORY_CHARS),
        id=ticket.id,
        subject=ticket.subject,
        status=ticket.status.value,
        opened=f"{ticket.created_at:%Y-%m-%d}",
    )


def _page(ticket: Ticket) -> str:
    page = ticket.page_context
    if page is None or page.is_empty():
        return "(not captured)"
    lines = []
    if page.url:
        lines.append(f"URL: {page.url}")
    if page.title:
        lines.append(f"Title: {page.title}")
    if page.visible_state:
        lines.append(f"What the page showed: {page.visible_state}")
    lines += [f"Error: {error}" for error in page.errors]
    lines += [f"They already tried: {step}" for step in page.steps_attempted]
    if page.environment:
        lines.append(
            "Browser: " + ", ".join(f"{k} {v}" for k, v in sorted(page.environment.items()))
        )
    lines += [f"Product context {k}: {v}" for k, v in sorted(page.product_context.items())]
    if page.unverified_identity:
        # Who they say they are stays out: the draft must not lean on an unproven identity.
        lines.append("Identity: not verified by the product; share no account details")
    return fence("page_context", "\n".join(lines))


def _conversation(ticket: Ticket) -> str:
    thread = ticket.public_thread  # internal notes never reach a customer-facing draft
    shown = thread[-THREAD_MESSAGES:]
    blocks = [_message(message) for message in shown]
    if len(thread) > len(shown):
        blocks.insert(0, f"({len(thread) - len(shown)} earlier messages left out)")
    return "\n".join(blocks) or "(no messages)"


def _message(message: Message) -> str:
    tag = "customer_message" if message.author is Author.CUSTOMER else "agent_reply"
    return fence(
        tag,
        _clip(message.body, MESSAGE_CHARS),
        author=message.author_name,
        at=message.at.isoformat(timespec="minutes"),
    )
