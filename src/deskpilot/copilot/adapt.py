"""Reusing the team's past replies: adapt the best one to this customer instead of refusing it.

Real replies name the person they answer (``@115818``, "Hi Rachel"), quote their order or
ticket numbers and dates, and carry the initials of the agent who wrote them (``^JD``). Such a
reply is still the best model of what the team says to the same question, so it is adapted,
not discarded: the other customer's handle becomes this customer's, their name is dropped (or
becomes this customer's in a greeting), a number of theirs becomes the one this customer gave
(or the sentence holding it goes), a sentence saying what was done for them goes, and the other
agent's initials become this agent's (the sign-off they last used in this inbox) or go.

A detail several customers' replies share is the team's own (a support line, a list price, a
help link) and stays. What is left of a reply after adaptation never holds another customer's
specifics, which is the protection the old reuse rules gave, without losing the team's voice.

Choosing among the adapted replies: inside one inbox (a brand's or a team's queue) the team
answers one kind of customer, so every similar answered conversation there is a candidate and the
reply the others agree with most is chosen (a minimum-Bayes-risk choice, weighted by how close
each past question is and, in a thread, the conversation before it: ``thread_relevance``),
nudged by how agents edited drafts built on each reply before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from deskpilot.copilot.context import DraftContext, KnowledgeItem
from deskpilot.copilot.names import greeting_names
from deskpilot.models import Author, Message, Ticket

INBOX_TAG = "inbox:"
# Amounts, addresses, long numbers (orders, phones), references and dates: in a past reply
# they may be another customer's. Small numbers ("within 24 hours", "step 2") are how the team
# talks.
DETAIL = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|[$€£]\s?\d[\d,.]*|\d[\d,.]*\s?(?:USD|EUR|GBP)"
    r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?\b"
    r"|\b\d{4,}\b|\b[A-Z]{2,}-\d+\b"
)
# The kinds a customer gives and a reply may quote back: swapped for this customer's own.
GIVEN = re.compile(r"\b[A-Z]{2,}-\d+\b|\b[A-Z]*\d[A-Z\d-]{5,}\b")
# "I've refunded / reset / unlocked ...": true of that ticket, and nothing the co-pilot did here.
DONE_FOR_THEM = re.compile(
    r"\b(?:I|we)(?:'ve| have)\s+(?:just\s+|now\s+|already\s+)?(?:cleared|refunded|reset|issued|"
    r"switched|changed|updated|sent|credited|cancell?ed|unlocked|removed|added|processed|"
    r"applied|restored|extended|upgraded|downgraded|moved|merged|fixed|deleted|re-?sent|enabled|"
    r"disabled|waived|escalated|forwarded)\b",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w@/.])@(\w{1,30})\b")
LEADING_HANDLES = re.compile(r"^(?:@\w{1,30}[ \t]+)+")
LINK_OR_HANDLE = re.compile(r"https?://\S+|(?<![\w@/.])@\w{1,30}\b")
# An agent's mark at the end of a social reply: "^JD", "*QB", "-Steven", "~Kit", or bare
# initials after a sentence ("... line? FA"), with a thread counter ("2/2") after it.
SIGN_MARK = re.compile(
    r"(?:(?<=\s)([\^*~]\s?[A-Z][\w.]{0,12}|[-–—]\s?[A-Z][a-z]{1,12})"
    r"|(?<=[.!?)]\s)([A-Z]{2,3}))(\s+\d/\d)?\s*$"
)
NOT_NAMES = frozenset({"there", "again", "all", "everyone", "team", "for", "so", "and", "folks"})
VOCATIVE = re.compile(r",\s+([A-Z][a-z]{2,})(?=\s*[.!?])")
SENTENCE = re.compile(r"(?<=[.!?])\s+")
LINK = re.compile(r"https?://[^\s<>()\"']+")
# What ends a sentence after a link ("see https://help.acme.test/reset.") is not the link's.
LINK_TAIL = ".,;:!?"
# In a link, what names one customer's thing: a reference ("ORD-2931"), a query value with a
# number or a token in it ("?c=100002", "?t=8f3a..."), a path part that is a long number
# (a parcel's, an account's)...
LINK_REFERENCE = re.compile(r"\b[A-Z]{2,}-?\d{3,}\b")
LINK_QUERY_ID = re.compile(r"[?&;][\w.-]+=(?=[\w.-]*\d{4}|[\w-]{16})")
LINK_EMAIL = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+\.[\w.]+")  # "?email=jo@example.com"
LINK_NUMBER = re.compile(r"/\d{6,}(?=[/?#]|$)")
# ...unless the path is a help document's, whose ids are long numbers too (Zendesk's
# "/hc/en-us/articles/360012345678").
DOCUMENT_PATH = re.compile(r"/(?:hc|help|docs?|kb|faqs?|guides?|articles?|support)(?:/|$)", re.I)
START_OF_TIME = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """A past reply adapted for this ticket, with what it was built from."""

    item: KnowledgeItem
    text: str
    relevance: float  # how close its question is to this one, 0..1
    # How close, on average, the similar conversations' replies are to it: the similarity an
    # agent's reply is expected to have to it (set by ``consensus``).
    agreement: float = 0.0
    # The other replies a composed text took sentences from (``item`` gave its frame).
    also: tuple[KnowledgeItem, ...] = ()
    asked: str = ""  # what this ticket asks, which the reply was adapted to answer

    @property
    def items(self) -> list[KnowledgeItem]:
        """Every past reply the text is built from, its frame first."""
        return [self.item, *self.also]


def inbox_of(ticket: Ticket) -> str:
    """The inbox or brand a ticket came to (``inbox:<name>`` among its tags), or ""."""
    for tag in ticket.tags:
        if tag.startswith(INBOX_TAG):
            return tag[len(INBOX_TAG) :]
    return ""


def handle_of(email: str) -> str:
    """A customer's handle on a social channel: their address's local part."""
    return email.split("@", 1)[0] if "@" in email else ""


def sign_mark(reply: str) -> str:
    """The agent's mark a reply ends with ("^JD"), or ""."""
    match = SIGN_MARK.search(reply.strip())
    return (match.group(1) or match.group(2) or "") if match else ""


