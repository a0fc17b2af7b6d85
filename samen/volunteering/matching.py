"""Who fits which task, and why.

Two matchers share one ranking: skills (and languages named as skills), languages the task needs,
causes, overlap of working hours (online tasks), distance (tasks on location) and the hours a month
a member has. They differ only in how they judge skills:

- `lexical` (always there): both sides are normalised to concepts from `vocabulary`, so a task in
  French reaches a member whose skills are in English; a cosine over the shared concepts.
- `semantic` (the optional "semantic" extra): a sentence embedding of each side (see semantic.py),
  with the vocabulary's English labels added to the text so that the English model also reads
  other languages' skills.

The scoring works on plain profiles (no ORM), so one member's suggestions, a digest for a hundred
thousand members, and the quality measurement on the labelled set all run the same code.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from samen.core.causes import CAUSE_LABELS

from . import vocabulary

WEIGHTS = {"skills": 0.55, "languages": 0.15, "causes": 0.1, "where": 0.1, "availability": 0.1}
NEAR_KM = 10.0
FAR_KM = 150.0
WORKDAY_HOURS = 9.0
TOP = 5


@dataclass(frozen=True)
class MemberProfile:
    id: int
    skills: frozenset[str]
    languages: frozenset[str]
    causes: frozenset[str] = frozenset()
    tz_offset: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    availability: int = 0
    text: str = ""  # what the semantic matcher reads


@dataclass(frozen=True)
class OpportunityProfile:
    id: int
    skills: frozenset[str]  # terms of the skills list
    text_terms: frozenset[str]  # terms found in the title and description
    languages: frozenset[str]
    causes: frozenset[str] = frozenset()
    online: bool = True
    tz_offset: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    hours_needed: int = 1
    text: str = ""

    @property
    def all_terms(self) -> frozenset[str]:
        return self.skills | self.text_terms


@dataclass
class Suggestion:
    opportunity_id: int
    member_id: int
    score: float
    skills: list[str] = field(default_factory=list)  # matched terms
    languages: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    distance_km: float | None = None
    overlap_hours: float | None = None
    fits_availability: bool = False

    def reasons(self, *, for_owner: bool = False) -> list[str]:
        """Why, in the reader's language: "matches your skills: translation, Dutch"."""
        out = []
        if self.skills:
            names = ", ".join(vocabulary.label(term) for term in self.skills)
            out.append(
                (_("matches the skills: %(skills)s") if for_owner else _("matches your skills: %(skills)s"))
                % {"skills": names}
            )
        if self.languages:
            names = ", ".join(vocabulary.label(f"lang:{code}") for code in self.languages)
            out.append(
                _("speaks %(languages)s") % {"languages": names}
                if for_owner
                else _("in a language you speak: %(languages)s") % {"languages": names}
            )
        if self.causes:
            names = ", ".join(str(CAUSE_LABELS.get(code, code)) for code in self.causes)
            out.append(
                _("cares about %(causes)s") % {"causes": names}
                if for_owner
                else _("a cause you care about: %(causes)s") % {"causes": names}
            )
        if self.distance_km is not None:
            out.append(_("%(km)s km away") % {"km": round(self.distance_km)})
        if self.overlap_hours:
            hours = round(self.overlap_hours)
            out.append(
                ngettext(
                    "working hours overlap by %(hours)d hour",
                    "working hours overlap by %(hours)d hours",
                    hours,
                )
                % {"hours": hours}
            )
        if self.fits_availability:
            out.append(_("fits the hours available"))
        return out


# --- Profiles from plain values ------------------------------------------------------------------


@lru_cache(maxsize=1024)
def tz_offset(name: str) -> float | None:
    try:
        offset = datetime.now(UTC).astimezone(ZoneInfo(name or "UTC")).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


def _float(value) -> float | None:
    return None if value is None else float(value)


@lru_cache(maxsize=65536)
def _skill_terms(items: tuple[str, ...]) -> frozenset[str]:
    return frozenset(vocabulary.terms_for_list(list(items)))


@lru_cache(maxsize=4096)
def _language_codes(items: tuple[str, ...]) -> frozenset[str]:
    return frozenset(vocabulary.language_codes(list(items)))


def member_profile(
    id: int,
    *,
    skills,
    languages=(),
    causes=(),
    time_zone="UTC",
    latitude=None,
    longitude=None,
    availability=0,
    bio="",
    with_text=True,
) -> MemberProfile:
    skill_terms = _skill_terms(tuple(skills or ()))
    codes = _language_codes(tuple(languages or ())) | {
        term[5:] for term in skill_terms if term.startswith("lang:")
    }
    text = canonical_text(", ".join(skills or ()), skill_terms) if with_text else ""
    return MemberProfile(
        id=id,
        skills=skill_terms,
        languages=frozenset(codes),
        causes=frozenset(causes or ()),
        tz_offset=tz_offset(time_zone),
        latitude=_float(latitude),
        longitude=_float(longitude),
        availability=availability or 0,
        text=text,
    )


