"""Formula-safe CSV: text that a spreadsheet would run is neutralised, numbers stay numbers, and the
neutralising comes off again exactly."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from samen.core.spreadsheet import Writer, cell, lines, neutralise, restore

SAMEN = Path(__file__).resolve().parents[2]


def test_text_that_a_spreadsheet_would_run_gets_a_quote():
    assert (
        neutralise('=HYPERLINK("http://evil.example","Click")')
        == '\'=HYPERLINK("http://evil.example","Click")'
    )
    assert neutralise("@SUM(A1:A9)") == "'@SUM(A1:A9)"
    assert neutralise("+1+1") == "'+1+1"
    assert neutralise("-2+3") == "'-2+3"
    assert neutralise("\t=1") == "'\t=1"
    assert neutralise("\r=1") == "'\r=1"
    assert neutralise("Kibera, near the school") == "Kibera, near the school"
    assert neutralise("") == ""


def test_a_phone_number_stays_readable_text():
    assert neutralise("+509 3639 2029") == "'+509 3639 2029"
    assert restore("'+509 3639 2029") == "+509 3639 2029"


def test_a_text_that_starts_with_a_quote_is_kept_apart_from_a_neutralised_one():
    assert neutralise("'=1") == "''=1"
    assert neutralise("''") == "'''"
    assert neutralise("'tis the season") == "'tis the season"
    assert restore("'tis the season") == "'tis the season"
    assert restore("'") == "'"


@given(st.text(max_size=12) | st.text(alphabet="'=+-@\t\r\nab", max_size=8))
def test_restore_gives_back_exactly_what_was_neutralised(text):
    safe = neutralise(text)
    assert restore(safe) == text
    assert safe[:1] not in {"=", "+", "-", "@", "\t", "\r", "\n"}


def test_numbers_stay_numbers_and_text_is_neutralised():
    assert cell(-72.3) == -72.3
    assert cell(Decimal("-1.313000")) == Decimal("-1.313000")
    assert cell(-5) == -5
    assert cell(True) is True
    assert cell(None) == ""
    assert cell("-5") == "'-5"  # text that looks like a number is still text


def test_the_writer_writes_csv_lines():
    line = Writer().writerow([12, Decimal("-1.5"), "=1+1", 'say "hi"', None])
    assert line == '12,-1.5,\'=1+1,"say ""hi""",\r\n'
    rows = list(csv.reader(io.StringIO("".join(lines([["a"], ["@b", -3]])))))
    assert rows == [["a"], ["'@b", "-3"]]


def test_every_csv_samen_writes_goes_through_the_safe_writer():
    """A new export must use core.spreadsheet: a bare csv.writer would let formulas through."""
    offenders = []
    for path in SAMEN.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "spreadsheet.py":
            continue
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()):
            offenders.append(str(path.relative_to(SAMEN)))
    assert offenders == []
