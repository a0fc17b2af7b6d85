"""A date range and a category together, answered from a summary instead of grouping the reports.

Migration 0005 keeps a per-day summary (`reports_cellday`) and a per-category-tag summary
(`reports_celltag`); a view with both filters had neither and grouped the reports table, which at a
million reports took seconds for a country-wide view. `reports_celltagday` is the two together: per
map, category tag, H3 cell, UTC day, status, source and primary category, a count and coordinate
sums. A report counts once under each of its tags (its categories, many-to-many and primary, and
all their ancestors), as in `reports_celltag`.

Resolutions r2 to r8 (TAG_DAY_RESOLUTIONS, zooms up to 14; r0 and r1 are grouped from r2) are
kept. At r9 (zoom 15) a view is a few streets, and the reports in it are read through the place
index instead (clustering.py): a ninth resolution would add a row per report and tag to every
write and to a bulk rebuild, for views that are cheap without it.

The triggers mirror 0005's tag triggers, with the day in the key; they share its pause table. Moving
a category to another parent recounts the map's tag days, inside 0005's move trigger (SQLite) or
function (PostgreSQL), which this migration replaces with a version that also does that: the
recount must run after the closure table has changed, and SQLite gives no order among triggers.
"""

# The statements are fixed DDL and trigger text built from constants: no value from outside goes in.
# ruff: noqa: S608
from importlib import import_module

from django.db import migrations

filters = import_module("samen.reports.migrations.0005_cluster_filters")

TAG_DAY_RESOLUTIONS = range(2, 9)  # clustering.DATED_TAG_RESOLUTIONS must match
KEY = "report_map_id, tag_id, cell, day, status, source, category_id"
THROUGH = filters.THROUGH
WATCHED = filters.WATCHED
NUMBERS = "(" + " UNION ALL ".join(f"SELECT {r} AS res" for r in TAG_DAY_RESOLUTIONS) + ")"


def cell_of(row: str, number: str) -> str:
    return "CASE " + " ".join(f"WHEN {number} = {r} THEN {row}.h3_r{r}" for r in TAG_DAY_RESOLUTIONS) + " END"


def cells(row: str) -> str:
    return ", ".join(f"{row}.h3_r{r}" for r in TAG_DAY_RESOLUTIONS)


def tag_day_rows_sql(resolution: int, day: str, report_map: str | None) -> str:
    """Every counted report once per tag, grouped per day at one resolution (as 0005's tag_rows_sql)."""
    mine = f"report_map_id = {report_map}" if report_map else "1 = 1"
    also_mine = f"m.report_map_id = {report_map}" if report_map else "1 = 1"
    return f"""SELECT r.report_map_id, tagged.tag_id, r.h3_r{resolution}, {day.format(row="r")}, r.status, r.source,
               COALESCE(r.primary_category_id, 0), COUNT(*),
               SUM(CAST(r.latitude AS double precision)), SUM(CAST(r.longitude AS double precision))
        FROM (
            SELECT DISTINCT carried.report_id, tree.ancestor_id AS tag_id FROM (
                SELECT id AS report_id, primary_category_id AS category_id FROM reports_report
                WHERE {mine} AND primary_category_id IS NOT NULL
                UNION ALL SELECT c.report_id, c.category_id FROM {THROUGH} c
                JOIN reports_report m ON m.id = c.report_id WHERE {also_mine}
            ) AS carried JOIN reports_categorytree tree ON tree.descendant_id = carried.category_id
        ) AS tagged JOIN reports_report r ON r.id = tagged.report_id
        WHERE {filters.located("r")}
        GROUP BY 1, 2, 3, 4, 5, 6, 7"""


def recount(day: str, report_map: str | None) -> list[str]:
    return [
        f"INSERT INTO reports_celltagday ({KEY}, n, sum_lat, sum_lng) {tag_day_rows_sql(r, day, report_map)}"
        for r in TAG_DAY_RESOLUTIONS
    ]


# --- SQLite ----------------------------------------------------------------------------------------

SQLITE_DAY = filters.SQLITE_DAY


