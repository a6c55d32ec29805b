"""The layers of the house: wsgi → web → jobs → reports → domain → models,
with the demo generator beside the domain rules: it uses them, they never use
it. Every import of the application code, at the top of a module or inside a
function, goes down a layer, never up."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What each package may import of the others.
MAY_IMPORT = {
    "models": set(),
    "domain": {"models"},
    "demo": {"domain", "models"},
    "reports": {"domain", "models"},
    "jobs": {"reports", "domain", "models"},
    "web": {"jobs", "reports", "demo", "domain", "models"},
}
LAYERS = {*MAY_IMPORT, "wsgi"}

# Imports that run back up today (file, package): to be cut, never added to.
UPWARD_TODAY = {
    ("domain/digest.py", "reports"),
    ("domain/opendata.py", "reports"),
    ("reports/data.py", "jobs"),
}


def _imports() -> set[tuple[str, str]]:
    """(file, package) for every import of another layer in the application code."""
    found = set()
    for package in MAY_IMPORT:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in LAYERS and top != package:
                        found.add((path.relative_to(ROOT).as_posix(), top))
    return found


def test_every_import_goes_down_a_layer():
    found = _imports()
    # The scan sees imports at the top and inside functions (web/cli.py's demo).
    assert {("web/cli.py", "demo"), ("demo/build.py", "domain")} <= found
    upward = {
        (path, package) for path, package in found if package not in MAY_IMPORT[path.split("/")[0]]
    }
    assert sorted(upward - UPWARD_TODAY) == []
