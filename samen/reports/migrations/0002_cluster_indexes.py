"""Pre-aggregated cell counts for the server-side map clusters (samen/reports/clustering.py).

`reports_cellcount` holds, for every H3 cell a located report falls in (resolutions 2 to 9), how
many reports of each (status, source, primary category) it holds and the sums of their
coordinates. A map view of a million reports then aggregates a few thousand rows instead of a
million. Merged reports are left out, as they are in access.reports_for_viewer().

Database triggers keep it right, so that every way of writing reports counts: save(),
bulk_create(), QuerySet.update() in bulk review actions, deletes and raw imports. It is not a
Django model on purpose: nothing but the triggers (and clustering.rebuild_cell_counts) writes it,
and clustering.py reads it with SQL. Category 0 stands for "no category" (NULL cannot take part in
the upsert's conflict target).

A bulk load can pause the triggers for one map (`reports_cellcount_paused`, through
clustering.counting_paused()) and rebuild that map's counts once at the end, in the same transaction:
a million rows are then counted with eight GROUP BYs instead of eight million upserts.
"""

from django.db import migrations

RESOLUTIONS = range(2, 10)
# Whatever a cell count depends on; an UPDATE that changes none of these leaves the counts alone.
WATCHED = ["report_map_id", "status", "source", "primary_category_id", "latitude", "longitude", "merged_into_id"] + [
    f"h3_r{r}" for r in RESOLUTIONS
]

KEY = "report_map_id, cell, status, source, category_id"


PAUSED = "CREATE TABLE reports_cellcount_paused (report_map_id bigint PRIMARY KEY)"


def _counted(row: str) -> str:
    return f"{row}.h3_r2 IS NOT NULL AND {row}.latitude IS NOT NULL AND {row}.longitude IS NOT NULL AND {row}.merged_into_id IS NULL"


def _unpaused(row: str) -> str:
    return f"NOT EXISTS (SELECT 1 FROM reports_cellcount_paused WHERE report_map_id = {row}.report_map_id)"


def _sqlite() -> list[str]:
    def counted(row: str) -> str:
        return f"{_counted(row)} AND {_unpaused(row)}"

    def add(row: str) -> str:
        values = ",\n      ".join(
            f"({row}.report_map_id, {row}.h3_r{r}, {row}.status, {row}.source, "
            f"COALESCE({row}.primary_category_id, 0), 1, {row}.latitude, {row}.longitude)"
            for r in RESOLUTIONS
        )
        return (
            f"INSERT INTO reports_cellcount ({KEY}, n, sum_lat, sum_lng) VALUES\n      {values}\n"
            f"    ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n, "
            "sum_lat = sum_lat + excluded.sum_lat, sum_lng = sum_lng + excluded.sum_lng;"
        )

    def remove(row: str) -> str:
        match = (
            f"report_map_id = {row}.report_map_id AND cell IN ({', '.join(f'{row}.h3_r{r}' for r in RESOLUTIONS)}) "
            f"AND status = {row}.status AND source = {row}.source "
            f"AND category_id = COALESCE({row}.primary_category_id, 0)"
        )
        return (
            f"UPDATE reports_cellcount SET n = n - 1, sum_lat = sum_lat - {row}.latitude, "
            f"sum_lng = sum_lng - {row}.longitude WHERE {match};\n"
            f"    DELETE FROM reports_cellcount WHERE {match} AND n <= 0;"
        )

    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in WATCHED)
    return [
        # WITHOUT ROWID: the rows are stored in key order, so one cell's rows are one range read.
        f"""CREATE TABLE reports_cellcount (
            report_map_id bigint NOT NULL,
            cell bigint NOT NULL,
            status varchar(10) NOT NULL,
            source varchar(10) NOT NULL,
            category_id bigint NOT NULL,
            n integer NOT NULL,
            sum_lat real NOT NULL,
            sum_lng real NOT NULL,
            PRIMARY KEY ({KEY})
        ) WITHOUT ROWID""",
        PAUSED,
        f"""CREATE TRIGGER reports_cellcount_insert AFTER INSERT ON reports_report
        WHEN {counted("NEW")}
        BEGIN
    {add("NEW")}
        END""",
        f"""CREATE TRIGGER reports_cellcount_delete AFTER DELETE ON reports_report
        WHEN {counted("OLD")}
        BEGIN
    {remove("OLD")}
        END""",
        # Two triggers for an update (old row out, new row in), each guarded by whether that row
        # counts; SQLite runs them in turn for every changed row.
        f"""CREATE TRIGGER reports_cellcount_update_out AFTER UPDATE OF {", ".join(WATCHED)} ON reports_report
        WHEN ({changed}) AND {counted("OLD")}
        BEGIN
    {remove("OLD")}
        END""",
        f"""CREATE TRIGGER reports_cellcount_update_in AFTER UPDATE OF {", ".join(WATCHED)} ON reports_report
        WHEN ({changed}) AND {counted("NEW")}
        BEGIN
    {add("NEW")}
        END""",
        # Fill it from reports that exist already.
        *(
            f"""INSERT INTO reports_cellcount ({KEY}, n, sum_lat, sum_lng)
            SELECT report_map_id, h3_r{r}, status, source, COALESCE(primary_category_id, 0),
                   COUNT(*), SUM(latitude), SUM(longitude)
            FROM reports_report WHERE {_counted("reports_report")}
            GROUP BY report_map_id, h3_r{r}, status, source, COALESCE(primary_category_id, 0)"""
            for r in RESOLUTIONS
        ),
    ]


SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS reports_cellcount_insert",
    "DROP TRIGGER IF EXISTS reports_cellcount_delete",
    "DROP TRIGGER IF EXISTS reports_cellcount_update_out",
    "DROP TRIGGER IF EXISTS reports_cellcount_update_in",
    "DROP TABLE IF EXISTS reports_cellcount",
    "DROP TABLE IF EXISTS reports_cellcount_paused",
]


def _postgresql() -> list[str]:
    def counted(row: str) -> str:
        return f"{_counted(row)} AND {_unpaused(row)}"

    cells = lambda row: ", ".join(f"{row}.h3_r{r}" for r in RESOLUTIONS)  # noqa: E731
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in WATCHED)
    return [
        f"""CREATE TABLE reports_cellcount (
            report_map_id bigint NOT NULL,
            cell bigint NOT NULL,
            status varchar(10) NOT NULL,
            source varchar(10) NOT NULL,
            category_id bigint NOT NULL,
            n integer NOT NULL,
            sum_lat double precision NOT NULL,
            sum_lng double precision NOT NULL,
            PRIMARY KEY ({KEY}) INCLUDE (n, sum_lat, sum_lng)
        )""",
        PAUSED,
        f"""CREATE FUNCTION reports_cellcount_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') AND {counted("OLD")} THEN
                UPDATE reports_cellcount SET n = n - 1,
                    sum_lat = sum_lat - OLD.latitude::double precision,
                    sum_lng = sum_lng - OLD.longitude::double precision
                WHERE report_map_id = OLD.report_map_id AND cell IN ({cells("OLD")})
                    AND status = OLD.status AND source = OLD.source
                    AND category_id = COALESCE(OLD.primary_category_id, 0);
                DELETE FROM reports_cellcount
                WHERE report_map_id = OLD.report_map_id AND cell IN ({cells("OLD")})
                    AND status = OLD.status AND source = OLD.source
                    AND category_id = COALESCE(OLD.primary_category_id, 0) AND n <= 0;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND {counted("NEW")} THEN
                INSERT INTO reports_cellcount ({KEY}, n, sum_lat, sum_lng)
                SELECT NEW.report_map_id, cell, NEW.status, NEW.source, COALESCE(NEW.primary_category_id, 0),
                       1, NEW.latitude::double precision, NEW.longitude::double precision
                FROM unnest(ARRAY[{cells("NEW")}]) AS cell
                ON CONFLICT ({KEY}) DO UPDATE SET n = reports_cellcount.n + 1,
                    sum_lat = reports_cellcount.sum_lat + EXCLUDED.sum_lat,
                    sum_lng = reports_cellcount.sum_lng + EXCLUDED.sum_lng;
            END IF;
            RETURN NULL;
        END
        $$""",
        """CREATE FUNCTION reports_cellcount_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE reports_cellcount;
            RETURN NULL;
        END
        $$""",
        """CREATE TRIGGER reports_cellcount_insert_delete AFTER INSERT OR DELETE ON reports_report
        FOR EACH ROW EXECUTE FUNCTION reports_cellcount_apply()""",
        f"""CREATE TRIGGER reports_cellcount_update AFTER UPDATE ON reports_report
        FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION reports_cellcount_apply()""",
        # Django's test flush empties tables with TRUNCATE, which fires no row trigger.
        """CREATE TRIGGER reports_cellcount_truncate AFTER TRUNCATE ON reports_report
        FOR EACH STATEMENT EXECUTE FUNCTION reports_cellcount_truncate()""",
        *(
            f"""INSERT INTO reports_cellcount ({KEY}, n, sum_lat, sum_lng)
            SELECT report_map_id, h3_r{r}, status, source, COALESCE(primary_category_id, 0),
                   COUNT(*), SUM(latitude)::double precision, SUM(longitude)::double precision
            FROM reports_report WHERE {_counted("reports_report")}
            GROUP BY report_map_id, h3_r{r}, status, source, COALESCE(primary_category_id, 0)"""
            for r in RESOLUTIONS
        ),
    ]


POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS reports_cellcount_truncate ON reports_report",
    "DROP TRIGGER IF EXISTS reports_cellcount_update ON reports_report",
    "DROP TRIGGER IF EXISTS reports_cellcount_insert_delete ON reports_report",
    "DROP FUNCTION IF EXISTS reports_cellcount_truncate()",
    "DROP FUNCTION IF EXISTS reports_cellcount_apply()",
    "DROP TABLE IF EXISTS reports_cellcount",
    "DROP TABLE IF EXISTS reports_cellcount_paused",
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
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
