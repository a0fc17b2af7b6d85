"""Import Ushahidi CSV exports (v2 and v3) into a report map: in bulk, idempotent, every row accounted for.

One entry point, `import_reports(report_map, data, ...)`, reads the bytes of a file and returns an
`ImportSummary`: how many rows were imported, skipped as already imported, or rejected, and why,
row by row. The format is detected from the header:

- **Ushahidi v2** (`#,INCIDENT TITLE,INCIDENT DATE,LOCATION,DESCRIPTION,CATEGORY,LATITUDE,LONGITUDE,
  APPROVED,VERIFIED`), with or without `#`, with a `Serial` or `FORM #` column, `GEO PRECISION CODE`
  and `NEWS LINKS`. Dates are `m/d/yy H:MM` or `dd/mm/YYYY HH:MM`: the order is decided once per
  file (see `_DateReader`). Text is HTML-unescaped, because v2 stored it escaped (`&quot;`).
- **Ushahidi v3** (`Post ID, Survey, Post Status, Created (UTC), ...`, then survey fields), with an
  optional second header row of HXL tags. Locations are `<label>.lat` / `<label>.lon` column pairs.

Decisions, so that nothing valid is lost:
- A bad date rejects the row (a made-up date would put the report at the wrong place on the
  timeline); the row number and reason are reported, and the other rows are imported.
- Bad, out-of-range or half-given coordinates keep the report, *unlocated*, with a warning: the
  text of a crisis report matters more than its pin, and reviewers can geolocate it from the queue.
- Columns Samen has no field for are appended to the description as "Label: value" lines;
  metadata (original id, survey, source) goes into the audit line of the import.
- Each row's id becomes the report's `external_id` (`v2:<#>`, `v3:<Post ID>`); rows without an id
  get a key made from their title, date and coordinates. Importing the same file twice, or a later
  export of the same deployment, creates nothing new.
- Imported reports do not notify subscribers or webhooks: they are history, not news.
"""

from __future__ import annotations

import codecs
import copy
import csv
import hashlib
import html
import itertools
import json
import math
import operator
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from samen.core import spreadsheet

from .clustering import pause_counting, resume_counting
from .models import Category, Report, ReportChange, ReportMap, SourceLink

BATCH_SIZE = 1000
# The languages of the parts of a bilingual category name such as "1. Urgences | Emergency".
DEFAULT_LANGUAGES = ("fr", "en")
MAX_TITLE = 200
MAX_PLACE = 200
MAX_CONTACT = 255
MAX_EXTERNAL_ID = 100
SIX_PLACES = Decimal("0.000001")

# csv refuses fields over 128 KB by default; a description may be long, and a stray quote that
# swallows the rest of a file is reported as a format error rather than crashing.
csv.field_size_limit(4 * 1024 * 1024)


class CsvFormatError(ValueError):
    """The file as a whole cannot be read: not an Ushahidi export, or not CSV at all."""


# --- The summary -------------------------------------------------------------------------------------


class Outcome:
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    EMPTY = "empty"
    WARNING = "warning"  # imported, but something was left out or changed


@dataclass
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    outcome: str
    message: str


@dataclass
class ImportSummary:
    filename: str = ""
    format: str = ""
    encoding: str = ""
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    empty: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    categories_created: list[str] = field(default_factory=list)

    @property
    def accounted_for(self) -> int:
        return self.imported + self.duplicates + self.rejected + self.empty

    @property
    def warnings(self) -> int:
        return sum(1 for problem in self.problems if problem.outcome == Outcome.WARNING)

    def add(self, row: int, outcome: str, message: str) -> None:
        self.problems.append(RowProblem(row, outcome, message))

    def as_dict(self) -> dict:
        """For ImportJob.summary (JSON); `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ImportSummary:
        fields = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        fields["problems"] = [RowProblem(**problem) for problem in data.get("problems", [])]
        return cls(**fields)


# --- Decoding: UTF-8, or a legacy encoding, with mojibake repaired ----------------------------------

# Bytes that Windows-1252 leaves undefined. Old converters passed them through unchanged, so they
# survive a round through the "read as Windows-1252, write as Mac OS Roman" garbling below.
_CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


def _build_mac_layer_inverse() -> dict[int, tuple[int, ...]]:
    """Undo one layer of "UTF-8 bytes read as Windows-1252, then saved as Mac OS Roman".

    That layer is how the RNI exports garbled "’" (E2 80 99) into 89 DB AA. It maps byte to byte,
    so its inverse is a table; where two bytes land on one (9D is both itself and "ù"), both are
    kept as candidates and UTF-8 validity decides.
    """
    inverse: dict[int, list[int]] = {}
    for byte in range(0x80, 0x100):
        if byte in _CP1252_UNDEFINED:
            garbled = byte
        else:
            try:
                garbled = bytes([byte]).decode("cp1252").encode("mac_roman")[0]
            except UnicodeEncodeError:
                continue
        inverse.setdefault(garbled, []).append(byte)
    return {key: tuple(values) for key, values in inverse.items()}


_MAC_LAYER_INVERSE = _build_mac_layer_inverse()
_MAX_LAYERS = 3
_MAX_CANDIDATES = 64
_NON_ASCII_BYTES = re.compile(rb"[\x80-\xff]+")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def _unwrap(run: bytes) -> str | None:
    """The text a garbled byte run stood for, or None when no layering explains it.

    Valid UTF-8 is a strong check: random bytes rarely pass it, so a run that decodes after peeling
    zero to three layers is taken to be repaired.
    """
    candidates = [run]
    for _depth in range(_MAX_LAYERS + 1):
        for candidate in candidates:
            try:
                text = candidate.decode("utf-8")
            except UnicodeDecodeError:
                continue
            # A combining mark first would sit on the ASCII letter before the run: in these files
            # that is a coincidence of bytes (CC A9 is U+0329), not text.
            if not _CONTROL.search(text) and not unicodedata.combining(text[0]):
                return text
        peeled: list[bytes] = []
        for candidate in candidates:
            options = [_MAC_LAYER_INVERSE.get(byte, ()) for byte in candidate]
            if not all(options):
                continue
            for combination in itertools.islice(itertools.product(*options), _MAX_CANDIDATES):
                peeled.append(bytes(combination))
        candidates = peeled[:_MAX_CANDIDATES]
        if not candidates:
            return None
    return None


def _sloppy_cp1252(text: str) -> bytes | None:
    """Text back to the Windows-1252 bytes it was read from; C1 controls stand for themselves."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if 0x80 <= ord(char) <= 0x9F:
                out.append(ord(char))
            else:
                return None
    return bytes(out)


@dataclass
class Decoded:
    text: str
    encoding: str
    repaired: int = 0
    unsure: int = 0