def _sqlite_move_trigger(with_tag_days: bool) -> list[str]:
    """0005's reports_categorytree_move, with (or, going back, without) the tag-day recount."""
    nl = "\n"
    tag_days = ""
    if with_tag_days:
        tag_days = "DELETE FROM reports_celltagday WHERE report_map_id = NEW.report_map_id;\n" + nl.join(
            s + ";" for s in recount(SQLITE_DAY, "NEW.report_map_id")
        )
    return [
        "DROP TRIGGER IF EXISTS reports_categorytree_move",
        f"""CREATE TRIGGER reports_categorytree_move AFTER UPDATE OF parent_id ON reports_category
        WHEN OLD.parent_id IS NOT NEW.parent_id
        BEGIN
            DELETE FROM reports_categorytree
            WHERE descendant_id IN (SELECT descendant_id FROM reports_categorytree WHERE ancestor_id = NEW.id)
              AND ancestor_id NOT IN (SELECT descendant_id FROM reports_categorytree WHERE ancestor_id = NEW.id);
            INSERT INTO reports_categorytree (descendant_id, ancestor_id)
            SELECT below.descendant_id, above.ancestor_id
            FROM reports_categorytree above, reports_categorytree below
            WHERE above.descendant_id = NEW.parent_id AND below.ancestor_id = NEW.id;
            DELETE FROM reports_celltag WHERE report_map_id = NEW.report_map_id;
            {nl.join(s + ";" for s in filters.recount_tags_sqlite("NEW.report_map_id"))}
            {tag_days}
        END""",
    ]


