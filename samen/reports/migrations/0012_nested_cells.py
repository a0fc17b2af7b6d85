"""Each report's H3 cells at r2-r8 become the ancestors of its r9 cell, so that cells nest exactly.

Until now each resolution was computed from the point, and H3 cells do not nest exactly: a point's
r6 cell is not always its r7 cell's parent. The map now counts a box's edges with cells of several
resolutions (clustering.split_box), which must nest. The cells are rewritten in SQL from the bits
of the r9 cell (a cell's parent keeps the higher digits and sets the rest to 7), with every map's
counting paused, and the summaries are then rebuilt once per map.
"""

from django.db import migrations

FINEST = 9
RESOLUTIONS = range(2, FINEST)
ALL_BITS = (1 << 63) - 1


def parent_sql(resolution: int) -> str:
    digits = (1 << (3 * (15 - resolution))) - 1
    keep = ALL_BITS & ~((0xF << 52) | digits)
    return f"((h3_r{FINEST} & {keep}) | {(resolution << 52) | digits})"


def nest(apps, schema_editor):
    from samen.reports.clustering import rebuild_cell_counts

    ReportMap = apps.get_model("reports", "ReportMap")
    maps = list(ReportMap.objects.order_by("pk"))
    with schema_editor.connection.cursor() as cursor:
        for report_map in maps:
            cursor.execute(
                "INSERT INTO reports_cellcount_paused (report_map_id) SELECT %s WHERE NOT EXISTS "
                "(SELECT 1 FROM reports_cellcount_paused WHERE report_map_id = %s)",
                [report_map.pk, report_map.pk],
            )
        assignments = ", ".join(f"h3_r{resolution} = {parent_sql(resolution)}" for resolution in RESOLUTIONS)
        cursor.execute(f"UPDATE reports_report SET {assignments} WHERE h3_r{FINEST} IS NOT NULL")  # noqa: S608
        for report_map in maps:
            cursor.execute("DELETE FROM reports_cellcount_paused WHERE report_map_id = %s", [report_map.pk])
            rebuild_cell_counts(report_map)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0011_drop_place_index"),
    ]

    operations = [migrations.RunPython(nest, migrations.RunPython.noop)]
