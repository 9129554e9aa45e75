"""The layers stay layered: SQL and SQLAlchemy live in ``sluice.store`` only.

Parsed with ``ast`` (imports inside functions count too), so a new module that reaches
past the service layer into the database fails here rather than in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sluice"

# Modules outside ``store/`` that may import SQLAlchemy: none. The store raises its
# database's errors as ``StoreError`` subclasses (``store/db.py: store_errors``).
ALLOWED: set[Path] = set()


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


# The interfaces (the CLI, the Python API, the REST servers, ``sluice.metadata``) reach the
# engine, the executors and the store only through ``sluice.service``. The one exception is
# ``sluice.store.models`` (and ``registry_models``, the Model Registry's rows): the row types
# the service returns are read-only records an interface may name in its annotations and render.
INTERFACE_PACKAGES = ("cli", "client", "server")
INTERFACE_MODULES = (Path("metadata.py"),)
BELOW_THE_SERVICE = ("sluice.store", "sluice.engine", "sluice.executors")
RECORD_TYPES = {"sluice.store.models", "sluice.store.registry_models"}


def _imports_below_the_service(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [
            f"line {node.lineno}: {name}"
            for name in names
            if name not in RECORD_TYPES
            and any(name == b or name.startswith(b + ".") for b in BELOW_THE_SERVICE)
        ]
    return found


def _interface_modules() -> list[Path]:
    paths = [p for package in INTERFACE_PACKAGES for p in (SRC / package).rglob("*.py")]
    return sorted(paths + [SRC / m for m in INTERFACE_MODULES])


def test_the_interfaces_reach_the_store_and_engine_only_through_the_service() -> None:
    offenders = {}
    for path in _interface_modules():
        relative = str(path.relative_to(SRC))
        if found := _imports_below_the_service(path):
            offenders[relative] = found
    assert offenders == {}, "call sluice.service instead (add what is missing there)"


# Import cycles that are known and owned elsewhere; an entry goes when its cycle does.
# TODO(#8 item 6): client/client.py and client/local.py import each other inside functions
# (Client builds RunHandles; the module-level functions use a default Client).
KNOWN_CYCLES: set[frozenset[str]] = set()


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(src: Path) -> dict[str, set[str]]:
    """Which ``sluice`` modules each module imports, anywhere in it (functions included).

    ``from package import name`` counts as importing the module ``package.name`` when there
    is one; otherwise the nearest module that exists (``sluice.engine.kinds.TaskKind`` is
    ``sluice.engine.kinds``). A package's ``__init__`` run on the way is not an edge.
    """
    modules = {_module_name(p, src): p for p in src.rglob("*.py")}

    def existing(name: str) -> str:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        return name

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {existing(a.name) for a in node.names if a.name.startswith("sluice")}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                if base.split(".")[0] != "sluice":
                    continue
                targets |= {existing(f"{base}.{a.name}") for a in node.names}
        graph[name] = targets & modules.keys() - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    """No import cycle in ``sluice``, not even one dodged by importing inside a function."""
    cycles = {cycle for cycle in _cycles(_import_graph(SRC)) if cycle not in KNOWN_CYCLES}
    assert [sorted(cycle) for cycle in cycles] == []


def test_every_known_cycle_still_exists() -> None:
    """A cycle that was broken leaves ``KNOWN_CYCLES``, so the set only shrinks."""
    assert KNOWN_CYCLES - set(_cycles(_import_graph(SRC))) == set()


def test_the_cycle_check_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    package = tmp_path / "sluice" / "engine"
    package.mkdir(parents=True)
    (tmp_path / "sluice" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "dag.py").write_text("from sluice.engine.tasks import run_task\n")
    (package / "tasks.py").write_text("def run_task():\n    from .dag import run_dag\n")
    (package / "model.py").write_text("from sluice.engine import dag\n")
    graph = _import_graph(tmp_path / "sluice")
    assert graph["sluice.engine.model"] == {"sluice.engine.dag"}
    assert _cycles(graph) == [frozenset({"sluice.engine.dag", "sluice.engine.tasks"})]
