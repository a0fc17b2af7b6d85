"""The one outbound HTTP wrapper, against a local server standing in for a provider."""

import ipaddress
import shutil
import socket
import ssl
import subprocess

import pytest
from pytest_httpserver import HTTPServer

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


# --- Where Samen may connect: checked on the address it connects to -----------------------------

PRIVATE = [
    "127.0.0.1",
    "10.0.0.1",
    "169.254.169.254",
    "::1",
    "::ffff:10.0.0.1",
    "fe80::1",
    "224.0.0.1",
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
]


def resolving_to(monkeypatch, *answers: str):
    """DNS stands in: each look-up of any name answers the next address of `answers` (the last repeats)."""
    calls: list[tuple[str, str]] = []

    def resolve(host, port):
        address = answers[min(len(calls), len(answers) - 1)]
        calls.append((host, address))
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
        return [(family, socket.SOCK_STREAM, 6, "", sockaddr)]

    monkeypatch.setattr(http, "resolve", resolve)
    return calls


@pytest.mark.parametrize("address", PRIVATE)
def test_a_name_that_resolves_to_a_private_address_is_refused_before_connecting(monkeypatch, address):
    calls = resolving_to(monkeypatch, address)
    with pytest.raises(http.RefusedDestination, match="not a public address") as caught:
        http.request("POST", "https://hooks.example.org/samen", json={})
    assert caught.value.permanent
    assert calls == [("hooks.example.org", address)]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
        "http://[2002:a00:1::1]/",  # 6to4 of 10.0.0.1
        "http://localhost/",
        "http://metadata.google.internal/",
    ],
)
def test_literal_private_addresses_and_local_names_are_refused(url):
    with pytest.raises(http.RefusedDestination):
        http.check_url(url)
    with pytest.raises(http.RefusedDestination):
        http.request("GET", url)


def test_a_name_public_when_saved_and_private_when_called_is_refused_at_the_call(monkeypatch):
    # DNS rebinding: the check when the address is saved sees a public address, the call another.
    calls = resolving_to(monkeypatch, "93.184.215.14", "127.0.0.1")
    http.check_url("https://rebind.example.org/hook")
    with pytest.raises(http.RefusedDestination, match="127.0.0.1"):
        http.request("POST", "https://rebind.example.org/hook", json={})
    assert [address for _host, address in calls] == ["93.184.215.14", "127.0.0.1"]


def test_the_call_goes_to_the_address_checked_and_keeps_the_name(httpserver, monkeypatch):
    # One look-up per connection, and the connection is made to its answer: the name here exists
    # in no DNS, so reaching the server proves no second look-up happened behind the check.
    calls = resolving_to(monkeypatch, "127.0.0.1")
    httpserver.expect_request("/hook").respond_with_data("ok")
    url = f"http://hooks.example.org:{httpserver.port}/hook"

    assert http.request("POST", url, data=b"{}").text == "ok"

    [(request, _response)] = httpserver.log
    assert request.headers["Host"] == f"hooks.example.org:{httpserver.port}"
    assert calls == [("hooks.example.org", "127.0.0.1")]


def test_the_allow_list_lets_names_addresses_and_networks_through(httpserver, settings, monkeypatch):
    resolving_to(monkeypatch, "127.0.0.1")
    httpserver.expect_request("/").respond_with_data("ok")
    url = f"http://mail.internal:{httpserver.port}/"
    for allowed in (["mail.internal"], ["127.0.0.1"], ["127.0.0.0/8"], ["MAIL.internal."]):
        settings.SAMEN_HTTP_ALLOWED_HOSTS = allowed
        assert http.request("GET", url).text == "ok"
    settings.SAMEN_HTTP_ALLOWED_HOSTS = ["other.internal", "10.0.0.0/8"]
    with pytest.raises(http.RefusedDestination):
        http.request("GET", url)


def test_a_redirect_is_not_followed_and_is_an_error(httpserver):
    httpserver.expect_request("/hook").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with pytest.raises(http.HttpError, match="redirect") as caught:
        http.request("POST", httpserver.url_for("/hook"), json={})
    assert (caught.value.status, caught.value.permanent) == (302, True)
    assert http.request("GET", httpserver.url_for("/hook"), raise_for_status=False).status == 302


def test_a_followed_redirect_to_a_link_local_address_is_refused(httpserver):
    httpserver.expect_request("/media").respond_with_data(
        "", status=307, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with pytest.raises(http.RefusedDestination, match="169.254.169.254"):
        http.request("GET", httpserver.url_for("/media"), follow_redirects=True)


def test_a_followed_redirect_to_an_allowed_place_arrives(httpserver):
    httpserver.expect_request("/media").respond_with_data(
        "", status=307, headers={"Location": httpserver.url_for("/stored")}
    )
    httpserver.expect_request("/stored").respond_with_data(b"\x89PNG")
    assert http.request("GET", httpserver.url_for("/media"), follow_redirects=True).content == b"\x89PNG"


def test_proxies_from_the_environment_are_not_used(httpserver, monkeypatch):
    # A proxy would make the connection we check: it is ignored, and the call goes direct.
    monkeypatch.setenv("HTTP_PROXY", "http://10.1.2.3:3128")
    httpserver.expect_request("/").respond_with_data("direct")
    assert http.request("GET", httpserver.url_for("/")).text == "direct"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("100.64.0.1", False),  # shared address space (carrier-grade NAT)
        ("240.0.0.1", False),  # reserved
        ("ff02::1", False),  # multicast
        ("fc00::1", False),  # unique local
        ("::10.0.0.1", False),  # IPv4-compatible
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo, client 10.0.0.1
    ],
)
def test_what_counts_as_public(address, public):
    assert http.is_public(ipaddress.ip_address(address)) is public


@pytest.fixture
def tls_server(tmp_path):
    """A TLS server on 127.0.0.1 with a certificate for hooks.example.org only; yields (port, CA file)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make the test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=hooks.example.org",
         "-addext", "subjectAltName=DNS:hooks.example.org"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=_server_context(cert, key))
    server.expect_request("/hook").respond_with_data("over TLS")
    server.start()
    try:
        yield server, str(cert)
    finally:
        server.stop()


def _server_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_tls_goes_to_the_checked_address_and_verifies_the_name(tls_server, monkeypatch, settings):
    server, ca_file = tls_server
    settings.SAMEN_HTTP_ALLOWED_HOSTS = ["127.0.0.1"]
    monkeypatch.setattr(http._session, "verify", ca_file)
    resolving_to(monkeypatch, "127.0.0.1")

    # The socket goes to 127.0.0.1, the certificate is checked against the name (SNI).
    assert http.request("GET", f"https://hooks.example.org:{server.port}/hook").text == "over TLS"
    # The same address under a name the certificate does not carry fails verification.
    with pytest.raises(http.HttpError, match="SSLError"):
        http.request("GET", f"https://other.example.org:{server.port}/hook")
