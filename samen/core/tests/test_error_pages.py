"""A refusal or a missing page is a page of the site: its language, its menu and a way back."""

import pytest
from django.urls import reverse


def test_a_refused_page_says_so_and_leads_back(client, report_map, outsider):
    client.force_login(outsider)

    response = client.get(reverse("reports:review", args=[report_map.slug]))

    assert response.status_code == 403
    body = response.content.decode()
    assert "You may not open this page" in body
    assert f'href="{reverse("home")}"' in body


@pytest.mark.parametrize("language, words", [("nl", "Je mag deze pagina niet openen"), ("fr", "Vous ne pouvez pas"), ("ht", "Ou pa ka louvri")])
def test_a_refused_page_speaks_the_visitors_language(client, report_map, outsider, language, words):
    client.force_login(outsider)
    client.cookies["django_language"] = language

    response = client.get(reverse("reports:review", args=[report_map.slug]))

    assert response.status_code == 403
    assert words in response.content.decode()
