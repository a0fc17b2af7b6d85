"""core.throttle: who is counted, how a limit is counted, and what a throttled client is told."""

import json

import pytest
from django.core import checks
from django.test import RequestFactory

from samen.core import throttle

factory = RequestFactory()


def request_from(remote="203.0.113.7", **headers):
    return factory.post("/somewhere/", REMOTE_ADDR=remote, headers=headers)


# --- Who is the client ---------------------------------------------------------------------------


def test_the_client_is_remote_addr_and_a_forwarded_header_is_ignored_by_default(settings):
    settings.SAMEN_PROXY_IP_HEADER = ""
    spoofed = request_from("203.0.113.7", **{"X-Forwarded-For": "198.51.100.1"})
    assert throttle.client_ip(spoofed) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_client_is_the_address_it_appended(settings):
    settings.SAMEN_PROXY_IP_HEADER = "X-Forwarded-For"
    settings.SAMEN_PROXY_COUNT = 1
    # The client wrote the first address itself; our proxy appended the last one.
    request = request_from("10.0.0.2", **{"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
    assert throttle.client_ip(request) == "203.0.113.9"


def test_with_two_proxies_the_client_is_the_second_address_from_the_end(settings):
    settings.SAMEN_PROXY_IP_HEADER = "X-Forwarded-For"
    settings.SAMEN_PROXY_COUNT = 2
    request = request_from("10.0.0.2", **{"X-Forwarded-For": "198.51.100.1, 203.0.113.9, 192.0.2.44"})
    assert throttle.client_ip(request) == "203.0.113.9"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("203.0.113.9:51234", "203.0.113.9"),
        ("[2001:db8::5]:443", "2001:db8::5"),
        ("not an address", "10.0.0.2"),  # a broken header: the connection's own address
        ("", "10.0.0.2"),  # a request that did not come through the proxy
    ],
)
def test_a_single_address_header_is_read_with_or_without_a_port(settings, value, expected):
    settings.SAMEN_PROXY_IP_HEADER = "X-Real-IP"
    assert throttle.client_ip(request_from("10.0.0.2", **{"X-Real-IP": value})) == expected


def test_ipv6_clients_are_counted_by_their_64_network(settings):
    settings.SAMEN_PROXY_IP_HEADER = ""
    one = throttle.client_key(request_from("2001:db8:1:2:aaaa::1"))
    other = throttle.client_key(request_from("2001:db8:1:2:bbbb::99"))
    elsewhere = throttle.client_key(request_from("2001:db8:1:3::1"))
    assert one == other == "2001:db8:1:2::"
    assert elsewhere != one


def test_a_member_is_counted_as_themself_anyone_else_by_address(member):
    request = request_from("203.0.113.7")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert throttle.who(request) == "address:203.0.113.7"
    request.user = member
    assert throttle.who(request) == f"member:{member.pk}"


# --- Counting ------------------------------------------------------------------------------------


def test_a_limit_lets_its_count_through_then_says_how_long_to_wait(throttles):
    throttles(donate="3/h")
    request = request_from()
    assert [throttle.hit(request, "donate") for _ in range(3)] == [None, None, None]
    wait = throttle.hit(request, "donate")
    assert wait is not None and 1 <= wait <= 3600


def test_every_rate_of_a_limit_counts(throttles):
    throttles(donate="5/m,2/h")
    request = request_from()
    assert [throttle.hit(request, "donate") is None for _ in range(3)] == [True, True, False]


def test_keys_are_counted_apart(throttles):
    throttles(donate="1/h")
    request = request_from()
    assert throttle.hit(request, "donate", key="a") is None
    assert throttle.hit(request, "donate", key="b") is None
    assert throttle.hit(request, "donate", key="a") is not None
    assert throttle.hit(request_from("198.51.100.3"), "donate") is None  # the default key: the address


def test_an_empty_limit_is_switched_off(throttles):
    throttles(donate="")
    assert all(throttle.hit(request_from(), "donate") is None for _ in range(20))


def test_switching_rate_limits_off_switches_every_throttle_off(throttles, settings):
    throttles(donate="1/h")
    settings.RATELIMIT_ENABLE = False
    assert all(throttle.hit(request_from(), "donate") is None for _ in range(5))


def test_a_cache_that_fails_lets_the_request_through(throttles, monkeypatch, caplog):
    throttles(donate="1/h")

    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(throttle, "get_usage", broken)
    assert throttle.hit(request_from(), "donate") is None
    assert "could not count" in caplog.text


# --- What a throttled client is told -------------------------------------------------------------


def test_a_person_gets_a_page_of_the_site_with_the_wait_and_a_way_back(rf, db):
    request = rf.post("/give/to/x/", headers={"Referer": "http://testserver/give/to/x/"})
    response = throttle.too_many(request, 125)
    assert response.status_code == 429
    assert response["Retry-After"] == "125"
    body = response.content.decode()
    assert "<h1>Please wait a moment</h1>" in body
    assert "3 minutes" in body
    assert 'href="http://testserver/give/to/x/"' in body  # back to the form
    assert "<nav" in body  # the site's own frame (base.html), not a bare error


def test_the_way_back_never_leads_off_the_site(rf, db):
    request = rf.post("/give/to/x/", headers={"Referer": "https://evil.example/phish"})
    body = throttle.too_many(request, 10).content.decode()
    assert "evil.example" not in body
    assert 'href="/"' in body


def test_a_machine_gets_json_with_retry_after(rf):
    response = throttle.too_many(rf.post("/gateways/x/"), 59.2, json=True)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    data = json.loads(response.content)
    assert data["retry_after"] == 60
    assert "60 seconds" in data["detail"]


@pytest.mark.parametrize(
    ("seconds", "words"), [(1, "1 second"), (45, "45 seconds"), (600, "10 minutes"), (7200, "2 hours")]
)
def test_the_wait_is_said_in_words(seconds, words):
    assert throttle.in_words(seconds) == words


def test_a_limit_that_is_not_a_rate_stops_the_site_from_starting(settings):
    from samen.core.checks import check_throttles

    settings.SAMEN_THROTTLES = {
        "donate": "5/m,30/h",
        "login_failed": "10/m/ip,5/5m/key",
        "report": "5 per minute",
    }
    errors = check_throttles(None)
    assert [error.id for error in errors] == ["samen.E002"]
    assert "SAMEN_THROTTLE_REPORT" in errors[0].msg
    assert all(isinstance(error, checks.Error) for error in errors)
