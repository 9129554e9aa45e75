"""Sluice: run Kubeflow Pipelines v2 pipelines on your own machine.

The public Python API is what this module exports::

    import sluice
    run = sluice.run(my_pipeline, {"rows": 100})
    print(run.state, run.outputs)
    run.raise_for_state()  # ComponentError (with the component's traceback) if it failed

    client = sluice.Client(home="/data/sluice")  # or Client(host="http://HOST:PORT")
    handle = client.submit(my_pipeline, config=sluice.RunConfig(enable_caching=False))
    print(handle.result().outputs)

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
    ComponentTraceback,
    ExecutorError,
    InvalidArgumentError,
    InvalidPipelineError,
    PipelineNotFoundError,
    RemoteServerError,
    ResourceUnavailableError,
    RunCanceledError,
    RunError,
    RunFailedError,
    RunNameTakenError,
    RunNotFoundError,
    SluiceError,
    StoreError,
    UnsupportedFeatureError,
    UserInputError,
)

if TYPE_CHECKING:
    from sluice.client.client import Client
    from sluice.client.handle import BaseRunHandle
    from sluice.client.local import cancel, get_run, list_runs, resume, run, submit
    from sluice.client.models import Run, TaskFailure, TaskRun
    from sluice.client.options import RunConfig
    from sluice.client.remote_runs import RemoteRunHandle
    from sluice.client.run_handle import RunHandle

__version__ = "0.1.0"

_LAZY = {
    "BaseRunHandle": "sluice.client.handle",
    "Client": "sluice.client.client",
    "RemoteRunHandle": "sluice.client.remote_runs",
    "RunConfig": "sluice.client.options",
    "RunHandle": "sluice.client.run_handle",
    "cancel": "sluice.client.local",
    "get_run": "sluice.client.local",
    "list_runs": "sluice.client.local",
    "resume": "sluice.client.local",
    "run": "sluice.client.local",
    "submit": "sluice.client.local",
    "Run": "sluice.client.models",
    "TaskFailure": "sluice.client.models",
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
    "BaseRunHandle",
    "Client",
    "ComponentError",
    "ComponentTraceback",
    "ExecutorError",
    "InvalidArgumentError",
    "InvalidPipelineError",
    "PipelineNotFoundError",
    "RemoteRunHandle",
    "RemoteServerError",
    "ResourceUnavailableError",
    "Run",
    "RunCanceledError",
    "RunConfig",
    "RunError",
    "RunFailedError",
    "RunHandle",
    "RunNameTakenError",
    "RunNotFoundError",
    "SluiceError",
    "StoreError",
    "TaskFailure",
    "TaskRun",
    "UnsupportedFeatureError",
    "UserInputError",
    "__version__",
    "cancel",
    "get_run",
    "list_runs",
    "resume",
    "run",
    "submit",
]
