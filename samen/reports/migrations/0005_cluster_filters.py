"""Summaries that let the map's date and category filters be answered without grouping the reports.

Migration 0002's `reports_cellcount` answers a view by (status, source, primary category). Two more
summaries, kept by triggers in the same way (and paused with it, through reports_cellcount_paused):

- `reports_cellday`: the same counts per UTC day of `event_at` (whole days since 1970-01-01). A
  date range sums the whole days it covers; the ragged ends of a range that does not start or stop
  at a UTC midnight (a reader in Nairobi asks from local midnight) are counted from the reports,
  which is less than a day on each side (clustering.py).
- `reports_celltag`: the counts per category *tag*. A report's tags are every category it carries
  (its many-to-many categories and its primary one) and all their ancestors, each once. Filtering on
  a category and its children is then one tag: a report with both "Water" and "Broken water point"
  counts once under "Water", as `Q(primary in subtree) | Exists(tagged in subtree)` would.

The ancestors come from `reports_categorytree`, a closure table (ancestor, descendant, including
each category itself) kept by triggers on reports_category, because SQLite allows no recursive
query inside a trigger. Moving a category to another parent changes the tags of its reports, so the
map's tag counts are recounted then (rare: an edit in the map's settings).

PostgreSQL runs AFTER row triggers at the end of the statement, when every row of a multi-row
INSERT into the many-to-many table is already visible; its trigger there is a BEFORE trigger, which
sees exactly the rows processed before it, as SQLite's row-by-row AFTER triggers do.
"""

# The statements are fixed DDL and trigger text built from constants: no value from outside goes in.
# ruff: noqa: S608
from django.db import migrations

RESOLUTIONS = range(2, 10)
PAUSED = "NOT EXISTS (SELECT 1 FROM reports_cellcount_paused p WHERE p.report_map_id = {row}.report_map_id)"
WATCHED = [
    "report_map_id",
    "status",
    "source",
    "primary_category_id",
    "latitude",
    "longitude",
    "merged_into_id",
] + [f"h3_r{r}" for r in RESOLUTIONS]
DAY_KEY = "report_map_id, cell, day, status, source, category_id"
TAG_KEY = "report_map_id, tag_id, cell, status, source, category_id"
THROUGH = "reports_report_categories"


def located(row: str) -> str:
    """Whether a report is on the map at all (as in 0002): placed, and not merged into another."""
    return (
        f"{row}.h3_r2 IS NOT NULL AND {row}.latitude IS NOT NULL AND {row}.longitude IS NOT NULL "
        f"AND {row}.merged_into_id IS NULL"
    )


def counted(row: str) -> str:
    """Whether the triggers count a report now: on the map, and its map's counting not paused."""
    return f"{located(row)} AND {PAUSED.format(row=row)}"


def cell_of(row: str, number: str) -> str:
    """The row's cell at the resolution `number` (2 to 9) holds, for a cross join with RESOLUTION_NUMBERS."""
    return "CASE " + " ".join(f"WHEN {number} = {r} THEN {row}.h3_r{r}" for r in RESOLUTIONS) + " END"


RESOLUTION_NUMBERS = "(" + " UNION ALL ".join(f"SELECT {r} AS res" for r in RESOLUTIONS) + ")"


def tags_of(report_id: str, primary: str, *, except_through: str = "") -> str:
    """The tags a report has: its categories (less one many-to-many row) and its primary, with ancestors."""
    other = f" AND {except_through}" if except_through else ""
    return (
        f"SELECT DISTINCT t.ancestor_id FROM reports_categorytree t WHERE t.descendant_id = {primary} "
        f"OR t.descendant_id IN (SELECT c.category_id FROM {THROUGH} c WHERE c.report_id = {report_id}{other})"
    )


# Points and GeoJSON for a box with a date range: the reports in the box, their dates read from the
# index rather than from each row (clustering.in_box).
PLACE_TIME_INDEX = "CREATE INDEX reports_report_place_time ON reports_report (report_map_id, status, latitude, longitude, event_at)"


# --- SQLite ----------------------------------------------------------------------------------------

SQLITE_DAY = "CAST(julianday(substr({row}.event_at, 1, 10)) - 2440587.5 AS integer)"


