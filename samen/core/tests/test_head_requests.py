"""Uptime monitors, link checkers and caches ask with HEAD: every page that answers GET answers HEAD too
(require_safe, never require_GET), with the same status and headers and no body."""

import pytest
from django.urls import reverse

PUBLIC_PAGES = ["home", "initiatives:list", "reports:index", "volunteering:home", "giving:campaigns"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_a_public_page_answers_head_as_it_answers_get(client, name):
    url = reverse(name)
    got = client.get(url)
    head = client.head(url)

    assert got.status_code == 200
    assert head.status_code == 200
    assert head["Content-Type"] == got["Content-Type"]
    assert head.content == b""