def customer_text(ticket: Ticket) -> str:
    return "\n".join(m.body for m in ticket.messages if m.author is Author.CUSTOMER)


# --- adapting --------------------------------------------------------------------------------


def candidates(context: DraftContext, agent: str) -> list[Candidate]:
    """Every similar answered conversation's reply, adapted to this ticket; the ones in this
    ticket's inbox only, when it has an inbox and some were answered there."""
    items = [item for item in context.exemplars or context.similar if item.body.strip()]
    inbox = inbox_of(context.ticket)
    if inbox and any(item.inbox == inbox for item in items):
        items = [item for item in items if item.inbox == inbox]
    team_details = _shared(items, _details) | _shared(items, links_in)
    team_words = _shared(items, lambda body: {m.group(1) for m in VOCATIVE.finditer(body)})
    own_mark = likely_mark(context.ticket, items, agent)
    question = latest_question(context.ticket)
    before = team_said_before(context.ticket.messages)
    said = customer_text(context.ticket)
    # A team whose replies mostly end in a mark signs every one: a reply that lost its mark
    # (or never had one) gets this agent's.
    marks_replies = own_mark and 2 * sum(bool(sign_mark(i.body)) for i in items) >= len(items)
    adapted = []
    for item in items:
        text = adapt(item, context, team_details, team_words, own_mark)
        if marks_replies and text and not sign_mark(text):
            text = f"{text} {own_mark}"
        if len(text) >= 12:
            adapted.append(
                Candidate(
                    item, text, thread_relevance(question, before, item, said), asked=question
                )
            )
    return adapted


