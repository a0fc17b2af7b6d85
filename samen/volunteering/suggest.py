"""Suggestions from the database: tasks for a member, members for a task, and the weekly batch.

A member's suggestions look candidates up in the term index (OpportunityTerm) rather than reading
every open task, so one member among 10,000 tasks reads a few hundred rows.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, replace

from . import matching
from .models import Opportunity, OpportunityTerm, Participation

TEXT_FIELDS = ("title", "description", "skills")  # what the semantic matcher reads besides
OPPORTUNITY_FIELDS = (
    "id",
    "mode",
    "time_zone",
    "latitude",
    "longitude",
    "hours_needed",
    "terms",
    "initiative__causes",
)
MEMBER_FIELDS = (
    "id",
    "skills",
    "languages",
    "causes",
    "time_zone",
    "latitude",
    "longitude",
    "availability_hours",
)
MAX_CANDIDATES = 100
MEMO_PROFILES = 200_000


@dataclass
class Suggested:
    opportunity: Opportunity
    suggestion: matching.Suggestion

    @property
    def reasons(self) -> list[str]:
        return self.suggestion.reasons()


def profile_of_member(member) -> matching.MemberProfile:
    return matching.member_profile(
        member.pk,
        skills=member.skills,
        languages=member.languages,
        causes=member.causes,
        time_zone=member.time_zone,
        latitude=member.latitude,
        longitude=member.longitude,
        availability=member.availability_hours,
        bio=getattr(member, "bio", ""),
    )


def profile_of_row(row: dict, *, with_text: bool = False) -> matching.OpportunityProfile:
    """A profile from the stored terms (index_opportunity wrote them), without normalising again."""
    terms = row["terms"] if isinstance(row["terms"], dict) else {}
    return matching.opportunity_profile(
        row["id"],
        title=row.get("title", ""),
        description=row.get("description", ""),
        skills=row.get("skills", ()),
        languages=terms.get("languages", row.get("languages", ())),
        causes=row["initiative__causes"],
        online=row["mode"] == Opportunity.Mode.ONLINE,
        time_zone=row["time_zone"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        hours_needed=row["hours_needed"],
        terms=terms or None,
        with_text=with_text,
    )


def _open_rows(queryset):
    from .actions import open_opportunities

    return open_opportunities().filter(pk__in=queryset).values(*OPPORTUNITY_FIELDS)


def for_member(member, *, top: int = matching.TOP, matcher=None) -> list[Suggested]:
    """The member's best open tasks, leaving out ones they already take part in."""
    profile = profile_of_member(member)
    if not profile.skills and not profile.causes:
        return []
    # The tasks sharing the most terms with the member, found in the term index and counted here
    # (cheaper than GROUP BY on SQLite); the closed ones drop out when the rows are read.
    shared = Counter(
        OpportunityTerm.objects.filter(term__in=sorted(profile.skills)).values_list(
            "opportunity_id", flat=True
        )
    )
    best = heapq.nlargest(
        MAX_CANDIDATES + MAX_CANDIDATES // 2, shared.items(), key=lambda item: (item[1], item[0])
    )
    rows = sorted(_open_rows([pk for pk, _count in best]), key=lambda row: (-shared[row["id"]], -row["id"]))
    rows = rows[:MAX_CANDIDATES]
    taken = set(Participation.objects.filter(member=member).values_list("opportunity_id", flat=True))
    profiles = [profile_of_row(row) for row in rows if row["id"] not in taken]
    ranked = (matcher or matching.LexicalMatcher()).rank(profile, profiles, top=top)
    found = (
        Opportunity.objects.select_related("initiative")
        .defer("initiative__story", "initiative__story_rendered")
        .in_bulk([s.opportunity_id for s in ranked])
    )
    return [Suggested(found[s.opportunity_id], s) for s in ranked if s.opportunity_id in found]


def members_for(opportunity: Opportunity, *, top: int = 10) -> list[tuple[object, matching.Suggestion]]:
    """Members who opted in to invitations and fit the task, best first (not those already on it)."""
    from samen.people.models import Member

    row = Opportunity.objects.filter(pk=opportunity.pk).values(*OPPORTUNITY_FIELDS).get()
    opp = profile_of_row(row)
    already = Participation.objects.filter(opportunity=opportunity).values("member_id")
    members = Member.objects.filter(is_active=True, open_to_invitations=True).exclude(pk__in=already)
    matcher = matching.LexicalMatcher()
    scored = []
    for values in members.values(*MEMBER_FIELDS).iterator(chunk_size=2000):
        member = _member_from_row(values)
        if not member.skills and not member.causes:
            continue
        suggestion = matcher.pair(member, opp)
        if suggestion is not None and suggestion.skills:
            scored.append(suggestion)
    scored.sort(key=lambda s: (-s.score, s.member_id))
    chosen = scored[:top]
    by_pk = Member.objects.in_bulk([s.member_id for s in chosen])
    return [(by_pk[s.member_id], s) for s in chosen if s.member_id in by_pk]


def _member_from_row(values: dict) -> matching.MemberProfile:
    return matching.member_profile(
        values["id"],
        skills=values["skills"],
        languages=values["languages"],
        causes=values["causes"],
        time_zone=values["time_zone"],
        latitude=values["latitude"],
        longitude=values["longitude"],
        availability=values["availability_hours"],
        with_text=False,
    )


def batch(members_queryset, opportunities_queryset, *, top: int = matching.TOP):
    """(member id, suggestions) for every member, against the given tasks held in memory."""
    opportunities = [profile_of_row(row) for row in opportunities_queryset.values(*OPPORTUNITY_FIELDS)]
    index = matching.Index(opportunities)
    matcher = matching.LexicalMatcher()
    # Members with the same matching attributes get the same ranking: rank each profile once.
    seen: dict[tuple, list[matching.Suggestion]] = {}
    for values in members_queryset.values(*MEMBER_FIELDS).iterator(chunk_size=5000):
        member = _member_from_row(values)
        if not member.skills:
            continue
        key = (
            member.skills,
            member.languages,
            member.causes,
            member.tz_offset,
            member.latitude,
            member.longitude,
            member.availability,
        )
        ranked = seen.get(key)
        if ranked is None:
            ranked = index.rank(member, matcher, top=top)
            if len(seen) < MEMO_PROFILES:
                seen[key] = ranked
        if ranked:
            yield member.id, [replace(s, member_id=member.id) for s in ranked]