def decode_bytes(data: bytes) -> Decoded:
    """Bytes to text: UTF-8 (with or without a BOM) when it is, else Mac OS Roman or Windows-1252.

    Either way, runs of mojibake ("â€™", "‰Ûª", "Ã©") are put right when one of the known
    garblings explains them exactly; anything else is kept as read.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_legacy(data)
    repaired = 0

    def repair(match: re.Match) -> str:
        nonlocal repaired
        raw = _sloppy_cp1252(match.group())
        fixed = _unwrap(raw) if raw is not None else None
        if fixed is None or len(fixed) >= len(match.group()):
            return match.group()
        repaired += 1
        return fixed

    text = _NON_ASCII_RUN.sub(repair, text)
    return Decoded(text, "UTF-8", repaired)


def _decode_legacy(data: bytes) -> Decoded:
    # Files whose lines end in CR alone were written on a classic Mac, in Mac OS Roman.
    mac = data.count(b"\r") > data.count(b"\n") and b"\r\n" not in data
    repaired = unsure = 0
    parts: list[str] = []
    position = 0
    for match in _NON_ASCII_BYTES.finditer(data):
        parts.append(data[position : match.start()].decode("ascii"))
        run = match.group()
        fixed = _unwrap(run)
        if fixed is not None:
            repaired += 1
        else:
            unsure += 1
            fixed = run.decode("mac_roman") if mac else "".join(_cp1252_char(byte) for byte in run)
        parts.append(fixed)
        position = match.end()
    parts.append(data[position:].decode("ascii"))
    return Decoded("".join(parts), "Mac OS Roman" if mac else "Windows-1252", repaired, unsure)


def _cp1252_char(byte: int) -> str:
    # Windows-1252, with latin-1 for the five bytes it leaves undefined.
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


# --- Dates -----------------------------------------------------------------------------------------

_SLASHED = re.compile(
    r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$"
)


class _DateReader:
    """Reads one file's dates, with the day/month order decided once for the whole file.

    v2 exports write `m/d/yy` or `dd/mm/YYYY`. A file is one or the other, so the order that reads
    more of its dates wins. When every date could be read either way (no day above 12), the year
    decides, as Ushahidi v2 writes them: two-digit years are month/day, four-digit years day/month.
    Rows that the chosen order cannot read are rejected with their date quoted.
    """

    def __init__(self, texts: Iterable[str], *, assume_utc: bool, zone: tzinfo):
        self.assume_utc = assume_utc
        self.zone = zone
        slashed = [m for m in (_SLASHED.match(t.strip()) for t in texts if t) if m]
        month_first = sum(1 for m in slashed if _valid(m, month_first=True))
        day_first = sum(1 for m in slashed if _valid(m, month_first=False))
        self.note = ""
        if not slashed:
            self.month_first = True
        elif month_first != day_first:
            self.month_first = month_first > day_first
            example = next(
                m
                for m in slashed
                if _valid(m, month_first=self.month_first) and not _valid(m, month_first=not self.month_first)
            )
            self.note = (
                _("Dates were read as month/day/year: “%(date)s” can only be read that way.")
                if self.month_first
                else _("Dates were read as day/month/year: “%(date)s” can only be read that way.")
            ) % {"date": example.group()}
        else:
            two_digit = sum(1 for m in slashed if len(m.group(3)) == 2)
            self.month_first = two_digit * 2 >= len(slashed)
            self.note = (
                _(
                    "Every date in this file could be read either way; they were read as month/day/year, "
                    "as Ushahidi v2 writes dates with two-digit years."
                )
                if self.month_first
                else _(
                    "Every date in this file could be read either way; they were read as day/month/year, "
                    "as Ushahidi v2 writes dates with four-digit years."
                )
            )

    def read(self, text: str) -> datetime | None:
        text = text.strip()
        match = _SLASHED.match(text)
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            month, day = (first, second) if self.month_first else (second, first)
            year = _year(match.group(3))
            hour, minute, second_, meridiem = match.group(4), match.group(5), match.group(6), match.group(7)
            return self._make(year, month, day, hour, minute, second_, meridiem, None)
        match = _ISO.match(text)
        if match:
            year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
            return self._make(
                year, month, day, match.group(4), match.group(5), match.group(6), None, match.group(7)
            )
        return None

    def _make(self, year, month, day, hour, minute, second, meridiem, zone) -> datetime | None:
        hours = int(hour) if hour else 0
        if meridiem:
            if not 1 <= hours <= 12:
                return None
            hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
        try:
            moment = datetime(year, month, day, hours, int(minute or 0), int(second or 0))
        except ValueError:
            return None
        try:
            if zone and zone not in ("Z", "UTC"):
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
                return (moment - timedelta(minutes=offset)).replace(tzinfo=UTC)
            if zone or self.assume_utc:
                return moment.replace(tzinfo=UTC)
            # Local time where the reports were made (Ushahidi v2 stored dates without a zone).
            return moment.replace(tzinfo=self.zone).astimezone(UTC)
        except OverflowError:  # the first or last day of year 1 or 9999, moved past the calendar's end
            return None


def _year(text: str) -> int:
    # The same pivot as strptime's %y: 69–99 are 1900s, 00–68 are 2000s.
    year = int(text)
    if len(text) == 2:
        year += 1900 if year >= 69 else 2000
    return year


def _valid(match: re.Match, *, month_first: bool) -> bool:
    first, second = int(match.group(1)), int(match.group(2))
    month, day = (first, second) if month_first else (second, first)
    try:
        date(_year(match.group(3)), month, day)
    except ValueError:
        return False
    return True


# --- Categories ------------------------------------------------------------------------------------

# "1. Urgences | Emergency", "1a. Highly vulnerable", "12b Food": Ushahidi v2 numbers top-level
# categories and letters their children, so "1a" is a child of "1".
_NUMBERED = re.compile(r"^(\d+)([a-z]?)[.)]?\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class _CategoryName:
    raw: str
    number: str
    letter: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, raw: str) -> _CategoryName:
        text = " ".join(raw.split())
        number = letter = ""
        match = _NUMBERED.match(text)
        if match:
            number, letter, text = match.group(1), match.group(2).lower(), match.group(3)
        parts = tuple(part.strip() for part in text.split("|") if part.strip())
        return cls(raw, number, letter, parts or (text,))


class _Categories:
    """Finds or creates the map's categories for the names in a file, once per name."""

    def __init__(self, report_map: ReportMap, languages: Sequence[str], names: Iterable[str]):
        self.report_map = report_map
        self.languages = [language.lower() for language in languages] or list(DEFAULT_LANGUAGES)
        self.created: list[str] = []
        self.by_raw: dict[str, Category] = {}
        self.parsed = {raw: _CategoryName.parse(raw) for raw in names}
        self.by_number = {
            name.number: name for name in self.parsed.values() if name.number and not name.letter
        }
        self.by_name: dict[str, Category] = {}
        # (parent id, title) → category, for Samen's own exports, which name the whole path.
        self.tree: dict[tuple[int | None, str], Category] = {}
        self.by_path: dict[str, Category | None] = {}
        for category in Category.objects.filter(report_map=report_map).order_by(
            "parent_id", "position", "pk"
        ):
            for name in [category.title, *(category.translations or {}).values()]:
                self.by_name.setdefault(name.casefold(), category)
            self.tree.setdefault((category.parent_id, category.title.casefold()), category)

    def get_path(self, path: list) -> Category | None:
        """The category at the end of a path of {"title", "translations", "colour", "position"}
        nodes from the root (the "Category tree" column of a Samen export), made where missing."""
        key = json.dumps(path, sort_keys=True)
        if key not in self.by_path:
            parent = None
            for node in path:
                title = " ".join(str(node.get("title") or "").split())[:120] if isinstance(node, dict) else ""
                if not title:
                    break
                parent = self._child(parent, title, node)
            self.by_path[key] = parent
        return self.by_path[key]

    def _child(self, parent: Category | None, title: str, node: dict) -> Category:
        given = node.get("translations")
        translations = {
            str(language)[:12]: " ".join(str(name).split())[:120]
            for language, name in (given.items() if isinstance(given, dict) else [])
            if str(name).strip()
        }
        existing = self.tree.get((parent.pk if parent else None, title.casefold()))
        if existing is not None:
            missing = {k: v for k, v in translations.items() if k not in (existing.translations or {})}
            if missing:
                existing.translations = {**(existing.translations or {}), **missing}
                existing.save(update_fields=["translations"])
            return existing
        colour = str(node.get("colour") or "")
        position = node.get("position")
        defaults = {
            "translations": translations,
            "position": position if isinstance(position, int) and 0 <= position < 2**31 else 0,
        }
        if re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            defaults["colour"] = colour
        category, created = Category.objects.get_or_create(
            report_map=self.report_map, parent=parent, title=title, defaults=defaults
        )
        if created:
            self.created.append(category.title)
        self.tree[(category.parent_id, title.casefold())] = category
        for name in [category.title, *translations.values()]:
            self.by_name.setdefault(name.casefold(), category)
        return category

    def get(self, raw: str) -> Category:
        category = self.by_raw.get(raw)
        if category is None:
            category = self.by_raw[raw] = self._resolve(self.parsed.get(raw) or _CategoryName.parse(raw))
        return category

    def _resolve(self, name: _CategoryName) -> Category:
        title, translations = self._names(name)
        for candidate in [title, *translations.values()]:
            existing = self.by_name.get(candidate.casefold())
            if existing is not None:
                # Fill in names the map lacks (never overwrite what a coordinator wrote).
                missing = {k: v for k, v in translations.items() if k not in (existing.translations or {})}
                if missing:
                    existing.translations = {**(existing.translations or {}), **missing}
                    existing.save(update_fields=["translations"])
                return existing
        parent = None
        if name.letter and name.number in self.by_number:
            parent = self.get(self.by_number[name.number].raw)
        position = (ord(name.letter) - ord("a") + 1) if name.letter else int(name.number or 0)
        category, created = Category.objects.get_or_create(
            report_map=self.report_map,
            parent=parent,
            title=title[:120],
            defaults={"translations": translations, "position": position},
        )
        if created:
            self.created.append(category.title)
        for candidate in [category.title, *translations.values()]:
            self.by_name.setdefault(candidate.casefold(), category)
        return category

    def _names(self, name: _CategoryName) -> tuple[str, dict[str, str]]:
        """The title (the English part, else the last) and the other parts by language."""
        if len(name.parts) == 1:
            return name.parts[0], {}
        languages = self.languages[: len(name.parts)]
        named = dict(zip(languages, name.parts, strict=False))
        title_language = (
            "en" if "en" in named else (languages[-1] if len(languages) == len(name.parts) else "")
        )
        title = named.get(title_language) or name.parts[-1]
        translations = {language: text for language, text in named.items() if text != title}
        return title, translations


