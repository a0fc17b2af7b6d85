"""The /tokens/ pages: a member creates a token, sees it once, uses it, revokes it."""

import re

import pytest
from django.urls import reverse

from samen.api.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def create_through_page(client, name="my script"):
    response = client.post(reverse("tokens:create"), {"name": name})
    assert response.status_code == 201
    raw = re.search(r'value="(smn_[^"]+)"', response.content.decode()).group(1)
    return response, raw


def test_it_asks_anonymous_visitors_to_log_in(client_as):
    for url, method in [
        (reverse("tokens:list"), "get"),
        (reverse("tokens:create"), "post"),
        (reverse("tokens:revoke", args=[1]), "post"),
    ]:
        response = getattr(client_as(None), method)(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_the_whole_life_of_a_token(client_as, owner):
    client = client_as(owner)
    response, raw = create_through_page(client, "phone app")
    assert "only time it is shown" in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]

    token = ApiToken.objects.get(member=owner)
    assert token.name == "phone app"
    assert token.key_hash == hash_token(raw) and raw not in token.key_hash

    me = client.get(reverse("api:me"), headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200 and me.json()["email"] == owner.email

    listing = client.get(reverse("tokens:list")).content.decode()
    assert "phone app" in listing and token.prefix in listing
    assert raw not in listing  # shown once, never again

    response = client.post(reverse("tokens:revoke", args=[token.pk]), follow=True)
    assert "is revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None

    refused = client.get(reverse("api:me"), headers={"Authorization": f"Bearer {raw}"})
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_the_list_shows_only_my_own_tokens(client_as, owner, outsider):
    ApiToken.issue(outsider, "otto's secret script")
    ApiToken.issue(owner, "olga's importer")
    page = client_as(owner).get(reverse("tokens:list")).content.decode()
    assert "olga&#x27;s importer" in page
    assert "otto" not in page


def test_it_will_not_revoke_someone_elses_token(client_as, owner, outsider):
    token, _ = ApiToken.issue(outsider, "otto's")
    response = client_as(owner).post(reverse("tokens:revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_twice_keeps_the_first_time(client_as, owner):
    token, _ = ApiToken.issue(owner, "twice")
    client = client_as(owner)
    client.post(reverse("tokens:revoke", args=[token.pk]))
    token.refresh_from_db()
    first = token.revoked_at
    response = client.post(reverse("tokens:revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at == first


def test_revoking_needs_a_post(client_as, owner):
    token, _ = ApiToken.issue(owner, "keep")
    assert client_as(owner).get(reverse("tokens:revoke", args=[token.pk])).status_code == 405


def test_a_blank_name_is_refused_inline_and_creates_nothing(client_as, owner):
    response = client_as(owner).post(reverse("tokens:create"), {"name": "   "})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="errorlist' in page and 'aria-invalid="true"' in page
    assert not ApiToken.objects.exists()


def test_opening_the_create_address_leads_to_the_list(client_as, owner):
    response = client_as(owner).get(reverse("tokens:create"))
    assert response.status_code == 302 and response["Location"] == reverse("tokens:list")


def test_the_pages_have_one_heading_a_way_back_and_labelled_fields(client_as, owner):
    client = client_as(owner)
    ApiToken.issue(owner, "listed")
    created, _ = create_through_page(client)
    for page in [client.get(reverse("tokens:list")).content.decode(), created.content.decode()]:
        assert page.count("<h1") == 1
        assert 'class="back"' in page
        for field_id in re.findall(r'<input[^>]*type="text"[^>]*id="([^"]+)"', page):
            assert f'for="{field_id}"' in page
