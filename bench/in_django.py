"""Run one function inside a configured Django, in this process, and save what it returns.

    python bench/in_django.py bench_initiative_page:seed OUT.json   (keyword arguments as JSON on stdin)

The harness calls this through `ctx.django(...)`; settings come from the environment it passes, so
the function sees the same database as the server under test.
"""

import importlib
import json
import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR.parent), str(BENCH_DIR)]


def main() -> None:
    target, out = sys.argv[1], Path(sys.argv[2])
    kwargs = json.loads(sys.stdin.read() or "{}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samen.settings")

    import django

    django.setup()
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    out.write_text(json.dumps(function(**kwargs)))


if __name__ == "__main__":
    main()
