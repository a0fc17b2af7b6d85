"""The one way Samen talks HTTP to the outside world.

Gateways, payment providers, webhooks and media downloads all call `request()`. Tests point
providers at a local pytest-httpserver, allowed by SAMEN_HTTP_ALLOWED_HOSTS.

Where a call may go is checked when the connection is made, not before: each connection resolves
the host once, refuses every address that is not public (loopback, private, link-local, shared,
reserved, multicast, unspecified; IPv4 and IPv6, with the IPv4 address inside IPv4-mapped, 6to4,
Teredo and NAT64 addresses judged as IPv4) and connects to the very address it checked, while TLS
and the Host header keep the name. A name that resolves to a public address when a webhook is
saved and to 127.0.0.1 when it is delivered (DNS rebinding) is refused at delivery. Host names,
addresses and networks in SAMEN_HTTP_ALLOWED_HOSTS are let through although private.

Redirects are not followed unless the caller asks (`follow_redirects=True`, for media a provider
stores elsewhere); every hop then opens its own checked connection. Proxies from the environment
are ignored, since a proxy would connect where we cannot check.
"""

from __future__ import annotations

import ipaddress
import json as jsonlib
import socket
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family

MAX_BYTES = 25 * 1024 * 1024
# Hops a caller that follows redirects may take (Twilio's media: one, to its storage).
MAX_REDIRECTS = 5
# Names that mean "this machine or its own network" whatever they resolve to.
LOCAL_NAMES = ("localhost",)
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")
# IPv6 ranges that carry an IPv4 address in their last 32 bits.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated; the kernel may route it as IPv4
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class HttpError(Exception):
    """A request failed: the network, the remote side, or a body that was too large."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.status = status
        self.permanent = permanent


class RefusedDestination(HttpError):
    """The host is, or resolves to, an address Samen does not call (see the module's doc)."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class _Refused(Exception):
    """Raised inside a connection; deliberately no OSError, so urllib3 and requests let it through."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    content: bytes
    elapsed_ms: int

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        return jsonlib.loads(self.content)


# --- Where Samen may connect ---------------------------------------------------------------------


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether an address is one on the public internet (what any outbound call may reach)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _IPV4_COMPATIBLE:
            return False
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is None and any(address in network for network in _NAT64):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast


def _allowed() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in getattr(settings, "SAMEN_HTTP_ALLOWED_HOSTS", []) or []:
        entry = str(entry).strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.add(entry)
    return names, networks


def _parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text.split("%", 1)[0])  # without an IPv6 zone ("fe80::1%eth0")


def refusal(host: str, address: str | None = None) -> str:
    """Why Samen may not connect to `address` for `host` ("" when it may).

    Without an address, only the name is judged (and the name itself when it is an address).
    """
    host = (host or "").strip().lower().rstrip(".").strip("[]")
    names, networks = _allowed()
    if host in names:
        return ""
    if address is None:
        try:
            address = str(_parse_address(host))
        except ValueError:
            address = None
    if address is not None:
        ip = _parse_address(address)
        if any(ip in network for network in networks):
            return ""
        if not is_public(ip):
            named = f"{host} is {ip}, which" if host != str(ip) else str(ip)
            return f"{named} is not a public address"
    if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES):
        return f"{host} names this server's own network"
    return ""


def resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo for a TCP connection (a function of its own, so tests can stand in for DNS)."""
    return socket.getaddrinfo(host.strip("[]"), port, allowed_gai_family(), socket.SOCK_STREAM)


def check_url(url: str) -> None:
    """Refuse a URL whose host is, or now resolves to, an address Samen does not call.

    For checking an address when it is saved. A name that does not resolve passes: it may resolve
    later, and every connection is checked again anyway. Raises RefusedDestination.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    reason = refusal(host)
    if reason:
        raise RefusedDestination(reason)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        return
    for *_, sockaddr in found:
        reason = refusal(host, sockaddr[0])
        if reason:
            raise RefusedDestination(reason)


def _checked_socket(conn: HTTPConnection) -> socket.socket:
    """urllib3's connection, opened only to an address that passes `refusal` (resolved once)."""
    host, port = conn._dns_host, conn.port
    try:
        found = resolve(host, port)
    except socket.gaierror as unknown:
        if refusal(host):  # "metadata.google.internal" from outside its cloud: refused for good
            raise _Refused(refusal(host)) from None
        raise NameResolutionError(conn.host, conn, unknown) from unknown
    refused = ""
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in found:
        reason = refusal(host, sockaddr[0])
        if reason:
            refused = reason
            continue
        sock = socket.socket(family, kind, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            if isinstance(conn.timeout, (int, float)):  # else urllib3's "default" marker
                sock.settimeout(conn.timeout)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect(sockaddr)  # the address just checked: no second look-up to rebind
        except TimeoutError as timeout:
            sock.close()
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out.") from timeout
        except OSError as failed:
            sock.close()
            error = failed
            continue
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    if error is not None:
        raise NewConnectionError(conn, f"Failed to establish a new connection: {error}") from error
    raise _Refused(refused or f"{host} resolves to no address")


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _checked_socket(self)


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _checked_socket(self)  # TLS is wrapped around it afterwards, with the name for SNI


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def _new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would connect where we cannot check
    session.max_redirects = MAX_REDIRECTS
    session.mount("http://", _CheckedAdapter())
    session.mount("https://", _CheckedAdapter())
    return session


_session = _new_session()


# --- Calls ----------------------------------------------------------------------------------------


def request(
    method: str,
    url: str,
    *,
    json=None,
    data=None,
    headers: dict[str, str] | None = None,
    auth=None,
    timeout: float | None = None,
    max_bytes: int = MAX_BYTES,
    raise_for_status: bool = True,
    follow_redirects: bool = False,
) -> Response:
    """One call. Raises HttpError (RefusedDestination for an address Samen does not call).

    A redirect is an answer like any other unless `follow_redirects`; with `raise_for_status` it
    is a permanent error, since a webhook receiver or an API that moved needs a person to look.
    """
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise HttpError(f"Refusing to fetch a {scheme or 'relative'} URL.", permanent=True)
    all_headers = {"User-Agent": settings.SAMEN_HTTP_USER_AGENT, **(headers or {})}
    started = time.monotonic()
    try:
        with _session.request(
            method,
            url,
            json=json,
            data=data,
            headers=all_headers,
            auth=auth,
            timeout=timeout or settings.SAMEN_HTTP_TIMEOUT,
            stream=True,
            allow_redirects=follow_redirects,
        ) as raw:
            chunks, size = [], 0
            for chunk in raw.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise HttpError(
                        f"The response from {url} is larger than {max_bytes} bytes.", permanent=True
                    )
                chunks.append(chunk)
            response = Response(
                status=raw.status_code,
                headers=dict(raw.headers),
                content=b"".join(chunks),
                elapsed_ms=int((time.monotonic() - started) * 1000),
            )
    except _Refused as refused:
        raise RefusedDestination(f"{method} {url} refused: {refused}") from None
    except requests.TooManyRedirects as exc:
        raise HttpError(f"{method} {url} redirected more than {MAX_REDIRECTS} times", permanent=True) from exc
    except requests.RequestException as exc:
        raise HttpError(f"{method} {url} failed: {exc.__class__.__name__}") from exc
    if raise_for_status and 300 <= response.status < 400:
        raise HttpError(
            f"{method} {url} answered {response.status}, a redirect (not followed)",
            status=response.status,
            permanent=True,
        )
    if raise_for_status and response.status >= 400:
        # 4xx other than 408/429 will not get better by retrying.
        permanent = 400 <= response.status < 500 and response.status not in (408, 429)
        raise HttpError(
            f"{method} {url} answered {response.status}", status=response.status, permanent=permanent
        )
    return response
