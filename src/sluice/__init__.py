"""Sluice: run Kubeflow Pipelines v2 pipelines on your own machine.

The public Python API is what this module exports::

    import sluice
    run = sluice.run(my_pipeline, {"rows": 100})
    print(run.state, run.outputs)
"""

from sluice.client.local import RunHandle, get_run, list_runs, resume, run, submit
from sluice.client.models import Run, TaskRun
from sluice.errors import (
    ComponentError,
    InvalidArgumentError,
    InvalidPipelineError,
    PipelineNotFoundError,
    ResourceUnavailableError,
    RunNotFoundError,
    SluiceError,
    UnsupportedFeatureError,
    UserInputError,
)

__version__ = "0.1.0"

__all__ = [
    "ComponentError",
    "InvalidArgumentError",
    "InvalidPipelineError",
    "PipelineNotFoundError",
    "ResourceUnavailableError",
    "Run",
    "RunHandle",
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