def split_categories(text: str) -> list[str]:
    """ "1. Urgences | Emergency, 2. Vital lines, " → two names. v2 joins with ", ", v3 with ","."""
    seen: dict[str, None] = {}
    for part in text.split(","):
        name = " ".join(part.split())
        if name:
            seen.setdefault(name, None)
    return list(seen)


# --- Text: entities and links ---------------------------------------------------------------------

_ENTITY_NAME = r"(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
_ENTITY = re.compile("&" + _ENTITY_NAME)
_DOUBLED = re.compile("&amp;(?=" + _ENTITY_NAME + ")")


def unescape_v2(text: str) -> str:
    """Ushahidi v2's stored text back to what was typed: its HTML entities decoded, once.

    v2 escaped what people typed ("AT&T" became "AT&amp;T"), and some versions escaped it twice
    ("&amp;amp;"). A doubled escape is first folded into one, then each entity is decoded; only
    complete entities with their ";" count, so "AT&T" or "R&D&copy 2010" are left as written.
    """
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda match: html.unescape(match.group()), _DOUBLED.sub("&", text))


_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_LINK_SEPARATORS = re.compile(r"[\s,;|]+")
MAX_LINKS = 20
MAX_LINK = 1000
_validate_url = URLValidator(schemes=["http", "https"])


def split_links(text: str) -> tuple[list[str], str]:
    """The web addresses in a NEWS LINKS cell (one or many, however separated), and what else it says."""
    links: list[str] = []
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?)]}'")
        if len(url) > MAX_LINK or url in links:
            continue
        try:
            _validate_url(url)
        except ValidationError:
            continue
        links.append(url)
    rest = _LINK_SEPARATORS.sub(" ", _URL.sub(" ", text)).strip() if links else text.strip()
    return links[:MAX_LINKS], rest


# --- Reading rows ----------------------------------------------------------------------------------


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).upper()


@dataclass
class _Row:
    """One data row, in Samen's terms but still as text."""

    number: int
    external_id: str = ""
    title: str = ""
    description: str = ""
    place_name: str = ""
    date_text: str = ""
    latitude: str = ""
    longitude: str = ""
    categories: list[str] = field(default_factory=list)
    status: str = Report.Status.RECEIVED
    verified: str = ""
    precision: str = ""
    contact: str = ""
    extra: list[tuple[str, str]] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    # Samen's own exports: each category as its path from the root, the main category first.
    category_paths: list[list] | None = None
    # Samen's own exports: the report's address where it was exported from.
    samen_url: str = ""


YES = {"YES", "Y", "TRUE", "1", "T"}
NO = {"NO", "N", "FALSE", "0", "F", ""}

# GEO PRECISION CODE, as geocoders of aid data use it: 1 exact, 2 near (within 25 km), 3 district,
# 4 province, 5 along a line or estimated, 6 country, 7 unclear (capital), 8 estimated.
PRECISION_CODES = {
    "1": Report.Precision.EXACT,
    "2": Report.Precision.NEAR,
    "3": Report.Precision.PLACE,
    "4": Report.Precision.REGION,
    "5": Report.Precision.NEAR,
    "6": Report.Precision.REGION,
    "7": Report.Precision.REGION,
    "8": Report.Precision.NEAR,
}
V3_STATUSES = {
    "published": Report.Status.PUBLISHED,
    "draft": Report.Status.IN_REVIEW,
    "in review": Report.Status.IN_REVIEW,
    "review": Report.Status.IN_REVIEW,
    "archived": Report.Status.ARCHIVED,
}