def adapt(
    item: KnowledgeItem,
    context: DraftContext,
    team_details: AbstractSet[str] = frozenset(),
    team_words: AbstractSet[str] = frozenset(),
    own_mark: str = "",
) -> str:
    """``item``'s reply with the other customer's and the other agent's specifics swapped for
    this ticket's or dropped (see the module docstring)."""
    ticket = context.ticket
    mine = customer_text(ticket)
    reply = item.body.strip()
    reply = _swap_handles(reply, item, ticket, mine)
    reply = _swap_mark(reply, own_mark)
    swapped = _swap_names(reply, item, ticket, mine, team_words)
    if swapped is None:
        return ""  # it names the other customer's company in a way that cannot be swapped
    reply = swapped
    given = list(dict.fromkeys(GIVEN.findall(LINK_OR_HANDLE.sub(" ", mine))))
    # Who the reply is addressed to stays in front whatever sentence goes.
    address = LEADING_HANDLES.match(reply)
    lead = address.group() if address else ""
    reply = reply[len(lead) :]
    foreign = [link for link in links_in(reply) if _theirs(link, item, team_details, mine)]
    kept = []
    for sentence in SENTENCE.split(reply):
        if any(link in sentence for link in foreign):
            continue  # a link made for the other customer (their parcel's, their account's)
        adapted = _adapt_sentence(sentence, team_details, given, mine)
        if adapted:
            kept.append(adapted)
    if not kept:
        return ""
    return _tidy(lead + (" ".join(kept) if "\n" not in reply else _rejoin(reply, kept)))


def _details(text: str) -> set[str]:
    """The details in ``text``, leaving out handles and links (a handle's digits are no order
    number; a link is the team's, judged whole)."""
    masked = LINK_OR_HANDLE.sub(lambda m: " " * len(m.group()), text)
    return {text[m.start() : m.end()] for m in DETAIL.finditer(masked)}


def links_in(text: str) -> set[str]:
    """The links ``text`` cites, without the punctuation that ends a sentence after one."""
    return {link.rstrip(LINK_TAIL) for link in LINK.findall(text)}


def _theirs(link: str, item: KnowledgeItem, team_links: AbstractSet[str], mine: str) -> bool:
    """Whether ``link`` in ``item``'s reply was made for that reply's customer: it carries their
    handle, address or a reference of theirs, an id in its query, or a long number outside a
    help document's path. A link the team sent two or more customers (``team_links``) or
    that this conversation holds is never theirs; an opaque short link ("t.co/6iDGBJAc2m")
    names nobody and stays."""
    if link in team_links or link in mine:
        return False
    handle = handle_of(item.customer_email).lower()
    if len(handle) >= 3 and re.search(rf"(?<![a-z\d]){re.escape(handle)}(?![a-z\d])", link.lower()):
        return True
    path = link.split("://", 1)[-1].partition("/")[2]
    return bool(
        LINK_EMAIL.search(link)
        or LINK_REFERENCE.search(link)
        or LINK_QUERY_ID.search(link)
        or (
            LINK_NUMBER.search("/" + path.split("?", 1)[0]) and not DOCUMENT_PATH.search("/" + path)
        )
    )


def _adapt_sentence(
    sentence: str, team_details: AbstractSet[str], given: list[str], mine: str
) -> str:
    if DONE_FOR_THEM.search(sentence):
        return ""
    for detail in _details(sentence):
        if detail in team_details or detail in mine:
            continue
        if GIVEN.fullmatch(detail) and len(given) == 1:
            sentence = sentence.replace(detail, given[0])
            continue
        return ""  # theirs, and nothing of this customer's to put in its place
    return sentence


def _swap_handles(reply: str, item: KnowledgeItem, ticket: Ticket, mine: str) -> str:
    theirs = handle_of(item.customer_email).lower()
    own = handle_of(ticket.customer.email) if ticket.customer else ""

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if theirs and name.lower() == theirs:
            return f"@{own}" if own else ""
        if name.lower() in mine.lower():
            return match.group(0)  # this conversation names it too (the brand, a product)
        # Someone of the other conversation's (a friend tagged in): not this customer's.
        return "" if name.lower() in item.question.lower() else match.group(0)

    return HANDLE.sub(swap, reply)


