from django.db import migrations, models


class Migration(migrations.Migration):
    """An index on (map, status, longitude): with the one on latitude, a map's extent is four lookups."""

    dependencies = [
        ("reports", "0008_csv_round_trips"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="report",
            index=models.Index(fields=["report_map", "status", "longitude"], name="reports_rep_map_lng_idx"),
        ),
    ]
