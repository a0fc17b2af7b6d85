"""Remove phone numbers and e-mail addresses from text that will be published.

People write numbers in SMS every way there is: "+509 3639-2029", "00254722123456", "rele 36392029",
"tel:38479048", "se3821 8828" (glued to a word), ".../809-412-8207", "3 6 3 9 2 0 2 9", dotted, in
brackets, in Devanagari digits. The same texts are full of numbers that must stay: "Time: 2010-04-16
14:45:49", "latitude: 18.533333", "HTG 1,500,000", "2010-2011", "ref 2010-0456".

How a text is read:

1. E-mail addresses go first, written plainly or spelled out ("jean [at] gmail [dot] com").
2. What must stay is masked: web addresses (except WhatsApp links, which carry a number), dates and
   times, decimals (coordinates, measures), amounts with a currency, grouped thousands, year ranges.
   A masked stretch is never part of a number found later, so "16/04/2010 36392029" loses the number only.
3. Every remaining run of digits with the separators people put in phone numbers (spaces, dots, dashes,
   brackets, slashes, a leading + or 00) is a candidate. A cheap regular expression finds them, so a
   text without one costs a few microseconds and phonenumbers' slow matcher never runs on long texts.
4. A candidate is a phone number when
   - phonenumbers.PhoneNumberMatcher (leniency VALID, the map's country) finds a number in it: it knows
     every country's numbering plan, with or without the country code or the trunk 0; or
   - it starts with + or 00 and has 7 to 15 digits (any country); or
   - a word for phone comes just before it (tel, phone, call, rele, nimewo, simu, namba, bel, fòn, ...)
     and it has 7 to 15 digits; or
   - it has 8 to 15 digits, or 7 grouped like a local number (503-8665), and no word says it is a
     reference, an id or a quantity ("ref", "id", "#", "case", "families", "kg", ...).
   The matcher's answer always wins: a reference number that is also a valid phone number of the map's
   country is removed (a reviewer can put it back by hand, see Report's public fields).

The result is scrubbed again until nothing changes, so scrubbing is idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

REPLACEMENT = "[removed]"
MIN_DIGITS = 7
MAX_DIGITS = 15

# --- E-mail addresses -------------------------------------------------------------------------

_TLD = (
    r"(?:com|org|net|edu|gov|int|info|biz|io|co|ht|ke|np|gh|nl|us|fr|uk|ca|de|be|ch|es|it|"
    r"org\.ht|com\.ht|co\.ke|or\.ke|com\.np|org\.np|com\.gh|org\.gh|co\.uk)"
)
_DOT = r"(?:\s?\[\s?dot\s?\]\s?|\s?\(\s?dot\s?\)\s?|\s?\{\s?dot\s?\}\s?|\s+dot\s+|\.)"
# Found from the "@" (or the spelled "at") outwards, with str.find: a text without one costs next to nothing.
_AT_TOKENS = ("@", "＠", "%40", "[at]", "(at)", "{at}", " at ", "[ at ]", "( at )")
_LOCAL_PART = re.compile(r"[\w.+\-']+$")
_SPACED_LOCAL_PART = re.compile(r"[\w.+\-']+\s?$")
# jean.pierre@gmail.com, jean%40gmail.com
_DOMAIN = re.compile(r"[\w\-]+(?:\.[\w\-]+)+")
# jean @ gmail.com: spaces around @ only with a known ending, so "see you @ home.Then" stays
_SPACED_DOMAIN = re.compile(rf"\s?[\w\-]+(?:\.[\w\-]+)*\.{_TLD}(?!\w)", re.IGNORECASE)
# jean [at] gmail [dot] com, jean at gmail dot com, jean(at)gmail.com
_SPELLED_DOMAIN = re.compile(rf"\s?[\w\-]+(?:{_DOT}[\w\-]+)*?{_DOT}{_TLD}(?![\w])", re.IGNORECASE)


def _emails(text: str) -> list[tuple[int, int]]:
    lowered = text.lower()
    if len(lowered) != len(text):
        # A few letters grow when lowered ("İ"); keep the offsets true to the text.
        lowered = "".join(char.lower() if len(char.lower()) == 1 else char for char in text)
    tokens = []
    for marker in _AT_TOKENS:
        index = lowered.find(marker)
        while index != -1:
            tokens.append((index, index + len(marker), marker))
            index = lowered.find(marker, index + 1)
    spans: list[tuple[int, int]] = []
    for start, end, marker in sorted(tokens):
        if spans and start < spans[-1][1]:
            continue
        head = text[max(0, start - 64) : start]
        local = _LOCAL_PART.search(head)
        if marker in ("@", "＠"):
            domain = _DOMAIN.match(text, end) if local else None
            if domain is None:
                # jean @ gmail.com: with spaces, only before a known ending ("see you @ home.Then" stays)
                local = local or _SPACED_LOCAL_PART.search(head)
                domain = _SPACED_DOMAIN.match(text, end)
        elif marker == "%40":
            domain = _DOMAIN.match(text, end)
        else:
            local = local or _SPACED_LOCAL_PART.search(head)
            domain = _SPELLED_DOMAIN.match(text, end)
        if local is None or domain is None:
            continue
        spans.append((start - len(local.group()), domain.end()))
    return spans


# --- What must stay ---------------------------------------------------------------------------

_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR4 = r"(?:1[89]\d\d|20\d\d)"
_TIME = r"(?:[01]?\d|2[0-3])[:h][0-5]\d(?::[0-5]\d(?:[.,]\d{1,6})?)?(?:\s?[aApP]\.?[mM]\.?)?"
_ZONE = r"(?:\s?(?:Z|UTC|GMT|[+-](?:0\d|1[0-4]):?[0-5]\d))?"
_KEEP = re.compile(
    r"(?:(?<![\d.,/\-])(?:"
    # ISO and year-first dates, with an optional time: 2010-04-16 14:45:49, 2010/04/16T14:45Z, 20100416
    + rf"{_YEAR4}(?P<sep1>[-/.]){_MONTH}(?P=sep1){_DAY}(?:(?:[T ]|, ?|\s+at\s+){_TIME}{_ZONE})?"
    + rf"|{_YEAR4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[T_ -]?(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?)?"
    # Day or month first: 16/04/2010, 04/16/10, 16.04.2010 14:45, 16-4-10
    + rf"|(?:{_DAY}|{_MONTH})(?P<sep2>[-/.])(?:{_DAY}|{_MONTH})(?P=sep2)(?:{_YEAR4}|\d\d)(?:(?:[T ]|, ?){_TIME}{_ZONE})?"
    # Times alone: 14:45, 14:45:49, 9h30, 10.30am
    + rf"|{_TIME}{_ZONE}"
    # Year ranges and lists: 2010-2011, 2009/2010
    + rf"|{_YEAR4}\s?[-/–]\s?{_YEAR4}"
    # Decimals: measures (3,5  250.75) with at most three digits on either side of the point, and
    # coordinates (18.533333, -72.3) up to 180 with at most seven decimals (a centimetre; a longer
    # fraction can hold a whole local number); never "00" first (the international prefix:
    # "00.4702000" is a number in Norway, "201.2000000" one in New Jersey). A pair may be written
    # "40.712776,-74.005974".
    + r"|[-+−]?(?!00)(?:\d{1,3}[.,]\d{1,3}|(?:1[0-7]\d|180|\d{1,2})[.,]\d{4,7})(?!\d)(?:\s?°)?"
    # Grouped thousands with , . or ' : 1,500,000  1.500.000  15'000
    + r"|[1-9]\d{0,2}(?P<sep3>[,.'’])\d{3}(?:(?P=sep3)\d{3})*(?:[.,]\d{1,2})?"
    + r")|(?<=\d,)[-+−]?\d{1,3}\.\d+(?:\s?°)?)(?![.,/\-]?\d)",
)
# Amounts with a currency before or after: $ 1 500 000, HTG 15000000, 2500 gourdes, KSh. 1500000.
_CURRENCY = (
    r"(?:US\$|\$|€|£|₵|₹|रु\.?|USD|HTG|HTD|KES|KSh?s?\.?|GHS|GH₵|GHC|NPR|Rs\.?|EUR|ksh?s?\.?|gdes?\.?|"
    r"dollars?|dola|goud|gourdes?|shillings?|shilingi|cedis?|rupees?|rupiya|euros?|ewo)"
)
# Amounts: a number with a currency just before or after ($ 1 500 000, HTG 15000, 2500 gourdes).
# Ungrouped amounts have at most seven digits: longer runs after "Rs" are more often a phone number.
_AMOUNT_NUMBER = re.compile(
    r"(?<![\d.,])(?:[1-9]\d{0,2}(?:[ .,'’]\d{3})+|[1-9]\d{0,6})(?:[.,]\d{1,2})?(?![\d]|[.,]\d)"
)
_CURRENCY_BEFORE = re.compile(rf"(?:^|[^\w$€£₵₹]){_CURRENCY}\s?$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(rf"\s?{_CURRENCY}(?!\w)", re.IGNORECASE)
# Web addresses stay whole, except the number in a WhatsApp link (wa.me/50936392029).
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_URL_NUMBER = re.compile(r"(?:wa\.me/|whatsapp\.com/send\?phone=|phone=|tel:)\+?(\d{7,15})", re.IGNORECASE)

# --- Candidates -------------------------------------------------------------------------------

# Between the digits of one number: up to three of these (spaces, dots, dashes, slashes, brackets),
# or the mojibake of a dash or a no-break space ("â€“", "Â ").
_SEPARATOR = r"(?:[ \t\u00a0\u2007\u2009\u202f.\-\u2010-\u2015\u2212/()]|â€[\u0080-\u009f\u2018-\u201e\u2013\u2014\u2122‘’“”–—]|Â\u00a0)"
_CANDIDATE = re.compile(rf"(?:\+\s?|\(\s?)?\d(?:{_SEPARATOR}{{0,3}}\d)*\)?")
# The digits of a candidate without its optional "+" or brackets around: it starts with a digit, so the
# regular expression engine jumps from digit to digit, and a text with no run long enough is passed over.
_CANDIDATE_DIGITS = re.compile(rf"\d(?:{_SEPARATOR}{{0,3}}\d)*")
_INTERNATIONAL = re.compile(r"\+|00(?=\s?[1-9])|011(?=\s?[1-9])")

# Words that say a phone number follows, in the languages of the maps (English, French, Haitian Creole,
# Swahili, Dutch, Nepali), and words that say the number is something else (a reference, an id, a count).
# The nearest of them within three words before the number decides: "rele m nan 3701-4545" is a phone
# number, "case no. HT-2010-00123" is not, "ref 48213, call 0722123456" has one of each.
_PHONE_WORDS = frozenset(
    [
        "tel",
        "tél",
        "tele",
        "telefon",
        "telefòn",
        "telefonn",
        "telephone",
        "téléphone",
        "telefono",
        "teléfono",
        "phone",
        "phon",
        "ph",
        "mob",
        "mobile",
        "mobil",
        "cell",
        "cellphone",
        "cel",
        "celular",
        "portable",
        "gsm",
        "whatsapp",
        "app",
        "viber",
        "signal",
        "sms",
        "text",
        "txt",
        "call",
        "ring",
        "dial",
        "reach",
        "contact",
        "contacts",
        "kontak",
        "kontakte",
        "rele",
        "relem",
        "fòn",
        "fon",
        "nimewo",
        "nimero",
        "numero",
        "número",
        "numéro",
        "number",
        "namba",
        "nambari",
        "simu",
        "piga",
        "pigia",
        "nipigie",
        "bel",
        "bellen",
        "nummer",
        "telnr",
        "mobiel",
        "फोन",
        "फ़ोन",
        "मोबाइल",
        "सम्पर्क",
        "नम्बर",
    ]
)
_OTHER_WORDS = frozenset(
    [
        "ref",
        "réf",
        "refs",
        "reference",
        "référence",
        "id",
        "ids",
        "case",
        "dossier",
        "file",
        "ticket",
        "order",
        "invoice",
        "facture",
        "receipt",
        "reçu",
        "resi",
        "code",
        "serial",
        "serie",
        "série",
        "lot",
        "batch",
        "item",
        "post",
        "report",
        "rapò",
        "form",
        "permit",
        "plate",
        "plaque",
        "flight",
        "vol",
        "nif",
        "cin",
        "imei",
        "iban",
        "swift",
        "bic",
        "isbn",
        "pnr",
        "awb",
        "mtcn",
        "tracking",
        "track",
        "parcel",
        "colis",
        "population",
        "pop",
        "total",
        "km",
        "kg",
        "nº",
        "n°",
        "zaak",
        "zaaknummer",
        "kenmerk",
    ]
)
_WORD = re.compile(r"[^\s\d.,:;=#/\\()\[\]{}\-–_'\"!?*+<>|]+|#")


def _context(before: str) -> str | None:
    """ "phone" or "other", from the nearest telling word among the last three before a number."""
    for word in reversed(_WORD.findall(before.lower())[-3:]):
        if word in _PHONE_WORDS:
            return "phone"
        if word in _OTHER_WORDS or word == "#":
            return "other"
    return None


_NOT_PHONE_AFTER = re.compile(
    r"^\s?(?:people|persons?|personnes?|moun|families|famil(?:le|y)s?|fanmi|households?|kay|houses?|"
    r"homes?|children|timoun|kids|students|elèv|tents?|tant|bags?|sacs?|sak|sacks?|kg|kilos?|tons?|"
    r"tonnes?|litres?|liters?|lit|gallons?|galon|doses?|km|m2|m²|meters?|mètres?|ha|acres?|votes?|"
    r"views?|downloads?|visitors?|users?|bytes?|kb|mb|gb|px|pixels?|°|%|percent|watts?|kw|mw|"
    + _CURRENCY
    + r")(?!\w)",
    re.IGNORECASE,
)
# A local number written in groups (503-8665, 3639 2029) rather than a bare count (1500000).
_GROUPED_7 = re.compile(r"^\(?\d{3}\)?[\s.\-]\d{4}$")


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    kind: str  # "email" or "phone"
    text: str


def _digits(text: str) -> str:
    return "".join(str(unicodedata.digit(char)) for char in text if char.isdigit())


def _mask(chars: list[str], start: int, end: int) -> None:
    for index in range(start, end):
        chars[index] = "\x00"


@lru_cache(maxsize=512)
def _shortest(region: str) -> int:
    """The fewest digits a number of the region can have, as phonenumbers' metadata says."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return MIN_DIGITS
    lengths = [
        *(metadata.general_desc.possible_length or ()),
        *(metadata.general_desc.possible_length_local_only or ()),
    ]
    return max(5, min(lengths, default=MIN_DIGITS))


