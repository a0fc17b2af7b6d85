"""Full-text search over initiatives: FTS5 on SQLite, tsvector/tsquery on PostgreSQL.

Both engines get the same query language, the one people type into search boxes:
words (all must match), "quoted phrases", `or` between alternatives and `-word` to exclude.
On PostgreSQL that is `websearch_to_tsquery`; on SQLite `fts5_query()` translates it into FTS5
syntax in which every user term is a quoted string, so nothing typed is ever read as an operator.

The index structures (FTS5 table and triggers; GIN expression index) are created by
migration 0003_search, which keeps its own frozen copy of the expressions below.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections
from django.db.models import FloatField, Q, QuerySet
from django.db.models.expressions import CombinedExpression, RawSQL

# "simple": no stemming and no stop words. Initiatives are written in English, Dutch, French
# and Haitian Creole, often mixed; a single-language stemmer would help one and hurt the others.
# SQLite's unicode61 tokenizer is likewise language-neutral.
PG_CONFIG = "simple"
MAX_QUERY_LENGTH = 200
MAX_TERMS = 16
_TERM = re.compile(r'"([^"]*)"?|(\S+)')


def search_vector() -> CombinedExpression:
    """Title counts most, then the summary, then the story. Must match the GIN index exactly."""
    return (
        SearchVector("title", config=PG_CONFIG, weight="A")
        + SearchVector("summary", config=PG_CONFIG, weight="B")
        + SearchVector("story", config=PG_CONFIG, weight="C")
    )


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _has_word(text: str) -> bool:
    # A string of only punctuation yields no tokens in FTS5 and would match nothing (or error).
    return any(ch.isalnum() for ch in text)


def fts5_query(q: str) -> str:
    """Translate a web-style query into a safe FTS5 MATCH expression ("" when nothing is searchable)."""
    groups: list[list[str]] = [[]]  # OR-separated groups of AND-ed phrases
    excluded: list[str] = []
    terms = 0
    for match in _TERM.finditer(q[:MAX_QUERY_LENGTH]):
        phrase, word = match.group(1), match.group(2)
        if word is not None and word.lower() == "or":
            if groups[-1]:
                groups.append([])
            continue
        negative = word is not None and word.startswith("-")
        text = word[1:] if negative else (phrase if phrase is not None else word)
        if not _has_word(text) or terms >= MAX_TERMS:
            continue
        terms += 1
        (excluded if negative else groups[-1]).append(_quote(text))
    groups = [group for group in groups if group]
    if not groups:
        # FTS5's NOT needs something on its left; a query of only exclusions finds nothing.
        return ""
    expression = " OR ".join("(" + " AND ".join(group) + ")" for group in groups)
    for phrase in excluded:
        expression = f"({expression}) NOT {phrase}"
    return expression


def search_initiatives(qs: QuerySet, q: str) -> QuerySet:
    """Filter `qs` to initiatives matching `q`, best match first (annotated as `search_rank`)."""
    q = (q or "").strip()[:MAX_QUERY_LENGTH]
    if not q:
        return qs
    vendor = connections[qs.db].vendor
    if vendor == "postgresql":
        query = SearchQuery(q, config=PG_CONFIG, search_type="websearch")
        vector = search_vector()
        return (
            qs.annotate(search_document=vector)
            .filter(search_document=query)
            .annotate(search_rank=SearchRank(vector, query))
            .order_by("-search_rank", "-created_at", "-id")
        )
    if vendor == "sqlite":
        expression = fts5_query(q)
        if not expression:
            return qs.none()
        matching = RawSQL("SELECT rowid FROM initiatives_fts WHERE initiatives_fts MATCH %s", [expression])
        # bm25() is only defined inside a MATCH query, hence the correlated subquery; it is
        # evaluated for matching rows only. Lower bm25 is better, so negate it.
        rank = RawSQL(
            "SELECT -bm25(initiatives_fts, 10.0, 4.0, 1.0) FROM initiatives_fts "
            'WHERE initiatives_fts MATCH %s AND initiatives_fts.rowid = "initiatives_initiative"."id"',
            [expression],
            output_field=FloatField(),
        )
        return (
            qs.filter(pk__in=matching)
            .annotate(search_rank=rank)
            .order_by("-search_rank", "-created_at", "-id")
        )
    # Any other engine: a plain substring match keeps search working, just without ranking.
    return qs.filter(Q(title__icontains=q) | Q(summary__icontains=q) | Q(story__icontains=q))
