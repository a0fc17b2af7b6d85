"""The shared cache throttles count in: what the settings build, and the database cache's increment."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from samen.core.cache import DatabaseCache

pytestmark = pytest.mark.django_db


def run(*args: str, **env) -> subprocess.CompletedProcess:
    """Our own interpreter with samen.settings read from `env` alone (no SAMEN_* or REDIS_URL of ours)."""
    clean = {
        key: value for key, value in os.environ.items() if not key.startswith("SAMEN_") and key != "REDIS_URL"
    }
    return subprocess.run(  # noqa: S603 - our own interpreter, manage.py or a line of our own
        [sys.executable, *args],
        # Debug is off by default, and Samen then refuses to start without a key of its own.
        env={**clean, "DJANGO_SETTINGS_MODULE": "samen.settings", "SAMEN_SECRET_KEY": "x" * 50, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )


def production_settings(**env) -> dict:
    """CACHES, allauth's limits and our own as samen.settings builds them from `env`."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'caches': s.CACHES, 'account': s.ACCOUNT_RATE_LIMITS, 'throttles': s.SAMEN_THROTTLES, "
        "'ratelimit': 'django_ratelimit' in s.INSTALLED_APPS}))"
    )
    done = run("-c", code, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_without_redis_throttles_count_in_the_database_and_pages_keep_fragments_in_memory():
    found = production_settings()
    assert found["caches"]["default"]["BACKEND"] == "samen.core.cache.DatabaseCache"
    assert found["caches"]["default"]["LOCATION"] == "samen_cache"
    assert found["caches"]["fragments"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["ratelimit"]


def test_with_redis_both_caches_are_on_redis_apart():
    found = production_settings(REDIS_URL="redis://127.0.0.1:6379/3", SAMEN_CACHE_PREFIX="site1:")
    default, fragments = found["caches"]["default"], found["caches"]["fragments"]
    assert default["BACKEND"] == fragments["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert default["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert default["KEY_PREFIX"] == "site1:"
    assert fragments["KEY_PREFIX"] == "site1:fragments"


def test_every_limit_is_a_setting_from_the_environment_allauths_too():
    found = production_settings(
        SAMEN_THROTTLE_DONATE="2/h", SAMEN_THROTTLE_LOGIN_FAILED="3/5m/key", SAMEN_THROTTLE_LINK_VISITOR=""
    )
    assert found["throttles"]["donate"] == "2/h"
    assert found["throttles"]["link_visitor"] == ""
    assert found["throttles"]["report"] == "5/m,60/h"  # the default
    assert found["account"]["login_failed"] == "3/5m/key"
    assert set(found["account"]) == {"login", "login_failed", "signup", "reset_password"}


def test_disabling_rate_limits_switches_allauths_off_too():
    assert production_settings(SAMEN_DISABLE_RATE_LIMITS="1")["account"] is False


def test_the_production_settings_pass_the_system_checks():
    done = run("manage.py", "check")
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_a_per_process_cache_for_throttles_is_refused_at_start_up(tmp_path):
    # The settings module of a deployment that put throttles in process memory.
    (tmp_path / "memory_settings.py").write_text(
        "from samen.settings import *\n"
        "CACHES = {**CACHES, 'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}\n"
    )
    done = run("manage.py", "check", DJANGO_SETTINGS_MODULE="memory_settings", PYTHONPATH=str(tmp_path))
    assert done.returncode != 0
    assert "django_ratelimit.E003" in done.stderr
    assert "is not a shared cache" in done.stderr


# --- The database cache's increment ------------------------------------------------------------


@pytest.fixture
def database_cache(settings):
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "samen.core.cache.DatabaseCache", "LOCATION": "samen_cache"},
    }
    return caches["shared"]


def test_the_migration_made_the_cache_table(database_cache):
    assert isinstance(database_cache, DatabaseCache)
    database_cache.set("x", 1)
    assert database_cache.get("x") == 1


def test_an_increment_adds_and_keeps_the_expiry(database_cache):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        database_cache.add("hits", 1, timeout=60)
    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        assert database_cache.incr("hits") == 2
        assert database_cache.incr("hits", 5) == 7
    # Django's own incr would have set the default 300 s timeout again; the window's count ends on time.
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert database_cache.get("hits") is None
        with pytest.raises(ValueError):
            database_cache.incr("hits")


def test_an_increment_of_a_missing_key_fails_as_djangos_does(database_cache):
    with pytest.raises(ValueError):
        database_cache.incr("never-set")


def test_an_increment_lost_to_another_writer_is_tried_again(database_cache, monkeypatch):
    """Between our read and our write another process increments: ours must not overwrite theirs."""
    from django.db.backends.utils import CursorWrapper

    database_cache.add("hits", 1, timeout=60)
    real_execute = CursorWrapper.execute
    raced = []

    def execute(self, sql, params=None):
        if sql.startswith("UPDATE") and not raced:
            raced.append(True)
            DatabaseCache.incr(caches.create_connection("shared"), "hits")  # the other process
        return real_execute(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", execute)
    assert database_cache.incr("hits") == 3
    assert raced
    monkeypatch.undo()
    assert database_cache.get("hits") == 3
