"""One commit path (#11 point 3): outside core, nothing commits or rolls back the session itself.

core.db.commit() hands the outbox messages the transaction wrote to their delivery, and core.db.rollback() drops
their ids with the transaction; a raw `db.session.rollback()` leaves the ids behind, for the next commit to
deliver messages that were never written. Core's own machinery (mail delivery, the worker's periodic claims, the
health check) manages its transactions itself.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "beta_training"
# A bulk load for benchmarks (flask scale-data): rows in batches, no mail, no lifecycle.
ALLOWED = {"scale_data.py"}


def raw_transaction_calls(path: Path) -> list[str]:
    """`….session.commit()` / `….session.rollback()` (also on a session held in a variable named session)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("commit", "rollback")
                and ast.unparse(node.func.value).split(".")[-1].split("(")[0] == "session"):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_outside_core_only_core_db_commits_and_rolls_back():
    modules = [path for path in sorted(PACKAGE.rglob("*.py"))
               if path.relative_to(PACKAGE).parts[0] != "core" and path.name not in ALLOWED]
    assert len(modules) > 50
    assert [call for path in modules for call in raw_transaction_calls(path)] == []
