"""The scrubber on a real Ushahidi export: the two RNI files (tests/data/README.md, unmodified copies of
../shared/data/ushahidi-rni/, CC BY 4.0, "RNI-Activity-Map" by Shadrock Roberts).

The check, for every title, description and location in both files, scrubbed with the country around the
report's coordinates (as a map there would have it):

- no phone-number-like string shows: phonenumbers' PhoneNumberMatcher (leniency POSSIBLE, the loosest
  that still parses) finds no number of that country, and no "+" or "00" is followed by seven or more
  digits in phone-number groups (coordinates, which the loosest matcher reads as numbers, aside);
- nothing else is lost: the files hold no phone number or e-mail address, so the scrubbed text is the
  text, dates ("7/13/15"), amounts ("$20k"), counts ("188,679") and addresses (URLs with dates) included;
- timestamps and coordinates survive: each report written the way Ushahidi's SMS deployments wrote them
  ("Time: 2015-10-25 15:00:00 | latitude: 40.002863 | longitude: -105.263099 | ...") keeps all three,
  while a phone number of the country added to it goes.
"""

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import Leniency, PhoneNumberMatcher

from samen.core.countries import country_at
from samen.core.scrub import scrub_contacts
from samen.reports.csv_import import import_reports
from samen.reports.models import Report

DATA = Path(__file__).parent / "data"
FILES = ["RNI_Download_20151007_original_v2_export.csv", "RNI_download_20160811.csv"]
INTERNATIONAL = re.compile(r"(?:\+|\b00)\s?\d(?:[\s.\-()]?\d){6,}")


def rows(name):
    raw = (DATA / name).read_bytes().decode("utf-8", errors="replace")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def country_of(latitude: str, longitude: str) -> str:
    return country_at(Decimal(latitude), Decimal(longitude))


def phone_like(text: str, country: str | None) -> list[str]:
    found = [match.raw_string for match in PhoneNumberMatcher(text, country, leniency=Leniency.POSSIBLE)]
    return found + INTERNATIONAL.findall(text)


ALL_ROWS = [(name, row) for name in FILES for row in rows(name)]


def test_the_files_are_there_with_every_row():
    assert len(ALL_ROWS) == 29 + 35


@pytest.mark.parametrize(
    ("name", "row"), ALL_ROWS, ids=[f"{n[:8]}-{i}" for i, (n, _r) in enumerate(ALL_ROWS)]
)
def test_no_phone_number_shows_and_nothing_else_is_lost(name, row):
    country = country_of(row["LATITUDE"], row["LONGITUDE"]) or None
    for column in ("INCIDENT TITLE", "DESCRIPTION", "LOCATION"):
        scrubbed = scrub_contacts(row[column], region=country)
        assert phone_like(scrubbed, country) == []
        assert scrubbed == row[column]


@pytest.mark.parametrize(
    ("name", "row"), ALL_ROWS, ids=[f"{n[:8]}-{i}" for i, (n, _r) in enumerate(ALL_ROWS)]
)
def test_timestamps_and_coordinates_survive_and_an_added_number_goes(name, row):
    country = country_of(row["LATITUDE"], row["LONGITUDE"])
    assert country
    when = datetime.strptime(row["INCIDENT DATE"], "%m/%d/%y %H:%M")
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    number = phonenumbers.format_number(
        phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE),
        phonenumbers.PhoneNumberFormat.NATIONAL,
    )
    message = (
        f"Time: {stamp} | Date: {row['INCIDENT DATE']} | latitude: {row['LATITUDE']} | "
        f"longitude: {row['LONGITUDE']} | {row['DESCRIPTION']} Call {number}."
    )
    scrubbed = scrub_contacts(message, region=country)
    for survivor in (stamp, row["INCIDENT DATE"], row["LATITUDE"], row["LONGITUDE"], row["DESCRIPTION"]):
        assert survivor in scrubbed
    assert scrubbed.endswith(" Call [removed].")
    # The matcher's loosest leniency reads coordinates as numbers: look at the rest.
    rest = scrubbed
    for survivor in (stamp, row["INCIDENT DATE"], row["LATITUDE"], row["LONGITUDE"]):
        rest = rest.replace(survivor, " ")
    assert phone_like(rest, country) == []


@pytest.mark.django_db
def test_imported_reports_publish_their_title_text_and_place_whole(report_map):
    for name in FILES:
        import_reports(report_map, (DATA / name).read_bytes(), filename=name)
    reports = list(Report.objects.filter(report_map=report_map))
    assert len(reports) == 29 + 7
    for report in reports:
        assert report.public_title == report.title
        assert report.public_description == report.description
        assert report.public_place_name == report.place_name