# v3 columns that hold the web address a post came from (NEWS LINKS is v2's).
LINK_COLUMNS = ("SOURCE LINKS", "SOURCE URL", "SOURCE LINK", "URL", "LINK", "LINKS", "NEWS LINKS")


class _Format(ABC):
    name = ""
    assume_utc = False

    def __init__(self, header: list[str], hxl: list[str] | None = None, *, source: str = ""):
        # Ids are namespaced by the deployment they come from, when the coordinator names it.
        self.namespace = f"{source}:" if source else ""
        self.header = header
        self.keys = [_norm(cell) for cell in header]
        self.hxl = [" ".join(tag.split()).lower() for tag in (hxl or [])]

    def columns(self, *names: str) -> list[int]:
        wanted = set(names)
        return [i for i, key in enumerate(self.keys) if key in wanted]

    def tagged(self, *tags: str) -> list[int]:
        wanted = {tag.replace(" ", "") for tag in tags}
        return [i for i, tag in enumerate(self.hxl) if tag.replace(" ", "") in wanted]

    @staticmethod
    def first(cells: list[str], indexes: list[int]) -> str:
        for index in indexes:
            if index < len(cells) and cells[index].strip():
                return cells[index]
        return ""

    @abstractmethod
    def read(self, number: int, cells: list[str]) -> _Row:
        """One row of cells in Samen's terms; each format maps its own columns."""

    @abstractmethod
    def date_text(self, cells: list[str]) -> str:
        """The row's date as written: the first pass decides the file's date order from these."""

    @abstractmethod
    def category_names(self, cells: list[str]) -> list[str]:
        """The row's category names: the first pass needs every name to see which are parents."""


class _V2(_Format):
    name = "Ushahidi v2"
    KNOWN = {
        "#",
        "SERIAL",
        "FORM #",
        "INCIDENT TITLE",
        "INCIDENT DATE",
        "LOCATION",
        "DESCRIPTION",
        "CATEGORY",
        "LATITUDE",
        "LONGITUDE",
        "APPROVED",
        "VERIFIED",
        "GEO PRECISION CODE",
        "NEWS LINKS",
    }

    def __init__(self, header, hxl=None, *, source=""):
        super().__init__(header, hxl, source=source)
        self.id = self.columns("#") or self.columns("SERIAL")
        self.form = self.columns("FORM #")
        self.serial = self.columns("SERIAL") if self.columns("#") else []
        self.title = self.columns("INCIDENT TITLE")
        self.date = self.columns("INCIDENT DATE")
        self.location = self.columns("LOCATION")
        self.description = self.columns("DESCRIPTION")
        self.category = self.columns("CATEGORY")
        self.latitude = self.columns("LATITUDE")
        self.longitude = self.columns("LONGITUDE")
        self.approved = self.columns("APPROVED")
        self.verified = self.columns("VERIFIED")
        self.precision = self.columns("GEO PRECISION CODE")
        self.links = self.columns("NEWS LINKS")
        self.others = [i for i, key in enumerate(self.keys) if key not in self.KNOWN and key]

    def text(self, cells: list[str], indexes: list[int]) -> str:
        # v2 stored text HTML-escaped ("&quot;KNOW4DRR&quot;").
        return unescape_v2(self.first(cells, indexes)).strip()

    def date_text(self, cells):
        return self.first(cells, self.date)

    def category_names(self, cells):
        return split_categories(self.text(cells, self.category))

    def read(self, number, cells):
        text = lambda indexes: self.text(cells, indexes)  # noqa: E731 - reads as the column lists below
        row = _Row(number)
        identifier = self.first(cells, self.id).strip()
        if identifier:
            row.external_id = f"v2:{self.namespace}{identifier}"
            row.meta["original_id"] = identifier
        if self.form and self.first(cells, self.form).strip():
            row.meta["form"] = self.first(cells, self.form).strip()
        if self.serial and self.first(cells, self.serial).strip():
            row.meta["serial"] = self.first(cells, self.serial).strip()
        row.title = text(self.title)
        row.description = text(self.description)
        row.place_name = text(self.location)
        row.date_text = self.date_text(cells)
        row.latitude = self.first(cells, self.latitude)
        row.longitude = self.first(cells, self.longitude)
        row.categories = self.category_names(cells)
        if self.approved:
            approved = self.first(cells, self.approved).strip().upper()
            row.status = Report.Status.PUBLISHED if approved in YES else Report.Status.RECEIVED
        row.verified = self.first(cells, self.verified)
        row.precision = self.first(cells, self.precision).strip()
        links = text(self.links)
        if links:
            row.links, rest = split_links(links)
            if rest:
                row.extra.append((_("News links"), rest))
        for index in self.others:
            value = self.first(cells, [index]).strip()
            if value:
                row.extra.append((self.header[index].strip(), unescape_v2(value)))
        return row


