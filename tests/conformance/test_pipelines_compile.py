"""Every pipeline and component of the conformance suite compiles with the kfp compiler.

This is the one part of the suite that does not need the engine: it keeps the pipeline
definitions honest while the engine is being written.
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from kfp import compiler
from kfp.dsl.base_component import BaseComponent

from . import pipelines

MODULES = sorted(m.name for m in pkgutil.iter_modules(pipelines.__path__))


def _load(name: str) -> ModuleType:
    with warnings.catch_warnings():
        # kfp warns that the default base image will change and that dsl.Condition is
        # deprecated; the suite uses both on purpose.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(f"{pipelines.__name__}.{name}")


def _components(module: ModuleType) -> list[tuple[str, BaseComponent]]:
    return [
        (name, obj)
        for name, obj in sorted(vars(module).items())
        if isinstance(obj, BaseComponent) and not name.startswith("__")
    ]


def test_every_module_defines_something() -> None:
    """The discovery below actually finds the pipeline modules."""
    assert {"params", "artifacts", "loops", "conditions", "caching"} <= set(MODULES)
    for name in MODULES:
        assert _components(_load(name)), name


@pytest.mark.parametrize("module_name", MODULES)
def test_module_compiles(module_name: str, tmp_path: Path) -> None:
    """Each pipeline/component compiles to a YAML with a root DAG and pipelineInfo.name."""
    module = _load(module_name)
    for name, comp in _components(module):
        out = tmp_path / f"{name}.yaml"
        compiler.Compiler().compile(comp, str(out))
        docs = [d for d in yaml.safe_load_all(out.read_text()) if d]
        spec = docs[0]
        assert spec["pipelineInfo"]["name"], name
        assert "root" in spec and spec["components"], name


def test_constant_importer_factory_compiles(tmp_path: Path) -> None:
    """The importer factory (constant artifactUri) compiles too."""
    module = _load("importer")
    pipe = module.make_constant_import(str(tmp_path / "x.txt"))
    out = tmp_path / "p.yaml"
    compiler.Compiler().compile(pipe, str(out))
    assert "artifactUri" in out.read_text()
