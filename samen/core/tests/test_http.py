"""The one outbound HTTP wrapper, against a local server standing in for a provider."""

import pytest

from samen.core import http


def test_it_returns_status_headers_and_body(httpserver):
    httpserver.expect_request("/v1/ping", method="POST", json={"hello": "world"}).respond_with_json(
        {"ok": True}, headers={"X-Request-Id": "abc"}
    )
    response = http.request("POST", httpserver.url_for("/v1/ping"), json={"hello": "world"})
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert response.headers["X-Request-Id"] == "abc"


def test_it_identifies_samen_in_the_user_agent(httpserver, settings):
    httpserver.expect_request(
        "/ua", headers={"User-Agent": settings.SAMEN_HTTP_USER_AGENT}
    ).respond_with_data("yes")
    assert http.request("GET", httpserver.url_for("/ua")).text == "yes"


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (404, True), (408, False), (429, False), (503, False)]
)
def test_error_statuses_raise_and_say_whether_a_retry_can_help(httpserver, status, permanent):
    httpserver.expect_request("/fail").respond_with_data("nope", status=status)
    with pytest.raises(http.HttpError) as caught:
        http.request("GET", httpserver.url_for("/fail"))
    assert caught.value.status == status
    assert caught.value.permanent is permanent


def test_an_error_status_can_be_read_instead_of_raised(httpserver):
    httpserver.expect_request("/gone").respond_with_json({"error": "gone"}, status=410)
    response = http.request("GET", httpserver.url_for("/gone"), raise_for_status=False)
    assert response.status == 410
    assert response.json() == {"error": "gone"}


def test_it_refuses_a_body_larger_than_the_limit(httpserver):
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    with pytest.raises(http.HttpError, match="larger than 1000 bytes") as caught:
        http.request("GET", httpserver.url_for("/big"), max_bytes=1000)
    assert caught.value.permanent


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "/relative/path"])
def test_it_refuses_schemes_other_than_http(url):
    with pytest.raises(http.HttpError, match="Refusing") as caught:
        http.request("GET", url)
    assert caught.value.permanent


def test_a_server_that_does_not_answer_is_a_temporary_error(httpserver):
    url = httpserver.url_for("/")
    httpserver.stop()
    try:
        with pytest.raises(http.HttpError, match="ConnectionError") as caught:
            http.request("GET", url, timeout=2)
        assert not caught.value.permanent
    finally:
        httpserver.start()
