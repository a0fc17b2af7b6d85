"""The table of the shared cache (samen.core.cache): throttles count there when REDIS_URL is not set.

Made here rather than by `createcachetable` alone, so that `migrate` (and so `make run`, CI and
every test database) always has it, whichever cache the settings name at the time.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "samen_cache"


def create_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunPython(create_table, drop_table, elidable=False)]
