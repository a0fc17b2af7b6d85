"""Ids of 20 digits in any address with a number in it: 404 (or a refusal), never a server error.

The ORM answers "nothing" for a number past 64 bits, but a hand-written query hands it to the
database, and SQLite refuses to bind it. Every URL pattern with an int converter is tried, for an
anonymous visitor and for an initiative's owner, with GET and POST.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

HUGE = 10**20  # 20 digits: past 2^63


def numbered_patterns(resolver=None, prefix=""):
    """(route with {name} holes, {name: converter}) for every pattern that takes an int."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        route = prefix + str(pattern)
        if isinstance(entry, URLResolver):
            yield from numbered_patterns(entry, route)
        elif isinstance(entry, URLPattern) and not route.startswith("^"):
            converters = getattr(pattern, "converters", {})
            if any(isinstance(converter, IntConverter) for converter in converters.values()):
                yield route, converters


def address(route: str, converters: dict, initiative) -> str:
    def fill(match):
        name = match.group(2)
        return str(HUGE) if isinstance(converters.get(name), IntConverter) else initiative.slug

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route).lstrip("^")


@pytest.mark.django_db
def test_no_address_answers_a_huge_id_with_a_server_error(owner, initiative):
    routes = list(numbered_patterns())
    assert len(routes) > 20  # the sweep found the app's URLs
    failures = []
    for person in (None, owner):
        client = Client(raise_request_exception=False)
        if person is not None:
            client.force_login(person)
        for route, converters in routes:
            path = address(route, converters, initiative)
            for method in (client.get, client.post):
                status = method(path).status_code
                if status >= 500:
                    failures.append((method.__name__, path, status))
    assert failures == []
