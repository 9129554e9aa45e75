"""Sluice: run Kubeflow Pipelines v2 pipelines on your own machine.

The public Python API is what this module exports::

    import sluice
    run = sluice.run(my_pipeline, {"rows": 100})
    print(run.state, run.outputs)

Names are imported on first use, so ``sluice --help`` does not pay for importing
the engine and ``kfp``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sluice.errors import (
    AlreadyExistsError,
    AmbiguousRunError,
    ComponentError,
    InvalidArgumentError,
    InvalidPipelineError,
    PipelineNotFoundError,
    ResourceUnavailableError,
    RunNameTakenError,
    RunNotFoundError,
    SluiceError,
    UnsupportedFeatureError,
    UserInputError,
)

if TYPE_CHECKING:
    from sluice.client.local import RunHandle, get_run, list_runs, resume, run, submit
    from sluice.client.models import Run, TaskRun

__version__ = "0.1.0"

_LAZY = {
    "RunHandle": "sluice.client.local",
    "get_run": "sluice.client.local",
    "list_runs": "sluice.client.local",
    "resume": "sluice.client.local",
    "run": "sluice.client.local",
    "submit": "sluice.client.local",
    "Run": "sluice.client.models",
    "TaskRun": "sluice.client.models",
}


def __getattr__(name: str) -> Any:
    if name == "metadata":  # the ML-metadata query API is a submodule: sluice.metadata
        return importlib.import_module("sluice.metadata")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sluice' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AlreadyExistsError",
    "AmbiguousRunError",
    "ComponentError",
    "InvalidArgumentError",
    "InvalidPipelineError",
    "PipelineNotFoundError",
    "ResourceUnavailableError",
    "Run",
    "RunHandle",
    "RunNameTakenError",
    "RunNotFoundError",
    "SluiceError",
    "TaskRun",
    "UnsupportedFeatureError",
    "UserInputError",
    "__version__",
    "get_run",
    "list_runs",
    "resume",
    "run",
    "submit",
]
