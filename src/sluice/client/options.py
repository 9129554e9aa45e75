"""The options of a run, shared by ``run`` and ``submit`` of every client."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """How to run a pipeline: every option of :func:`sluice.run` and :func:`sluice.submit`.

    Build one once and pass it as ``config=``; keyword arguments given to ``run``/``submit``
    (those that are not None) override its fields::

        config = sluice.RunConfig(enable_caching=False, max_parallel_tasks=4)
        client.run(train, {"rows": 100}, config=config, run_name="nightly")

    A resumed run keeps the options it was created with.

    Attributes:
        pipeline_root: where artifacts go: a path or an fsspec URI
            (default ``$SLUICE_HOME/artifacts``, or the pipeline's own default root).
        enable_caching: True or False override every task's setting; None keeps them.
        run_name: the run's name (default ``<pipeline>-<timestamp>``).
        pipeline_name: which pipeline of a ``.py`` file holding several.
        cache_max_age: ignore cache entries older than this.
        allow_unsatisfiable_resources: run even if tasks ask for resources (GPUs) this
            machine lacks.
        use_container: run container components in Docker/Podman.
        max_parallel_tasks: task processes running at once (default: a few per core).
        experiment: group the run, its executions and artifacts under this experiment
            (an ML Metadata context, as Vertex's ``PipelineJob.submit(experiment=...)``).
        executor: the executor that runs the tasks, by name (``local``, ``docker``,
            ``podman`` or one a package registers; default ``$SLUICE_EXECUTOR`` or
            ``local``); a resumed run uses the same one.
        failure_policy: what happens once a task failed: ``"fast"`` (the default, KFP's
            behaviour) starts no new task; ``"slow"`` (Vertex's fail-slow policy) still
            runs every task that does not depend on the failed one. The run fails either way.
    """

    pipeline_root: str | os.PathLike[str] | None = None
    enable_caching: bool | None = None
    run_name: str | None = None
    pipeline_name: str | None = None
    cache_max_age: timedelta | None = None
    allow_unsatisfiable_resources: bool = False
    use_container: bool = False
    max_parallel_tasks: int | None = None
    experiment: str | None = None
    executor: str | None = None
    failure_policy: str | None = None

    def with_overrides(self, **overrides: Any) -> RunConfig:
        """This config with every override that is not None applied.

        Raises:
            TypeError: an override names no field of :class:`RunConfig`.
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise TypeError(f"unknown run option(s): {', '.join(unknown)}")
        given = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **given) if given else self

    def host_unsupported(self) -> list[str]:
        """The options set here that a Sluice server (``host=``) cannot take yet."""
        local_only = {
            "enable_caching": self.enable_caching is not None,
            "cache_max_age": self.cache_max_age is not None,
            "allow_unsatisfiable_resources": self.allow_unsatisfiable_resources,
            "use_container": self.use_container,
            "max_parallel_tasks": self.max_parallel_tasks is not None,
            "experiment": self.experiment is not None,
            "executor": self.executor is not None,
            "failure_policy": self.failure_policy is not None,
        }
        return [name for name, used in local_only.items() if used]