@lru_cache(maxsize=8192)
def _matcher_finds(candidate: str, region: str | None) -> bool:
    """phonenumbers' own verdict on one candidate (not the whole text: the matcher is slow on long ones)."""
    try:
        return any(True for _match in PhoneNumberMatcher(f" {candidate} ", region, leniency=Leniency.VALID))
    except Exception:  # noqa: BLE001 - a library bug must never stop a report from being saved
        return False


def _is_phone(text: str, start: int, end: int, masked: str, region: str | None) -> bool:
    candidate = text[start:end]
    digits = _digits(candidate)
    count = len(digits)
    if region and count >= _shortest(region) and _matcher_finds(candidate, region):
        return True
    if count < MIN_DIGITS:
        return False
    stripped = candidate.lstrip("( ")
    if _INTERNATIONAL.match(stripped):
        if stripped.startswith("+"):
            return True
        # 00 or 011 then the country code: an international number, if the rest is long enough.
        rest = digits[3:] if stripped.startswith("011") else digits[2:]
        return len(rest) >= MIN_DIGITS
    context = _context(masked[max(0, start - 40) : start])
    if context == "other":
        return False
    if context == "phone":
        return count <= 2 * MAX_DIGITS
    after = masked[end : end + 24]
    if _NOT_PHONE_AFTER.search(after):
        return False
    if count == MIN_DIGITS:
        # A bare count (1500000) stays; a local number in groups (503-8665, 550 1234) goes.
        return bool(_GROUPED_7.match(candidate))
    return True


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Leave out separators at the end and brackets that close nothing opened in the number."""
    while end > start and (
        text[end - 1] in " .-/(\t\u00a0"
        or (text[end - 1] == ")" and text.count("(", start, end) < text.count(")", start, end))
    ):
        end -= 1
    while start < end and text[start] == "(" and text.count("(", start, end) > text.count(")", start, end):
        start += 1
    return start, end


def find_contacts(text: str, region: str | None = None) -> list[Found]:
    """Every e-mail address and phone number in the text, in order, not overlapping."""
    if not text:
        return []
    region = (region or "").upper() or None
    found = [Found(start, end, "email", text[start:end]) for start, end in _emails(text)]
    shortest = min(MIN_DIGITS, _shortest(region)) if region else MIN_DIGITS
    # Masking only takes digits away, and a number in a web address has at least seven, so a text with
    # no run of `shortest` digits has no phone number: most texts stop here.
    if not any(
        match.end() - match.start() >= shortest and sum(char.isdigit() for char in match.group()) >= shortest
        for match in _CANDIDATE_DIGITS.finditer(text)
    ):
        return found
    chars = list(text)
    for item in found:
        _mask(chars, item.start, item.end)
    masked = "".join(chars) if found else text
    lowered = masked.lower()
    if "http" in lowered or "www." in lowered:
        for match in _URL.finditer(masked):
            for number in _URL_NUMBER.finditer(match.group()):
                start, end = match.start() + number.start(1), match.start() + number.end(1)
                found.append(Found(start, end, "phone", text[start:end]))
            _mask(chars, match.start(), match.end())
        masked = "".join(chars)
    # Only digit runs long enough to be a number are looked at closely: what must stay is searched for
    # around them, not in the whole text.
    runs = [
        (match.start(), match.end())
        for match in _CANDIDATE.finditer(masked)
        if match.end() - match.start() >= shortest
        and sum(char.isdigit() for char in match.group()) >= shortest
    ]
    if not runs:
        found.sort(key=lambda item: item.start)
        return found
    unkept = masked  # e-mail and web addresses masked, dates, amounts and decimals not yet
    for start, end in runs:
        for match in _KEEP.finditer(masked, max(0, start - 1), min(len(masked), end + 12)):
            _mask(chars, match.start(), match.end())
        for match in _AMOUNT_NUMBER.finditer(masked, start, end):
            if _CURRENCY_BEFORE.search(
                masked, max(0, match.start() - 12), match.start()
            ) or _CURRENCY_AFTER.match(masked, match.end()):
                _mask(chars, match.start(), match.end())
    masked = "".join(chars)
    for run_start, run_end in runs:
        for match in _CANDIDATE.finditer(masked, run_start, run_end):
            start, end = _trim(masked, match.start(), match.end())
            if start < end and _is_phone(text, start, end, masked, region):
                found.append(Found(start, end, "phone", text[start:end]))
    # What was kept can still hold the start of a number with the rest of its run ("0.201 2000000"
    # is a decimal, then New Jersey's 201-200-0000): phonenumbers' matcher looks at each run that
    # was kept in part with what surrounds it, and whatever it finds there goes too.
    for run_start, run_end in runs:
        piece = masked[run_start:run_end]
        if "\x00" not in piece or not any(char.isdigit() for char in piece):
            continue
        window_start = max(0, run_start - WINDOW)
        for start, end in _matcher_spans(unkept[window_start : run_end + WINDOW], region):
            start, end = window_start + start, window_start + end
            if not any(item.start < end and start < item.end for item in found):
                found.append(Found(start, end, "phone", text[start:end]))
    found.sort(key=lambda item: item.start)
    return found


# How many characters on either side of a run of digits phonenumbers' matcher is shown.
WINDOW = 16


def _matcher_spans(text: str, region: str | None) -> list[tuple[int, int]]:
    if "\x00" in text:
        text = text.replace("\x00", " ")  # masked addresses are nobody's number
    try:
        return [
            (match.start, match.end) for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID)
        ]
    except Exception:  # noqa: BLE001 - a library bug must never stop a report from being saved
        return []


def _scrub_once(text: str, region: str | None, replacement: str) -> str:
    found = find_contacts(text, region)
    if not found:
        return text
    parts, position = [], 0
    for item in found:
        if item.start < position:
            continue
        parts.append(text[position : item.start])
        parts.append(replacement)
        position = item.end
    parts.append(text[position:])
    return "".join(parts)


def scrub_contacts(text: str, replacement: str = REPLACEMENT, *, region: str | None = None) -> str:
    """The text with every phone number and e-mail address replaced.

    `region` is the ISO 3166 country code whose local numbers people write without a country code
    (a map's country); without it, numbers are still found by their shape and context.
    """
    text = text or ""
    result = _scrub_once(text, region, replacement)
    # Removing a number can change what another one is next to; scrub until nothing changes, so that
    # scrubbing twice never differs from scrubbing once. Each round removes digits, so it ends.
    while result != text:
        text, result = result, _scrub_once(result, region, replacement)
    return result
