"""Read-side helpers shared by the plan page and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from .models import Reaction, Section


def section_rows(plan) -> list[Section]:
    """The plan's sections in order, numbered ("1.2"), with their answer counts: two queries."""
    sections = list(plan.sections.order_by("position", "id"))
    counts: dict[int, Any] = {
        row["section"]: row
        for row in Reaction.objects.filter(section__plan=plan)
        .values("section")
        .annotate(
            everything=Count("id"),
            top=Count("id", filter=Q(parent__isnull=True)),
            answered=Count("id", filter=Q(parent__isnull=True) & ~Q(state=Reaction.State.OPEN)),
        )
        .order_by()
    }
    for section in sections:
        row = counts.get(section.pk, {})
        section.reaction_total = row.get("everything", 0)
        section.to_answer_total = row.get("top", 0)
        section.answered_total = row.get("answered", 0)
    number_sections(sections)
    return sections


def number_sections(sections) -> None:
    counters: list[int] = []
    for section in sections:
        depth = section.depth
        if len(counters) >= depth:
            counters = counters[:depth]
            counters[-1] += 1
        else:
            counters += [1] * (depth - len(counters))
        section.number = ".".join(str(n) for n in counters)