def _sqlite() -> list[str]:
    def day(row: str) -> str:
        return SQLITE_DAY.format(row=row)

    upsert = "DO UPDATE SET n = n + excluded.n, sum_lat = sum_lat + excluded.sum_lat, sum_lng = sum_lng + excluded.sum_lng"

    def match(row: str) -> str:
        return (
            f"report_map_id = {row}.report_map_id AND cell IN ({cells(row)}) AND day = {day(row)} "
            f"AND status = {row}.status AND source = {row}.source "
            f"AND category_id = COALESCE({row}.primary_category_id, 0)"
        )

    def add(row: str) -> str:
        # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT, not a join.
        return (
            f"INSERT INTO reports_celltagday ({KEY}, n, sum_lat, sum_lng) "
            f"SELECT {row}.report_map_id, tag.ancestor_id, {cell_of(row, 'k.res')}, {day(row)}, {row}.status, "
            f"{row}.source, COALESCE({row}.primary_category_id, 0), 1, {row}.latitude, {row}.longitude "
            f"FROM ({filters.tags_of(f'{row}.id', f'{row}.primary_category_id')}) AS tag, {NUMBERS} AS k "
            f"WHERE true ON CONFLICT ({KEY}) {upsert};"
        )

    def remove(row: str) -> str:
        where = f"{match(row)} AND tag_id IN ({filters.tags_of(f'{row}.id', f'{row}.primary_category_id')})"
        return (
            f"UPDATE reports_celltagday SET n = n - 1, sum_lat = sum_lat - {row}.latitude, "
            f"sum_lng = sum_lng - {row}.longitude WHERE {where};\n"
            f"DELETE FROM reports_celltagday WHERE {where} AND n <= 0;"
        )

    def through_change(row: str, sign: str) -> list[str]:
        """A many-to-many row in (+) or out (-): the tags it alone gives its report, in or out."""
        only_this = (
            f"SELECT ancestor_id FROM reports_categorytree WHERE descendant_id = {row}.category_id "
            f"EXCEPT SELECT ancestor_id FROM reports_categorytree WHERE descendant_id = r.primary_category_id "
            f"OR descendant_id IN (SELECT category_id FROM {THROUGH} WHERE report_id = r.id AND category_id <> {row}.category_id)"
        )
        if sign == "+":
            return [
                f"INSERT INTO reports_celltagday ({KEY}, n, sum_lat, sum_lng) "
                f"SELECT r.report_map_id, tag.ancestor_id, {cell_of('r', 'k.res')}, {day('r')}, r.status, r.source, "
                f"COALESCE(r.primary_category_id, 0), 1, r.latitude, r.longitude "
                f"FROM reports_report r, {NUMBERS} AS k, reports_categorytree tag "
                f"WHERE r.id = {row}.report_id AND tag.descendant_id = {row}.category_id AND tag.ancestor_id IN ({only_this}) "
                f"ON CONFLICT ({KEY}) {upsert};"
            ]
        report = f"(SELECT %s FROM reports_report WHERE id = {row}.report_id)"
        removed = only_this.replace("r.primary_category_id", report % "primary_category_id").replace(
            "r.id", f"{row}.report_id"
        )
        where = (
            f"(report_map_id, day, status, source, category_id) = "
            f"(SELECT report_map_id, {day('reports_report')}, status, source, COALESCE(primary_category_id, 0) "
            f"FROM reports_report WHERE id = {row}.report_id) "
            f"AND cell IN (SELECT {cell_of('r', 'k.res')} FROM reports_report r, {NUMBERS} AS k WHERE r.id = {row}.report_id) "
            f"AND tag_id IN ({removed})"
        )
        return [
            f"UPDATE reports_celltagday SET n = n - 1, sum_lat = sum_lat - {report % 'latitude'}, "
            f"sum_lng = sum_lng - {report % 'longitude'} WHERE {where};",
            f"DELETE FROM reports_celltagday WHERE {where} AND n <= 0;",
        ]

    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in WATCHED)
    day_changed = f"{changed} OR OLD.event_at IS NOT NEW.event_at"
    watched = ", ".join([*WATCHED, "event_at"])
    through_counted = (
        f"EXISTS (SELECT 1 FROM reports_report r WHERE r.id = {{row}}.report_id AND {filters.counted('r')})"
    )
    nl = "\n"
    return [
        # WITHOUT ROWID: rows are stored in key order, so a tag's cell's days are one range.
        f"""CREATE TABLE reports_celltagday (
            report_map_id bigint NOT NULL, tag_id bigint NOT NULL, cell bigint NOT NULL, day integer NOT NULL,
            status varchar(10) NOT NULL, source varchar(10) NOT NULL, category_id bigint NOT NULL,
            n integer NOT NULL, sum_lat real NOT NULL, sum_lng real NOT NULL,
            PRIMARY KEY ({KEY})
        ) WITHOUT ROWID""",
        f"""CREATE TRIGGER reports_celltagday_insert AFTER INSERT ON reports_report
        WHEN {filters.counted("NEW")}
        BEGIN
            {add("NEW")}
        END""",
        f"""CREATE TRIGGER reports_celltagday_delete AFTER DELETE ON reports_report
        WHEN {filters.counted("OLD")}
        BEGIN
            {remove("OLD")}
        END""",
        f"""CREATE TRIGGER reports_celltagday_update_out AFTER UPDATE OF {watched} ON reports_report
        WHEN ({day_changed}) AND {filters.counted("OLD")}
        BEGIN
            {remove("OLD")}
        END""",
        f"""CREATE TRIGGER reports_celltagday_update_in AFTER UPDATE OF {watched} ON reports_report
        WHEN ({day_changed}) AND {filters.counted("NEW")}
        BEGIN
            {add("NEW")}
        END""",
        f"""CREATE TRIGGER reports_celltagday_tagged AFTER INSERT ON {THROUGH}
        WHEN {through_counted.format(row="NEW")}
        BEGIN
            {nl.join(through_change("NEW", "+"))}
        END""",
        f"""CREATE TRIGGER reports_celltagday_untagged AFTER DELETE ON {THROUGH}
        WHEN {through_counted.format(row="OLD")}
        BEGIN
            {nl.join(through_change("OLD", "-"))}
        END""",
        *_sqlite_move_trigger(with_tag_days=True),
        *recount(SQLITE_DAY, None),
    ]


SQLITE_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS reports_celltagday_{name}"
        for name in ("insert", "delete", "update_out", "update_in", "tagged", "untagged")
    ),
    *_sqlite_move_trigger(with_tag_days=False),
    "DROP TABLE IF EXISTS reports_celltagday",
]


