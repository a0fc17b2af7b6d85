"""Loaded by pytest before Django reads its settings (pyproject.toml: `-p samen.pytest_plugin`).

With debug off and no SAMEN_SECRET_KEY Samen refuses to start (samen/core/checks.py). The tests run with
debug off, as production does, so they get a throwaway key of their own when none is set; the processes
they start (xdist workers, a db_worker, `manage.py check`) inherit it.
"""

import os
import secrets

os.environ.setdefault("SAMEN_SECRET_KEY", "tests-only-" + secrets.token_urlsafe(32))
