"""Markdown → nested sections. Headings become sections; the text before the first heading is the intro.

Only ATX headings (`#` … `######`) count, and not inside fenced code blocks. A heading nests under
the nearest heading above it with a lower level, so a document that skips levels (`#` then `###`)
still nests one step at a time. A line `Expertise wanted: finance, law` at the start of a section's
text becomes its "expertise wanted" tags. Nothing here renders HTML: the text is stored as Markdown
and rendered (escaped, then cleaned by nh3) by samen.core.text.render_markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import MAX_SECTION_DEPTH, SECTION_MAX_CHARS

MAX_SECTIONS = 200
MAX_SOURCE_CHARS = 200_000
HEADING_CHARS = 200
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_EXPERTISE = re.compile(r"^\s*(?:expertise(?: wanted)?|gezochte expertise)\s*:\s*(.+)$", re.IGNORECASE)


@dataclass
class ParsedSection:
    heading: str
    level: int
    depth: int = 1
    parent: int | None = None  # index into the list
    lines: list[str] = field(default_factory=list)
    expertise: list[str] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip("\n").rstrip()


@dataclass
class ParsedPlan:
    intro: str
    sections: list[ParsedSection]


def parse_tags(text: str) -> list[str]:
    seen: dict[str, str] = {}
    for tag in re.split(r"[,;]", text or ""):
        tag = " ".join(tag.split())[:60]
        if tag:
            seen.setdefault(tag.casefold(), tag)
    return list(seen.values())[:20]


def parse_markdown(source: str) -> ParsedPlan:
    """Split `source` into an intro and sections; raises ValidationError for what cannot be stored."""
    source = (source or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if len(source) > MAX_SOURCE_CHARS:
        raise ValidationError(
            _("The document is too long: at most %(max)s characters.") % {"max": f"{MAX_SOURCE_CHARS:,}"},
            code="too_long",
        )
    intro: list[str] = []
    sections: list[ParsedSection] = []
    stack: list[int] = []  # indexes of the open headings, outermost first
    fence: str | None = None
    for line in source.split("\n"):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            fence = None if fence == marker else (fence or marker)
        heading = None if fence else _HEADING.match(line)
        if heading and heading.group(2).strip():
            level = len(heading.group(1))
            while stack and sections[stack[-1]].level >= level:
                stack.pop()
            parent = stack[-1] if stack else None
            depth = min((sections[parent].depth + 1) if parent is not None else 1, MAX_SECTION_DEPTH)
            if parent is not None and depth == sections[parent].depth:
                parent = sections[parent].parent  # too deep: a sibling of the deepest level
            text = " ".join(heading.group(2).split())
            if len(text) > HEADING_CHARS:
                raise ValidationError(
                    _("A heading is longer than %(max)s characters: “%(start)s…”.")
                    % {"max": HEADING_CHARS, "start": text[:40]},
                    code="heading_too_long",
                )
            sections.append(ParsedSection(heading=text, level=level, depth=depth, parent=parent))
            stack.append(len(sections) - 1)
            if len(sections) > MAX_SECTIONS:
                raise ValidationError(
                    _("A plan has at most %(max)s sections.") % {"max": MAX_SECTIONS}, code="too_many"
                )
            continue
        target = sections[-1].lines if sections else intro
        if sections and not fence and not any(x.strip() for x in target):
            expertise = _EXPERTISE.match(line)
            if expertise:
                sections[-1].expertise = parse_tags(expertise.group(1))
                continue
        target.append(line)
    for section in sections:
        if len(section.body) > SECTION_MAX_CHARS:
            raise ValidationError(
                _("The text under “%(heading)s” is longer than %(max)s characters.")
                % {"heading": section.heading[:60], "max": f"{SECTION_MAX_CHARS:,}"},
                code="section_too_long",
            )
    intro_text = "\n".join(intro).strip()
    if len(intro_text) > SECTION_MAX_CHARS:
        raise ValidationError(_("The text before the first heading is too long."), code="intro_too_long")
    return ParsedPlan(intro=intro_text, sections=sections)