def _sqlite() -> list[str]:
    def day(row: str) -> str:
        return SQLITE_DAY.format(row=row)

    def cells(row: str) -> str:
        return ", ".join(f"{row}.h3_r{r}" for r in RESOLUTIONS)

    def match(row: str) -> str:
        return (
            f"report_map_id = {row}.report_map_id AND cell IN ({cells(row)}) AND status = {row}.status "
            f"AND source = {row}.source AND category_id = COALESCE({row}.primary_category_id, 0)"
        )

    upsert = "DO UPDATE SET n = n + excluded.n, sum_lat = sum_lat + excluded.sum_lat, sum_lng = sum_lng + excluded.sum_lng"

    def day_add(row: str) -> str:
        values = ", ".join(
            f"({row}.report_map_id, {row}.h3_r{r}, {day(row)}, {row}.status, {row}.source, "
            f"COALESCE({row}.primary_category_id, 0), 1, {row}.latitude, {row}.longitude)"
            for r in RESOLUTIONS
        )
        return f"INSERT INTO reports_cellday ({DAY_KEY}, n, sum_lat, sum_lng) VALUES {values} ON CONFLICT ({DAY_KEY}) {upsert};"

    def day_remove(row: str) -> str:
        where = f"{match(row)} AND day = {day(row)}"
        return (
            f"UPDATE reports_cellday SET n = n - 1, sum_lat = sum_lat - {row}.latitude, "
            f"sum_lng = sum_lng - {row}.longitude WHERE {where};\n"
            f"DELETE FROM reports_cellday WHERE {where} AND n <= 0;"
        )

    def tag_add(row: str) -> str:
        # "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT, not a join.
        return (
            f"INSERT INTO reports_celltag ({TAG_KEY}, n, sum_lat, sum_lng) "
            f"SELECT {row}.report_map_id, tag.ancestor_id, {cell_of(row, 'k.res')}, {row}.status, {row}.source, "
            f"COALESCE({row}.primary_category_id, 0), 1, {row}.latitude, {row}.longitude "
            f"FROM ({tags_of(f'{row}.id', f'{row}.primary_category_id')}) AS tag, {RESOLUTION_NUMBERS} AS k "
            f"WHERE true ON CONFLICT ({TAG_KEY}) {upsert};"
        )

    def tag_remove(row: str) -> str:
        where = f"{match(row)} AND tag_id IN ({tags_of(f'{row}.id', f'{row}.primary_category_id')})"
        return (
            f"UPDATE reports_celltag SET n = n - 1, sum_lat = sum_lat - {row}.latitude, "
            f"sum_lng = sum_lng - {row}.longitude WHERE {where};\n"
            f"DELETE FROM reports_celltag WHERE {where} AND n <= 0;"
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
                f"INSERT INTO reports_celltag ({TAG_KEY}, n, sum_lat, sum_lng) "
                f"SELECT r.report_map_id, tag.ancestor_id, {cell_of('r', 'k.res')}, r.status, r.source, "
                f"COALESCE(r.primary_category_id, 0), 1, r.latitude, r.longitude "
                f"FROM reports_report r, {RESOLUTION_NUMBERS} AS k, reports_categorytree tag "
                f"WHERE r.id = {row}.report_id AND tag.descendant_id = {row}.category_id AND tag.ancestor_id IN ({only_this}) "
                f"ON CONFLICT ({TAG_KEY}) {upsert};"
            ]
        report = f"(SELECT %s FROM reports_report WHERE id = {row}.report_id)"
        removed = only_this.replace("r.primary_category_id", report % "primary_category_id").replace(
            "r.id", f"{row}.report_id"
        )
        where = (
            f"(report_map_id, status, source, category_id) = ({report % 'report_map_id, status, source, COALESCE(primary_category_id, 0)'}) "
            f"AND cell IN (SELECT {cell_of('r', 'k.res')} FROM reports_report r, {RESOLUTION_NUMBERS} AS k WHERE r.id = {row}.report_id) "
            f"AND tag_id IN ({removed})"
        )
        return [
            f"UPDATE reports_celltag SET n = n - 1, sum_lat = sum_lat - {report % 'latitude'}, "
            f"sum_lng = sum_lng - {report % 'longitude'} WHERE {where};",
            f"DELETE FROM reports_celltag WHERE {where} AND n <= 0;",
        ]

    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in WATCHED)
    day_changed = f"{changed} OR OLD.event_at IS NOT NEW.event_at"
    through_counted = (
        f"EXISTS (SELECT 1 FROM reports_report r WHERE r.id = {{row}}.report_id AND {counted('r')})"
    )
    nl = "\n"
    return [
        # WITHOUT ROWID: rows are stored in key order, so a cell's days (or a tag's cells) are one range.
        f"""CREATE TABLE reports_cellday (
            report_map_id bigint NOT NULL, cell bigint NOT NULL, day integer NOT NULL,
            status varchar(10) NOT NULL, source varchar(10) NOT NULL, category_id bigint NOT NULL,
            n integer NOT NULL, sum_lat real NOT NULL, sum_lng real NOT NULL,
            PRIMARY KEY ({DAY_KEY})
        ) WITHOUT ROWID""",
        f"""CREATE TABLE reports_celltag (
            report_map_id bigint NOT NULL, tag_id bigint NOT NULL, cell bigint NOT NULL,
            status varchar(10) NOT NULL, source varchar(10) NOT NULL, category_id bigint NOT NULL,
            n integer NOT NULL, sum_lat real NOT NULL, sum_lng real NOT NULL,
            PRIMARY KEY ({TAG_KEY})
        ) WITHOUT ROWID""",
        """CREATE TABLE reports_categorytree (
            descendant_id bigint NOT NULL, ancestor_id bigint NOT NULL,
            PRIMARY KEY (descendant_id, ancestor_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX reports_categorytree_ancestor ON reports_categorytree (ancestor_id, descendant_id)",
        PLACE_TIME_INDEX,
        # The category tree.
        """CREATE TRIGGER reports_categorytree_insert AFTER INSERT ON reports_category
        BEGIN
            INSERT INTO reports_categorytree (descendant_id, ancestor_id)
            SELECT NEW.id, ancestor_id FROM reports_categorytree WHERE descendant_id = NEW.parent_id
            UNION SELECT NEW.id, NEW.id;
        END""",
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
            {(nl).join(s + ";" for s in recount_tags_sqlite("NEW.report_map_id"))}
        END""",
        """CREATE TRIGGER reports_categorytree_delete AFTER DELETE ON reports_category
        BEGIN
            DELETE FROM reports_categorytree WHERE descendant_id = OLD.id OR ancestor_id = OLD.id;
        END""",
        # The reports.
        f"""CREATE TRIGGER reports_cellfilters_insert AFTER INSERT ON reports_report
        WHEN {counted("NEW")}
        BEGIN
            {day_add("NEW")}
            {tag_add("NEW")}
        END""",
        f"""CREATE TRIGGER reports_cellfilters_delete AFTER DELETE ON reports_report
        WHEN {counted("OLD")}
        BEGIN
            {day_remove("OLD")}
            {tag_remove("OLD")}
        END""",
        f"""CREATE TRIGGER reports_cellfilters_update_out AFTER UPDATE OF {", ".join([*WATCHED, "event_at"])} ON reports_report
        WHEN ({day_changed}) AND {counted("OLD")}
        BEGIN
            {day_remove("OLD")}
        END""",
        f"""CREATE TRIGGER reports_cellfilters_update_in AFTER UPDATE OF {", ".join([*WATCHED, "event_at"])} ON reports_report
        WHEN ({day_changed}) AND {counted("NEW")}
        BEGIN
            {day_add("NEW")}
        END""",
        f"""CREATE TRIGGER reports_celltag_update_out AFTER UPDATE OF {", ".join(WATCHED)} ON reports_report
        WHEN ({changed}) AND {counted("OLD")}
        BEGIN
            {tag_remove("OLD")}
        END""",
        f"""CREATE TRIGGER reports_celltag_update_in AFTER UPDATE OF {", ".join(WATCHED)} ON reports_report
        WHEN ({changed}) AND {counted("NEW")}
        BEGIN
            {tag_add("NEW")}
        END""",
        # The many-to-many categories.
        f"""CREATE TRIGGER reports_celltag_tagged AFTER INSERT ON {THROUGH}
        WHEN {through_counted.format(row="NEW")}
        BEGIN
            {(nl).join(through_change("NEW", "+"))}
        END""",
        f"""CREATE TRIGGER reports_celltag_untagged AFTER DELETE ON {THROUGH}
        WHEN {through_counted.format(row="OLD")}
        BEGIN
            {(nl).join(through_change("OLD", "-"))}
        END""",
        # Fill them from what exists already.
        """WITH RECURSIVE tree(descendant_id, ancestor_id) AS (
            SELECT id, id FROM reports_category
            UNION SELECT tree.descendant_id, c.parent_id FROM tree JOIN reports_category c ON c.id = tree.ancestor_id
            WHERE c.parent_id IS NOT NULL
        ) INSERT INTO reports_categorytree (descendant_id, ancestor_id) SELECT descendant_id, ancestor_id FROM tree""",
        *fill_days(SQLITE_DAY.format(row="reports_report"), "1 = 1"),
        *recount_tags_sqlite(None),
    ]


