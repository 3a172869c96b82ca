"""What a draft says was done, checked against what the audit trail says was done.

A model can write "I've refunded your $5,000" or "your new admin password is Xk9#..." whatever
the prompt's rules say, and a customer can ask it to. An agent reading the draft catches that;
the autopilot sends without a reader, so before it sends, ``review_draft`` looks for

- claims that an action was taken (or will be, "I'll cancel it today"): a refund or credit, a
  password reset, a change to the account (plan, seats, billing email, other details), access
  or credentials given, a cancellation or deletion; each must be backed by a successful action
  record of the ticket (a refund of the amount named, a password reset, a setting change of
  that kind), and the last three kinds never are, since no desk action does them;
- anything that looks like a password or secret (a temporary password, "password: ...", API
  keys and tokens, password-like strings), which a reply must never carry.

It reads sentence by sentence; offers and conditions ("I can look into a refund", "once you
confirm, ...", "would you like me to cancel it?"), negations and instructions to the customer
are not claims. It reads English only, so a draft in another language (a model answers in the
customer's) is reported as one it cannot vouch for. It errs on the side of holding a draft: a
false alarm costs an agent a look.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deskpilot.models import ActionRecord

MASK = "********"
EXCERPT_CHARS = 160
# English prose is at least this share of these words; a longer draft below it is in another
# language, which the patterns below cannot read.
_ENGLISH_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "for", "from", "have",
    "hi", "i", "if", "in", "is", "it", "me", "my", "no", "not", "of", "on", "or", "our", "please",
    "so", "thanks", "that", "the", "this", "to", "us", "was", "we", "what", "will", "with", "you",
    "your",
})  # fmt: skip
ENGLISH_SHARE = 0.15
LANGUAGE_CHECK_WORDS = 8  # shorter drafts ("Hi Ann, done.") are not judged on this

# --- sentences and clauses --------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# A claim after one of these in its clause is a condition, not a statement of fact.
_CONDITION = re.compile(
    r"\b(?:if|once|when|whenever|after|as soon as|until|unless|before|in case|provided)\b"
)
_NEGATION = re.compile(
    r"\b(?:not|never|no longer|unable|cannot|can't|won't|haven't|hasn't)\b|n't\b"
)
_QUESTION_START = re.compile(
    r"^(?:would|should|shall|do|does|did|can|could|may|might|is|are|was|were|will|have|has|"
    r"want|how|what|which|when|where|who|why)\b"
)
_OFFER = re.compile(r"\b(?:would you like|do you want|want me to|like me to|shall i|shall we)\b")
# The customer's own steps: "click Forgot password and you'll receive a reset email".
_INSTRUCTION = re.compile(
    r"\b(?:click|tap|select|choose|go to|visit|open|press|follow|enter|use the|request)\b"
)

# --- who did it, and how sure ----------------------------------------------------------------

_ACTOR = r"\b(?:i|we|our (?:\w+ )?team|the (?:\w+ )?team|billing|support)\b"
_ADVERBS = (
    r"(?:\s+(?:just|now|already|also|successfully|personally|manually|quickly|immediately|"
    r"then|since|gone ahead and|went ahead and|go ahead and|be|today|right away))*"
)
# "I've refunded", or "we refunded" in the past tense ("we credit unused time" is a policy).
_DONE = (
    r"(?:(?:'ve|\s+have|\s+has|\s+had)"
    + _ADVERBS
    + r"|"
    + _ADVERBS
    + r"(?=\s+(?:\w+ed|sent|re-?sent|paid|gave|made|reset|put through|set up|wired)\b))"
)
_WILL = (
    r"(?:'ll|\s+will|\s+shall|'m going to|'re going to|\s+am going to|\s+are going to|'m|'re|"
    r"\s+am|\s+are|\s+is)" + _ADVERBS
)  # "I'll refund", "we're processing"
_BEEN = (
    r"\s+(?:has|have|had|is|was|are|were|will|'s|'ve|got)(?:\s+(?:now|already|just|also|"
    r"successfully|been|be|fully|officially|finally|gone))*\s+"
)
_WITHIN = r"\b[^.!?;\n]{0,60}?"  # a verb's object follows within a few words
# Marks a pattern as a promise ("we'll refund"), which a condition anywhere before it in the
# sentence makes conditional ("If it is still there next week, we'll refund it"); a claim of
# something done is only undone by a condition in its own clause.
_PROMISE = "(?#promise)"
_NOT_IN_WORD_BEFORE = r"(?<![\w$€£])"


def _forms(*stems: str) -> str:
    return r"(?:" + "|".join(stems) + r")"


# --- what was done ------------------------------------------------------------------------------

_AMOUNT = r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s?(?:usd|eur|gbp|dollars|euros))"
_MONEY_NOUNS = (
    r"(?:refund|credit(?!\s+note)|reimbursement|money|charge|payment|fee|amount|balance|difference|"
    r"full amount|back|discount|coupon|compensation|free (?:month|year|week|period|upgrade)|"
    + _AMOUNT
    + r")"
)
_REFUND_VERBS = _forms(
    r"refund(?:ed|ing)?", r"re-?imburs(?:ed|e|ing)", r"credit(?:ed|ing)?", r"re-?credit(?:ed)?"
)
_MONEY_VERBS = _forms(
    r"issu(?:ed|e|ing)", r"process(?:ed|ing)?", r"initiat(?:ed|e|ing)", r"approv(?:ed|e|ing)",
    r"sent", r"send(?:ing)?", r"appl(?:ied|y|ying)", r"revers(?:ed|e|ing)", r"void(?:ed|ing)?",
    r"return(?:ed|ing)?", r"put through", r"authori[sz](?:ed|e|ing)", r"waiv(?:ed|e|ing)",
    r"paid", r"pay(?:ing)?", r"transferr?(?:ed|ing)?", r"releas(?:ed|e|ing)",
    r"wir(?:ed|e|ing)", r"remov(?:ed|e|ing)", r"cancell?(?:ed|ing)?", r"drop(?:ped|ping)?",
    r"gave", r"giv(?:e|en|ing)", r"add(?:ed|ing)?",
)  # fmt: skip
_MONEY_DONE = _forms(
    r"refunded", r"credited", r"reimbursed", r"processed", r"issued", r"approved", r"sent",
    r"initiated", r"reversed", r"voided", r"returned", r"applied", r"completed", r"confirmed",
    r"released", r"paid", r"transferred", r"waived", r"put through", r"on (?:its|the) way",
    r"being processed", r"in progress", r"done", r"complete",
)  # fmt: skip

_RESET_NOUNS = r"(?:password|passcode|reset link|reset email|reset e-mail|reset)"
_RESET_VERBS = _forms(
    r"re-?set(?:ting)?", r"sent", r"send(?:ing)?", r"re-?sent", r"re-?send(?:ing)?",
    r"e-?mail(?:ed|ing)?", r"trigger(?:ed|ing)?", r"issu(?:ed|e|ing)", r"initiat(?:ed|e|ing)",
    r"generat(?:ed|e|ing)", r"chang(?:ed|e|ing)", r"updat(?:ed|e|ing)", r"forward(?:ed|ing)?",
)  # fmt: skip
_RESET_DONE = _forms(
    r"reset", r"sent", r"re-?sent", r"e-?mailed", r"triggered", r"issued", r"changed",
    r"updated", r"generated", r"on (?:its|the) way",
)  # fmt: skip

_ACCESS_NOUNS = (
    r"(?:admin|administrator|owner|access|permission|role|privilege|api key|api token|token|"
    r"credential|login|log-in|2fa|two-factor|two factor|mfa|multi-factor|sso|lock|locked|"
    r"new user|user account|superuser|sudo)"
)
_ACCESS_VERBS = _forms(
    r"grant(?:ed|ing)?", r"gave", r"giv(?:e|en|ing)", r"made", r"mak(?:e|ing)", r"set up",
    r"creat(?:ed|e|ing)", r"generat(?:ed|e|ing)", r"issu(?:ed|e|ing)", r"unlock(?:ed|ing)?",
    r"disabl(?:ed|e|ing)", r"remov(?:ed|e|ing)", r"turn(?:ed|ing)? off", r"bypass(?:ed|ing)?",
    r"enabl(?:ed|e|ing)", r"add(?:ed|ing)?", r"promot(?:ed|e|ing)", r"elevat(?:ed|e|ing)",
    r"restor(?:ed|e|ing)", r"reactivat(?:ed|e|ing)", r"re-?enabl(?:ed|e|ing)",
    r"transferr?(?:ed|ing)?", r"assign(?:ed|ing)?", r"sent", r"send(?:ing)?", r"shar(?:ed|e|ing)",
)  # fmt: skip
_ACCESS_DONE = _forms(
    r"granted", r"given", r"unlocked", r"disabled", r"removed", r"turned off", r"bypassed",
    r"enabled", r"restored", r"reactivated", r"created", r"generated", r"issued", r"elevated",
    r"promoted", r"transferred", r"assigned", r"re-?enabled",
)  # fmt: skip

_CANCEL_NOUNS = (
    r"(?:subscription|account|plan|membership|renewal|auto-?renew(?:al)?|order|data|workspace|"
    r"contract|service|trial|profile|billing)"
)
_CANCEL_VERBS = _forms(
    r"cancell?(?:ed|ing)?", r"terminat(?:ed|e|ing)", r"clos(?:ed|e|ing)", r"delet(?:ed|e|ing)",
    r"deactivat(?:ed|e|ing)", r"end(?:ed|ing)?", r"stop(?:ped|ping)?", r"paus(?:ed|e|ing)",
    r"eras(?:ed|e|ing)", r"wip(?:ed|e|ing)", r"purg(?:ed|e|ing)", r"suspend(?:ed|ing)?",
    r"turn(?:ed|ing)? off", r"switch(?:ed|ing)? off", r"disabl(?:ed|e|ing)",
)  # fmt: skip
_CANCEL_DONE = _forms(
    r"cancell?ed", r"terminated", r"closed", r"deleted", r"deactivated", r"ended", r"stopped",
    r"paused", r"erased", r"wiped", r"purged", r"suspended", r"turned off", r"switched off",
    r"disabled",
)  # fmt: skip

_CHANGE_VERBS = _forms(
    r"upgrad(?:ed|e|ing)", r"downgrad(?:ed|e|ing)", r"switch(?:ed|ing)?", r"mov(?:ed|e|ing)",
    r"chang(?:ed|e|ing)", r"updat(?:ed|e|ing)", r"migrat(?:ed|e|ing)", r"convert(?:ed|ing)?",
    r"add(?:ed|ing)?", r"remov(?:ed|e|ing)", r"increas(?:ed|e|ing)", r"decreas(?:ed|e|ing)",
    r"reduc(?:ed|e|ing)", r"adjust(?:ed|ing)?", r"bump(?:ed|ing)?", r"replac(?:ed|e|ing)",
    r"correct(?:ed|ing)?", r"edit(?:ed|ing)?", r"extend(?:ed|ing)?", r"renam(?:ed|e|ing)",
)  # fmt: skip
_PLAN_VERBS = _forms(r"upgrad(?:ed|e|ing)", r"downgrad(?:ed|e|ing)")  # always about the plan
_CHANGE_DONE = _forms(
    r"upgraded", r"downgraded", r"switched", r"moved", r"changed", r"updated", r"migrated",
    r"converted", r"added", r"removed", r"increased", r"decreased", r"reduced", r"adjusted",
    r"replaced", r"corrected", r"edited", r"extended", r"renamed",
)  # fmt: skip
# The account settings a desk action changes (see actions.settings.update_setting), and the
# rest of the account, which none does.
# Most specific first: a sentence that names several ("added seats to your subscription") is
# about the first.
_SETTING_NOUNS = {
    "seats": r"(?:seats?|licen[cs]es?|users?|members?)",
    "billing_email": r"(?:billing e-?mail|invoice e-?mail|billing contact|e-?mail address|e-?mail)",
    "plan": r"(?:plan|subscription|tier|trial|billing cycle|annual billing|monthly billing)",
    "account": (
        r"(?:account|profile|username|user name|payment method|card on file|credit card|"
        r"billing address|postal address|street address|shipping address|company name|vat|"
        r"tax id|phone number|name on)"
    ),
}


def _patterns(verbs: str, nouns: str, done: str, *, bare_verbs: str | None = None) -> list[str]:
    """Someone did it (or will): "I've VERB ... NOUN", "NOUN ... has been DONE"; with
    ``bare_verbs``, those verbs need no noun ("I've refunded you")."""
    noun = _NOT_IN_WORD_BEFORE + nouns + r"s?(?!\w)"
    found = [
        _ACTOR + _DONE + r"\s+" + verbs + _WITHIN + noun,
        _PROMISE + _ACTOR + _WILL + r"\s+" + verbs + _WITHIN + noun,
        noun + r"(?:\s+[\w$€£.,'-]+){0,3}?" + _BEEN + done + r"\b",
    ]
    if bare_verbs:
        found += [
            _ACTOR + _DONE + r"\s+" + bare_verbs + r"\b",
            _PROMISE + _ACTOR + _WILL + r"\s+" + bare_verbs + r"\b",
        ]
    return found


@dataclass(frozen=True)
class _Kind:
    name: str
    what: str  # in a reason: "claims {what} ..."
    patterns: tuple[re.Pattern[str], ...]
    # Claims worded as a negation ("you won't be charged again"): a "not" does not undo them.
    negated: tuple[re.Pattern[str], ...] = ()


def _kind(name: str, what: str, patterns: Iterable[str], negated: Iterable[str] = ()) -> _Kind:
    compiled = tuple(re.compile(p) for p in patterns)
    return _Kind(name, what, compiled, tuple(re.compile(p) for p in negated))


_REFUND = _kind(
    "refund",
    "a refund, credit or discount",
    [
        r"^(?:refunded|credited|reimbursed)\b",  # "Done! Refunded $5,000."
        r"\byou(?:'ve|\s+have|'re|\s+are)?\s+(?:now\s+|just\s+|already\s+)?been\s+(?:fully\s+)?"
        r"(?:refunded|credited|reimbursed|compensated|paid back)\b",
        r"\b(?:the|your|a|this)\s+(?:full\s+|partial\s+)?(?:refund|credit(?!\s+note)|"
        r"reimbursement|money)\s+(?:\w+\s+){0,3}?(?:will|should)\s+(?:now\s+)?(?:appear|show up|"
        r"show|arrive|land|reach|be back|post|be applied|be visible)\b",
        r"\b(?:refund|credit|reimbursement)\s+(?:done|complete|completed|confirmed|issued|"
        r"processed|approved|sent|granted)\b",
        *_patterns(_MONEY_VERBS, _MONEY_NOUNS, _MONEY_DONE, bare_verbs=_REFUND_VERBS),
        r"\byou(?:'ll|\s+will|\s+should|\s+can expect to|'re going to|\s+are going to)?"
        r"(?:\s+(?:now|soon|also|shortly))*\s+(?:receive|get|see|notice|have)\s+(?:a|an|the|your)?"
        r"\s*(?:full\s+|partial\s+)?(?:refund|credit(?!\s+note)|reimbursement|money back|"
        + _AMOUNT
        + ")",
        r"\b(?:refund|credit|reimbursement)s?\b[^.!?;\n]{0,40}?\b(?:is|are)\s+(?:now\s+)?(?:on "
        r"(?:its|the) way|confirmed|complete|done|approved|being processed|in progress)\b",
        r"\b" + _AMOUNT + r"\s+(?:is|are|will be)\s+(?:on (?:its|the) way|coming back)",
        r"\b(?:refund|credit)(?:ed)?\s*(?:confirmed|approved|processed|issued|complete)\b",
        r"\b(?:it|this|that)" + _BEEN + r"(?:refunded|credited|reimbursed|reversed|voided)\b",
    ],
)
_RESET = _kind(
    "password_reset",
    "a password reset",
    [
        *_patterns(_RESET_VERBS, _RESET_NOUNS, _RESET_DONE),
        r"\byou(?:'ll|\s+will|\s+should)?(?:\s+(?:now|soon|shortly|also))*\s+(?:have\s+)?"
        r"(?:receive[d]?|get|got|see|find)\s+(?:a|an|the)\s+(?:new\s+)?(?:password\s+)?"
        r"reset\s+(?:link|e-?mail|message)",
        r"\b(?:password\s+)?reset\s+(?:link|e-?mail)\s+(?:is|are)\s+(?:on (?:its|the) way|"
        r"in your inbox|waiting)",
        r"\b(?:password reset|reset link|reset e-?mail)\s+(?:done|complete|completed|sent|issued|"
        r"triggered)\b",
    ],
)
_ACCESS = _kind(
    "credentials",
    "access or credentials given",
    [
        *_patterns(_ACCESS_VERBS, _ACCESS_NOUNS, _ACCESS_DONE),
        _ACTOR + _DONE + r"\s+unlock(?:ed)?\s+(?:your|the)\s+account",
        r"\byou(?:'re|\s+are)\s+(?:now\s+)?(?:an?\s+|the\s+)(?:admin|administrator|owner|superuser)\b",
        r"\byou\s+(?:now\s+)?have\s+(?:full\s+)?(?:admin|administrator|owner|root|full)\s+"
        r"(?:access|rights|permissions|privileges)",
        r"\b(?:here (?:is|are)|below (?:is|are))\s+(?:your|the)\s+(?:new\s+)?(?:login|"
        r"credentials|password|api key|token|access details)",
        r"\byour\s+(?:new\s+)?(?:login|credentials|api key|access token)\s+(?:is|are)\b",
        r"\baccount(?:\s+[\w'-]+){0,2}?"
        + _BEEN
        + r"(?:unlocked|reactivated|restored|re-?enabled)\b",
        r"\b(?:admin|administrator|owner)?\s*(?:rights|access|permissions|privileges|role|2fa|"
        r"two-factor|mfa)\s+(?:now\s+)?(?:granted|given|restored|enabled|disabled|removed|"
        r"turned off|unlocked)\b",
    ],
)
_CANCEL = _kind(
    "cancellation",
    "a cancellation or deletion",
    [
        *_patterns(_CANCEL_VERBS, _CANCEL_NOUNS, _CANCEL_DONE),
        r"\b(?:it|this|that)" + _BEEN + r"(?:cancell?ed|terminated|deleted|closed)\b",
        _ACTOR
        + _DONE
        + r"\s+(?:processed|completed|confirmed|finali[sz]ed|submitted|actioned)"
        + _WITHIN
        + r"(?:cancell?ation|termination|deletion|closure)",
        r"\b(?:cancell?ation|termination|deletion|closure)\b(?:\s+[\w'-]+){0,2}?"
        r"(?:\s+(?:is|has been|was|'s))?\s+(?:now\s+)?(?:done|complete|completed|confirmed|"
        r"processed|effective|final)\b",
    ],
    negated=[
        r"\byou\s+(?:won't|will not|will no longer)\s+be\s+(?:charged|billed|invoiced)\b",
        r"\bno\s+(?:further|more)\s+(?:charges|payments|invoices)\s+will\b",
    ],
)
_SETTING_WHAT = {
    "plan": "a plan change",
    "seats": "a change of seats",
    "billing_email": "a billing email change",
    "account": "a change to the account",
}
_SETTING_EXTRA = {
    "plan": [
        r"\byou(?:'re|\s+are)\s+(?:now\s+)?on\s+(?:the\s+)?[\w -]{1,30}?\s+plan\b",
        r"\byou(?:'ve|\s+have|'re|\s+are)?\s+(?:now\s+|just\s+)?been\s+(?:upgraded|downgraded|"
        r"moved|switched|migrated)\b",
        r"\b(?:account|workspace|organi[sz]ation|team)\b(?:\s+[\w'-]+){0,2}?"
        + _BEEN
        + r"(?:upgraded|downgraded)\b",
    ],
    "seats": [
        r"\byour\s+(?:\w+\s+)?(?:seats?|licen[cs]es?)\s+(?:count|total)?\s*(?:is|are)\s+now\b"
    ],
}
_CHANGES = [
    _kind(
        f"account_change:{setting}",
        _SETTING_WHAT[setting],
        [
            *_patterns(
                _CHANGE_VERBS,
                nouns,
                _CHANGE_DONE,
                bare_verbs=_PLAN_VERBS if setting == "plan" else None,
            ),
            *_SETTING_EXTRA.get(setting, []),
        ],
    )
    for setting, nouns in _SETTING_NOUNS.items()
]
_KINDS = [_REFUND, _RESET, _ACCESS, _CANCEL, *_CHANGES]
# Which successful action records back each kind of claim; kinds missing here are never backed.
_BACKED_BY = {
    "refund": "refund",
    "password_reset": "reset_password",
    "account_change:plan": "update_setting",
    "account_change:seats": "update_setting",
    "account_change:billing_email": "update_setting",
}

# --- secrets -----------------------------------------------------------------------------------

_SECRET_PATTERNS = [
    (re.compile(p, re.IGNORECASE), what)
    for p, what in [
        (r"\b(?:temporary|temp|one[- ]?time|default|initial|interim|provisional)\s+"
         r"(?:admin\s+)?(?:password|passcode|passphrase|pass ?word|login code)\b",
         "a temporary password"),
        (r"\b(?:new|admin|root|master|account)\s+(?:admin\s+)?(?:password|passcode)\s*(?:is|:|=)",
         "a password"),
        (r"-----BEGIN [A-Z ]*PRIVATE KEY-----", "a private key"),
        (r"\b(?:sk|rk|pk)[-_](?:live|test|proj|ant)?[-_]?[A-Za-z0-9_-]{16,}", "an API key"),
        (r"\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}", "an access token"),
        (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", "an access token"),
        (r"\bAKIA[0-9A-Z]{16}\b", "an API key"),
        (r"\bAIza[0-9A-Za-z_-]{35}", "an API key"),
        (r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", "an access token"),
        (r"\bbearer\s+[A-Za-z0-9_\-.=+/]{16,}", "an access token"),
        (r"\b(?:api[-_ ]?key|access[-_ ]?token|auth(?:orization)?[-_ ]?(?:token|code)|"
         r"client[-_ ]?secret|secret[-_ ]?key|refresh[-_ ]?token|token|secret)\b\s*(?::|=|\bis\b)"
         r"\s*[\"'`]?[A-Za-z0-9_\-./+=]{12,}", "an API key or token"),
    ]
]  # fmt: skip
# "password: X", "the new password is X", "log in with X": a value right after.
_SECRET_VALUE = re.compile(
    r"\b(?:pass(?:word|code|phrase)|pwd|pw|pin|login|log in with|sign in with|use the code)\b"
    r"(?:\s+(?:for\s+\w+|is\s+now|is|will be|was|set to|changed to|reset to|to|now|"
    r"has been set to|of))*\s*[:=]?\s*(?P<quote>[\"'`“‘])?(?P<value>[^\s\"'`”’]{4,})",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[^\s\"'`“”‘’()<>\[\]{},;]+")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_MONEY = re.compile(r"^-?[$€£]\d")
_KEY_CHARS = re.compile(r"[A-Za-z0-9_\-+/=]+")
_RECORD_ID = re.compile(r"^[a-z]{2,5}_[A-Za-z0-9]+$")  # ch_..., cus_..., in_...
_SYMBOLS = set("!#$%^&*+=?~|<>")


def _looks_like_password(token: str) -> bool:
    """A password-like string: 8 to 64 characters without spaces, mixing upper case, lower
    case and digits, or letters, digits and symbols; not a URL, address or UUID."""
    word = token.strip(".,;:!?)(\"'")
    if not 8 <= len(word) <= 64 or "://" in word or _UUID.match(word):
        return False
    if "@" in word and "." in word.rpartition("@")[2]:
        return False  # an email address
    if "/" in word or _MONEY.match(word) or _RECORD_ID.match(word):
        return False  # "$49.00/month", a path or a date, a record id ("ch_3Mml...")
    has_lower = any(c.islower() for c in word)
    has_upper = any(c.isupper() for c in word[1:])  # not just a capitalised word ("Office365")
    has_digit = any(c.isdigit() for c in word)
    has_letter = any(c.isalpha() for c in word)
    has_symbol = any(c in _SYMBOLS for c in word)
    return (has_lower and has_upper and has_digit) or (has_letter and has_digit and has_symbol)


def _looks_like_key(token: str) -> bool:
    """A long random-looking string (a hex or base64 key): 28 or more letters and digits; not a
    UUID or a prefixed record id such as a Stripe ``ch_...``."""
    word = token.strip(".,;:!?)(\"'")
    if len(word) < 28 or not _KEY_CHARS.fullmatch(word) or _UUID.match(word):
        return False
    if _RECORD_ID.match(word):
        return False
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word)


def _secret_value(value: str, *, quoted: bool = False) -> bool:
    """Whether the word after "password is" looks like a password rather than ordinary words
    ("your password is case-sensitive", "password reset")."""
    word = value.strip(".,;:!?)(\"'*")
    if len(word) < 4 or not any(c.isalnum() for c in word):
        return False  # punctuation: "**Forgot password?**"
    if word.lower() in {
        "reset",
        "case-sensitive",
        "correct",
        "incorrect",
        "wrong",
        "valid",
        "invalid",
        "expired",
        "required",
        "strong",
        "weak",
        "changed",
        "the",
        "your",
        "a",
        "an",
        "at",
        "must",
        "should",
        "will",
        "was",
        "is",
        "not",
        "never",
        "still",
        "only",
        "page",
        "link",
        "field",
        "manager",
        "and",
        "or",
        "you",
        "to",
        "in",
        "on",
        "for",
        "from",
        "with",
        "that",
        "this",
    }:
        return False  # fmt: skip
    if quoted or any(c.isdigit() for c in word) or any(c in _SYMBOLS for c in word):
        return True
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)


# --- the check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One reason not to send a draft unread."""

    kind: str  # "refund", "password_reset", "account_change:plan", ..., "secret"
    reason: str  # for the audit trail and the reviewer; never holds the secret itself
    excerpt: str  # the sentence, secrets masked