def _swap_mark(reply: str, own_mark: str) -> str:
    match = SIGN_MARK.search(reply.rstrip())
    if not match:
        return reply
    mark = match.group(1) or match.group(2)
    start = match.start(1) if match.group(1) else match.start(2)
    stripped = reply.rstrip()
    return stripped[:start] + (own_mark or "") + stripped[start + len(mark) :]


def _swap_names(
    reply: str, item: KnowledgeItem, ticket: Ticket, mine: str, team_words: AbstractSet[str]
) -> str | None:
    """``reply`` with the other customer's name and company made this customer's, or None
    when a part of their company's name is left that cannot be told apart from a person's."""
    first = ticket.customer.name.split()[0] if ticket.customer and ticket.customer.name else ""
    # Their company becomes this customer's ("an Owner at Juniper Design Ltd can ..."), not
    # their first name word by word ("an Owner at Esther Esther").
    company_words: set[str] = set()
    if item.foreign_company:
        own_company = ticket.customer.company.strip() if ticket.customer else ""
        reply = re.sub(
            rf"\b{re.escape(item.foreign_company)}\b", own_company or "your company", reply
        )
        company_words = set(item.foreign_company.split())

    # The name after a greeting, in any language and form ("Hola César", "Dear Ms. Smith",
    # "Hi Rachel thanks ..."): this customer's first name, or none.
    for start, end in reversed(greeting_names(reply)):
        name = reply[start:end]
        if name.lower() in NOT_NAMES or name in mine or name in team_words:
            continue
        if first:
            reply = reply[:start] + first + reply[end:]
            continue
        rest = reply[end:]
        # "Hi Rachel thanks for ..." without a name: "Hi, thanks for ...".
        comma = "," if re.match(r"[ \t]+[^\W\d_]", rest) else ""
        reply = reply[:start].rstrip(" \t") + comma + rest

    def vocative(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in team_words or name in mine or name.lower() in NOT_NAMES:
            return match.group(0)
        return f", {first}" if first else ""

    reply = VOCATIVE.sub(vocative, reply)
    for word in item.foreign_words:
        if word not in company_words:
            reply = re.sub(rf"\b{re.escape(word)}\b", first, reply)
        elif word in team_words or word in mine:
            continue  # the team's own word too ("Cloud" of "Acme Cloud Support")
        elif re.search(rf"\b{re.escape(word)}\b", reply):
            return None  # a part of their company's name ("the Juniper team")
    return reply


def _rejoin(reply: str, kept: list[str]) -> str:
    """Kept sentences of a reply with paragraphs: the paragraphs that still have text."""
    wanted = set(kept)
    paragraphs = []
    for paragraph in reply.split("\n\n"):
        sentences = [s for s in SENTENCE.split(paragraph) if s in wanted]
        if sentences:
            paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs) if paragraphs else " ".join(kept)


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    # A space left before punctuation goes, unless a link ends there: "...reset ..." glued
    # to it would make another link.
    text = re.sub(r"(https?://\S+)? +(?=[,.!?])", _space_kept, text)
    text = re.sub(r"^[ ,]+", "", text, flags=re.M)
    text = re.sub(r"\b(Hi|Hey|Hello|Hiya|Dear) ?,", r"\1,", text)
    return text.strip()


def _space_kept(match: re.Match[str]) -> str:
    return match.group(0) if match.group(1) else ""


def _shared(items: Sequence[KnowledgeItem], found: Callable[[str], set[str]]) -> set[str]:
    """What the replies to two or more customers hold: the team's own, not a customer's."""
    owners: dict[str, set[str]] = {}
    for item in items:
        for value in found(item.body):
            owners.setdefault(value, set()).add(item.customer or item.source.ref)
    return {value for value, who in owners.items() if len(who) >= 2}