def fill_days(day: str, where: str) -> list[str]:
    return [
        f"""INSERT INTO reports_cellday ({DAY_KEY}, n, sum_lat, sum_lng)
        SELECT report_map_id, h3_r{r}, {day}, status, source, COALESCE(primary_category_id, 0),
               COUNT(*), SUM(CAST(latitude AS double precision)), SUM(CAST(longitude AS double precision))
        FROM reports_report WHERE {where} AND {located("reports_report")}
        GROUP BY 1, 2, 3, 4, 5, 6"""
        for r in RESOLUTIONS
    ]


def recount_tags_sqlite(report_map: str | None) -> list[str]:
    return [
        f"INSERT INTO reports_celltag ({TAG_KEY}, n, sum_lat, sum_lng) {tag_rows_sql(r, report_map)}"
        for r in RESOLUTIONS
    ]


def tag_rows_sql(resolution: int, report_map: str | None) -> str:
    """Every counted report once per tag, grouped into the tag counts at one resolution.

    A report carrying two categories under one ancestor counts once under it: the (report, tag)
    pairs are made distinct before grouping.
    """
    mine = f"report_map_id = {report_map}" if report_map else "1 = 1"
    also_mine = f"m.report_map_id = {report_map}" if report_map else "1 = 1"
    return f"""SELECT r.report_map_id, tagged.tag_id, r.h3_r{resolution}, r.status, r.source,
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
        WHERE {located("r")}
        GROUP BY 1, 2, 3, 4, 5, 6"""