def review_draft(text: str, actions: Sequence[ActionRecord]) -> list[Finding]:
    """What in ``text`` may not be sent without a human: claims of actions that no successful
    action record in ``actions`` (the ticket's audit trail) backs, and secrets."""
    findings: list[Finding] = []
    if not _reads_as_english(text):
        reason = "is not in English, which the claim check cannot read"
        findings.append(Finding("language", reason, _excerpt(_mask_secrets(text))))
    for sentence in _sentences(text):
        masked = _mask_secrets(sentence)
        secrets = _secrets_in(sentence)
        if secrets:
            findings.append(Finding("secret", f"contains {secrets[0]}", _excerpt(masked)))
        for kind in _claims_in(sentence):
            problem = _unbacked(kind, sentence, actions)
            if problem:
                findings.append(Finding(kind.name, problem, _excerpt(masked)))
    return findings


def secrets_in(text: str) -> list[str]:
    """What kinds of secret ``text`` holds ("a temporary password", "an API key"), if any."""
    return [found for sentence in _sentences(text) for found in _secrets_in(sentence)]


def claims_in(text: str) -> list[str]:
    """The kinds of action ``text`` claims were taken (or promises), backed or not."""
    return [kind.name for sentence in _sentences(text) for kind in _claims_in(sentence)]


