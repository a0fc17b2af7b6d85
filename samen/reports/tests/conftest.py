"""Fixtures for crowd reports: a map on the shared initiative, its categories and a reviewer.

The privacy matrix for reports: coordinator (the initiative's owner or team), reviewer (named on
the map), member (follows the initiative), outsider and anonymous.
"""

from decimal import Decimal

import pytest

from conftest import make_member
from samen.reports.models import Category, Report, ReportMap


@pytest.fixture
def reviewer(db):
    return make_member("rita@example.org", "Rita Reviewer")


@pytest.fixture
def report_map(initiative, reviewer):
    item = ReportMap.objects.create(
        initiative=initiative,
        slug="kibera-water-reports",
        title="Water problems in Kibera",
        description="Tell us where water points are broken or unsafe.",
        default_latitude=Decimal("-1.3133"),
        default_longitude=Decimal("36.7880"),
        default_zoom=13,
        channels=["web", "sms", "email", "api", "import"],
        sms_keyword="MAJI",
        sms_number="+254700000001",
        email_address="reports@samen.example",
        auto_reply="Thank you. Your report number is {number}.",
    )
    item.reviewers.add(reviewer)
    return item


@pytest.fixture
def categories(report_map):
    urgent = Category.objects.create(
        report_map=report_map, title="Emergency", translations={"fr": "Urgences", "nl": "Noodgeval"}, colour="#a4161a"
    )
    broken = Category.objects.create(
        report_map=report_map, parent=urgent, title="Broken water point", translations={"fr": "Point d'eau cassé"}
    )
    unsafe = Category.objects.create(report_map=report_map, title="Unsafe water", colour="#1a4fd6")
    return {"urgent": urgent, "broken": broken, "unsafe": unsafe}


@pytest.fixture
def map_people(people, reviewer):
    """The reports privacy matrix, by role name; anonymous is None."""
    return {
        "coordinator": people["owner"],
        "team": people["team"],
        "reviewer": reviewer,
        "member": people["member"],
        "outsider": people["outsider"],
        "anonymous": None,
    }


@pytest.fixture
def make_report(report_map):
    def make(**fields):
        fields.setdefault("title", "Water point broken")
        fields.setdefault("description", "The tap at the school is broken. Call me on +254 712 345 678.")
        fields.setdefault("latitude", Decimal("-1.3130"))
        fields.setdefault("longitude", Decimal("36.7870"))
        fields.setdefault("reporter_contact", "+254712345678")
        return Report.objects.create(report_map=report_map, **fields)

    return make