def opportunity_terms(*, title: str, description: str, skills) -> tuple[frozenset[str], frozenset[str]]:
    skill_terms = _skill_terms(tuple(skills or ()))
    text_terms = frozenset(
        term for term in vocabulary.terms_for(f"{title}\n{description}") if not term.startswith("stem:")
    )
    return skill_terms, text_terms - skill_terms


def opportunity_profile(
    id: int,
    *,
    title="",
    description="",
    skills=(),
    languages=(),
    causes=(),
    online=True,
    time_zone="UTC",
    latitude=None,
    longitude=None,
    hours_needed=1,
    terms=None,
    with_text=True,
) -> OpportunityProfile:
    """`terms` is what index_opportunity stored (saves normalising again); `with_text` builds the
    text the semantic matcher reads, which the lexical one does not need."""
    if terms:
        skill_terms, text_terms = frozenset(terms.get("skills", ())), frozenset(terms.get("text", ()))
    else:
        skill_terms, text_terms = opportunity_terms(title=title, description=description, skills=skills)
    return OpportunityProfile(
        id=id,
        skills=skill_terms,
        text_terms=text_terms,
        languages=_language_codes(tuple(languages or ())),
        causes=frozenset(causes or ()),
        online=online,
        tz_offset=tz_offset(time_zone),
        latitude=_float(latitude),
        longitude=_float(longitude),
        hours_needed=hours_needed or 1,
        text=canonical_text(f"{title}. {', '.join(skills or ())}. {description}", skill_terms | text_terms)
        if with_text
        else "",
    )


def canonical_text(text: str, terms) -> str:
    """The text plus the English labels of the concepts found in it, for the English embedding model."""
    labels = sorted(
        {str(vocabulary.SKILLS[t[6:]][0]) for t in terms if t.startswith("skill:")}
        | {str(vocabulary.LANGUAGES[t[5:]][0]) for t in terms if t.startswith("lang:")}
    )
    return f"{text} ({', '.join(labels)})" if labels else text


# --- Scoring ---------------------------------------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def skill_similarity(member: MemberProfile, opp: OpportunityProfile) -> tuple[float, list[str]]:
    """Lexical: a cosine over concepts; a skill named in the task's list counts fully, one only in
    its text counts half."""
    listed = member.skills & opp.skills
    mentioned = (member.skills & opp.text_terms) - listed
    if not listed and not mentioned:
        return 0.0, []
    weight = len(listed) + 0.5 * len(mentioned)
    size = max(len(opp.skills) + 0.25 * len(opp.text_terms), 1.0)
    score = weight / math.sqrt(size * max(len(member.skills), 1))
    return min(score, 1.0), sorted(listed) + sorted(mentioned)


def score(
    member: MemberProfile, opp: OpportunityProfile, skill: float, matched: list[str]
) -> Suggestion | None:
    """The whole ranking for one pair, given how well the skills fit (0..1). None: not a suggestion."""
    suggestion = Suggestion(opp.id, member.id, 0.0, skills=matched)
    total = total_score(member, opp, skill, suggestion)
    if total is None:
        return None
    suggestion.score = total
    return suggestion


def total_score(
    member: MemberProfile, opp: OpportunityProfile, skill: float, explain: Suggestion | None = None
) -> float | None:
    """The score alone (fast, for ranking many pairs); with `explain`, also fills in its reasons."""
    causes = member.causes & opp.causes
    if skill <= 0 and not causes:
        return None
    total = WEIGHTS["skills"] * skill
    if opp.languages:
        spoken = member.languages & opp.languages
        if explain is not None:
            explain.languages = sorted(spoken)
        total += WEIGHTS["languages"] * len(spoken) / len(opp.languages)
        if not spoken:
            total *= 0.4  # a task in a language the member does not speak is rarely theirs
    else:
        total += WEIGHTS["languages"]
    if causes:
        if explain is not None:
            explain.causes = sorted(causes)
        total += WEIGHTS["causes"]
    if opp.online:
        if member.tz_offset is not None and opp.tz_offset is not None:
            difference = abs(member.tz_offset - opp.tz_offset)
            difference = min(difference, 24 - difference)
            overlap = max(0.0, WORKDAY_HOURS - difference)
            if explain is not None:
                explain.overlap_hours = overlap
            total += WEIGHTS["where"] * overlap / WORKDAY_HOURS
    elif None not in (member.latitude, member.longitude, opp.latitude, opp.longitude):
        km = distance_km(member.latitude, member.longitude, opp.latitude, opp.longitude)  # type: ignore[arg-type]
        if explain is not None:
            explain.distance_km = km
        closeness = 1.0 if km <= NEAR_KM else max(0.0, 1 - (km - NEAR_KM) / (FAR_KM - NEAR_KM))
        total += WEIGHTS["where"] * closeness
        if km > FAR_KM:
            total *= 0.2  # on location, far away: only if nothing else fits
    else:
        total *= 0.5  # on location, and we do not know where the member is
    if member.availability:
        needed = min(opp.hours_needed, 40)
        fits = member.availability >= needed
        if explain is not None:
            explain.fits_availability = fits
        total += WEIGHTS["availability"] * (1.0 if fits else member.availability / needed)
    else:
        total += WEIGHTS["availability"] * 0.5
    return round(total, 6)


