"""CSV that spreadsheets open safely: the one writer behind every CSV file Samen hands out.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (and some do the same
after a tab or a line end), so a report titled `=HYPERLINK("http://…")` would become a live link in
a coordinator's spreadsheet (OWASP "CSV injection"). Every text cell that starts so is written with
a single quote in front, which spreadsheets read as "this is text":

- Numbers stay numbers. A cell given as a number (int, Decimal, float; amounts, counts, ids,
  coordinates) is written as it is, negative or not, so a column of figures still adds up. Only
  text is neutralised: build numeric columns from numbers, not from strings.
- Phone numbers are text. "+509 3639 2029" is written as `'+509 3639 2029`: every digit, the
  space and the plus stay, and the quote keeps spreadsheets from reading it as the sum
  509 + 3639 … or as the number 50936392029 (which drops the plus and, for a leading 0, the zero).
- A text that itself starts with a quote followed by one of those signs (or by another quote) gets
  one more quote, so that `restore` gives back exactly what was written: the reports importer reads
  Samen's own exports back through it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

QUOTE = "'"
# OWASP's list (= + - @ tab, carriage return), and the line feed, which some spreadsheets treat as
# the carriage return it replaces.
FORMULA_STARTS = frozenset("=+-@\t\r\n")


def neutralise(text: str) -> str:
    """The text as a cell that no spreadsheet runs; `restore` undoes it exactly."""
    if text[:1] in FORMULA_STARTS or (text[:1] == QUOTE and text[1:2] in FORMULA_STARTS | {QUOTE}):
        return QUOTE + text
    return text


def restore(text: str) -> str:
    """The text `neutralise` was given: one leading quote off, only where `neutralise` put one."""
    if text[:1] == QUOTE and text[1:2] in FORMULA_STARTS | {QUOTE}:
        return text[1:]
    return text


def cell(value: object) -> object:
    """A value ready for csv.writer: numbers as they are, None as empty, anything else as safe text."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):  # bool too: True/False start with a letter
        return value
    return neutralise(str(value))


class _Echo:
    """A file-like object for csv.writer that hands back the line it was given."""

    def write(self, value: str) -> str:
        return value


class Writer:
    """Like csv.writer, but `writerow` returns the line, and every text cell is neutralised."""

    def __init__(self, **fmtparams) -> None:
        self._writer = csv.writer(_Echo(), **fmtparams)

    def writerow(self, row: Iterable[object]) -> str:
        return self._writer.writerow([cell(value) for value in row])


def lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one safe CSV line, for a StreamingHttpResponse."""
    writer = Writer()
    for row in rows:
        yield writer.writerow(row)