# --- PostgreSQL ------------------------------------------------------------------------------------

POSTGRESQL_DAY = filters.POSTGRESQL_DAY


def _postgresql_tree_function(with_tag_days: bool) -> str:
    """0005's reports_categorytree_apply(), with (or, going back, without) the tag-day recount."""
    tag_days = ""
    if with_tag_days:
        tag_days = "DELETE FROM reports_celltagday WHERE report_map_id = NEW.report_map_id; " + " ".join(
            s + ";" for s in recount(POSTGRESQL_DAY, "NEW.report_map_id")
        )
    return f"""CREATE OR REPLACE FUNCTION reports_categorytree_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM reports_categorytree WHERE descendant_id = OLD.id OR ancestor_id = OLD.id;
                RETURN NULL;
            END IF;
            IF TG_OP = 'UPDATE' THEN
                DELETE FROM reports_categorytree
                WHERE descendant_id IN (SELECT descendant_id FROM reports_categorytree WHERE ancestor_id = NEW.id)
                  AND ancestor_id NOT IN (SELECT descendant_id FROM reports_categorytree WHERE ancestor_id = NEW.id);
                INSERT INTO reports_categorytree (descendant_id, ancestor_id)
                SELECT below.descendant_id, above.ancestor_id
                FROM reports_categorytree above, reports_categorytree below
                WHERE above.descendant_id = NEW.parent_id AND below.ancestor_id = NEW.id;
                -- The subtree's reports have other tags now: recount the map's.
                DELETE FROM reports_celltag WHERE report_map_id = NEW.report_map_id;
                {" ".join(s + ";" for s in filters.recount_tags_postgresql("NEW.report_map_id"))}
                {tag_days}
                RETURN NULL;
            END IF;
            INSERT INTO reports_categorytree (descendant_id, ancestor_id)
            SELECT NEW.id, ancestor_id FROM reports_categorytree WHERE descendant_id = NEW.parent_id
            UNION SELECT NEW.id, NEW.id;
            RETURN NULL;
        END
        $$"""


