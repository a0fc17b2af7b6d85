"""What the feature apps call to track links and record conversions (the outreach contract).

Feature apps (plans, volunteering, giving, reports) sit above outreach and call only these functions;
outreach never imports them. The signatures are the contract; see docs/outreach.md for the behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from django.http import HttpRequest

    from samen.initiatives.models import Initiative
    from samen.people.models import Member

# Conversion kinds the dashboards count.
SIGNUP = "signup"
DONATION = "donation"
VOLUNTEER_JOIN = "volunteer_join"
HOURS = "hours"
REACTION = "reaction"
REPORT = "report"
CONVERSION_KINDS = (SIGNUP, DONATION, VOLUNTEER_JOIN, HOURS, REACTION, REPORT)

SHARE_CHANNELS = ("x", "linkedin", "facebook", "whatsapp", "email", "sms")


@dataclass(frozen=True)
class ShareLink:
    channel: str  # one of SHARE_CHANNELS
    label: str  # translated, e.g. "Share on LinkedIn"
    url: str  # the intent URL that opens the channel with the text and the short link filled in
    short_url: str  # the absolute tracked short link (/l/<code>) for this channel


def tracked_url(
    request: HttpRequest,
    *,
    target: str,
    channel: str,
    subject: Any = None,
    promoter: Member | None = None,
    variant: Any = None,
    recipient: str = "",
) -> str:
    """The absolute tracked short link (https://host/l/<code>) that redirects to `target`.

    `target` is a path on this site (or an allow-listed URL). The same arguments give the same link.
    `subject` is what the link is about (an Initiative or any other model instance, such as a campaign).
    """
    return request.build_absolute_uri(target)


def share_links(
    request: HttpRequest,
    *,
    target: str,
    text: str,
    subject: Any = None,
    promoter: Member | None = None,
    variant: Any = None,
) -> list[ShareLink]:
    """One ShareLink per channel in SHARE_CHANNELS, each with its own tracked short link."""
    links = []
    for channel in SHARE_CHANNELS:
        short = tracked_url(
            request, target=target, channel=channel, subject=subject, promoter=promoter, variant=variant
        )
        links.append(ShareLink(channel, channel, f"{short}?text={quote(text)}", short))
    return links


def touch_ids(request: HttpRequest) -> list[int]:
    """The touches this visitor's session carries (first and last), for storing on a pending row.

    A donation that completes later in a provider webhook has no request: store these ids on the
    donation when it is created and pass them to record_conversion() when it succeeds.
    """
    return []


def record_conversion(
    *,
    kind: str,
    source: str,
    source_ref: str,
    request: HttpRequest | None = None,
    member: Member | None = None,
    touch_ids: list[int] | tuple[int, ...] = (),
    initiative: Initiative | None = None,
    amount_minor: int = 0,
    currency: str = "",
    minutes: int = 0,
    occurred_at: Any = None,
) -> None:
    """Record that something worth counting happened (kind in CONVERSION_KINDS).

    Idempotent on (source, source_ref): calling it twice records once. Attributed to the touches in
    `touch_ids`, else those in the request's session, else those stored on `member` (weeks later too),
    as first touch and as last touch. Never raises for a conversion that has no touch: it is simply
    not attributed.
    """
    return None
