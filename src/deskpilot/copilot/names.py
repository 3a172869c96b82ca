"""Names of the people and companies a workspace knows, found in text so they can be redacted.

Unlike a card number, a name has no shape: "Will" is a customer and a verb, "Apple" a company
and a fruit. So names are only looked for from the workspace's own records (customers, agents,
CRM account owners and companies), every form of one person (``Maya Okafor``, ``Maya``,
``Okafor``) leading to the same identity, so one person gets one placeholder throughout a
conversation.

The trade-off, word by word:

* A full name of two or more words is matched in any case (``MAYA OKAFOR``, ``maya okafor``):
  word sequences like these are names, not prose.
* A single word (a first or last name, a one-word company) is matched in any case too, unless
  it is also an ordinary word (``Will``, ``Grace``, ``Apple``, ``Park``) or three letters or
  fewer (``Kim``, ``Ng``). Those are matched only capitalised and not where a sentence starts
  (so "Will this be fixed?" and "apple pie" stay), except where a name clearly stands: after a
  greeting ("Hi Will,"), before a comma at a sentence start ("Will, thanks"), or alone on a line
  (a signature). A capitalised ordinary word mid-sentence is taken as the name ("I asked Will"
  and also "the Apple store" for a company named Apple): redacting an ordinary word costs a
  training example a word, missing a name leaks a person.
* Which words are ordinary: a built-in list of common words that are also names, plus the
  words the team itself writes in lower case (the caller passes them, e.g. from sent replies).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field

from deskpilot.copilot.sensitive import Finding

PERSON = "PERSON"
COMPANY = "COMPANY"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that are also first names, surnames or company names: matched only capitalised.
COMMON_WORDS = _words(
    """
    a an and the of in on at to for by with from or but not no yes it is be are was will may
    can could should would might must shall do did does has have had get got go new old
    mark bill grace hope joy faith rose ruth art dawn june april august summer autumn winter
    spring river sky page hunter carter baker cook smith miller young king brown white black
    green gray grey long little hall wood stone hill park lane bell ward price rich sharp strong
    frank dean chase drew gene guy jack jay jewel lily lucky max miles nick pat penny rob rod
    sandy sue wade walker wells west north south east bright golden blue silver iron copper
    apple amazon oracle shell target gap visa delta summit pioneer atlas beacon meridian nova
    orbit harbor harbour cedar maple oak pine granite quartz falcon willow crescent horizon
    ivory lark opal prairie sable terra violet wren alder cobalt glacier keystone mosaic
    ember helix indigo juniper kestrel lighthouse redwood sterling tidal upland
    vertex zephyr evergreen fjord driftwood bluebird river labs logistics health
    analytics studio partners robotics foods financial media energy systems works dental legal
    ventures freight clinics retail software consulting education travel marketing insurance
    security events design payments realty
    early late best fair fox wolf bird fish swift noble gold cross moss bush reed lamb hart
    holly ivy iris heather daisy jasmine hazel olive amber ruby pearl crystal angel autumn
    sunny storm rain gale bear lion lynn sage rowan ash bay cliff dale glen hale marsh field
    ford banks brook brooks love ray roy sol star will wolf
    """
)
_PARTICLES = _words(
    "van der den de del della di da la le du von zu ter ten y e bin ibn al el st mc"
)
_LEGAL_SUFFIXES = re.compile(
    r"(?i)[\s,]+(?:inc\.?|incorporated|ltd\.?|limited|llc|l\.l\.c\.|gmbh|ag|sa|s\.a\.|sas|"
    r"sarl|bv|b\.v\.|nv|plc|co\.?|corp\.?|corporation|company|group|oy|ab|as|srl|s\.r\.l\.|"
    r"pty(?:\s+ltd\.?)?|kk|k\.k\.)$"
)
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_GREETING = re.compile(
    r"(?i)(?:\b(?:hi|hello|hey|dear|thanks|thank\s+you|cheers|regards|best|bye|"
    r"bonjour|salut|merci|hallo|danke|hola|gracias|ciao|grazie|olá|obrigad[oa]|hej|tack)"
    r"|[-–—~])[\s,!]*$"
)
_POSSESSIVE = re.compile(r"['’]s$")
_SHORT = 3  # letters: names this short are treated like ordinary words
MAX_WORDS = 6  # the longest name, in words


@dataclass(frozen=True)
class _Form:
    any_case: bool  # matched in any case, or only capitalised outside a sentence start
    identities: tuple[str, ...]  # every identity with this form; first is the default
    dotted: bool = False  # recorded with a final dot ("Co.", "Inc."), which belongs to it


@dataclass
class NameDirectory:
    """Known people and companies, and a detector finding them in text.

    ``common_words`` are ordinary words beside the built-in list (see the module docstring).
    """

    common_words: Collection[str] = ()
    _forms: dict[str, _Form] = field(default_factory=dict, init=False)
    _kinds: dict[str, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._common = COMMON_WORDS | {w.lower() for w in self.common_words}

    def __len__(self) -> int:
        return len(self._kinds)

    def add_person(self, identity: str, name: str) -> None:
        words = _WORD.findall(name)
        if not words or not any(ch.isalpha() for ch in name):
            return
        self._kinds[identity] = PERSON
        forms = [" ".join(words)]
        if len(words) > 1:
            forms.append(words[0])
            forms.append(" ".join(words[1:]))
            forms += [w for w in words[1:] if w.lower() not in _PARTICLES]
        self._add(identity, forms)

    def add_company(self, identity: str, name: str) -> None:
        name = " ".join(name.split())
        if not any(ch.isalpha() for ch in name):
            return
        self._kinds[identity] = COMPANY
        core = _LEGAL_SUFFIXES.sub("", name)
        self._add(identity, [" ".join(_WORD.findall(f)) for f in (name, core) if f])
        if name.endswith("."):
            key = " ".join(_WORD.findall(name)).lower()
            self._forms[key] = dataclasses.replace(self._forms[key], dotted=True)

    def _add(self, identity: str, forms: Iterable[str]) -> None:
        for form in forms:
            words = form.split()
            if not words or len(words) > MAX_WORDS:
                continue
            key = form.lower()
            single = len(words) == 1
            ordinary = single and (key in self._common or len(key) <= _SHORT)
            known = self._forms.get(key)
            identities = (known.identities if known else ()) + (identity,)
            any_case = not ordinary and (known.any_case if known else True)
            self._forms[key] = _Form(any_case, tuple(dict.fromkeys(identities)))

    def detector(self, prefer: Collection[str] = ()) -> Callable[[str], Iterable[Finding]]:
        """A detector for ``find_sensitive``. Where a form belongs to several identities (two
        customers called Maya), one in ``prefer`` (this conversation's people) is taken."""

        def detect(text: str) -> Iterator[Finding]:
            yield from self._find(text, prefer)

        return detect

    def _find(self, text: str, prefer: Collection[str]) -> Iterator[Finding]:
        tokens = list(_WORD.finditer(text))
        index = 0
        while index < len(tokens):
            found = self._longest_at(text, tokens, index, prefer)
            if found is None:
                index += 1
                continue
            finding, used = found
            yield finding
            index += used

    def _longest_at(
        self, text: str, tokens: list[re.Match[str]], index: int, prefer: Collection[str]
    ) -> tuple[Finding, int] | None:
        for count in range(min(MAX_WORDS, len(tokens) - index), 0, -1):
            run = tokens[index : index + count]
            # The words of a name are separated by spaces only, not by punctuation.
            if any(text[a.end() : b.start()].strip() for a, b in itertools.pairwise(run)):
                continue
            start, end = run[0].start(), run[-1].end()
            key = " ".join(m.group() for m in run).lower()
            form = self._forms.get(key)
            if form is None:  # a possessive: "Maya's", "Maya Okafor's"
                stripped = _POSSESSIVE.sub("", key)
                form = self._forms.get(stripped) if stripped != key else None
                end -= len(key) - len(stripped)
            if form is None or not (form.any_case or self._stands_as_name(text, start, end)):
                continue
            if form.dotted and text[end : end + 1] == ".":
                end += 1
            identity = next((i for i in form.identities if i in prefer), form.identities[0])
            return Finding(start, end, self._kinds[identity], identity), count
        return None

    @staticmethod
    def _stands_as_name(text: str, start: int, end: int) -> bool:
        """For an ordinary word: capitalised, and not where a sentence starts unless a greeting,
        a comma or a line of its own says it is a name."""
        if not text[start].isupper():
            return False
        before = text[:start]
        line_before = before[before.rfind("\n") + 1 :]
        line_after = text[end:].split("\n", 1)[0]
        if not line_before.strip(" \t-–—~>*") and not line_after.strip(" \t.,!"):
            return True  # alone on its line: a signature
        if _GREETING.search(before[-30:]):
            return True
        stripped = before.rstrip(" \t\"'“‘(*_")
        at_sentence_start = not stripped or stripped[-1] in ".!?\n…:"
        if at_sentence_start:
            return text[end : end + 1] == ","
        return True


def lower_case_words(texts: Iterable[str], at_least: int = 3) -> set[str]:
    """Words written in lower case at least ``at_least`` times: ordinary words in this team's
    own writing (a name an agent once typed in lower case does not become one)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(m.group() for m in _WORD.finditer(text) if m.group().islower())
    return {word for word, count in counts.items() if count >= at_least}


# Greetings a reply may open with, in the languages support teams write in: the name after one
# is the person addressed ("Hola César,", "Hi Rachel thanks for waiting", "Dear Ms. Smith").
GREETING_WORDS = (
    r"good\s+(?:morning|afternoon|evening)|hi|hey|hello|hiya|howdy|dear|morning|afternoon|"
    r"evening|thanks|thank\s+you|"
    r"hola|buen[oa]s\s+(?:d[ií]as|tardes|noches)|buenas|estimad[oa]|querid[oa]|"  # Spanish
    r"bonjour|bonsoir|salut|cher|ch[èe]re|"  # French
    r"hallo|guten\s+(?:morgen|tag|abend)|liebe[r]?|moin|servus|sehr\s+geehrte[r]?|"  # German
    r"ciao|buongiorno|buonasera|salve|gentile|car[oa]|"  # Italian
    r"ol[áa]|oi|bom\s+dia|boa\s+(?:tarde|noite)|prezad[oa]|"  # Portuguese
    r"hej|hei|hoi|goedemorgen|goedemiddag|beste"  # Nordic, Dutch
)
TITLES = r"(?:mr|mrs|ms|miss|mx|dr|prof|sr|sra|srta|don|doña|herr|frau|m|mme|mlle|sig|sig\.ra)\.?"
_GREETING_NAME = re.compile(
    rf"(?i:\b(?:{GREETING_WORDS}))(?P<after>[ \t]+)(?P<name>(?:(?i:{TITLES})[ \t]+)?"
    rf"[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*)?)"
)
# Words after a greeting that are no name ("Hi there", "Hello again", "Hi all").
NOT_ADDRESSED = frozenset(
    {"there", "again", "all", "everyone", "everybody", "team", "folks", "guys", "you", "for",
     "so", "and", "from", "to", "a", "the", "friend", "amigo", "todos", "tout",
     "le", "la", "alle", "tutti"}
)  # fmt: skip


def greeting_names(text: str) -> list[tuple[int, int]]:
    """Where a name stands after a greeting (with its title: "Ms. Smith"), in any language of
    ``GREETING_WORDS``: a capitalised word, and a second one when it is capitalised too and no
    sentence's opening ("Hi Rachel Green," but "Hi Rachel Thanks for waiting")."""
    spans: list[tuple[int, int]] = []
    for match in _GREETING_NAME.finditer(text):
        start = match.start("name")
        words = list(re.finditer(r"[^\s,!.:;]+\.?", match.group("name")))
        taken: list[re.Match[str]] = []
        if words and re.fullmatch(TITLES, words[0].group(), re.IGNORECASE):
            taken.append(words.pop(0))
        for word in words:
            bare = word.group().rstrip(".")
            if (
                not bare[:1].isupper()
                or bare.lower() in NOT_ADDRESSED
                or (taken and len(taken) > bool(_is_title(taken[0])) and bare in SENTENCE_OPENERS)
            ):
                break
            taken.append(word)
        if taken and not (len(taken) == 1 and _is_title(taken[0])):
            end = taken[-1].end() - (1 if taken[-1].group().endswith(".") and len(taken) > 1 else 0)
            spans.append((start + taken[0].start(), start + end))
    return spans


def _is_title(word: re.Match[str]) -> bool:
    return bool(re.fullmatch(TITLES, word.group(), re.IGNORECASE))


# Capitalised words that open a sentence rather than finish a name ("Hi Rachel Thanks ...").
SENTENCE_OPENERS = frozenset(
    {"Thanks", "Thank", "Please", "Sorry", "We", "I", "It", "Your", "You", "This", "That",
     "Gracias", "Merci", "Danke", "Grazie", "Obrigado", "Obrigada", "Tack", "Welcome"}
)  # fmt: skip