SQLITE_REVERSE = [
    *(
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            "reports_categorytree_insert",
            "reports_categorytree_move",
            "reports_categorytree_delete",
            "reports_cellfilters_insert",
            "reports_cellfilters_delete",
            "reports_cellfilters_update_out",
            "reports_cellfilters_update_in",
            "reports_celltag_update_out",
            "reports_celltag_update_in",
            "reports_celltag_tagged",
            "reports_celltag_untagged",
        )  # fmt: skip
    ),
    "DROP TABLE IF EXISTS reports_cellday",
    "DROP TABLE IF EXISTS reports_celltag",
    "DROP TABLE IF EXISTS reports_categorytree",
    "DROP INDEX IF EXISTS reports_report_place_time",
]


# --- PostgreSQL ------------------------------------------------------------------------------------

POSTGRESQL_DAY = "(({row}.event_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01')"


def _postgresql() -> list[str]:
    cells = lambda row: ", ".join(f"{row}.h3_r{r}" for r in RESOLUTIONS)  # noqa: E731
    day = lambda row: POSTGRESQL_DAY.format(row=row)  # noqa: E731
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in WATCHED)
    match = lambda row: (  # noqa: E731
        f"report_map_id = {row}.report_map_id AND cell = ANY(ARRAY[{cells(row)}]) AND status = {row}.status "
        f"AND source = {row}.source AND category_id = COALESCE({row}.primary_category_id, 0)"
    )

    def tag_change(row: str, sign: int, tags: str) -> str:
        if sign > 0:
            return f"""INSERT INTO reports_celltag ({TAG_KEY}, n, sum_lat, sum_lng)
                SELECT {row}.report_map_id, tag, cell, {row}.status, {row}.source, COALESCE({row}.primary_category_id, 0),
                       1, {row}.latitude::double precision, {row}.longitude::double precision
                FROM ({tags}) AS tags(tag), unnest(ARRAY[{cells(row)}]) AS cell
                ON CONFLICT ({TAG_KEY}) DO UPDATE SET n = reports_celltag.n + 1,
                    sum_lat = reports_celltag.sum_lat + EXCLUDED.sum_lat,
                    sum_lng = reports_celltag.sum_lng + EXCLUDED.sum_lng;"""
        where = f"{match(row)} AND tag_id IN ({tags})"
        return f"""UPDATE reports_celltag SET n = n - 1,
                    sum_lat = sum_lat - {row}.latitude::double precision,
                    sum_lng = sum_lng - {row}.longitude::double precision
                WHERE {where};
                DELETE FROM reports_celltag WHERE {where} AND n <= 0;"""

    def day_change(row: str, sign: int) -> str:
        if sign > 0:
            return f"""INSERT INTO reports_cellday ({DAY_KEY}, n, sum_lat, sum_lng)
                SELECT {row}.report_map_id, cell, {day(row)}, {row}.status, {row}.source, COALESCE({row}.primary_category_id, 0),
                       1, {row}.latitude::double precision, {row}.longitude::double precision
                FROM unnest(ARRAY[{cells(row)}]) AS cell
                ON CONFLICT ({DAY_KEY}) DO UPDATE SET n = reports_cellday.n + 1,
                    sum_lat = reports_cellday.sum_lat + EXCLUDED.sum_lat,
                    sum_lng = reports_cellday.sum_lng + EXCLUDED.sum_lng;"""
        where = f"{match(row)} AND day = {day(row)}"
        return f"""UPDATE reports_cellday SET n = n - 1,
                    sum_lat = sum_lat - {row}.latitude::double precision,
                    sum_lng = sum_lng - {row}.longitude::double precision
                WHERE {where};
                DELETE FROM reports_cellday WHERE {where} AND n <= 0;"""

    def report_tags(row: str) -> str:
        return tags_of(f"{row}.id", f"{row}.primary_category_id")

    def only_this(row: str, report: str) -> str:
        # In a BEFORE trigger the row itself is not yet in (or still in) the table: leave it out by id.
        return (
            f"SELECT ancestor_id FROM reports_categorytree WHERE descendant_id = {row}.category_id "
            f"EXCEPT SELECT ancestor_id FROM reports_categorytree WHERE descendant_id = {report}.primary_category_id "
            f"OR descendant_id IN (SELECT category_id FROM {THROUGH} WHERE report_id = {report}.id AND id <> {row}.id)"
        )

    return [
        f"""CREATE TABLE reports_cellday (
            report_map_id bigint NOT NULL, cell bigint NOT NULL, day integer NOT NULL,
            status varchar(10) NOT NULL, source varchar(10) NOT NULL, category_id bigint NOT NULL,
            n integer NOT NULL, sum_lat double precision NOT NULL, sum_lng double precision NOT NULL,
            PRIMARY KEY ({DAY_KEY}) INCLUDE (n, sum_lat, sum_lng)
        )""",
        f"""CREATE TABLE reports_celltag (
            report_map_id bigint NOT NULL, tag_id bigint NOT NULL, cell bigint NOT NULL,
            status varchar(10) NOT NULL, source varchar(10) NOT NULL, category_id bigint NOT NULL,
            n integer NOT NULL, sum_lat double precision NOT NULL, sum_lng double precision NOT NULL,
            PRIMARY KEY ({TAG_KEY}) INCLUDE (n, sum_lat, sum_lng)
        )""",
        """CREATE TABLE reports_categorytree (
            descendant_id bigint NOT NULL, ancestor_id bigint NOT NULL,
            PRIMARY KEY (descendant_id, ancestor_id)
        )""",
        "CREATE INDEX reports_categorytree_ancestor ON reports_categorytree (ancestor_id, descendant_id)",
        PLACE_TIME_INDEX,
        f"""CREATE FUNCTION reports_categorytree_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
                {" ".join(s + ";" for s in recount_tags_postgresql("NEW.report_map_id"))}
                RETURN NULL;
            END IF;
            INSERT INTO reports_categorytree (descendant_id, ancestor_id)
            SELECT NEW.id, ancestor_id FROM reports_categorytree WHERE descendant_id = NEW.parent_id
            UNION SELECT NEW.id, NEW.id;
            RETURN NULL;
        END
        $$""",
        """CREATE TRIGGER reports_categorytree_insert_delete AFTER INSERT OR DELETE ON reports_category
        FOR EACH ROW EXECUTE FUNCTION reports_categorytree_apply()""",
        """CREATE TRIGGER reports_categorytree_move AFTER UPDATE ON reports_category
        FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id) EXECUTE FUNCTION reports_categorytree_apply()""",
        f"""CREATE FUNCTION reports_cellfilters_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND {counted("OLD")} THEN
                {day_change("OLD", -1)}
                {tag_change("OLD", -1, report_tags("OLD"))}
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND {counted("NEW")} THEN
                {day_change("NEW", 1)}
                {tag_change("NEW", 1, report_tags("NEW"))}
            END IF;
            RETURN NULL;
        END
        $$""",
        """CREATE TRIGGER reports_cellfilters_insert_delete AFTER INSERT OR DELETE ON reports_report
        FOR EACH ROW EXECUTE FUNCTION reports_cellfilters_apply()""",
        f"""CREATE TRIGGER reports_cellfilters_update AFTER UPDATE ON reports_report
        FOR EACH ROW WHEN ({changed} OR OLD.event_at IS DISTINCT FROM NEW.event_at)
        EXECUTE FUNCTION reports_cellfilters_apply()""",
        f"""CREATE FUNCTION reports_celltag_through() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            r record;
        BEGIN
            IF TG_OP = 'INSERT' THEN
                SELECT * INTO r FROM reports_report WHERE id = NEW.report_id;
                IF FOUND AND {counted("r")} THEN
                    {tag_change("r", 1, only_this("NEW", "r"))}
                END IF;
                RETURN NEW;
            END IF;
            SELECT * INTO r FROM reports_report WHERE id = OLD.report_id;
            IF FOUND AND {counted("r")} THEN
                {tag_change("r", -1, only_this("OLD", "r"))}
            END IF;
            RETURN OLD;
        END
        $$""",
        f"""CREATE TRIGGER reports_celltag_through BEFORE INSERT OR DELETE ON {THROUGH}
        FOR EACH ROW EXECUTE FUNCTION reports_celltag_through()""",
        # Django's test flush empties tables with TRUNCATE, which fires no row trigger.
        """CREATE FUNCTION reports_cellfilters_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_TABLE_NAME = 'reports_category' THEN
                TRUNCATE reports_categorytree;
            END IF;
            TRUNCATE reports_cellday, reports_celltag;
            RETURN NULL;
        END
        $$""",
        """CREATE TRIGGER reports_cellfilters_truncate AFTER TRUNCATE ON reports_report
        FOR EACH STATEMENT EXECUTE FUNCTION reports_cellfilters_truncate()""",
        """CREATE TRIGGER reports_categorytree_truncate AFTER TRUNCATE ON reports_category
        FOR EACH STATEMENT EXECUTE FUNCTION reports_cellfilters_truncate()""",
        f"""CREATE TRIGGER reports_celltag_truncate AFTER TRUNCATE ON {THROUGH}
        FOR EACH STATEMENT EXECUTE FUNCTION reports_cellfilters_truncate()""",
        """WITH RECURSIVE tree(descendant_id, ancestor_id) AS (
            SELECT id, id FROM reports_category
            UNION SELECT tree.descendant_id, c.parent_id FROM tree JOIN reports_category c ON c.id = tree.ancestor_id
            WHERE c.parent_id IS NOT NULL
        ) INSERT INTO reports_categorytree (descendant_id, ancestor_id) SELECT descendant_id, ancestor_id FROM tree""",
        *fill_days(POSTGRESQL_DAY.format(row="reports_report"), "TRUE"),
        *recount_tags_postgresql(None),
    ]


