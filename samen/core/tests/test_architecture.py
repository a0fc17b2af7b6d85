"""The direction of imports is the architecture: each app may import only the layers below it."""

import ast
from pathlib import Path

import pytest

SAMEN = Path(__file__).resolve().parents[2]
BASE = {"core"}
ALLOWED = {
    "core": set(),
    "people": {"core"},
    "messaging": {"core", "people"},
    "initiatives": {"core", "people", "messaging"},
    "impact": {"core", "people", "messaging", "initiatives"},
    "outreach": {"core", "people", "messaging", "initiatives", "impact"},
}
FEATURES = {"plans", "volunteering", "giving", "reports"}
for feature in FEATURES:
    ALLOWED[feature] = {"core", "people", "messaging", "initiatives", "impact", "outreach"}
TOP = {"api", "demo"}  # may import everything; nothing imports them


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "samen" and len(parts) > 1:
                found.add(parts[1])
    return found


def app_sources():
    for app_dir in sorted(p for p in SAMEN.iterdir() if (p / "apps.py").exists()):
        for path in app_dir.rglob("*.py"):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            yield app_dir.name, path


def test_every_app_has_a_place_in_the_layers():
    apps = {p.name for p in SAMEN.iterdir() if (p / "apps.py").exists()}
    assert apps <= set(ALLOWED) | TOP, f"add {sorted(apps - set(ALLOWED) - TOP)} to the layers in this test"


@pytest.mark.parametrize(
    ("app", "path"),
    [(app, path) for app, path in app_sources() if app not in TOP],
    ids=lambda v: str(v).split("samen/")[-1],
)
def test_it_imports_only_layers_below(app, path):
    apps = {p.name for p in SAMEN.iterdir() if (p / "apps.py").exists()}
    wrong = {
        other for other in imported_apps(path) if other in apps and other != app and other not in ALLOWED[app]
    }
    assert not wrong, f"{path.relative_to(SAMEN.parent)} imports {sorted(wrong)}, which {app} may not import"


def test_nothing_imports_the_top_layer():
    for app, path in app_sources():
        if app in TOP:
            continue
        assert not imported_apps(path) & TOP, f"{path} imports the api or demo layer"
