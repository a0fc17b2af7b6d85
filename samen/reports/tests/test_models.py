from decimal import Decimal

import h3
import pytest

from samen.reports.models import H3_RESOLUTIONS, Report


@pytest.mark.django_db
def test_saving_a_report_computes_its_h3_cells(make_report):
    report = make_report(latitude=Decimal("-1.3130"), longitude=Decimal("36.7870"))
    finest = h3.latlng_to_cell(-1.3130, 36.7870, 9)
    assert h3.int_to_str(report.h3_r9) == finest
    for resolution in H3_RESOLUTIONS:
        # The coarser cells are the r9 cell's ancestors, so that cells nest exactly.
        assert h3.int_to_str(getattr(report, f"h3_r{resolution}")) == h3.cell_to_parent(finest, resolution)
    report.latitude = report.longitude = None
    report.save(update_fields=["latitude", "longitude"])
    report.refresh_from_db()
    assert all(getattr(report, f"h3_r{r}") is None for r in H3_RESOLUTIONS)


@pytest.mark.django_db
def test_the_public_text_is_scrubbed_of_contacts(make_report):
    report = make_report(description="Broken tap. Call +254 712 345 678 or mail amina@example.org")
    assert "712" not in report.public_description
    assert "amina@example.org" not in report.public_description
    assert "Broken tap." in report.public_description
    assert "+254 712 345 678" in report.description


def test_the_fingerprint_ignores_case_and_spacing():
    one = Report.make_fingerprint("+254712345678", "Water  point BROKEN")
    two = Report.make_fingerprint(" +254712345678 ", "water point broken")
    assert one == two
    assert one != Report.make_fingerprint("+254799999999", "water point broken")
