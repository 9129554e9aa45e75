"""Every third-party module that src/ imports is a declared dependency of the package.

A plain ``pip install .`` gets only ``[project].dependencies``; the dev virtualenv has much
more, so an undeclared import works in every other test and breaks for users. This test reads
the imports with ``ast`` (including imports inside functions) and maps each top-level module
to the distributions that provide it with ``importlib.metadata``.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11; CI runs 3.11

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
FIRST_PARTY = {"sluice"}


def _canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    """The distribution name of a PEP 508 requirement string."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return _canonical(match.group(1))


@dataclass(frozen=True)
class Import:
    """One import statement: the dotted module, where it is, and if it runs on import."""

    module: str
    where: str
    module_level: bool


def _imports(path: Path) -> list[Import]:
    """Absolute imports in one file; ``module_level`` is False inside a def (lazy imports)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            where = f"{path.relative_to(ROOT)}:{getattr(child, 'lineno', '?')}"
            if isinstance(child, ast.Import):
                found.extend(Import(a.name, where, not in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append(Import(child.module, where, not in_function))
            visit(
                child,
                in_function
                or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)),
            )

    visit(tree, False)
    return found


def _sibling(imp: Import) -> bool:
    """An import of a module beside the importing file: a script run by its own
    interpreter with its directory on ``sys.path`` (``executors/shepherd.py`` imports
    ``reaper`` so), which ships with the package."""
    directory = (ROOT / imp.where.rsplit(":", 1)[0]).parent
    return (directory / f"{imp.module.split('.')[0]}.py").is_file()


def _third_party_imports() -> list[Import]:
    imports = [imp for path in sorted(SRC.rglob("*.py")) for imp in _imports(path)]
    stdlib = set(sys.stdlib_module_names)
    return [
        imp
        for imp in imports
        if imp.module.split(".")[0] not in stdlib | FIRST_PARTY | {"__future__"}
        and not _sibling(imp)
    ]


@cache
def _packages_distributions() -> dict[str, list[str]]:
    """importlib.metadata's module -> distributions map (scans site-packages: compute once)."""
    return dict(metadata.packages_distributions())


@cache
def _files(dist: str) -> tuple[str, ...]:
    return tuple(str(f) for f in metadata.distribution(dist).files or [])


def _providers(module: str) -> set[str]:
    """Canonical names of the installed distributions that provide ``module``.

    For a namespace package shared by several distributions (``google``), only those that
    ship the imported subpackage (``google/protobuf``) count.
    """
    top = module.split(".")[0]
    dists = {_canonical(d) for d in _packages_distributions().get(top, [])}
    if len(dists) > 1 and "." in module:
        prefix = "/".join(module.split(".")[:2])
        narrowed = {
            d for d in dists if any(f.startswith((prefix + "/", prefix + ".py")) for f in _files(d))
        }
        dists = narrowed or dists
    return dists


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_requirement_name(r) for r in project["dependencies"]}
    extras = {
        extra: {_requirement_name(r) for r in reqs}
        for extra, reqs in project.get("optional-dependencies", {}).items()
        if extra != "dev"  # dev tools are never installed for users
    }
    return runtime, extras


def test_every_import_under_src_is_a_declared_runtime_dependency() -> None:
    runtime, extras = _declared()
    imports = _third_party_imports()
    assert any(imp.module.startswith("kfp") for imp in imports), "the import scan found nothing"
    problems = []
    for imp in imports:
        providers = _providers(imp.module)
        if not providers:
            problems.append(f"{imp.where}: {imp.module} is not provided by any installed package")
        elif providers & runtime:
            continue
        elif any(providers & names for names in extras.values()) and not imp.module_level:
            continue  # an optional extra, imported lazily where it is needed
        else:
            problems.append(
                f"{imp.where}: {imp.module} (from {', '.join(sorted(providers))}) is not in "
                "[project].dependencies" + ("" if imp.module_level else " nor in an optional extra")
            )
    assert not problems, "\n".join(problems)


def test_the_scan_sees_lazy_and_namespace_imports() -> None:
    """The helpers themselves: a lazy import is found, google.protobuf maps to protobuf."""
    sample = ROOT / "src" / "sluice" / "executors" / "venvs.py"
    lazy = [imp for imp in _imports(sample) if imp.module == "uv"]
    assert lazy and not lazy[0].module_level
    assert _providers("google.protobuf") == {"protobuf"}