def _postgresql() -> list[str]:
    day = lambda row: POSTGRESQL_DAY.format(row=row)  # noqa: E731
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in WATCHED)
    counted = filters.counted

    def change(row: str, sign: int, tags: str) -> str:
        if sign > 0:
            return f"""INSERT INTO reports_celltagday ({KEY}, n, sum_lat, sum_lng)
                SELECT {row}.report_map_id, tag, cell, {day(row)}, {row}.status, {row}.source,
                       COALESCE({row}.primary_category_id, 0),
                       1, {row}.latitude::double precision, {row}.longitude::double precision
                FROM ({tags}) AS tags(tag), unnest(ARRAY[{cells(row)}]) AS cell
                ON CONFLICT ({KEY}) DO UPDATE SET n = reports_celltagday.n + 1,
                    sum_lat = reports_celltagday.sum_lat + EXCLUDED.sum_lat,
                    sum_lng = reports_celltagday.sum_lng + EXCLUDED.sum_lng;"""
        where = (
            f"report_map_id = {row}.report_map_id AND cell = ANY(ARRAY[{cells(row)}]) AND day = {day(row)} "
            f"AND status = {row}.status AND source = {row}.source "
            f"AND category_id = COALESCE({row}.primary_category_id, 0) AND tag_id IN ({tags})"
        )
        return f"""UPDATE reports_celltagday SET n = n - 1,
                    sum_lat = sum_lat - {row}.latitude::double precision,
                    sum_lng = sum_lng - {row}.longitude::double precision
                WHERE {where};
                DELETE FROM reports_celltagday WHERE {where} AND n <= 0;"""

    def report_tags(row: str) -> str:
        return filters.tags_of(f"{row}.id", f"{row}.primary_category_id")

    def only_this(row: str, report: str) -> str:
        # In a BEFORE trigger the row itself is not yet in (or still in) the table: leave it out by id.
        return (
            f"SELECT ancestor_id FROM reports_categorytree WHERE descendant_id = {row}.category_id "
            f"EXCEPT SELECT ancestor_id FROM reports_categorytree WHERE descendant_id = {report}.primary_category_id "
            f"OR descendant_id IN (SELECT category_id FROM {THROUGH} WHERE report_id = {report}.id AND id <> {row}.id)"
        )

    return [
        f"""CREATE TABLE reports_celltagday (
            report_map_id bigint NOT NULL, tag_id bigint NOT NULL, cell bigint NOT NULL, day integer NOT NULL,
            status varchar(10) NOT NULL, source varchar(10) NOT NULL, category_id bigint NOT NULL,
            n integer NOT NULL, sum_lat double precision NOT NULL, sum_lng double precision NOT NULL,
            PRIMARY KEY ({KEY}) INCLUDE (n, sum_lat, sum_lng)
        )""",
        f"""CREATE FUNCTION reports_celltagday_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND {counted("OLD")} THEN
                {change("OLD", -1, report_tags("OLD"))}
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND {counted("NEW")} THEN
                {change("NEW", 1, report_tags("NEW"))}
            END IF;
            RETURN NULL;
        END
        $$""",
        """CREATE TRIGGER reports_celltagday_insert_delete AFTER INSERT OR DELETE ON reports_report
        FOR EACH ROW EXECUTE FUNCTION reports_celltagday_apply()""",
        f"""CREATE TRIGGER reports_celltagday_update AFTER UPDATE ON reports_report
        FOR EACH ROW WHEN ({changed} OR OLD.event_at IS DISTINCT FROM NEW.event_at)
        EXECUTE FUNCTION reports_celltagday_apply()""",
        f"""CREATE FUNCTION reports_celltagday_through() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            r record;
        BEGIN
            IF TG_OP = 'INSERT' THEN
                SELECT * INTO r FROM reports_report WHERE id = NEW.report_id;
                IF FOUND AND {counted("r")} THEN
                    {change("r", 1, only_this("NEW", "r"))}
                END IF;
                RETURN NEW;
            END IF;
            SELECT * INTO r FROM reports_report WHERE id = OLD.report_id;
            IF FOUND AND {counted("r")} THEN
                {change("r", -1, only_this("OLD", "r"))}
            END IF;
            RETURN OLD;
        END
        $$""",
        f"""CREATE TRIGGER reports_celltagday_through BEFORE INSERT OR DELETE ON {THROUGH}
        FOR EACH ROW EXECUTE FUNCTION reports_celltagday_through()""",
        # Django's test flush empties tables with TRUNCATE, which fires no row trigger.
        """CREATE FUNCTION reports_celltagday_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE reports_celltagday;
            RETURN NULL;
        END
        $$""",
        *(
            f"""CREATE TRIGGER reports_celltagday_truncate AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION reports_celltagday_truncate()"""
            for table in ("reports_report", "reports_category", THROUGH)
        ),
        _postgresql_tree_function(with_tag_days=True),
        *recount(POSTGRESQL_DAY, None),
    ]


POSTGRESQL_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS reports_celltagday_truncate ON {table}"
        for table in ("reports_report", "reports_category", THROUGH)
    ),
    f"DROP TRIGGER IF EXISTS reports_celltagday_through ON {THROUGH}",
    "DROP TRIGGER IF EXISTS reports_celltagday_update ON reports_report",
    "DROP TRIGGER IF EXISTS reports_celltagday_insert_delete ON reports_report",
    "DROP FUNCTION IF EXISTS reports_celltagday_truncate()",
    "DROP FUNCTION IF EXISTS reports_celltagday_through()",
    "DROP FUNCTION IF EXISTS reports_celltagday_apply()",
    _postgresql_tree_function(with_tag_days=False),
    "DROP TABLE IF EXISTS reports_celltagday",
]


def forwards(apps, schema_editor):
    statements = _postgresql() if schema_editor.connection.vendor == "postgresql" else _sqlite()
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    statements = POSTGRESQL_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_cluster_filters")]

    operations = [migrations.RunPython(forwards, backwards)]
