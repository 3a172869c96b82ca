"""What counts as personal data or a secret in free text, found by shape, checksum and context.

Support messages carry card numbers, bank accounts, phone numbers, national identity numbers
and credentials written every way people write them: with spaces, dashes or dots, in lower
case, in a URL, after "my password is" in the customer's own language. Each detector below
finds one kind; checksums (Luhn for cards and some identity numbers, ISO 7064 mod 97 for
IBANs and French NIRs, the published check letters of Spanish and Italian ids) and the words
around a number (a "phone" before it, an "order" before it) keep ordinary numbers (orders,
invoices, dates, amounts, versions, tracking numbers) out. ``tests/data/pii_corpus.json``
holds the planted values and the ordinary text the detectors are measured on.

Where two findings overlap, the detector listed first in ``DETECTORS`` wins: a card number
inside an API key is part of the key, a password that looks like a phone is a password.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

EMAIL = "EMAIL"
PHONE = "PHONE"
CARD = "CARD"
IBAN = "IBAN"
NATIONAL_ID = "NATIONAL_ID"  # social security, national insurance, tax and identity numbers
CVV = "CVV"
PASSWORD = "PASSWORD"
SECRET = "SECRET"  # API keys, tokens, private keys, signed URL parameters


@dataclass(frozen=True, order=True)
class Finding:
    start: int
    end: int
    kind: str
    key: str  # the normalised value: one placeholder per key


def _digits(text: str) -> str:
    return "".join(ch for ch in text if "0" <= ch <= "9")


# --- checksums ------------------------------------------------------------------------------


def luhn_valid(number: str, lengths: range = range(13, 20)) -> bool:
    if not number.isdigit() or len(number) not in lengths:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_number_plausible(number: str) -> bool:
    """Luhn-valid, and a length that fits the issuer its first digits name; this keeps long
    order or account numbers that happen to pass Luhn (one in ten) out."""
    if not luhn_valid(number):
        return False
    length = len(number)
    if number.startswith(("34", "37")):  # American Express
        return length == 15
    if number.startswith(("30", "36", "38", "39")):  # Diners Club
        return 14 <= length <= 19
    if number.startswith("4"):  # Visa
        return length in (16, 19)  # 13-digit Visa cards are no longer issued
    if number[0] in "25":  # Mastercard
        return length == 16
    if number.startswith(("35", "6")):  # JCB, Discover, UnionPay, Maestro
        return 16 <= length <= 19
    return False


# IBAN lengths by country (the SWIFT IBAN registry): a candidate of another length, or from a
# country without IBANs, is not one, whatever its checksum says.
IBAN_LENGTHS = {
    **dict.fromkeys(["NO"], 15),
    **dict.fromkeys(["BE"], 16),
    **dict.fromkeys(["DK", "FI", "FO", "GL", "NL", "FK", "SD"], 18),
    **dict.fromkeys(["MK", "SI"], 19),
    **dict.fromkeys(["AT", "BA", "EE", "KZ", "LT", "LU", "XK", "MN"], 20),
    **dict.fromkeys(["CH", "HR", "LI", "LV"], 21),
    **dict.fromkeys(["BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"], 22),
    **dict.fromkeys(["AE", "GI", "IL", "IQ", "TL", "OM", "SO"], 23),
    **dict.fromkeys(["AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"], 24),
    **dict.fromkeys(["LY", "PT", "ST"], 25),
    **dict.fromkeys(["IS", "TR"], 26),
    **dict.fromkeys(["FR", "GR", "IT", "MC", "MR", "SM", "BI", "DJ"], 27),
    **dict.fromkeys(["AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "PL", "SV", "NI"], 28),
    **dict.fromkeys(["BR", "EG", "PS", "QA", "UA"], 29),
    **dict.fromkeys(["JO", "KW", "MU", "YE"], 30),
    **dict.fromkeys(["MT", "SC"], 31),
    **dict.fromkeys(["LC"], 32),
    **dict.fromkeys(["RU"], 33),
}


def _mod97(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text)) % 97


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").replace("-", "").upper()
    if not compact.isalnum() or not compact.isascii():
        return False
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    return _mod97(compact[4:] + compact[:4]) == 1


def us_ssn_valid(number: str) -> bool:
    """Never issued: area 000, 666 or 900-999, group 00, serial 0000."""
    area, group, serial = number[:3], number[3:5], number[5:]
    return (
        len(number) == 9
        and area not in ("000", "666")
        and not area.startswith("9")
        and group != "00"
        and serial != "0000"
    )


_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def spanish_id_valid(text: str) -> bool:
    """DNI (8 digits and a letter) or NIE (X, Y or Z, 7 digits and a letter)."""
    compact = text.replace("-", "").replace(" ", "").upper()
    prefix = {"X": "0", "Y": "1", "Z": "2"}.get(compact[0], "")
    number = prefix + compact[1:-1] if prefix else compact[:-1]
    if not number.isdigit() or len(number) != 8:
        return False
    return _DNI_LETTERS[int(number) % 23] == compact[-1]


# The check letter's values for characters in odd positions (0-9, then A-Z).
_CF_ODD_VALUES = (
    "1 0 5 7 9 13 15 17 19 21 1 0 5 7 9 13 15 17 19 21 2 4 18 20 11 3 6 8 12 14 16 10 22 25 24 23"
)
_CF_ODD = dict(
    zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", map(int, _CF_ODD_VALUES.split(" ")), strict=True)
)


def italian_tax_code_valid(code: str) -> bool:
    """Codice fiscale: 15 characters and a check letter."""
    code = code.upper()
    if len(code) != 16:
        return False
    total = 0
    for position, char in enumerate(code[:15]):
        if position % 2 == 0:  # odd positions, counting from one
            total += _CF_ODD[char]
        else:
            total += int(char) if char.isdigit() else ord(char) - ord("A")
    return chr(ord("A") + total % 26) == code[15]


def french_nir_valid(text: str) -> bool:
    """Numéro de sécurité sociale: 13 characters (Corsica 2A/2B) and a key, 97 - n mod 97."""
    compact = text.replace(" ", "").upper()
    if len(compact) != 15:
        return False
    body = compact[:13].replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or not compact[13:].isdigit():
        return False
    return 97 - int(body) % 97 == int(compact[13:])


def brazilian_cpf_valid(text: str) -> bool:
    digits = [int(d) for d in _digits(text)]
    if len(digits) != 11 or len(set(digits)) == 1:
        return False
    for length in (9, 10):
        total = sum(d * w for d, w in zip(digits[:length], range(length + 1, 1, -1), strict=True))
        check = total * 10 % 11 % 10
        if check != digits[length]:
            return False
    return True


def dutch_bsn_valid(number: str) -> bool:
    """The "elfproef": weights 9..2 and -1, a multiple of 11."""
    if len(number) != 9 or not number.isdigit():
        return False
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11 == 0


def _plausible_birth_date(yymmdd: str) -> bool:
    year, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if day > 60:  # Swedish co-ordination numbers add 60 to the day
        day -= 60
    try:
        date(2000 + year, month, day)
    except ValueError:
        return False
    return True


def swedish_personal_number_valid(text: str) -> bool:
    digits = _digits(text)[-10:]
    return (
        len(digits) == 10
        and _plausible_birth_date(digits[:6])
        and luhn_valid(digits, range(10, 11))
    )


# --- context --------------------------------------------------------------------------------
# The words before a bare number say what it is. Both lists are matched as word prefixes,
# case-insensitively; the nearest one within CONTEXT_CHARS decides.

CONTEXT_CHARS = 40

_PHONE_WORDS = (
    r"phone|tel\b|tel\.|telephone|mobile|cell|call|ring\b|whats\s?app|sms|text\s+me|fax|"
    r"reach\s+me|contact\s+number|"
    r"t[ée]l[ée]phone|t[ée]l\b|portable|appel|"  # French
    r"telefon|handy|rufnummer|mobil|anruf|"  # German, Swedish, Polish, Turkish
    r"tel[ée]fono|m[óo]vil|celular|ll[áa]m|telefone|ligue|"  # Spanish, Portuguese
    r"telefono|cellulare|chiam|"  # Italian
    r"telefoon|mobiel|bel\s+me|"  # Dutch
    r"電話|携帯|电话|手机|телефон"
)
# "number" says phone only when nothing says order or invoice.
_NUMBER_WORDS = r"number|num[ée]ro|nummer|n[úu]mero|numer|no\.|nr\.?"
_NOT_PHONE_WORDS = (
    r"order|invoice|inv\b|ticket|tracking|track|parcel|shipment|ref\b|reference|account|"
    r"po\b|purchase|case|id\b|serial|sku|build|version|receipt|transaction|txn|policy|"
    r"commande|facture|bestellung|rechnung|sendung|pedido|factura|ordine|fattura|"
    r"bestelling|factuur|zamówien|sipariş"
)
# Whole words: "ring" is not in "bring".
_PHONE_CONTEXT = re.compile(rf"(?i)(?<![^\W\d_])(?:{_PHONE_WORDS})")
_NUMBER_CONTEXT = re.compile(rf"(?i)\b(?:{_NUMBER_WORDS})")
_NOT_PHONE_CONTEXT = re.compile(rf"(?i)\b(?:{_NOT_PHONE_WORDS})")


def _nearest_context(text: str, start: int) -> str | None:
    """What the words just before ``start`` say a number is: "phone", "other" or None."""
    window = text[max(0, start - CONTEXT_CHARS) : start]

    def last(pattern: re.Pattern[str]) -> int:
        return max((m.end() for m in pattern.finditer(window)), default=-1)

    phone, other, number = last(_PHONE_CONTEXT), last(_NOT_PHONE_CONTEXT), last(_NUMBER_CONTEXT)
    if phone > other:
        return "phone"
    if other >= 0:
        return "other"
    return "phone" if number >= 0 else None


def _preceded_by(text: str, start: int, pattern: re.Pattern[str], chars: int = 30) -> bool:
    return bool(pattern.search(text[max(0, start - chars) : start]))


# --- secrets ---------------------------------------------------------------------------------

_TOKENS = re.compile(
    r"""
      \bsk-[A-Za-z0-9_-]{16,}                        # OpenAI and many others: sk-..., sk-proj-...
    | \b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}       # Stripe
    | \bwhsec_[A-Za-z0-9]{16,}
    | \bgh[pousr]_[A-Za-z0-9]{20,}                  # GitHub tokens
    | \bgithub_pat_[A-Za-z0-9_]{20,}
    | \bglpat-[A-Za-z0-9_-]{20,}                    # GitLab
    | \bxox[abposr]-[A-Za-z0-9-]{10,}               # Slack
    | \b(?:AKIA|ASIA)[A-Z0-9]{16}\b                 # AWS access key ids
    | \bAIza[A-Za-z0-9_-]{30,}                      # Google API keys
    | \bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}  # SendGrid
    | \beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}   # JWTs
    | -----BEGIN[A-Z ]*PRIVATE\ KEY-----[\s\S]*?-----END[A-Z ]*PRIVATE\ KEY-----
    """,
    re.VERBOSE,
)
_BEARER = re.compile(r"(?i)\b(?:bearer|basic)\s+([A-Za-z0-9._~+/=-]{16,})")
# Credentials in a URL: https://user:secret@host, and query parameters that carry keys.
_URL_USERINFO = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@]+:([^\s/@]+)@")
_SECRET_PARAMS = (
    r"key|api[_-]?key|apikey|access[_-]?key|secret|client[_-]?secret|token|access[_-]?token|"
    r"refresh[_-]?token|id[_-]?token|auth|authorization|sig|signature|x-amz-signature|"
    r"x-amz-credential|x-goog-signature|password|passwd|pwd|pass|session|sessionid|sid|"
    r"code|otp|private[_-]?key"
)
_URL_PARAM = re.compile(rf"(?i)[?&;](?:{_SECRET_PARAMS})=([^&#\s\"'<>]+)")
# key: value and key=value outside URLs, also quoted (config files, logs, env dumps).
_KEY_VALUE = re.compile(
    r"""(?ix)
    (?<![\w-])
    (?:api[\s_-]?key|apikey|api[\s_-]?token|access[\s_-]?(?:key|token)|secret(?:[\s_-]?(?:access[\s_-]?)?key)?
      |client[\s_-]?secret|auth[\s_-]?token|refresh[\s_-]?token|private[\s_-]?key|webhook[\s_-]?secret
      |token|license[\s_-]?key|licen[cs]e|signing[\s_-]?key|bot[\s_-]?token
      |[a-z0-9]+_(?:api_key|secret|token|secret_key))
    ["']?\s*(?:[:=]|=>|\bis\b)\s*["']?
    ([A-Za-z0-9._~+/=-]{8,})
    """
)
# "secret wJalrXUtnFEMI/K7MDENG/...": without a colon only a long value with digits counts.
_KEY_SPACE_VALUE = re.compile(
    r"(?i)(?<![\w-])(?:secret(?:\s+(?:access\s+)?key)?|api\s+key|token|access\s+key)\s+"
    r"(?=[^\s]*\d)([A-Za-z0-9._~+/=-]{16,})"
)
_WORDISH = re.compile(r"(?<![\w-])[\w-]{20,}(?![\w-])", re.ASCII)  # keys are ASCII


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _looks_random(token: str) -> bool:
    """A long run of letters and digits that reads like a key, not like words or an id.

    Words joined by ``_`` or ``-`` (``customer_success_manager_2024``), UUIDs and invoice
    numbers are split on the separators and fall under the length; what remains must mix
    letters and digits and have high per-character entropy.
    """
    for part in re.split(r"[_-]", token):
        if len(part) < 20:
            continue
        digits = sum(ch.isdigit() for ch in part)
        letters = sum(ch.isalpha() for ch in part)
        mixed_case = any(ch.islower() for ch in part) and any(ch.isupper() for ch in part)
        if (
            digits >= 2
            and letters >= 2
            and (mixed_case or len(part) >= 32)
            and _entropy(part) >= 3.0
        ):
            return True
    return False


def _keyish(value: str) -> bool:
    return any(ch.isdigit() for ch in value) or (len(value) >= 20 and _entropy(value) >= 3.5)


def _find_shaped_tokens(text: str) -> Iterable[Finding]:
    for match in _TOKENS.finditer(text):
        yield Finding(match.start(), match.end(), SECRET, match.group())
    for pattern in (_BEARER, _URL_USERINFO, _URL_PARAM, _KEY_VALUE, _KEY_SPACE_VALUE):
        for match in pattern.finditer(text):
            value = match.group(1)
            # "token: expired_session" is a word; a key has a digit or is long.
            if len(value) >= 4 and (pattern is not _KEY_VALUE or _keyish(value)):
                yield Finding(match.start(1), match.end(1), SECRET, value)


# Object ids that look random but are not secrets (Stripe's ch_, pi_, cus_..., and the like):
# knowing one gives no access.
_OBJECT_ID = re.compile(
    r"^(?:ch|pi|pm|py|in|ii|il|cus|sub|si|re|txn|evt|prod|price|acct|po|src|card|seti|cs_test|"
    r"cs_live|tr|ba|btok|tok|fee|ipi|dp|du|file|link|plan|coupon|promo|tax|txr|ord|sku)_"
)


def _find_random_tokens(text: str) -> Iterable[Finding]:
    for match in _WORDISH.finditer(text):
        if _looks_random(match.group()) and not _OBJECT_ID.match(match.group()):
            yield Finding(match.start(), match.end(), SECRET, match.group())


# --- passwords and PINs ----------------------------------------------------------------------

_PASSWORD_WORDS = (
    r"password|passwd|pwd|pw|passcode|pass\s?phrase|pass|"
    r"mot\s+de\s+passe|mdp|"  # French
    r"passwort|kennwort|"  # German
    r"contrase[ñn]a|clave|"  # Spanish
    r"senha|"  # Portuguese
    r"parola\s+d'ordine|"  # Italian (and "password", as in English)
    r"wachtwoord|"  # Dutch
    r"l[öo]senord|passord|adgangskode|salasana|"  # Swedish, Norwegian, Danish, Finnish
    r"has[łl]o|"  # Polish
    r"[şs]ifre|parola|"  # Turkish
    r"heslo|jelsz[óo]|"  # Czech, Hungarian
    r"пароль|パスワード|暗証番号|密码|密碼|비밀번호|كلمة\s+المرور"
)
# "password: X", "pwd=X", "password -> X"
_PASSWORD_LABEL = re.compile(
    rf"(?i)(?<![\w-])(?:(?:new|old|temp(?:orary)?|current|my|the|admin|root|wifi|"
    rf"nouveau|neues|nueva)\s+)?(?:{_PASSWORD_WORDS})"
    r"""\s*(?:[:=]|->|=>|：)\s*(?:["'“«]([^"'”»\n]{3,64})["'”»]|([^\s"'<>]{3,64}))""",
    re.ASCII,
)
# "my password is X", "mon mot de passe est X", "パスワードは X"
_PASSWORD_SAID = re.compile(
    rf"(?i)(?<![\w-])(?:{_PASSWORD_WORDS})\s*"
    # "the password for the admin account is X"
    r"(?:(?:for|of|to|on|f[üu]r|de|pour|para|per|voor)\s+(?:\S+\s+){0,3}?)?"
    r"(?:(?:is|was|will\s+be|would\s+be|est|était|sera|ist|war|lautet|es|era|será|é|era|è|"
    r"è\s+stata|is\s+nu|är|var|jest|to|(?<=\s)[—–-]|は|是|为|為)\s*(?:now\s+|set\s+to\s+|"
    r"just\s+|still\s+|jetzt\s+|maintenant\s+|ahora\s+|agora\s+|ora\s+)?"
    r"|\s+(?:to|auf|à|naar|til|till)\s+)"
    r"""(?:["'“«]([^"'”»\n]{3,64})["'”»]|([^\s"'<>]{3,64}))""",
    re.ASCII,
)
# "password letmein42": no colon, so the value must look like a password and be long enough.
_PASSWORD_BARE = re.compile(
    rf"(?i)(?<![\w-])(?:{_PASSWORD_WORDS})\s+()(?=[^\s]*\d)([^\s\"'<>(\[{{][^\s\"'<>]{{5,63}})",
    re.ASCII,
)
# Said in words, the value must look like a password: a plain word after "is" is usually not
# one ("my password is wrong", "mein Passwort ist abgelaufen").
_PASSWORDISH = re.compile(r"\d|[^\w\s]|[a-z][A-Z]|[A-Z]{2,}[a-z]")
_NOT_A_PASSWORD = frozenset(re.findall(r"\S+", """
    reset change changed expired expire forgotten forgot incorrect invalid wrong required
    none n/a hidden masked missing blank empty same correct different strong weak locked
    not being through via using sent
"""))  # fmt: skip
# "... the password reset failed, so I set it to X": a password named a little earlier.
_SET_IT_TO = re.compile(
    r"(?i)(?<![\w-])(?:set|changed?|reset|updated?)\s+(?:it|mine|them)\s+(?:back\s+)?to\s+"
    r"()([^\s\"'<>]{4,64})",
    re.ASCII,
)
_PASSWORD_NEAR = re.compile(rf"(?i)(?:{_PASSWORD_WORDS})", re.ASCII)
# "creds: jdoe / Winter2025", "login: admin/S3cret"
_USER_SLASH_PASSWORD = re.compile(
    r"(?i)(?<![\w-])(?:creds|credentials|login|log-?in\s+details|sign[\s-]?in)\s*[:=]?\s*"
    r"[^\s/]{2,64}\s*/\s*()([^\s\"'<>/]{4,64})",
    re.ASCII,
)
_PIN = re.compile(
    r"(?<![\w-])(?:PIN|Pin|pin)(?:[\s-]?(?:code|Code|number|nummer|numéro|número))?"
    r"(?:\s+(?:is|was|ist|est|es|é|è|är))?\s*[:=]?\s*(\d{4,8})(?!\d)"
)
_CODE_PIN = re.compile(r"(?i)(?<![\w-])(?:code\s+pin|c[óo]digo\s+pin)\s*[:=]?\s*(\d{4,8})(?!\d)")

# Sentence punctuation after a value; "!" and "?" stay, passwords often end with them.
_TRAILING = ".,;:)]}"


def _password_value(match: re.Match[str]) -> tuple[int, int, str] | None:
    group = 1 if match.group(1) else 2
    start, end = match.start(group), match.end(group)
    value = match.group(group)
    if group == 2:
        while value and value[-1] in _TRAILING and len(value) > 3:
            value = value[:-1]
            end -= 1
    if value.lower() in _NOT_A_PASSWORD or set(value) <= set("*•●x·."):
        return None
    if re.fullmatch(r"(?:19|20)\d\d", value):  # "changed my password to ... in 2024"
        return None
    return start, end, value


def _find_passwords(text: str) -> Iterable[Finding]:
    for match in _PASSWORD_LABEL.finditer(text):
        found = _password_value(match)
        if found is not None:
            yield Finding(found[0], found[1], PASSWORD, found[2])
    for match in (*_PASSWORD_SAID.finditer(text), *_PASSWORD_BARE.finditer(text)):
        found = _password_value(match)
        if found is not None and (match.group(1) or _PASSWORDISH.search(found[2])):
            yield Finding(found[0], found[1], PASSWORD, found[2])
    for match in (*_SET_IT_TO.finditer(text), *_USER_SLASH_PASSWORD.finditer(text)):
        found = _password_value(match)
        if found is None or not _PASSWORDISH.search(found[2]):
            continue
        if match.re is _SET_IT_TO and not _preceded_by(text, match.start(), _PASSWORD_NEAR, 80):
            continue
        yield Finding(found[0], found[1], PASSWORD, found[2])
    for pattern in (_PIN, _CODE_PIN):
        for match in pattern.finditer(text):
            yield Finding(match.start(1), match.end(1), PASSWORD, match.group(1))


# --- emails, IBANs, cards ---------------------------------------------------------------------

# Latin letters with accents in the address (jürgen@, josé@), but not the CJK text around it.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9À-ɏ.+_-])[A-Za-z0-9À-ɏ._%+-]+@[A-Za-z0-9À-ɏ-]+(?:\.[A-Za-z0-9À-ɏ-]+)*"
    r"\.[A-Za-z]{2,}(?![A-Za-z0-9À-ɏ-])"
)
_IBAN_START = re.compile(r"(?i)(?<![\w-])([a-z]{2})(\d{2})(?=[ ]?[a-z0-9])")
_CARD_COMPACT = re.compile(r"(?<![\w.,/#$€£-])\d{13,19}(?![\w/-])(?![.,]\d)", re.ASCII)
_CARD_GROUPED = re.compile(
    r"(?<![\w.,/#$€£-])\d{4}([ .-])\d{4,6}\1\d{4,5}(?:\1\d{1,4}){0,2}(?![\w/-])(?![.,]\d)",
    re.ASCII,
)


def _find_emails(text: str) -> Iterable[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding(match.start(), match.end(), EMAIL, match.group().lower())


def _find_ibans(text: str) -> Iterable[Finding]:
    """From a country code and two check digits, read exactly the country's IBAN length of
    letters and digits (single spaces between groups allowed), then check mod 97."""
    for match in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(match.group(1).upper())
        if length is None:
            continue
        chars = match.group(1) + match.group(2)
        position = match.end()
        group = 4  # characters in the current group, when written in groups of four
        grouped = position < len(text) and text[position] == " "
        while len(chars) < length and position < len(text):
            char = text[position]
            if char.isascii() and char.isalnum():
                chars += char
                group += 1
            elif grouped and char == " " and group == 4:
                group = 0
            else:
                break
            position += 1
        if len(chars) != length or (position < len(text) and text[position].isalnum()):
            continue
        if (grouped and group > 4) or sum(ch.isdigit() for ch in chars[4:]) < 6:
            continue
        if iban_valid(chars):
            yield Finding(match.start(), position, IBAN, chars.upper())


def _find_cards(text: str) -> Iterable[Finding]:
    for match in _CARD_COMPACT.finditer(text):
        if card_number_plausible(match.group()):
            yield Finding(match.start(), match.end(), CARD, match.group())
    for match in _CARD_GROUPED.finditer(text):
        # The last groups may be a following number ("... 1111 2026"): the longest run of
        # groups that makes a card wins.
        separator = match.group(1)
        groups = match.group().split(separator)
        for count in range(len(groups), 2, -1):
            candidate = separator.join(groups[:count])
            number = _digits(candidate)
            if card_number_plausible(number):
                yield Finding(match.start(), match.start() + len(candidate), CARD, number)
                break


# --- national identity numbers ----------------------------------------------------------------

_ID_WORDS = re.compile(
    r"(?i)\b(?:ssn|social\s+security|soc\.?\s*sec|sin\b|social\s+insurance|nas\b|bsn\b|"
    r"burgerservicenummer|sofi|steuer-?id|steuer-?identifikationsnummer|idnr|"
    r"tax\s+(?:id|identification|number)|tin\b|itin|nif\b|nie\b|dni\b|cpf\b|cpr\b|"
    r"personnummer|henkilötunnus|personal\s+(?:id|identity)\s+number|national\s+id|"
    r"national\s+insurance|ni\s+number|nino\b|num[ée]ro\s+de\s+s[ée]cu|s[ée]curit[ée]\s+sociale|"
    r"codice\s+fiscale|aadhaar|pesel|passport|reisepass|passeport|pasaporte)"
)
_US_SSN = re.compile(r"(?<![\w./-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])(?![ .-]\d)", re.ASCII)
_NINE_DIGITS = re.compile(
    r"(?<![\w./-])(?<!\d )(\d{3})([ .-]?)(\d{3})\2(\d{3})(?![\w-])(?![ .-]\d)", re.ASCII
)
_ELEVEN_DIGITS = re.compile(r"(?<![\w./-])\d{2} ?\d{3} ?\d{3} ?\d{3}(?![\w-])(?![ .-]\d)", re.ASCII)
_UK_NINO = re.compile(
    r"(?i)(?<![\w-])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])",
    re.ASCII,
)
_SPANISH_ID = re.compile(r"(?i)(?<![\w-])(?:[XYZ]-?\d{7}|\d{8})-?[A-Z](?![\w-])")
_ITALIAN_CF = re.compile(r"(?i)(?<![\w-])[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z](?![\w-])")
_FRENCH_NIR = re.compile(
    r"(?<![\w-])[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}"
    r"(?![\w-])",
    re.ASCII,
)
_BRAZIL_CPF = re.compile(r"(?<![\w.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w-])", re.ASCII)
_SWEDISH_PN = re.compile(r"(?<![\w-])(?:19|20)?\d{6}[-+]\d{4}(?![\w-])", re.ASCII)
_PASSPORT = re.compile(
    r"(?i)(?:passport|reisepass|passeport|pasaporte|passaporto)\s*(?:no\.?|number|nr\.?|"
    r"num[ée]ro|nummer|n[úu]mero|#)?\s*(?:is|:)?\s*([A-Z0-9]{6,9})(?![\w-])"
)


def _find_national_ids(text: str) -> Iterable[Finding]:
    for match in _US_SSN.finditer(text):
        number = match.group(1) + match.group(3) + match.group(4)
        # Never-issued numbers are not SSNs, unless the words say so (an ITIN starts with 9).
        if us_ssn_valid(number) or _preceded_by(text, match.start(), _ID_WORDS):
            yield Finding(match.start(), match.end(), NATIONAL_ID, number)
    # A bare nine- or eleven-digit number is an identity number only when the words say so
    # (US SSN written without dashes, Canadian SIN, Dutch BSN, German tax id).
    for match in _ELEVEN_DIGITS.finditer(text):
        if _preceded_by(text, match.start(), _ID_WORDS):
            yield Finding(match.start(), match.end(), NATIONAL_ID, _digits(match.group()))
    for match in _NINE_DIGITS.finditer(text):
        number = _digits(match.group())
        if _preceded_by(text, match.start(), _ID_WORDS) and (
            us_ssn_valid(number) or luhn_valid(number, range(9, 10)) or dutch_bsn_valid(number)
        ):
            yield Finding(match.start(), match.end(), NATIONAL_ID, number)
    for match in _UK_NINO.finditer(text):
        value = match.group().replace(" ", "").upper()
        # Lower case only where the words say so: "ab123456c" is too easily something else.
        if match.group().isupper() or _preceded_by(text, match.start(), _ID_WORDS):
            yield Finding(match.start(), match.end(), NATIONAL_ID, value)
    for pattern, valid in (
        (_SPANISH_ID, spanish_id_valid),
        (_ITALIAN_CF, italian_tax_code_valid),
        (_FRENCH_NIR, french_nir_valid),
        (_BRAZIL_CPF, brazilian_cpf_valid),
        (_SWEDISH_PN, swedish_personal_number_valid),
    ):
        for match in pattern.finditer(text):
            if valid(match.group()):
                key = match.group().replace(" ", "").replace("-", "").upper()
                yield Finding(match.start(), match.end(), NATIONAL_ID, key)
    for match in _PASSPORT.finditer(text):
        if any(ch.isdigit() for ch in match.group(1)):
            yield Finding(match.start(1), match.end(1), NATIONAL_ID, match.group(1).upper())


# --- card security codes ---------------------------------------------------------------------

_CVV = re.compile(
    r"(?i)(?<![\w-])(?:cvv2?(?:/cvc2?)?|cvc2?|csc|cvn|(?:security|sec\.?)\s+code|card\s+code|"
    r"code\s+on\s+the\s+back|card\s+verification"
    r"(?:\s+(?:code|value|number))?|verification\s+code|3[\s-]digit\s+code|"
    r"(?:three|3|four|4)\s+digits?(?:\s+(?:code|number))?(?:\s+on\s+the\s+back)?|"
    r"pr[üu]fnummer|kartenpr[üu]fnummer|sicherheitscode|cryptogramme(?:\s+visuel)?|"
    r"code\s+de\s+s[ée]curit[ée]|c[óo]digo\s+de\s+seguridad|c[óo]digo\s+de\s+seguran[çc]a|"
    r"codice\s+di\s+sicurezza|beveiligingscode|s[äa]kerhetskod|セキュリティコード|安全码)"
    r"\)?\s*(?:\([^)]{0,20}\)\s*)?(?:is|are|was|were|ist|est|es|é|è|är|:|=|-|#|no\.?|of)?\s*"
    r"(\d{3,4})(?![\d/])",
    re.ASCII,
)


def _find_cvvs(text: str) -> Iterable[Finding]:
    for match in _CVV.finditer(text):
        yield Finding(match.start(1), match.end(1), CVV, match.group(1))


# --- phones ----------------------------------------------------------------------------------

_PHONE_PATTERNS = (
    # International: +44 20 7946 0958, +1 (555) 123-4567, +33 (0)6 12 34 56 78
    re.compile(r"(?<![\w+])\+\d[\d ().-]{6,}\d(?![\w-])", re.ASCII),
    # International with 00: 0044 20 7946 0958, 0049-30-1234567
    re.compile(
        r"(?<![\w+#.,/-])(?<!\d[ .-])00[1-9]\d{0,3}(?:[ .-]?\d{1,5}){2,6}(?![\w-])(?![ .-]\d)",
        re.ASCII,
    ),
    # North American with separators: (555) 123-4567, 555-123-4567, 1-800-555-0199
    re.compile(
        r"(?<![\w+#-])(?<!\d )(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}"
        r"(?![\w-])(?! \d)",
        re.ASCII,
    ),
    # National, with the trunk 0: 020 7946 0958, 06 12 34 56 78, 0171-1234567, (02) 9876 5432,
    # 03-1234-5678, 0612345678. One kind of separator throughout, so dates stay dates.
    re.compile(
        r"(?<![\w+#.,/-])(?<!\d )(?:\(0\d{1,4}\)[ -]?\d{2,8}(?:[ -]\d{2,8}){0,3}"
        r"|0\d{1,4}(?:([ .-])\d{2,8}(?:\1\d{2,8}){0,4})"
        r"|0\d{8,11})(?![\w-])(?![ .-]\d)",
        re.ASCII,
    ),
)
# Without a trunk or country prefix a number is a phone only when the words before it say so:
# "call me on 612 34 56 78", "my number is 98765 43210", "mobile 5551234567".
_BARE_PHONE = re.compile(
    r"(?<![\w+#.,/$€£:-])(?<!\d[ .-])\(?\d{2,5}\)?(?:[ .-]?\d{2,5}){1,4}(?![\w-])(?![ .,-]\d)",
    re.ASCII,
)
_DATE_LIKE = re.compile(r"^\d{1,4}([./-])\d{1,2}\1\d{1,4}$")
_NANP_BARE = re.compile(r"^[2-9]\d{2}[2-9]\d{6}$")


def _find_phones(text: str) -> Iterable[Finding]:
    for index, pattern in enumerate(_PHONE_PATTERNS):
        for match in pattern.finditer(text):
            number = _digits(match.group())
            if not 8 <= len(number) <= 15 or _DATE_LIKE.match(match.group()):
                continue
            # A number with a + is a phone whatever stands before it; the others are not when
            # the words call them an order, invoice or reference.
            if index == 0 or _nearest_context(text, match.start()) != "other":
                yield Finding(match.start(), match.end(), PHONE, number)
    for match in _BARE_PHONE.finditer(text):
        candidate = match.group()
        number = _digits(candidate)
        if not 8 <= len(number) <= 13 or _DATE_LIKE.match(candidate):
            continue
        context = _nearest_context(text, match.start())
        if context == "phone" or (
            context is None and candidate == number and _NANP_BARE.match(number)
        ):
            yield Finding(match.start(), match.end(), PHONE, number)


# --- all of them -----------------------------------------------------------------------------

Detector = Callable[[str], Iterable[Finding]]

DETECTORS: tuple[Detector, ...] = (
    _find_shaped_tokens,
    _find_passwords,
    _find_emails,
    _find_ibans,
    _find_cards,
    _find_cvvs,
    _find_national_ids,
    _find_phones,
    _find_random_tokens,
)


def find_sensitive(text: str, extra: Iterable[Detector] = ()) -> list[Finding]:
    """Non-overlapping findings in text order; earlier detectors win overlaps."""
    chosen: list[Finding] = []
    for detector in (*DETECTORS, *extra):
        for finding in detector(text):
            if not any(finding.start < c.end and c.start < finding.end for c in chosen):
                chosen.append(finding)
    return sorted(chosen)
