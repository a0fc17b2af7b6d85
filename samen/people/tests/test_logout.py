from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from .pages import assert_samen_page


def test_it_logs_out_on_post(client_as, member):
    client = client_as(member)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_get_only_asks_for_confirmation(client_as, member):
    # A link or an image tag must not be able to log someone out.
    client = client_as(member)
    response = client.get(reverse("account_logout"))
    assert_samen_page(response)
    assert 'method="post"' in response.content.decode()
    assert client.session[SESSION_KEY] == str(member.pk)


def test_the_header_logs_out_with_a_form(client_as, member):
    html = client_as(member).get(reverse("people:profile_edit")).content.decode()
    assert f'<form method="post" action="{reverse("account_logout")}"' in html
