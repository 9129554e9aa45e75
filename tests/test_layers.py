"""The layers stay layered: SQL and SQLAlchemy live in ``sluice.store`` only.

Parsed with ``ast`` (imports inside functions count too), so a new module that reaches
past the service layer into the database fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sluice"

# TODO(#8 item 5): server/errors.py maps SQLAlchemy's DataError/IntegrityError (and, on the
# errors branch, OperationalError) to HTTP answers; once the store translates them into
# StoreError subclasses at its boundary, drop this entry.
ALLOWED = {Path("server/errors.py")}


def _sqlalchemy_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] == "sqlalchemy"]
    return found


def test_no_sqlalchemy_import_outside_the_store() -> None:
    offenders = {}
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts[0] == "store" or relative in ALLOWED:
            continue
        if found := _sqlalchemy_imports(path):
            offenders[str(relative)] = found
    assert offenders == {}, "move these queries into a repository in sluice/store/"


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from sqlalchemy.orm import Session\n    import sqlalchemy\n")
    assert _sqlalchemy_imports(module) == ["line 2: sqlalchemy.orm", "line 3: sqlalchemy"]


SERVICE_ALLOWED: set[tuple[str, str]] = set()
INTERFACES = ("sluice.server", "sluice.cli", "sluice.client", "sluice.metadata")


def test_the_service_layer_does_not_import_the_interfaces() -> None:
    """``service/`` is called by the server, the CLI and the Python API, never the reverse."""
    offenders = []
    for path in sorted((SRC / "service").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                module = node.module
                if (path.name, module) in SERVICE_ALLOWED:
                    continue
                if any(module == i or module.startswith(i + ".") for i in INTERFACES):
                    offenders.append(f"{path.name} imports {module}")
    assert offenders == []
