"""Precision@5 of a matcher on the labelled set in labelled_set.json.

`python -m samen.volunteering.quality` (with DJANGO_SETTINGS_MODULE set) prints both matchers'.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import matching

DATA = Path(__file__).resolve().parent / "labelled_set.json"
K = 5


@dataclass
class Quality:
    matcher: str
    precision_at_5: float
    best_possible: float  # some members have fewer than five relevant tasks
    per_member: dict[str, float]


@lru_cache(maxsize=1)
def labelled_set():
    data = json.loads(DATA.read_text())
    members = {}
    for i, row in enumerate(data["members"], start=1):
        members[row["key"]] = matching.member_profile(
            i,
            skills=row["skills"],
            languages=row["languages"],
            causes=row["causes"],
            time_zone=row["time_zone"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            availability=row["availability"],
        )
    opportunities = [
        matching.opportunity_profile(
            row["id"],
            title=row["title"],
            description=row["description"],
            skills=row["skills"],
            languages=row["languages"],
            causes=row["causes"],
            online=row["mode"] == "online",
            time_zone=row["time_zone"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            hours_needed=row["hours_needed"],
        )
        for row in data["opportunities"]
    ]
    relevant = {key: set(ids) for key, ids in data["relevant"].items()}
    return members, opportunities, relevant


def measure(matcher=None) -> Quality:
    members, opportunities, relevant = labelled_set()
    matcher = matcher or matching.LexicalMatcher()
    per_member = {}
    if isinstance(matcher, matching.LexicalMatcher):
        index = matching.Index(opportunities)
        ranked = {key: index.rank(member, matcher, top=K) for key, member in members.items()}
    else:
        ranked = {key: matcher.rank(member, opportunities, top=K) for key, member in members.items()}
    for key, suggestions in ranked.items():
        hits = sum(1 for s in suggestions[:K] if s.opportunity_id in relevant[key])
        per_member[key] = hits / K
    best = sum(min(K, len(ids)) / K for ids in relevant.values()) / len(relevant)
    return Quality(matcher.name, sum(per_member.values()) / len(per_member), best, per_member)


def main() -> None:  # pragma: no cover - a report for people
    import django

    django.setup()
    from . import semantic

    for matcher in [
        matching.LexicalMatcher(),
        *([semantic.SemanticMatcher()] if semantic.available() else []),
    ]:
        quality = measure(matcher)
        print(
            f"{quality.matcher}: precision@5 {quality.precision_at_5:.3f} (best possible {quality.best_possible:.3f})"
        )
        print("  ", {k: round(v, 2) for k, v in quality.per_member.items()})


if __name__ == "__main__":  # pragma: no cover
    main()