def likely_mark(ticket: Ticket, items: Sequence[KnowledgeItem], agent: str) -> str:
    """The mark the reply will carry ("" for none): this conversation's, when its latest agent
    message was this agent's or came with the thread (an imported conversation: whoever
    answered it carries on); else the one this agent signed their latest reply to this
    customer with in this inbox; else their latest reply here."""
    said = [m for m in ticket.messages if m.author is Author.AGENT]
    if said and said[-1].author_name in ("", agent) and sign_mark(said[-1].body):
        return sign_mark(said[-1].body)
    theirs = [i for i in items if i.answered_by == agent and i.answered_at]
    customer = ticket.customer.id if ticket.customer else None
    same_customer = [i for i in theirs if customer and i.customer == customer]
    for pool in (same_customer, theirs):
        if pool:
            latest = max(pool, key=lambda i: i.answered_at or START_OF_TIME)
            return sign_mark(latest.body)
    return ""


# --- choosing --------------------------------------------------------------------------------


def latest_question(ticket: Ticket) -> str:
    """What the customer asks now: their messages since the last agent reply (all of them when
    nobody has answered yet); when the team wrote last (a reply split over two messages, a
    conversation taken in as it stood), the messages that reply answers."""
    since: list[str] = []
    for message in ticket.messages:
        if message.author is Author.AGENT:
            since = []
        elif message.author is Author.CUSTOMER:
            since.append(message.body)
    return "\n".join(since) or answered_question(ticket)


def team_said_before(messages: Sequence[Message], *, answered: bool = False) -> str:
    """The team's message the customer's latest messages followed ("" at first contact). Of an
    ``answered`` conversation, the one before the question its last reply answered."""
    rest = list(messages)
    if answered:
        while rest and rest[-1].author is not Author.CUSTOMER:
            rest.pop()  # the reply itself
    while rest and rest[-1].author is not Author.AGENT:
        rest.pop()  # the customer's latest messages
    return rest[-1].body if rest else ""


# In a conversation of several exchanges, a candidate's relevance is not its question's
# closeness alone: a short follow-up ("thanks", "it works now", "I sent a DM") is answered by
# what came before it. Chosen on the first half in time of TWCS's threads, checked on the second
# (bench/bench_replay.py --set twcs-threads; README, "Learning"):
# the share that is the closeness of all the customer said in each conversation (the earlier
# tweets say what "it" is in "it's working again")...
CONVERSATION_WEIGHT = 0.3
# ...then the share that is the closeness of what the team said before each question...
THREAD_WEIGHT = 0.4
# ...standing at this when only one of the two had an exchange before (a first message is no
# follow-up).
THREAD_MISMATCH = 0.2


def thread_relevance(question: str, before: str, item: KnowledgeItem, said: str = "") -> float:
    """How close ``item``'s conversation is to this one, 0..1: the closeness of its question
    to this ``question`` alone between two single messages; in a thread (either side), mixed
    with the closeness of all the customer ``said`` and of what the team said ``before`` the
    question (``item.follows`` on its side)."""
    asked = _relevance(question, item.question)
    if said and (said != question or item.conversation):
        whole = _relevance(said, item.conversation or item.question)
        asked = (1 - CONVERSATION_WEIGHT) * asked + CONVERSATION_WEIGHT * whole
    if not before and not item.follows:
        return asked
    close = (
        _relevance(_plain(before), _plain(item.follows))
        if before and item.follows
        else THREAD_MISMATCH
    )
    return (1 - THREAD_WEIGHT) * asked + THREAD_WEIGHT * close


def _plain(text: str) -> str:
    """A message without who it addresses, its links and its agent's mark."""
    text = LINK_OR_HANDLE.sub(" ", text)
    found = SIGN_MARK.search(text.strip())
    return text.strip()[: found.start()] if found else text


