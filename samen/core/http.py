"""The one way Samen talks HTTP to the outside world.

Gateways, payment providers, webhooks and media downloads all call `request()`. Tests point
providers at a local pytest-httpserver, and a single switch (SAMEN_HTTP_ALLOWED_HOSTS) can fence
what the platform may reach.
"""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings


class HttpError(Exception):
    """A request failed: the network, the remote side, or a body that was too large."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.status = status
        self.permanent = permanent


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
        import json

        return json.loads(self.content)


_session = requests.Session()
MAX_BYTES = 25 * 1024 * 1024


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
) -> Response:
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
            allow_redirects=True,
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
    except requests.RequestException as exc:
        raise HttpError(f"{method} {url} failed: {exc.__class__.__name__}") from exc
    if raise_for_status and response.status >= 400:
        # 4xx other than 408/429 will not get better by retrying.
        permanent = 400 <= response.status < 500 and response.status not in (408, 429)
        raise HttpError(
            f"{method} {url} answered {response.status}", status=response.status, permanent=permanent
        )
    return response
