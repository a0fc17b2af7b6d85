import pytest
from django.urls import reverse

from samen.people.models import Member


@pytest.fixture
def admin_client_(client_as, db):
    boss = Member.objects.create_superuser(email="boss@example.org", password="x" * 20, name="Boss")
    return client_as(boss)


def test_the_member_list_renders_with_filters(admin_client_, people):
    response = admin_client_.get(reverse("admin:people_member_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    for person in ("olga@example.org", "tom@example.org", "mia@example.org", "otto@example.org"):
        assert person in html
    assert "By who can see my profile" in html


def test_the_member_list_searches_by_name_email_place_and_phone(admin_client_, people):
    url = reverse("admin:people_member_changelist")
    assert "mia@example.org" in admin_client_.get(url, {"q": "+3161234"}).content.decode()
    found = admin_client_.get(url, {"q": "Otto"}).content.decode()
    assert "otto@example.org" in found
    assert "mia@example.org" not in found


def test_the_member_list_runs_a_fixed_number_of_queries(admin_client_, people, django_assert_max_num_queries):
    url = reverse("admin:people_member_changelist")
    admin_client_.get(url)  # warm the content-type cache
    with django_assert_max_num_queries(12):
        admin_client_.get(url)
    for n in range(30):
        Member.objects.create_user(email=f"extra{n}@example.org", name=f"Extra {n}")
    with django_assert_max_num_queries(12):
        admin_client_.get(url)


def test_staff_can_add_a_member_by_email(admin_client_):
    response = admin_client_.post(
        reverse("admin:people_member_add"),
        {
            "email": "New.Person@Example.org",
            "name": "New Person",
            "usable_password": "true",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(email="new.person@example.org")
    assert member.check_password("a long and unusual passphrase")


def test_the_add_form_refuses_an_email_that_differs_only_in_case(admin_client_, member):
    response = admin_client_.post(
        reverse("admin:people_member_add"),
        {"email": "MIA@example.org", "usable_password": "false"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Member.objects.filter(email__iexact="mia@example.org").count() == 1


def test_the_change_form_renders(admin_client_, member):
    response = admin_client_.get(reverse("admin:people_member_change", args=[member.pk]))
    assert response.status_code == 200
    assert "+31612345678" in response.content.decode()


def test_the_admin_is_for_staff_only(client_as, member):
    response = client_as(member).get(reverse("admin:people_member_changelist"))
    assert response.status_code == 302


def change_form_data(admin_client, member) -> dict:
    """What the change form would post back untouched, as a browser would submit it."""
    form = admin_client.get(reverse("admin:people_member_change", args=[member.pk])).context["adminform"].form
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = [str(item) for item in value]
        elif value is not None:
            data[name] = field.prepare_value(value) if name in ("skills", "causes", "languages") else value
    return data


def test_staff_editing_a_phone_leaves_it_in_e164(admin_client_, member):
    data = change_form_data(admin_client_, member) | {"phone": "+31 6 8765 4321"}
    response = admin_client_.post(reverse("admin:people_member_change", args=[member.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    member.refresh_from_db()
    assert member.phone == "+31687654321"


def test_staff_cannot_save_an_invalid_phone(admin_client_, member):
    data = change_form_data(admin_client_, member) | {"phone": "12"}
    response = admin_client_.post(reverse("admin:people_member_change", args=[member.pk]), data)
    assert response.status_code == 200
    assert "Start with + and the country code" in response.content.decode()
