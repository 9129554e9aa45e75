"""``dsl.importer``: bring an existing file or directory in as an artifact.

Local paths and ``file://`` URIs are used where they are. Other fsspec URIs
(``s3://``, ``gs://``, ``memory://``, ...) are copied under the task's root so
that components can read them as local files; the artifact records the source URI
in its metadata (``source_uri``). With ``reimport=False`` an artifact this pipeline
already imported from the same URI is reused, as the Go backend does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from sluice.engine.context import json_ready, ref_from_row
from sluice.engine.kinds import TaskCall
from sluice.engine.model import ArtifactRef, TaskResult, artifact_ids
from sluice.engine.staging import download
from sluice.engine.states import TaskState
from sluice.errors import InvalidArgumentError, UnsupportedFeatureError
from sluice.spec.placeholders import resolve_placeholders
from sluice.spec.proto_values import value_from_proto
from sluice.spec.values import normalize_numbers


async def run_importer(call: TaskCall) -> TaskResult:
    """The handler of ``importer`` tasks: import the artifact as the ``artifact`` output."""
    ctx, task, component, record = call.ctx, call.task, call.component, call.record
    inputs = call.bound_inputs()
    spec = ctx.deployment.executors[component.executor_label].importer
    executor_input = {"inputs": {"parameterValues": json_ready(inputs.parameters)}}
    job = ctx.job_context(task_name=record.name, task_id=record.id)
    source = spec.artifact_uri
    if source.WhichOneof("value") == "runtime_parameter":
        uri = inputs.parameters.get(source.runtime_parameter)
    else:
        uri = value_from_proto(source.constant)
    if not isinstance(uri, str) or not uri:
        raise InvalidArgumentError(f"importer '{record.path}': no artifact uri given")
    uri = resolve_placeholders(uri, executor_input=executor_input, job=job)
    metadata = _resolve_metadata(json_format.MessageToDict(spec.metadata), executor_input, job)
    schema_title = spec.type_schema.schema_title or "system.Artifact"
    schema_version = spec.type_schema.schema_version or "0.0.1"

    ctx.store.transition_task(
        record.id,
        TaskState.RUNNING,
        started=True,
        inputs={"parameters": json_ready(inputs.parameters), "artifacts": {}},
    )
    execution_id = ctx.store.create_execution(
        run_id=ctx.run_id,
        task_id=record.id,
        pipeline_name=ctx.pipeline_name,
        component_name=task.component_ref.name,
        type_="system.ImporterExecution",
        attempt=1,
        state="RUNNING",
        input_parameters=json_ready(inputs.parameters),
        fingerprint=None,
        cache_enabled=False,
    )
    existing = None
    if not spec.reimport:
        existing = ctx.store.find_artifact_by_uri(
            _local_uri(uri) or uri, pipeline_name=ctx.pipeline_name
        )
    if existing is not None and existing.schema_title == schema_title:
        ref = ref_from_row(existing)
    else:
        local_uri = _local_uri(uri)
        if local_uri is None:
            local_uri = await asyncio.to_thread(_download, uri, ctx.layout.task_root(record.path))
            metadata.setdefault("source_uri", uri)
        artifact_id = ctx.store.create_artifact(
            uri=local_uri,
            name="artifact",
            schema_title=schema_title,
            schema_version=schema_version,
            metadata=metadata,
            run_id=ctx.run_id,
            producer_task_id=record.id,
        )
        ref = ArtifactRef(
            id=artifact_id,
            name="artifact",
            uri=local_uri,
            schema_title=schema_title,
            schema_version=schema_version,
            metadata=metadata,
        )
    artifacts = {"artifact": [ref]}
    ctx.store.finish_execution(
        execution_id,
        state="COMPLETE",
        output_parameters={},
        output_artifacts=artifact_ids(artifacts),
    )
    ctx.store.transition_task(
        record.id,
        TaskState.SUCCEEDED,
        finished=True,
        outputs={"parameters": {}, "artifacts": artifact_ids(artifacts)},
    )
    return TaskResult(state=TaskState.SUCCEEDED, task_id=record.id, artifacts=artifacts)


def _resolve_metadata(value: Any, executor_input: dict[str, Any], job: Any) -> Any:
    if isinstance(value, str) and "{{$" in value:
        return resolve_placeholders(value, executor_input=executor_input, job=job)
    if isinstance(value, dict):
        return {k: _resolve_metadata(v, executor_input, job) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_metadata(v, executor_input, job) for v in value]
    return normalize_numbers(value)


def _local_uri(uri: str) -> str | None:
    """The local path for a local uri, or None for a remote one."""
    if uri.startswith("file://"):
        return uri.removeprefix("file://") or "/"
    if "://" not in uri:
        return str(Path(uri).expanduser().absolute())
    return None


def _download(uri: str, task_root: str) -> str:
    """Copy a remote artifact under the task root; returns the local path."""
    if uri.startswith("oci://"):
        raise UnsupportedFeatureError(
            f"importing {uri}: oci:// artifacts need a container registry; copy the model "
            "to a local path or an fsspec URI and import that"
        )
    target = Path(task_root) / "artifact"
    try:
        download(uri, target)  # streamed: an imported model is never held in memory
    except FileNotFoundError as exc:
        raise InvalidArgumentError(f"importer: {uri} does not exist") from exc
    return str(target)