def answered_question(ticket: Ticket) -> str:
    """What an answered ticket's last reply answered: the customer's messages just before it."""
    asked: list[str] = []
    current: list[str] = []
    for message in ticket.messages:
        if message.author is Author.AGENT:
            asked, current = current or asked, []
        elif message.author is Author.CUSTOMER:
            current.append(message.body)
    return "\n".join(asked or current) or ticket.first_customer_message


def consensus(found: Sequence[Candidate]) -> Candidate | None:
    """The team's answer: the adapted reply the others agree with most (each other reply
    counting by how close its question is; agents' past edits of drafts built on a reply nudge
    it up or down), then improved sentence by sentence towards what the team's replies share
    (``compose``). It cites the team's help page for the question (``team_link``) when it did
    not."""
    order = ranked(found)
    if not order:
        return None
    return with_team_link(compose(order[0], found), found)


# --- composing -------------------------------------------------------------------------------

# Sentences of this many of the closest replies may be composed into the team's answer.
COMPOSE_FROM = 15
COMPOSE_ROUNDS = 6
COMPOSE_POOL = 40  # sentences at most, the closest replies' first
# A thread counter ("1/2") says a reply was split over several messages.
COUNTER = re.compile(r"\s*\b\d/\d\b\s*")


def compose(base: Candidate, found: Sequence[Candidate]) -> Candidate:
    """``base`` (the reply the team agrees on) improved towards what the team's replies to
    similar conversations share: a sentence goes, comes in from another of those replies or
    takes another's place whenever that raises the similarity an agent's reply is expected to
    have to the draft (the relevance-weighted mean similarity to every candidate, a
    minimum-Bayes-risk composition). Who it is addressed to and the agent's mark stay as
    ``base`` has them; only whole sentences of the team's adapted replies are used, never a
    fragment of a reply split over messages, so the draft stays in the team's words."""
    if len(found) < 3 or "\n" in base.text:
        return base  # a reply in paragraphs (an email's) is the team's whole answer as it is
    lead, sentences, mark = _frame(base.text)
    if not sentences:
        return base
    texts = [c.text for c in found]
    weights = np.array([0.5 + c.relevance for c in found])
    total = float(weights.sum())
    closest = sorted(found, key=lambda c: -c.relevance)[:COMPOSE_FROM]
    pool: dict[str, Candidate] = {}
    for candidate in closest:
        for sentence in _frame(candidate.text)[1]:
            if _whole_sentence(sentence):
                pool.setdefault(sentence, candidate)

    def text_of(chosen: list[str]) -> str:
        return " ".join(part for part in (lead.strip(), *chosen, mark) if part)

    def expected(options: list[list[str]]) -> list[float]:
        # One matrix call for every option: the composition stays within a draft's budget.
        scores = cdist([text_of(o) for o in options], texts, scorer=fuzz.ratio, workers=1)
        return [float(v) for v in (scores @ weights) / (100 * total)]

    current = list(sentences)
    best = expected([current])[0]
    for _round in range(COMPOSE_ROUNDS):
        options = _options(current, list(pool)[:COMPOSE_POOL])
        if not options:
            break
        values = expected(options)
        top = max(range(len(options)), key=values.__getitem__)
        if values[top] <= best + 1e-9:
            break
        best, current = values[top], options[top]
    if current == sentences:
        return base
    used = {id(pool[s].item): pool[s].item for s in current if s in pool}
    used.pop(id(base.item), None)
    return replace(base, text=text_of(current), also=tuple(used.values()))


def _frame(text: str) -> tuple[str, list[str], str]:
    """A reply's parts: who it addresses (its leading handles), its sentences, its mark."""
    address = LEADING_HANDLES.match(text)
    lead = address.group() if address else ""
    rest = text[len(lead) :].strip()
    mark = ""
    found = SIGN_MARK.search(rest)
    if found:
        mark = COUNTER.sub("", rest[found.start() :]).strip()
        rest = rest[: found.start()].rstrip()
    return lead, [s for s in SENTENCE.split(rest) if s.strip()], mark


