"""Markdown that is safe to show: rendered with Python-Markdown, then cleaned by nh3 (Ammonia)."""

import re
import threading

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

from samen.core import scrub

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
# Raw HTML is escaped before Markdown runs, so an author cannot smuggle in tags; nh3 then
# removes anything Markdown itself produced that is not on the list (for example javascript: links).
EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
# A Markdown instance keeps parser state between reset() and the end of convert(), so one shared
# instance garbles or crashes renders that overlap in gunicorn's threads. Each thread gets its own,
# built once: building one loads the extensions, which costs more than most renders.
_local = threading.local()


def _renderer() -> md.Markdown:
    renderer = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = md.Markdown(extensions=EXTENSIONS)
    return renderer


def render_markdown(source: str) -> SafeString:
    renderer = _renderer()
    renderer.reset()
    escaped = (source or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    html = renderer.convert(escaped)
    # Headings inside user text start at h2: the page owns h1.
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
    return mark_safe(clean)  # noqa: S308 - cleaned by nh3 just above


# Kept here for the callers that scrub member bios and plan reactions; the scrubber lives in core.scrub.
scrub_contacts = scrub.scrub_contacts


# Line ends and the other characters a mail header must not carry: C0/C1 controls (tab, CR, LF,
# NEL, ...) and Unicode's own line and paragraph separators.
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(text: str, max_chars: int | None = None) -> str:
    """Text for one line of a mail header (a subject): every run of line breaks, controls and spaces
    becomes one space, cut to `max_chars` with an ellipsis.

    A title typed with a newline would otherwise make Django refuse the message ("Header values
    can't contain newlines"), and every notification about that thing would fail.
    """
    line = _BREAKS.sub(" ", str(text)).strip()
    if max_chars is not None and len(line) > max_chars:
        line = line[: max_chars - 1].rstrip() + "…"
    return line