class _V3(_Format):
    name = "Ushahidi v3"
    assume_utc = True
    IGNORED = {"SURVEY", "UPDATED (UTC)", "CONTACT ID", "DATA SOURCE ID", "SOURCE", "SETS"}

    def __init__(self, header, hxl=None, *, source=""):
        super().__init__(header, hxl, source=source)
        self.id = self.columns("POST ID")
        self.survey = self.columns("SURVEY")
        self.status = self.columns("POST STATUS")
        self.created = self.columns("CREATED (UTC)")
        self.post_date = self.columns("POST DATE (UTC)")
        self.contact = self.columns("CONTACT")
        self.source = self.columns("SOURCE")
        self.unstructured = self.columns("UNSTRUCTURED DESCRIPTION")
        self.title = self.columns("TITLE") or self.tagged("#event +name", "#meta +title")
        self.description = self.columns("DESCRIPTION") or self.tagged("#description")
        # Every survey has its own location field; a row fills the pair of its own survey.
        self.locations = [
            (i, self.keys.index(key[:-4] + ".LON"))
            for i, key in enumerate(self.keys)
            if key.endswith(".LAT") and key[:-4] + ".LON" in self.keys
        ]
        if not self.locations and self.tagged("#geo +lat") and self.tagged("#geo +lon"):
            self.locations = list(zip(self.tagged("#geo +lat"), self.tagged("#geo +lon"), strict=False))
        self.place = self.columns("PLACE", "PLACE NAME", "LOCATION NAME") or self.tagged("#loc +name", "#loc")
        self.precision = self.columns("PRECISION")
        self.categories = self.columns("CATEGORIES", "CATEGORY") or self.tagged("#event +type", "#sector")
        self.verified = self.columns("VERIFIED")
        self.links = self.columns(*LINK_COLUMNS) or self.tagged("#meta +url", "#meta +source +url")
        # Samen's own exports add these; with them, the file is read as Samen's.
        self.samen_url = self.columns("SAMEN URL")
        self.external = self.columns("EXTERNAL ID")
        self.tree = self.columns("CATEGORY TREE")
        if self.samen_url:
            self.name = "Samen"
        used = {
            *self.links,
            *self.samen_url,
            *self.external,
            *self.tree,
            *self.id,
            *self.status,
            *self.created,
            *self.post_date,
            *self.contact,
            *self.unstructured,
            *self.title,
            *self.description,
            *self.place,
            *self.precision,
            *self.categories,
            *self.verified,
            *itertools.chain.from_iterable(self.locations),
        }
        self.others = [
            i for i, key in enumerate(self.keys) if i not in used and key and key not in self.IGNORED
        ]

    def date_text(self, cells):
        return self.first(cells, self.post_date) or self.first(cells, self.created)

    def category_names(self, cells):
        return split_categories(
            ",".join(cells[i] for i in self.categories if i < len(cells) and cells[i].strip())
        )

    def read(self, number, cells):
        row = _Row(number)
        identifier = self.first(cells, self.id).strip()
        if identifier:
            row.external_id = f"v3:{self.namespace}{identifier}"
            row.meta["original_id"] = identifier
        if self.samen_url:
            row.samen_url = self.first(cells, self.samen_url).strip()
            # The id the report had where it was exported from travels with it, so that a later
            # import of the original file finds it; a report made there is known by its address.
            external = self.first(cells, self.external).strip()
            if external:
                row.external_id = external
            elif row.samen_url:
                row.external_id = f"samen:{row.samen_url}"
            tree = self.first(cells, self.tree).strip()
            if tree:
                row.category_paths = _read_tree(tree)
        for label, indexes in (
            ("survey", self.survey),
            ("original_source", self.source),
            ("created", self.created),
        ):
            value = self.first(cells, indexes).strip()
            if value:
                row.meta[label] = value
        status = self.first(cells, self.status).strip().lower()
        row.status = V3_STATUSES.get(status, Report.Status.RECEIVED)
        row.date_text = self.date_text(cells)
        row.contact = self.first(cells, self.contact).strip()
        row.title = self.first(cells, self.title).strip()
        row.description = (
            self.first(cells, self.description) or self.first(cells, self.unstructured)
        ).strip()
        for lat, lon in self.locations:
            if self.first(cells, [lat]).strip() or self.first(cells, [lon]).strip():
                row.latitude, row.longitude = self.first(cells, [lat]), self.first(cells, [lon])
                break
        row.place_name = self.first(cells, self.place).strip()
        row.precision = self.first(cells, self.precision).strip()
        row.categories = self.category_names(cells)
        row.verified = self.first(cells, self.verified)
        for index in self.links:
            value = self.first(cells, [index]).strip()
            if value:
                links, rest = split_links(value)
                row.links += [link for link in links if link not in row.links]
                if rest:
                    row.extra.append((self.header[index].strip(), rest))
        for index in self.others:
            value = self.first(cells, [index]).strip()
            if value:
                row.extra.append((self.header[index].strip(), value))
        return row


def _read_tree(text: str) -> list[list] | None:
    """The "Category tree" cell: a JSON list of paths, each a list of nodes from the root."""
    try:
        paths = json.loads(text)
    except ValueError:
        return None
    if not isinstance(paths, list) or not all(
        isinstance(path, list) and path and all(isinstance(node, dict) for node in path) for path in paths
    ):
        return None
    return paths


def _detect(header: list[str]) -> type[_Format]:
    keys = {_norm(cell) for cell in header}
    if "INCIDENT TITLE" in keys and "INCIDENT DATE" in keys:
        return _V2
    if "POST ID" in keys and keys & {"POST STATUS", "POST DATE (UTC)", "CREATED (UTC)"}:
        return _V3
    raise CsvFormatError(
        _(
            "This is not an Ushahidi export: its first row should name the columns, such as "
            "“#,INCIDENT TITLE,INCIDENT DATE,…” (Ushahidi v2) or “Post ID,Survey,Post Status,…” (Ushahidi v3)."
        )
    )


def _is_hxl_row(cells: list[str]) -> bool:
    filled = [cell.strip() for cell in cells if cell.strip()]
    return bool(filled) and all(cell.startswith("#") for cell in filled)


def _clean(value: str) -> str:
    # PostgreSQL refuses NUL in text; line ends inside a field become "\n" whatever the file used.
    return value.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


# --- Turning rows into reports ---------------------------------------------------------------------


@dataclass
class _Candidate:
    row: _Row
    report: Report
    categories: list[str]
    chosen: list[Category] = field(default_factory=list)


def _parse_coordinate(text: str, limit: int) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) > limit:
        return None
    return value.quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN)


def _location(row: _Row, summary: ImportSummary) -> tuple[Decimal | None, Decimal | None]:
    lat_text, lon_text = row.latitude.strip(), row.longitude.strip()
    if not lat_text and not lon_text:
        return None, None
    if not lat_text or not lon_text:
        summary.add(
            row.number,
            Outcome.WARNING,
            _("Only one of latitude and longitude is given: imported without a location."),
        )
        return None, None
    latitude, longitude = _parse_coordinate(lat_text, 90), _parse_coordinate(lon_text, 180)
    if latitude is None:
        summary.add(
            row.number,
            Outcome.WARNING,
            _("Latitude “%(value)s” is not a number between -90 and 90: imported without a location.")
            % {"value": lat_text[:40]},
        )
        return None, None
    if longitude is None:
        summary.add(
            row.number,
            Outcome.WARNING,
            _("Longitude “%(value)s” is not a number between -180 and 180: imported without a location.")
            % {"value": lon_text[:40]},
        )
        return None, None
    if latitude == 0 and longitude == 0:
        summary.add(
            row.number,
            Outcome.WARNING,
            _(
                "Latitude and longitude are both 0, which Ushahidi used for “no location”: imported without a location."
            ),
        )
        return None, None
    return latitude, longitude


def _row_key(row: _Row, event_at: datetime) -> str:
    """An id for rows that carry none: the same title, time and coordinates are the same report.

    The description is left out on purpose: two exports of one deployment garble it differently.
    """
    coordinates = []
    for text, limit in ((row.latitude, 90), (row.longitude, 180)):
        value = _parse_coordinate(text, limit) if text.strip() else None
        coordinates.append(str(value.normalize()) if value is not None else text.strip())
    basis = "\n".join([" ".join(row.title.casefold().split()), event_at.isoformat(), *coordinates])
    return "row:" + hashlib.sha256(basis.encode()).hexdigest()[:40]


_templates: dict[tuple, Report] = {}


