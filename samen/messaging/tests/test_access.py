import pytest
from django.http import Http404

from samen.messaging.access import get_inbound_for_viewer, sender_contact_for_viewer
from samen.messaging.inbox import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def report_sms(initiative):
    return receive("smssync", "1", sender="+254700000001", body="Water point 4 broken", raw="{}")[0]


@pytest.mark.parametrize("role", ["owner", "team", "member", "outsider", "anonymous"])
def test_only_staff_may_read_an_inbound_message(people, report_sms, role):
    viewer = people[role]
    with pytest.raises(Http404):
        get_inbound_for_viewer(viewer, report_sms.pk)
    with pytest.raises(Http404):
        sender_contact_for_viewer(viewer, report_sms)


def test_staff_read_the_message_and_the_senders_contact(staff, report_sms):
    assert get_inbound_for_viewer(staff, report_sms.pk) == report_sms
    assert sender_contact_for_viewer(staff, report_sms) == "+254700000001"


def test_a_deactivated_staff_account_is_refused(staff, report_sms):
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        get_inbound_for_viewer(staff, report_sms.pk)


@pytest.mark.parametrize("pk", [10_000, "abc", None])
def test_a_missing_or_malformed_id_is_a_404_even_for_staff(staff, pk):
    with pytest.raises(Http404):
        get_inbound_for_viewer(staff, pk)
