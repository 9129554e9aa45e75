"""SQLAlchemy models of the run store, shaped after ML Metadata.

MLMD tracks work as Artifacts, Executions, Contexts and Events. Sluice keeps those
four tables with the same meaning, so that lineage queries and the metadata API
extend this schema instead of replacing it, plus the orchestration tables a
backend needs: runs, tasks (the pipeline graph as it unfolded) and the state
history of both.

- ``runs``: one pipeline run, with its compiled spec, so a run can be resumed or retried.
- ``tasks``: one node of the run graph: a container/importer task, a DAG (nested pipeline,
  condition, loop) or a loop iteration. ``path`` is unique in the run.
- ``executions``: one per attempt of a task (MLMD Execution); a cache hit is an execution
  whose ``cached_execution_id`` points at the one it reused.
- ``artifacts`` and ``events``: every artifact and each time one went INTO or came OUT OF
  an execution.
- ``contexts`` with ``attributions`` (artifact in context) and ``associations``
  (execution in context): the pipeline, the run, and later experiments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

# Re-exported: every module names them from here.
from sluice.store.base import Base as Base
from sluice.store.base import as_utc as as_utc
from sluice.store.base import utcnow as utcnow

# Who executes a run (``RunRow.executed_by``): the server's worker process, or the process
# that created the run (`sluice run`, the Python API).
EXECUTED_BY_SERVER = "server"
EXECUTED_LOCALLY = "local"


class ContextRow(Base):
    """A grouping of artifacts and executions: a pipeline, a run or an experiment."""

    __tablename__ = "contexts"
    __table_args__ = (
        UniqueConstraint("type", "name", name="uq_contexts_type_name"),
        Index("ix_contexts_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Fields of Vertex AI's Context, set by its API (None on contexts the engine made:
    # their display name is their resource id, their schema version 0.0.1).
    display_name: Mapped[str | None] = mapped_column(String(256), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    schema_version: Mapped[str | None] = mapped_column(String(32), default=None)
    labels: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # None until the context is first updated (its update time is then its create time).
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class ContextParentRow(Base):
    """A context that is a child of another (an experiment run of its experiment)."""

    __tablename__ = "context_parents"

    child_id: Mapped[int] = mapped_column(
        ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True
    )
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TensorboardResourceRow(Base):
    """A Vertex AI TensorBoard resource: a tensorboard, or one of its experiments, runs or
    time series (the bookkeeping ``aiplatform.init(experiment=...)`` sets up).

    ``path`` is the resource name under its location (``tensorboards/1/experiments/e``);
    ``body`` holds the fields Sluice only echoes (description, labels, value type, ...).
    """

    __tablename__ = "tensorboard_resources"
    __table_args__ = (
        UniqueConstraint("location", "path", name="uq_tensorboard_resources_location_path"),
        Index("ix_tensorboard_resources_parent", "location", "parent_path", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # tensorboard|experiment|run|time_series
    location: Mapped[str] = mapped_column(String(512))
    path: Mapped[str] = mapped_column(String(1024))
    parent_path: Mapped[str] = mapped_column(String(1024))
    display_name: Mapped[str] = mapped_column(String(256))
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TensorboardScalarRow(Base):
    """One point of a scalar time series (``log_time_series_metrics``)."""

    __tablename__ = "tensorboard_scalars"
    __table_args__ = (Index("ix_tensorboard_scalars_series_step", "time_series_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time_series_id: Mapped[int] = mapped_column(
        ForeignKey("tensorboard_resources.id", ondelete="CASCADE")
    )
    step: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    wall_time: Mapped[datetime] = mapped_column(default=utcnow)


class RunRow(Base):
    """One pipeline run."""

    __tablename__ = "runs"
    # The worker's queue query: a server's runs in some states, oldest first.
    __table_args__ = (
        Index("ix_runs_executed_by_state_created_at", "executed_by", "state", "created_at"),
        # One run per slot of a recurring run, whichever server fires it (migration 0010).
        Index("uq_runs_recurring_slot", "recurring_run_id", "scheduled_at", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    display_name: Mapped[str] = mapped_column(String(256))
    pipeline_name: Mapped[str] = mapped_column(String(256), index=True)
    pipeline_spec: Mapped[dict[str, Any]] = mapped_column()
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pipeline_root: Mapped[str] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(32), index=True)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    run_context_id: Mapped[int | None] = mapped_column(ForeignKey("contexts.id"), default=None)
    pipeline_context_id: Mapped[int | None] = mapped_column(ForeignKey("contexts.id"), default=None)
    experiment_context_id: Mapped[int | None] = mapped_column(
        ForeignKey("contexts.id", name="fk_runs_experiment_context_id_contexts"), default=None
    )
    # Fields of KFP's Run resource (the server's API); empty for runs started locally.
    description: Mapped[str | None] = mapped_column(Text, default=None)
    experiment_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    pipeline_id: Mapped[str | None] = mapped_column(String(36), default=None)
    pipeline_version_id: Mapped[str | None] = mapped_column(String(36), default=None)
    recurring_run_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    storage_state: Mapped[str] = mapped_column(String(16), default="AVAILABLE")
    namespace: Mapped[str] = mapped_column(String(256), default="")
    service_account: Mapped[str | None] = mapped_column(String(256), default=None)
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Who executes the run: "server" (created through the API or by a schedule; the
    # server's worker process runs it) or "local" (`sluice run`, the Python API: the
    # process that created it runs it, and the server never touches it).
    executed_by: Mapped[str] = mapped_column(
        String(16), default=EXECUTED_LOCALLY, server_default=EXECUTED_LOCALLY
    )
    # Fields of Vertex AI's PipelineJob: its labels, the ``projects/{p}/locations/{l}`` it
    # was created in (None: a run started another way, seen in every location), and the
    # failure policy it asked for (FAIL_FAST or FAIL_SLOW; None: the engine's fail fast).
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    location: Mapped[str | None] = mapped_column(String(512), default=None, index=True)
    failure_policy: Mapped[str | None] = mapped_column(String(16), default=None)
    # The lease of the server worker executing the run (:mod:`sluice.store.leases`): who
    # holds it and until when; another server takes the run over once it has expired.
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)


class TaskRow(Base):
    """One node of a run's graph, as it unfolded."""

    __tablename__ = "tasks"
    # Its leading column serves every lookup by run (no index of run_id alone: 0012).
    __table_args__ = (UniqueConstraint("run_id", "path", name="uq_tasks_run_path"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(256))
    path: Mapped[str] = mapped_column(String(1024))
    display_name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32))
    component_name: Mapped[str] = mapped_column(String(256))
    iteration_index: Mapped[int | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(default=0)
    # {"parameters": {name: value}, "artifacts": {name: [artifact_id, ...]}}
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    cached_from_task_id: Mapped[str | None] = mapped_column(String(36), default=None)
    image: Mapped[str | None] = mapped_column(Text, default=None)
    resources: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # Why the component failed, beyond the one-line `error`: {"exit_code", "exception_type",
    # "message", "traceback", "output"} (see engine/failures.py: failure_details).
    error_details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Things the user should know about how the task ran (an image that was not used, ...).
    notices: Mapped[list[Any]] = mapped_column(default=list)
    log_path: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class ExecutionRow(Base):
    """One attempt of a task (an MLMD Execution)."""

    __tablename__ = "executions"
    __table_args__ = (
        Index("ix_executions_cache_lookup", "fingerprint", "pipeline_name", "state"),
        # "the nearest earlier execution of the same component" (sluice cache explain)
        Index("ix_executions_component", "pipeline_name", "component_name", "id"),
        # Execution.list's default order (create_time desc, id desc)
        Index("ix_executions_started", "started_at", "id"),
        # A resource id names one execution per location (NULLs never collide).
        UniqueConstraint("location", "resource_id", name="uq_executions_location_resource_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None for an execution a user recorded through Vertex AI's API (no run, no task).
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    pipeline_name: Mapped[str] = mapped_column(String(256))
    component_name: Mapped[str] = mapped_column(String(256))
    type: Mapped[str] = mapped_column(String(64))  # system.ContainerExecution, ...
    attempt: Mapped[int] = mapped_column(default=1)
    # RUNNING, COMPLETE, FAILED, CACHED, CANCELED (MLMD's names)
    state: Mapped[str] = mapped_column(String(32))
    exit_code: Mapped[int | None] = mapped_column(default=None)
    how: Mapped[str | None] = mapped_column(String(64), default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    cache_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    cached_execution_id: Mapped[int | None] = mapped_column(default=None)
    # The parts the fingerprint hashes (engine/caching.py), kept to explain cache misses.
    cache_key: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # `sluice cache clear` keeps the history but takes executions out of cache lookups.
    cache_cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    input_parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output_parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    log_path: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # Fields of Vertex AI's Execution, set by its API (None on a run's executions): the id
    # the user gave (the resource id; else the numeric id is), the ``projects/{p}/
    # locations/{l}`` it was created in (None: seen from every location), and what the
    # user wrote. A run's execution is in its run's location instead.
    resource_id: Mapped[str | None] = mapped_column(String(128), default=None)
    location: Mapped[str | None] = mapped_column(String(512), default=None)
    display_name: Mapped[str | None] = mapped_column(String(256), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON, default=None)
    schema_version: Mapped[str | None] = mapped_column(String(32), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class ArtifactRow(Base):
    """An artifact: a URI with a type and metadata."""

    __tablename__ = "artifacts"
    __table_args__ = (
        Index("ix_artifacts_schema_created", "schema_title", "created_at"),
        # A resource id names one artifact per location (NULLs never collide).
        UniqueConstraint("location", "resource_id", name="uq_artifacts_location_resource_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uri: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(256))
    schema_title: Mapped[str] = mapped_column(String(256))
    schema_version: Mapped[str] = mapped_column(String(32))
    # "metadata" is reserved by SQLAlchemy's declarative base, hence the attribute name.
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="SET NULL"), default=None, index=True
    )
    producer_task_id: Mapped[str | None] = mapped_column(String(36), default=None)
    digest: Mapped[str | None] = mapped_column(String(71), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Vertex AI's Artifact.State: LIVE (every artifact a run records) or PENDING.
    state: Mapped[str] = mapped_column(String(16), default="LIVE", server_default="LIVE")
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # Set by Vertex AI's API: the id the user gave (the resource id; else the numeric id
    # is) and the ``projects/{p}/locations/{l}`` it was created in (None: seen from every
    # location; a run's artifact is in its run's location instead).
    resource_id: Mapped[str | None] = mapped_column(String(128), default=None)
    location: Mapped[str | None] = mapped_column(String(512), default=None)


Index("ix_artifacts_uri", ArtifactRow.uri)


class EventRow(Base):
    """An artifact going INTO (INPUT) or coming OUT OF (OUTPUT) an execution."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    artifact_id: Mapped[int] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[int] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))  # INPUT | OUTPUT
    name: Mapped[str] = mapped_column(String(256))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttributionRow(Base):
    """Artifact belongs to context."""

    __tablename__ = "attributions"

    context_id: Mapped[int] = mapped_column(
        ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True
    )
    artifact_id: Mapped[int] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AssociationRow(Base):
    """Execution belongs to context."""

    __tablename__ = "associations"

    context_id: Mapped[int] = mapped_column(
        ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True
    )
    execution_id: Mapped[int] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class StateTransitionRow(Base):
    """One state change of a run (task_id empty) or of a task."""

    __tablename__ = "state_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36), default=None)
    state: Mapped[str] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ExperimentRow(Base):
    """A KFP experiment: a named group of runs (its runs' work is in the matching
    ``system.Experiment`` context)."""

    __tablename__ = "experiments"
    __table_args__ = (
        UniqueConstraint("namespace", "display_name", name="uq_experiments_namespace_name"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    namespace: Mapped[str] = mapped_column(String(256), default="")
    storage_state: Mapped[str] = mapped_column(String(16), default="AVAILABLE")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_run_created_at: Mapped[datetime | None] = mapped_column(default=None)


class PipelineRow(Base):
    """An uploaded pipeline (KFP's Pipeline resource); its specs live in versions."""

    __tablename__ = "pipelines"
    __table_args__ = (UniqueConstraint("namespace", "name", name="uq_pipelines_namespace_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    namespace: Mapped[str] = mapped_column(String(256), default="")
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PipelineVersionRow(Base):
    """One version of an uploaded pipeline, holding its compiled spec."""

    __tablename__ = "pipeline_versions"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "name", name="uq_pipeline_versions_pipeline_name"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pipeline_id: Mapped[str] = mapped_column(
        ForeignKey("pipelines.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # {"pipeline_spec": ..., "platform_spec": ...} as LoadedPipeline.to_dict() writes it
    pipeline_spec: Mapped[dict[str, Any]] = mapped_column()
    code_source_url: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RecurringRunRow(Base):
    """A schedule that starts runs (KFP's RecurringRun, Vertex's PipelineJobSchedule)."""

    __tablename__ = "recurring_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    experiment_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)
    namespace: Mapped[str] = mapped_column(String(256), default="")
    service_account: Mapped[str | None] = mapped_column(String(256), default=None)
    # Exactly one of: an embedded spec ({"pipeline_spec", "platform_spec"}) or a version.
    pipeline_spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    pipeline_id: Mapped[str | None] = mapped_column(String(36), default=None)
    pipeline_version_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # {"parameters": {...}, "pipeline_root": "..."}
    runtime_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # {"cron_schedule": {"cron", "start_time", "end_time"}} or
    # {"periodic_schedule": {"interval_second", "start_time", "end_time"}}
    trigger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    max_concurrency: Mapped[int] = mapped_column(default=1)
    no_catchup: Mapped[bool] = mapped_column(Boolean, default=False)
    max_run_count: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="ENABLED")  # ENABLED | DISABLED
    # The scheduler's progress: the newest slot it started a run for, so a slot never
    # fires twice (across restarts too), and how many runs it started.
    last_slot_at: Mapped[datetime | None] = mapped_column(default=None)
    runs_started: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Fields of Vertex AI's PipelineJobSchedule (migration 0007): the
    # ``projects/{p}/locations/{l}`` it was created in (None: created through the KFP API,
    # seen in every location) and the labels the jobs it starts get.
    location: Mapped[str | None] = mapped_column(String(512), default=None, index=True)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Kept from the trigger and the progress on every write, so lists filter on them in
    # SQL: the trigger's window, and the next slot (None: paused, or nothing more fires).
    # A slot in the past means the runs are behind schedule (max_concurrency is reached).
    start_at: Mapped[datetime | None] = mapped_column(default=None)
    end_at: Mapped[datetime | None] = mapped_column(default=None)
    next_run_at: Mapped[datetime | None] = mapped_column(default=None)
    # What the last resume asked for (Vertex's catch_up), and when it was paused, resumed.
    catch_up: Mapped[bool] = mapped_column(Boolean, default=False)
    last_pause_at: Mapped[datetime | None] = mapped_column(default=None)
    last_resume_at: Mapped[datetime | None] = mapped_column(default=None)


# The registry's tables live in their own module; importing it here puts them in
# ``Base.metadata`` wherever the models are loaded (migrations, fresh schemas).
from sluice.store import registry_models  # noqa: E402,F401