def _new_report(actor, now: datetime, **values) -> Report:
    """A Report with these values: a copy of a blank one made once per import.

    Model.__init__ resolves every field's default and descriptor; for 100,000 rows that is a fifth
    of the import. A copy of a ready instance (Model.__reduce__ copies its state) then takes the
    row's values, set by attribute name as __init__ would.
    """
    key = (actor.pk if actor is not None else None, now)
    template = _templates.get(key)
    if template is None:
        _templates.clear()
        template = _templates[key] = Report(
            source=Report.Source.IMPORT, created_by=actor, created_at=now, updated_at=now
        )
    # What copy.copy does through Model.__reduce__ and __setstate__, without pickling's detours: the
    # instance's attributes, and its own ModelState with its own cache of related objects.
    report = Report.__new__(Report)
    state = template.__dict__.copy()
    model_state = state["_state"] = copy.copy(template._state)
    model_state.fields_cache = template._state.fields_cache.copy()
    state.update(values)
    report.__dict__ = state
    return report


@dataclass(frozen=True)
class _Area:
    """The map's area (ReportMap.area_km): a circle around the map centre."""

    latitude: float
    longitude: float
    radius_km: float

    @classmethod
    def of(cls, report_map: ReportMap) -> _Area | None:
        radius = report_map.area_km
        if radius is None:
            return None
        return cls(float(report_map.default_latitude), float(report_map.default_longitude), radius)

    def distance_km(self, latitude: Decimal, longitude: Decimal) -> float:
        # Haversine, on a sphere of the Earth's mean radius: ample for "is it on this map at all".
        lat1, lat2 = math.radians(self.latitude), math.radians(float(latitude))
        dlat, dlon = lat2 - lat1, math.radians(float(longitude) - self.longitude)
        a = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def _build(
    row: _Row,
    dates: _DateReader,
    summary: ImportSummary,
    now: datetime,
    actor,
    area: _Area | None = None,
) -> _Candidate | None:
    title, description = row.title, row.description
    if not title and not description:
        summary.add(row.number, Outcome.REJECTED, _("The row has neither a title nor a description."))
        return None
    if not row.date_text.strip():
        summary.add(row.number, Outcome.REJECTED, _("The row has no date."))
        return None
    event_at = dates.read(row.date_text)
    if event_at is None:
        summary.add(
            row.number,
            Outcome.REJECTED,
            _("The date “%(value)s” cannot be read (expected for example %(example)s).")
            % {
                "value": row.date_text.strip()[:40],
                "example": "7/13/15 12:12" if dates.month_first else "13/07/2015 12:12",
            },
        )
        return None
    if not title:
        first_line = description.strip().splitlines()[0]
        title = first_line if len(first_line) <= 80 else first_line[:79].rstrip() + "…"
    if len(title) > MAX_TITLE:
        summary.add(
            row.number,
            Outcome.WARNING,
            _("The title was shortened to %(n)d characters; the whole title starts the description.")
            % {"n": MAX_TITLE},
        )
        description = f"{title}\n\n{description}".strip()
        title = title[: MAX_TITLE - 1].rstrip() + "…"
    if row.extra:
        description = "\n\n".join(
            part
            for part in [description, "\n".join(f"{label}: {value}" for label, value in row.extra)]
            if part
        )
    place_name = row.place_name
    if len(place_name) > MAX_PLACE:
        summary.add(
            row.number,
            Outcome.WARNING,
            _("The place name was shortened to %(n)d characters.") % {"n": MAX_PLACE},
        )
        place_name = place_name[: MAX_PLACE - 1] + "…"
    contact = row.contact
    if len(contact) > MAX_CONTACT:
        summary.add(row.number, Outcome.WARNING, _("The contact was too long and was left out."))
        contact = ""
    latitude, longitude = _location(row, summary)
    precision = Report.Precision.EXACT
    if row.precision:
        code = row.precision.strip().lower()
        if code in PRECISION_CODES:
            precision = PRECISION_CODES[code]
        elif code in Report.Precision.values:
            precision = Report.Precision(code)
        else:
            summary.add(
                row.number,
                Outcome.WARNING,
                _("Unknown location precision “%(value)s”: kept as an exact point.")
                % {"value": row.precision[:20]},
            )
    verified_text = row.verified.strip().upper()
    if verified_text not in YES | NO:
        summary.add(
            row.number,
            Outcome.WARNING,
            _("“%(value)s” is not YES or NO: read as not verified.") % {"value": row.verified[:20]},
        )
    external_id = row.external_id or _row_key(row, event_at)
    if len(external_id) > MAX_EXTERNAL_ID:
        external_id = external_id[:3] + "#" + hashlib.sha256(external_id.encode()).hexdigest()[:40]
    status = row.status
    if area is not None and latitude is not None and longitude is not None:
        distance = area.distance_km(latitude, longitude)
        if distance > area.radius_km:
            status = Report.Status.RECEIVED if status == Report.Status.PUBLISHED else status
            summary.add(
                row.number,
                Outcome.WARNING,
                _(
                    "The place is %(distance)s km from the map centre, outside the map's area "
                    "(%(radius)s km): kept unpublished, for a reviewer to check."
                )
                % {"distance": f"{distance:,.0f}", "radius": f"{area.radius_km:,.0f}"},
            )
    published = status == Report.Status.PUBLISHED
    report = _new_report(
        actor,
        now,
        title=title,
        description=description,
        place_name=place_name,
        latitude=latitude,
        longitude=longitude,
        location_precision=precision,
        event_at=event_at,
        status=status,
        verified=verified_text in YES,
        reporter_contact=contact,
        external_id=external_id,
        published_at=now if published else None,
    )
    return _Candidate(row, report, row.categories)


# --- The import ------------------------------------------------------------------------------------

# A load this big pauses the map's cluster counting and rebuilds it once at the end
# (clustering.pause_counting): per-row triggers cost more than one rebuild of the map...
PAUSE_MIN_ROWS = 500
# ...unless the map already holds far more reports than the file brings, since a rebuild counts them all.
PAUSE_MAP_FACTOR = 4


def _lines(text: str) -> Iterator[str]:
    """The lines of cleaned text, each with its "\n", as slices made one at a time.

    io.StringIO would copy the whole text into a buffer of four bytes a character: 140 MB for a
    35 MB file, twice per import.
    """
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