def _reads_as_english(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 20 and sum(c.isascii() for c in letters) < len(letters) / 2:
        return False  # another script (Japanese has no spaces to count words by)
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(words) < LANGUAGE_CHECK_WORDS:
        return True
    return sum(word in _ENGLISH_WORDS for word in words) / len(words) >= ENGLISH_SHARE


def _sentences(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKC", text)
    plain = "".join(c for c in plain if unicodedata.category(c) != "Cf")
    plain = plain.replace("’", "'").replace("‘", "'").replace("`", "'")
    return [s.strip() for s in _SENTENCE_END.split(plain) if s.strip()]


def _claims_in(sentence: str) -> list[_Kind]:
    lowered = sentence.lower()
    if _OFFER.search(lowered) or (lowered.endswith("?") and _QUESTION_START.match(lowered)):
        return []
    found = []
    for kind in _KINDS:
        claimed = any(
            _is_claim(lowered, match) for p in kind.patterns for match in p.finditer(lowered)
        ) or any(
            _is_claim(lowered, match, negated=True)
            for p in kind.negated
            for match in p.finditer(lowered)
        )
        if claimed:
            found.append(kind)
    changes = [kind for kind in found if kind.name.startswith("account_change:")]
    if len(changes) > 1:  # the most specific (see _SETTING_NOUNS)
        found = [kind for kind in found if kind not in changes[1:]]
    return found


def _is_claim(sentence: str, match: re.Match[str], *, negated: bool = False) -> bool:
    if match.re.pattern.startswith(_PROMISE):
        clause_start = -1
    else:
        marks = (",", ";", ":", " - ")
        clause_start = max(sentence.rfind(mark, 0, match.start()) for mark in marks)
    before = sentence[clause_start + 1 : match.start()]
    said = before if negated else before + " " + match.group()
    if _CONDITION.search(before) or _NEGATION.search(said):
        return False
    # "Click 'Forgot password' and you'll receive a reset email": the customer's own step.
    return not (match.group().startswith("you") and _INSTRUCTION.search(sentence[: match.start()]))


def _unbacked(kind: _Kind, sentence: str, actions: Sequence[ActionRecord]) -> str | None:
    """Why the claim is not backed, or None when an action record backs it."""
    action = _BACKED_BY.get(kind.name)
    done = [a for a in actions if action and a.ok and a.action == action]
    if kind.name.startswith("account_change:") and action:
        setting = kind.name.partition(":")[2]
        done = [a for a in done if a.params.get("setting") == setting]
    if not done:
        never = "" if action else " (no desk action does that)"
        return f"claims {kind.what} that no action record of this ticket backs{never}"
    if kind.name == "refund":
        named = _amounts(sentence)
        refunded = {round(float(a.params.get("amount", 0) or 0), 2) for a in done}
        if named and not named & refunded:
            shown = ", ".join(f"${amount:,.2f}" for amount in sorted(named))
            record = ", ".join(f"${amount:,.2f}" for amount in sorted(refunded))
            return f"claims a refund of {shown}; the refunds on record: {record}"
    return None


def _amounts(sentence: str) -> set[float]:
    found = set()
    for match in re.finditer(_AMOUNT, sentence.lower()):
        digits = re.sub(r"[^\d.]", "", match.group().replace(",", ""))
        try:
            found.add(round(float(digits), 2))
        except ValueError:
            continue
    return found


def _secrets_in(sentence: str) -> list[str]:
    found = [what for pattern, what in _SECRET_PATTERNS if pattern.search(sentence)]
    for match in _SECRET_VALUE.finditer(sentence):
        if _secret_value(match.group("value"), quoted=bool(match.group("quote"))):
            found.append("a password")
            break
    tokens = _TOKEN.findall(sentence)
    if any(_looks_like_password(token) for token in tokens):
        found.append("a password-like string")
    if any(_looks_like_key(token) for token in tokens):
        found.append("a key-like string")
    return found


def _mask_secrets(sentence: str) -> str:
    """The sentence with anything secret-looking replaced by a mask, for reasons and notes."""
    masked = sentence
    for pattern, _what in _SECRET_PATTERNS:
        masked = pattern.sub(MASK, masked)
    masked = _SECRET_VALUE.sub(
        lambda m: (
            m.group().replace(m.group("value"), MASK)
            if _secret_value(m.group("value"), quoted=bool(m.group("quote")))
            else m.group()
        ),
        masked,
    )
    return _TOKEN.sub(lambda m: MASK if _is_secret_token(m.group()) else m.group(), masked)


def _is_secret_token(token: str) -> bool:
    return _looks_like_password(token) or _looks_like_key(token)


def _excerpt(sentence: str) -> str:
    text = " ".join(sentence.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