class LexicalMatcher:
    name = "lexical"

    def pair(self, member: MemberProfile, opp: OpportunityProfile) -> Suggestion | None:
        skill, matched = skill_similarity(member, opp)
        return score(member, opp, skill, matched)

    def rank(self, member: MemberProfile, opportunities, *, top: int = TOP) -> list[Suggestion]:
        found = (self.pair(member, opp) for opp in opportunities)
        return heapq.nlargest(top, (s for s in found if s), key=lambda s: (s.score, -s.opportunity_id))


class Index:
    """Open opportunities in memory with an inverted index of their terms: for many members at once.

    Ranking is exact but lazy: candidates are ordered by their skill similarity (counted while
    walking the posting lists), and the full score is computed only while a candidate could still
    enter the top: the other factors add at most `1 - WEIGHTS["skills"]`, and penalties only lower it.
    """

    def __init__(self, opportunities: list[OpportunityProfile]):
        self.opportunities = opportunities
        self.by_skill: dict[str, list[int]] = defaultdict(list)
        self.by_text: dict[str, list[int]] = defaultdict(list)
        self.by_cause: dict[str, list[int]] = defaultdict(list)
        self.size: list[float] = []
        for i, opp in enumerate(opportunities):
            for term in opp.skills:
                self.by_skill[term].append(i)
            for term in opp.text_terms:
                self.by_text[term].append(i)
            for cause in opp.causes:
                self.by_cause[cause].append(i)
            self.size.append(max(len(opp.skills) + 0.25 * len(opp.text_terms), 1.0))

    def candidates(self, member: MemberProfile) -> dict[int, float]:
        """Opportunity index → lexical skill similarity (0 for a shared cause only)."""
        weight: dict[int, float] = defaultdict(float)
        for term in member.skills:
            for i in self.by_skill.get(term, ()):
                weight[i] += 1.0
            for i in self.by_text.get(term, ()):
                weight[i] += 0.5
        if not weight:
            for cause in member.causes:
                for i in self.by_cause.get(cause, ()):
                    weight[i] += 0.0
        width = max(len(member.skills), 1)
        return {i: min(w / math.sqrt(self.size[i] * width), 1.0) for i, w in weight.items()}

    def rank(self, member: MemberProfile, matcher=None, *, top: int = TOP) -> list[Suggestion]:
        """The lexical top `top`, exactly as LexicalMatcher.rank over every candidate would give it."""
        matcher = matcher or LexicalMatcher()
        skills = self.candidates(member)
        ordered = sorted(skills.items(), key=lambda item: (-item[1], item[0]))
        best: list[tuple[float, int, int]] = []  # a min-heap of (score, -id, index) of the top so far
        rest = 1.0 - WEIGHTS["skills"]
        for i, skill in ordered:
            if len(best) == top and WEIGHTS["skills"] * skill + rest < best[0][0]:
                break  # nobody further down can enter the top
            opp = self.opportunities[i]
            total = total_score(member, opp, skill)
            if total is None:
                continue
            item = (total, -opp.id, i)
            if len(best) < top:
                heapq.heappush(best, item)
            elif item[:2] > best[0][:2]:
                heapq.heapreplace(best, item)
        # Only the winners are explained.
        winners = [matcher.pair(member, self.opportunities[i]) for _s, _id, i in sorted(best, reverse=True)]
        return [w for w in winners if w is not None]


def match_batch(members, opportunities: list[OpportunityProfile], *, top: int = TOP):
    """(member, suggestions) for every member, against one in-memory index of the opportunities."""
    index = Index(opportunities)
    matcher = LexicalMatcher()
    for member in members:
        yield member, index.rank(member, matcher, top=top)