@dataclass
class CsvFile:
    """A decoded file, split into its header and the number of data rows, ready to be read twice."""

    text: str
    kind: type[_Format]
    header: list[str]
    hxl: list[str] | None
    rows: int

    @property
    def written_by_samen(self) -> bool:
        """Samen's own export (it has the "Samen URL" column): its text cells were neutralised."""
        return "SAMEN URL" in {_norm(cell) for cell in self.header}

    def numbered_rows(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(_lines(self.text))
        next(reader, None)
        restore = self.written_by_samen
        for number, cells in enumerate(reader, start=2):
            if number == 2 and self.hxl is not None:
                continue
            # Samen wrote `'=…` for a text starting with =; read back, it is that text again.
            yield number, [spreadsheet.restore(cell) for cell in cells] if restore else cells


def read_file(text: str) -> CsvFile:
    """Check the whole file once (format, header, HXL row, valid CSV) and count its rows.

    `text` has been through `_clean` already: no NUL, and "\n" for every line end.

    The rows themselves are read again, one at a time, by `CsvFile.numbered_rows`: a 100,000-row
    file is never held as a list of rows.
    """
    reader = csv.reader(_lines(text))
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise CsvFormatError(_("The file is empty."))
        kind = _detect(header)
        hxl = None
        rows = 0
        for number, cells in enumerate(reader, start=2):
            if number == 2 and _is_hxl_row(cells):
                hxl = cells
                continue
            rows += 1
    except csv.Error as error:
        raise CsvFormatError(
            _("The file is not valid CSV near row %(row)d (%(error)s); nothing was imported.")
            % {"row": reader.line_num, "error": error}
        ) from error
    return CsvFile(text, kind, header, hxl, rows)


def check_file(data: bytes) -> CsvFile:
    """Raise CsvFormatError now if the bytes are not an export this importer reads."""
    return read_file(_clean(decode_bytes(data).text))


def read_rows(text: str) -> tuple[type[_Format], list[str], list[str] | None, list[tuple[int, list[str]]]]:
    """The header, the optional HXL row and every numbered data row, as lists (for small files)."""
    file = read_file(_clean(text))
    return file.kind, file.header, file.hxl, list(file.numbered_rows())


def clean_source(text: str) -> str:
    """A source deployment's name as an id namespace: "https://Haiti.Ushahidi.com/" → "haiti.ushahidi.com"."""
    text = re.sub(r"^[a-z]+://", "", text.strip().lower()).strip("/")
    return re.sub(r"[^a-z0-9._/-]+", "-", text)[:40]


def zone_for(report_map: ReportMap, name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or report_map.zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CsvFormatError(
            _("“%(zone)s” is not a time zone such as Africa/Nairobi.") % {"zone": name}
        ) from None


def import_reports(
    report_map: ReportMap,
    data: bytes,
    *,
    filename: str = "",
    actor=None,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    time_zone: str | None = None,
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
    pause: bool | None = None,
) -> ImportSummary:
    """Import an Ushahidi v2 or v3 CSV export, or Samen's own, into `report_map`. Safe to run again.

    `time_zone` is where dates without a zone were written (Ushahidi v2's); by default the map's.
    `source` names the deployment the file comes from: ids from different deployments never clash.
    `progress(done, total)` is called after each batch (and once at the start with done=0).
    `pause` pauses the map's cluster counting for the load and rebuilds it once at the end; by
    default it does so when the file is large next to the map.

    Each batch of rows is committed on its own, so a crash keeps what was done, and running the
    import again skips those rows and finishes the rest. Raises CsvFormatError when the file as a
    whole cannot be read; problems with single rows are in the summary instead.
    """
    zone = zone_for(report_map, time_zone)
    decoded = decode_bytes(data)
    # Only the cleaned text is kept: pass the bytes without keeping them, and a 35 MB file is held once.
    del data
    text, decoded.text = _clean(decoded.text), ""
    file = read_file(text)
    del text
    fmt = file.kind(file.header, file.hxl, source=clean_source(source))
    summary = ImportSummary(filename=filename, format=fmt.name, encoding=decoded.encoding, rows=file.rows)
    if decoded.encoding != "UTF-8":
        summary.notes.append(
            _("The file is not UTF-8; it was read as %(encoding)s.") % {"encoding": decoded.encoding}
        )
    if decoded.repaired:
        summary.notes.append(
            _("%(n)d garbled characters (such as “â€™” for “’”) were repaired.") % {"n": decoded.repaired}
        )
    if decoded.unsure:
        summary.notes.append(
            _("%(n)d characters could not be decoded for certain and were read as %(encoding)s.")
            % {"n": decoded.unsure, "encoding": decoded.encoding}
        )
    if file.hxl is not None:
        summary.notes.append(_("Row 2 holds HXL tags, not a report."))
    if isinstance(fmt, _V2) and not fmt.approved:
        summary.notes.append(_("The file has no APPROVED column: its reports wait in the review queue."))
    if not fmt.assume_utc:
        summary.notes.append(_("Dates were read as local time in %(zone)s.") % {"zone": zone.key})

    # First pass: the date order and the category names need the whole file.
    date_texts: list[str] = []
    names: set[str] = set()
    for _number, cells in file.numbered_rows():
        date_texts.append(fmt.date_text(cells))
        names.update(fmt.category_names(cells))
    dates = _DateReader(date_texts, assume_utc=fmt.assume_utc, zone=zone)
    del date_texts
    if dates.note:
        summary.notes.append(dates.note)

    categories = _Categories(report_map, languages, names)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    area = _Area.of(report_map)
    now = timezone.now()
    if progress:
        progress(0, summary.rows)
    if pause is None:
        pause = file.rows >= PAUSE_MIN_ROWS and file.rows * PAUSE_MAP_FACTOR >= (
            Report.objects.filter(report_map=report_map).count()
        )
    if pause:
        pause_counting(report_map)
    # Into a map with no imported reports yet, no row can be there already: the batches skip the
    # look-up (another import of the same rows at the same time makes an insert fail, and that
    # batch looks them up).
    look_up = Report.objects.filter(report_map=report_map, source=Report.Source.IMPORT).exists()
    try:
        seen: dict[str, int] = {}
        done = 0
        for batch in itertools.batched(file.numbered_rows(), BATCH_SIZE):
            candidates = []
            for number, cells in batch:
                if not any(cell.strip() for cell in cells):
                    summary.empty += 1
                    summary.add(number, Outcome.EMPTY, _("The row is empty."))
                    continue
                row = fmt.read(number, cells)
                candidate = _build(row, dates, summary, now, actor, area)
                if candidate is None:
                    summary.rejected += 1
                    continue
                key = candidate.report.external_id
                if key in seen:
                    summary.duplicates += 1
                    summary.add(
                        row.number,
                        Outcome.DUPLICATE,
                        _("The same report as row %(row)d of this file.") % {"row": seen[key]},
                    )
                    continue
                seen[key] = row.number
                candidates.append(candidate)
            _save_batch(report_map, candidates, categories, summary, filename, actor, look_up=look_up)
            done += len(batch)
            if progress:
                progress(done, summary.rows)
    finally:
        if pause:
            resume_counting(report_map)
    if progress and not summary.rows:
        progress(0, 0)
    summary.categories_created = categories.created
    summary.problems.sort(key=lambda problem: problem.row)
    return summary


def _save_batch(
    report_map: ReportMap,
    candidates: list[_Candidate],
    categories: _Categories,
    summary: ImportSummary,
    filename: str,
    actor,
    *,
    look_up: bool = True,
) -> None:
    """Store one batch in one transaction; rows already on the map are counted, not stored again.

    `look_up=False` skips looking for rows imported before (the map had none), unless an insert
    fails because another import stored some of the rows meanwhile."""
    # Categories are found or created first, outside the batch's transaction: a batch that is
    # rolled back and retried must not be left pointing at categories that were rolled back too.
    for candidate in candidates:
        paths = candidate.row.category_paths
        chosen = (
            [categories.get_path(path) for path in paths]
            if paths is not None
            else [categories.get(name) for name in candidate.categories]
        )
        candidate.chosen = list(
            {category.pk: category for category in chosen if category is not None}.values()
        )
    on_map = _already_on_map(report_map, candidates)
    for attempt in range(2):
        existing = on_map.copy()
        if look_up or attempt:
            existing |= _already_imported(
                report_map, [candidate.report.external_id for candidate in candidates]
            )
        fresh = [candidate for candidate in candidates if candidate.report.external_id not in existing]
        try:
            with transaction.atomic():
                _insert(report_map, fresh, filename, actor)
        except IntegrityError:
            # Another import of the same rows committed between the look-up and the insert; the
            # next look-up sees its rows. A second failure is a real error.
            if attempt:
                raise
            continue
        break
    for candidate in candidates:
        key = candidate.report.external_id
        if key in on_map:
            summary.duplicates += 1
            summary.add(candidate.row.number, Outcome.DUPLICATE, _("Exported from this map: skipped."))
        elif key in existing:
            summary.duplicates += 1
            summary.add(candidate.row.number, Outcome.DUPLICATE, _("Already imported: skipped."))
    summary.imported += len(fresh)


def _already_imported(report_map: ReportMap, external_ids: list[str]) -> set[str]:
    return set(
        Report.objects.filter(
            report_map=report_map, source=Report.Source.IMPORT, external_id__in=external_ids
        ).values_list("external_id", flat=True)
    )


def _already_on_map(report_map: ReportMap, candidates: list[_Candidate]) -> set[str]:
    """The rows of a Samen export that are this map's own reports (their address says so)."""
    if not any(candidate.row.samen_url for candidate in candidates):
        return set()
    marker = "987654321"
    own = re.compile(
        re.escape(settings.SITE_URL + reverse("reports:detail", args=[report_map.slug, marker])).replace(
            marker, r"(\d{1,18})"
        )
        + "$"
    )
    by_pk: dict[int, str] = {}
    for candidate in candidates:
        match = own.match(candidate.row.samen_url) if candidate.row.samen_url else None
        if match:
            by_pk[int(match.group(1))] = candidate.report.external_id
    if not by_pk:
        return set()
    found = Report.objects.filter(report_map=report_map, pk__in=list(by_pk)).values_list("pk", flat=True)
    return {by_pk[pk] for pk in found}


def _insert(report_map: ReportMap, fresh: list[_Candidate], filename: str, actor) -> None:
    if not fresh:
        return
    for candidate in fresh:
        report = candidate.report
        report.report_map = report_map
        report.pk = None
        report.primary_category = candidate.chosen[0] if candidate.chosen else None
        report.prepare()
    # Every imported row has an external id unique on the map: the ids come back with them.
    ids = dict(insert_rows(Report, [candidate.report for candidate in fresh], returning="external_id"))
    for candidate in fresh:
        candidate.report.pk = ids[candidate.report.external_id]
    insert_rows(
        Report.categories.through,
        [
            SimpleNamespace(report_id=candidate.report.pk, category_id=category.pk)
            for candidate in fresh
            for category in candidate.chosen
        ],
    )
    insert_rows(
        SourceLink,
        [
            SimpleNamespace(report_id=candidate.report.pk, url=url, position=position)
            for candidate in fresh
            for position, url in enumerate(candidate.row.links)
        ],
    )
    actor_id = actor.pk if actor is not None else None
    insert_rows(
        ReportChange,
        [
            SimpleNamespace(
                report_id=candidate.report.pk,
                actor_id=actor_id,
                at=candidate.report.created_at,
                action="imported",
                changes={
                    "source": [None, Report.Source.IMPORT],
                    "file": [None, filename],
                    "row": [None, str(candidate.row.number)],
                    **{key: [None, value] for key, value in candidate.row.meta.items()},
                },
            )
            for candidate in fresh
        ],
    )


# Field types whose Python values the database drivers take as they are.
_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "EmailField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
        "URLField",
    }
)