def _whole_sentence(sentence: str) -> bool:
    """A sentence that stands on its own: not the tail of one split over messages ("...on
    the upgrade list", "your date of birth."), nor one carrying a thread counter."""
    first = sentence.lstrip()[:1]
    return (
        bool(first)
        and not first.islower()
        and not sentence.lstrip().startswith(("...", "…", "&amp;"))
        and not COUNTER.search(sentence)
        and "\n" not in sentence
    )


def _options(current: list[str], pool: list[str]) -> list[list[str]]:
    """Every draft one step from ``current``: a sentence dropped, replaced or added."""
    options: list[list[str]] = []
    for i in range(len(current)):
        if len(current) > 1:
            options.append(current[:i] + current[i + 1 :])
        options += [[*current[:i], s, *current[i + 1 :]] for s in pool if s not in current]
    for sentence in pool:
        if sentence not in current:
            options += [[*current[:i], sentence, *current[i:]] for i in range(len(current) + 1)]
    return options


def ranked(found: Sequence[Candidate]) -> list[Candidate]:
    """The adapted replies, the one the team most agrees on first (see ``consensus``), each
    with its ``agreement``: the similarity an agent's reply is expected to have to it."""
    if len(found) <= 2:
        order = sorted(found, key=lambda c: -c.relevance)
        if len(order) == 2:
            expected = round(fuzz.ratio(order[0].text, order[1].text) / 100, 3)
            return [replace(c, agreement=expected) for c in order]
        return [replace(c, agreement=0.3) for c in order]
    texts = [c.text for c in found]
    agreement = cdist(texts, texts, scorer=fuzz.ratio, workers=1) / 100
    weights = [0.5 + c.relevance for c in found]
    nudges = _edit_nudges(found)
    scored = []
    for i, candidate in enumerate(found):
        total = sum(w * agreement[i][j] for j, w in enumerate(weights) if j != i)
        expected = float(total / (sum(weights) - weights[i]))
        scored.append((expected + nudges[i], -i, replace(candidate, agreement=round(expected, 3))))
    return [candidate for _score, _i, candidate in sorted(scored, reverse=True)]


# Words every question has: they say nothing about which question it is.
FUNCTION_WORDS = frozenset({
    "the", "and", "for", "you", "your", "are", "was", "were", "can", "could", "would",
    "should", "will", "this", "that", "with", "have", "has", "had", "not", "but", "just",
    "get", "got", "any", "there", "here", "from", "they", "them", "our", "out", "all", "about",
    "now", "still", "been", "being", "does", "did", "don't", "didn't", "can't", "won't", "i'm",
    "it's", "what", "when", "where", "which", "who", "how", "why", "hey", "please", "thanks",
    "thank", "hello", "again", "also", "into", "than", "then", "too", "very", "some",
})  # fmt: skip
# The team's link for a question: the one most of this many closest questions' replies cite.
LINK_NEIGHBOURS = 5
LINK_MAJORITY = 2 / 3  # of the closest questions (by closeness) must have replies citing it


def team_link(found: Sequence[Candidate]) -> str:
    """The help page the team cites for this question: the link that the replies to most of
    the closest past questions carry (weighted by how close each is), and that replies to two
    or more customers share (a link made for one customer is theirs); "" when there is none.
    Closeness is by the words the questions share, each counting by how rare it is among the
    inbox's questions: every question to a brand names the brand, few say "password"."""
    if not found:
        return ""
    closeness = _closeness(found)
    nearest = sorted(range(len(found)), key=lambda i: (-closeness[i], -found[i].relevance))
    nearest = [i for i in nearest[:LINK_NEIGHBOURS] if closeness[i] > 0]
    weight: dict[str, float] = {}
    owners: dict[str, set[str]] = {}
    for candidate in found:
        for link in links_in(candidate.text):
            owners.setdefault(link, set()).add(candidate.item.customer or candidate.item.source.ref)
    for i in nearest:
        for link in sorted(links_in(found[i].text)):
            weight[link] = weight.get(link, 0.0) + closeness[i]
    total = sum(closeness[i] for i in nearest)
    shared = [
        link for link in weight if len(owners[link]) >= 2 and weight[link] >= LINK_MAJORITY * total
    ]
    return max(shared, key=lambda link: weight[link]) if shared else ""