def recount_tags_postgresql(report_map: str | None) -> list[str]:
    return [
        f"INSERT INTO reports_celltag ({TAG_KEY}, n, sum_lat, sum_lng) {tag_rows_sql(r, report_map)}"
        for r in RESOLUTIONS
    ]


POSTGRESQL_REVERSE = [
    f"DROP TRIGGER IF EXISTS reports_celltag_truncate ON {THROUGH}",
    "DROP TRIGGER IF EXISTS reports_categorytree_truncate ON reports_category",
    "DROP TRIGGER IF EXISTS reports_cellfilters_truncate ON reports_report",
    f"DROP TRIGGER IF EXISTS reports_celltag_through ON {THROUGH}",
    "DROP TRIGGER IF EXISTS reports_cellfilters_update ON reports_report",
    "DROP TRIGGER IF EXISTS reports_cellfilters_insert_delete ON reports_report",
    "DROP TRIGGER IF EXISTS reports_categorytree_move ON reports_category",
    "DROP TRIGGER IF EXISTS reports_categorytree_insert_delete ON reports_category",
    "DROP FUNCTION IF EXISTS reports_cellfilters_truncate()",
    "DROP FUNCTION IF EXISTS reports_celltag_through()",
    "DROP FUNCTION IF EXISTS reports_cellfilters_apply()",
    "DROP FUNCTION IF EXISTS reports_categorytree_apply()",
    "DROP TABLE IF EXISTS reports_cellday",
    "DROP TABLE IF EXISTS reports_celltag",
    "DROP TABLE IF EXISTS reports_categorytree",
    "DROP INDEX IF EXISTS reports_report_place_time",
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
    dependencies = [("reports", "0004_private_evidence")]

    operations = [migrations.RunPython(forwards, backwards)]