def insert_rows(model, objects: Sequence, *, returning: str | None = None) -> list[tuple[Any, int]]:
    """INSERT objects' columns with one executemany(): bulk_create without its per-value machinery.

    bulk_create spends most of an import's time building one SQL statement per batch, value by
    value; here the statement is made once per table and each value is converted only when its
    type needs it (dates, decimals, JSON). `objects` are model instances or anything with the
    same attributes (the `attname` of every concrete column but the primary key). No signals are
    sent.

    With `returning` (a column that is unique among the objects), the rows go in as multi-row
    INSERTs instead, and (that column's value, new id) pairs come back, in no particular order:
    neither database promises the order of RETURNING.
    """
    if not objects:
        return []
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs a look-up per use
    columns = [column for column in model._meta.concrete_fields if not column.primary_key]
    quote = db.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 - table and column names from the model
        quote(model._meta.db_table), ", ".join(quote(column.column) for column in columns)
    )
    row = "({})".format(", ".join(["%s"] * len(columns)))
    readers = [_reader(column, db) for column in columns]
    returned: list[tuple[Any, int]] = []
    with db.cursor() as cursor:
        if returning is None:
            for start in range(0, len(objects), BATCH_SIZE):
                chunk = objects[start : start + BATCH_SIZE]
                cursor.executemany(head + row, [[read(obj) for read in readers] for obj in chunk])
            return returned
        # SQLite takes at most 32,766 values in one statement.
        size = max(1, 32_000 // len(columns))
        tail = f" RETURNING {quote(model._meta.get_field(returning).column)}, {quote(model._meta.pk.column)}"
        for start in range(0, len(objects), size):
            chunk = objects[start : start + size]
            values = [read(obj) for obj in chunk for read in readers]
            cursor.execute(head + ", ".join([row] * len(chunk)) + tail, values)
            returned.extend(cursor.fetchall())
    return returned


def _reader(column, db) -> Callable:
    """How to get one column's database value from an object."""
    if getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False):
        return lambda obj: column.get_db_prep_save(column.pre_save(obj, True), db)
    kind = column.get_internal_type()
    if kind in _PLAIN_TYPES:
        return operator.attrgetter(column.attname)
    if kind == "DateTimeField" and db.vendor == "sqlite":
        # What the SQLite backend stores (adapt_datetimefield_value): naive UTC, as str() writes it.
        seen: dict[datetime, str] = {}

        def utc_text(obj):
            value = getattr(obj, column.attname)
            if value is None:
                return None
            text = seen.get(value)
            if text is None:
                # Most values are the import's one "now": each is converted once.
                text = seen[value] = str(value.astimezone(UTC).replace(tzinfo=None))
                if len(seen) > 10_000:
                    seen.clear()
            return text

        return utc_text
    return lambda obj: column.get_db_prep_save(getattr(obj, column.attname), db)
