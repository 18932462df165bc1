"""Views stay thin (#11 point 4): a view module builds no query. What a page lists or counts is a function of
its domain's queries.py (core's own pages: of the core module that owns the rows, e.g. core.mail for the
outbox), so that it is written once, tested once and found where the next person looks for it."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "beta_training"
VIEW_MODULES = sorted([*PACKAGE.glob("*/views.py"), *PACKAGE.glob("*/views/*.py")])
STATEMENTS = {"select", "update", "delete", "insert"}


def queries_built(path: Path) -> list[str]:
    """`sa.select(…)` (or update, delete, insert), or one of them imported from SQLAlchemy and called bare."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("sqlalchemy") for alias in node.names if alias.name in STATEMENTS}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if (isinstance(function, ast.Attribute) and function.attr in STATEMENTS and isinstance(function.value, ast.Name)
                and function.value.id in ("sa", "sqlalchemy")) or (isinstance(function, ast.Name) and function.id in imported):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_the_view_modules_are_found():
    assert {path.parent.name for path in VIEW_MODULES} >= {"core", "site", "accounts", "views", "products"}  # views: cohorts/views/


def test_no_view_module_builds_a_query():
    assert [line for path in VIEW_MODULES for line in queries_built(path)] == []
