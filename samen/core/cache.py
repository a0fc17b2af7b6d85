"""Samen's two caches: the shared one (default) and `fragments`.

- **default** is shared by every process and node: Redis with REDIS_URL, else a table in the
  database (`samen_cache`, made by core's first migration). Throttles (`core.throttle`, allauth's
  rate limits) count there, so a limit holds however many workers serve the site. Never point it
  at a per-process memory cache: django-ratelimit's system check refuses one.
- **fragments** holds what a page can rebuild at any time (rendered fragments, lookups keyed by
  a version). On Redis it is shared too; without Redis it stays in each process's memory, so a
  cached page costs no query at all.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router
from django.utils.connection import ConnectionProxy
from django.utils.timezone import now as tz_now

fragments = ConnectionProxy(caches, "fragments")

# The table of the database cache; core's migration 0001 creates it under this name.
TABLE = "samen_cache"


class DatabaseCache(DjangoDatabaseCache):
    """Django's database cache with an increment that two processes cannot both win.

    Django's own `incr` reads the value, adds in Python and writes it back with the default
    timeout: two workers can both read 3 and both write 4, and every hit moves the expiry, so a
    window's count may vanish early. Here the write only lands if the value is still the one read
    (a compare-and-swap, retried on a lost race), and the entry keeps its expiry.
    """

    ATTEMPTS = 50

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table, cache_key = quote_name(self._table), quote_name("cache_key")
        select = f"SELECT {quote_name('value')}, {quote_name('expires')} FROM {table} WHERE {cache_key} = %s"  # noqa: S608
        update = f"UPDATE {table} SET {quote_name('value')} = %s WHERE {cache_key} = %s AND {quote_name('value')} = %s"  # noqa: S608
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        with connection.cursor() as cursor:
            for _attempt in range(self.ATTEMPTS):
                cursor.execute(select, [key])
                row = cursor.fetchone()
                if row is None:
                    raise ValueError(f"Key '{key}' not found")
                stored, expires = connection.ops.process_clob(row[0]), row[1]
                for converter in converters:
                    expires = converter(expires, expression, connection)
                if expires < tz_now():
                    raise ValueError(f"Key '{key}' not found")
                value = pickle.loads(base64.b64decode(stored.encode(), validate=True))  # noqa: S301 - our own rows
                new_value = value + delta
                encoded = base64.b64encode(pickle.dumps(new_value, self.pickle_protocol)).decode("latin1")
                cursor.execute(update, [encoded, key, stored])
                if cursor.rowcount == 1:
                    return new_value
        raise ValueError(f"Key '{key}' kept changing; gave up after {self.ATTEMPTS} attempts")