def _closeness(found: Sequence[Candidate]) -> list[float]:
    """How close each candidate's question is to the one asked, by the words they share
    weighted by rarity among the candidates' questions (the relevance when it is not known)."""
    asked = _question_words(found[0].asked)
    if not asked:
        return [c.relevance for c in found]
    questions = [_question_words(c.item.question) for c in found]
    rarity = {
        word: math.log((1 + len(found)) / (1 + sum(word in q for q in questions))) + 1
        for word in asked
    }
    whole = sum(rarity.values())
    return [sum(rarity[w] for w in asked & q) / whole for q in questions]


def _question_words(text: str) -> set[str]:
    """A question's words, cut to five letters ("refunded" is "refund"), without the words
    every question has, handles and links (nobody's question)."""
    words = re.findall(r"[a-z']{3,}", LINK_OR_HANDLE.sub(" ", text.lower()))
    return {w[:5] for w in words if w not in FUNCTION_WORDS}


def with_team_link(chosen: Candidate, found: Sequence[Candidate]) -> Candidate:
    """``chosen`` citing the team's help page for this question, when it does not already. A
    sentence of it citing a page the team does not cite for this question gives way to the
    team's own sentence citing the right one (from the closest reply citing it, which the
    draft then cites too); otherwise the link goes before the agent's mark, where the team
    puts it."""
    link = team_link(found)
    if not link or link in links_in(chosen.text):
        return chosen
    lead, sentences, mark = _frame(chosen.text)
    others = [i for i, s in enumerate(sentences) if links_in(s)]
    if not others:
        text = chosen.text.rstrip()
        if mark and text.endswith(mark):
            return replace(chosen, text=f"{text[: -len(mark)].rstrip()} {link} {mark}")
        return replace(chosen, text=f"{text} {link}")
    citing, source = _sentence_citing(link, found)
    sentences[others[0]] = citing  # a page for another question
    text = " ".join(part for part in (lead.strip(), *sentences, mark) if part)
    also = chosen.also
    if source is not None and source.item not in chosen.items:
        also = (*also, source.item)
    return replace(chosen, text=text, also=also)


def _sentence_citing(link: str, found: Sequence[Candidate]) -> tuple[str, Candidate | None]:
    """The team's sentence citing ``link`` and the reply it is from (the closest such), or
    the bare link when no whole sentence of theirs holds it."""
    closeness = _closeness(found)
    for i in sorted(range(len(found)), key=lambda i: -closeness[i]):
        for sentence in _frame(found[i].text)[1]:
            if link in links_in(sentence) and _whole_sentence(sentence):
                return sentence, found[i]
    return link, None


def _edit_nudges(found: Sequence[Candidate]) -> list[float]:
    """Against the other candidates with evidence: a reply whose drafts went out more often as
    they were gains, one whose drafts were rewritten more often loses (relative, so an inbox
    where every draft is edited does not punish the replies used most)."""
    rates: list[tuple[float, float] | None] = []
    for candidate in found:
        record = candidate.item.feedback
        if record is None or record[0] < 3:
            rates.append(None)
        else:
            used, kept, misled = record
            rates.append((kept / used, misled / used))
    known = [r for r in rates if r is not None]
    if len(known) < 2:
        return [0.0] * len(found)
    mean_kept = sum(k for k, _m in known) / len(known)
    mean_misled = sum(m for _k, m in known) / len(known)
    return [
        0.0 if r is None else 0.1 * (r[0] - mean_kept) - 0.1 * (r[1] - mean_misled) for r in rates
    ]


def _relevance(question: str, other: str) -> float:
    return fuzz.token_set_ratio(question.lower(), other.lower()) / 100
