"""What a cache miss changed, in a user's words: each differing part of the cache key, with
the old and new values, and for an input where its value came from (a pipeline parameter,
an upstream task's output, a loop item, a constant), read from the run's IR.

A Python component's code is in its command, so a changed command is shown as the lines
that changed rather than as two long lists.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.caching import KeyChange, key_changes
from sluice.spec.loader import LoadedPipeline

# At most this many lines of a changed command are shown (a component's code can be long).
_DIFF_LINES = 60

_ITERATION = re.compile(r"\[\d+\]$")


@dataclass(frozen=True, kw_only=True)
class CacheChange:
    """One differing part of a cache key, explained.

    Attributes:
        part / name / old / new: as :class:`sluice.engine.caching.KeyChange` (for a
            ``command``, ``old`` and ``new`` are None and ``diff`` has the changed lines).
        origin: where an input's value came from, in words ("pipeline parameter 'n'",
            "output 'Output' of task 'prepare'"); None when it is not an input or not known.
        origin_task: the path of the task in this run whose output the input reads.
        diff: a changed command's unified diff (without its header), at most 60 lines.
    """

    part: str
    name: str | None
    old: Any = None
    new: Any = None
    origin: str | None = None
    origin_task: str | None = None
    diff: list[str] = field(default_factory=list)


def explain_changes(
    current: Mapping[str, Any],
    earlier: Mapping[str, Any],
    *,
    pipeline_spec: Mapping[str, Any] | None,
    task_path: str,
) -> list[CacheChange]:
    """The parts of two cache keys that differ, each with where its input came from."""
    origins = _origins(pipeline_spec, task_path) if pipeline_spec else {}
    return [_explain(change, origins) for change in key_changes(dict(current), dict(earlier))]


def _explain(
    change: KeyChange, origins: Mapping[tuple[str, str], tuple[str, str | None]]
) -> CacheChange:
    if change.part == "command":
        return CacheChange(part="command", name=None, diff=_diff(change.old, change.new))
    origin, origin_task = origins.get((change.part, change.name or ""), (None, None))
    return CacheChange(
        part=change.part,
        name=change.name,
        old=change.old,
        new=change.new,
        origin=origin,
        origin_task=origin_task,
    )


def _diff(old: Any, new: Any) -> list[str]:
    def lines(value: Any) -> list[str]:
        items = value if isinstance(value, list) else [] if value is None else [value]
        return "\n".join(str(item) for item in items).splitlines()

    body = list(difflib.unified_diff(lines(old), lines(new), n=1, lineterm=""))[2:]
    if len(body) > _DIFF_LINES:
        body = [*body[:_DIFF_LINES], f"… {len(body) - _DIFF_LINES} more lines"]
    return body


def _origins(
    pipeline_spec: Mapping[str, Any], task_path: str
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Where each input of the task at ``task_path`` comes from: ``(part, name)`` to
    ``(words, producer task path)``. Empty when the path is not in the spec."""
    try:
        loaded = LoadedPipeline.from_dict(dict(pipeline_spec))
    except Exception:  # a spec the UI can still show; the origins are only a help
        return {}
    segments = task_path.split("/")
    levels: list[pipeline_spec_pb2.PipelineTaskSpec] = []
    dag = loaded.spec.root.dag
    for depth, segment in enumerate(segments):
        task = dag.tasks.get(_ITERATION.sub("", segment))
        if task is None:
            return {}
        levels.append(task)
        if depth < len(segments) - 1:
            component = loaded.spec.components.get(task.component_ref.name)
            if component is None or not component.HasField("dag"):
                return {}
            dag = component.dag
    origins: dict[tuple[str, str], tuple[str, str | None]] = {}
    last = len(levels) - 1
    for name in levels[last].inputs.parameters:
        origins[("parameter", name)] = _parameter_origin(levels, segments, last, name)
    for name in levels[last].inputs.artifacts:
        origins[("artifact", name)] = _artifact_origin(levels, segments, last, name)
    return origins


def _sibling(segments: list[str], depth: int, producer: str) -> str:
    return "/".join([*segments[:depth], producer])


def _loop_item(segments: list[str], depth: int) -> str:
    """ "item 1 of loop 'a/for-loop-2'" for the iteration ``a/for-loop-2[1]``."""
    loop = "/".join(segments[: depth + 1])
    index = _ITERATION.search(loop)
    if index is None:
        return f"an item of loop '{loop}'"
    return f"item {index.group(0)[1:-1]} of loop '{loop[: index.start()]}'"


def _unlisted_origin(
    levels: list[pipeline_spec_pb2.PipelineTaskSpec], segments: list[str], depth: int, name: str
) -> str:
    """Where an input comes from that the task at ``depth`` does not list."""
    # A loop body reads its item under a name the loop task does not list as an input.
    if levels[depth].WhichOneof("iterator"):
        return _loop_item(segments, depth)
    return f"input '{name}' of '{'/'.join(segments[: depth + 1])}'"


def _parameter_origin(
    levels: list[pipeline_spec_pb2.PipelineTaskSpec], segments: list[str], depth: int, name: str
) -> tuple[str, str | None]:
    spec = levels[depth].inputs.parameters.get(name)
    if spec is None:
        return _unlisted_origin(levels, segments, depth, name), None
    kind = spec.WhichOneof("kind")
    if kind == "component_input_parameter":
        source = spec.component_input_parameter
        if depth == 0:
            return f"pipeline parameter '{source}'", None
        return _parameter_origin(levels, segments, depth - 1, source)
    if kind == "task_output_parameter":
        ref = spec.task_output_parameter
        producer = _sibling(segments, depth, ref.producer_task)
        return f"output '{ref.output_parameter_key}' of task '{producer}'", producer
    if kind == "task_final_status":
        producer = _sibling(segments, depth, spec.task_final_status.producer_task)
        return f"the final status of task '{producer}'", producer
    if kind == "runtime_value":
        return "a constant in the pipeline", None
    return "an expression in the pipeline", None


def _artifact_origin(
    levels: list[pipeline_spec_pb2.PipelineTaskSpec], segments: list[str], depth: int, name: str
) -> tuple[str, str | None]:
    spec = levels[depth].inputs.artifacts.get(name)
    if spec is None:
        return _unlisted_origin(levels, segments, depth, name), None
    kind = spec.WhichOneof("kind")
    if kind == "component_input_artifact":
        source = spec.component_input_artifact
        if depth == 0:
            return f"pipeline input artifact '{source}'", None
        return _artifact_origin(levels, segments, depth - 1, source)
    if kind == "task_output_artifact":
        ref = spec.task_output_artifact
        producer = _sibling(segments, depth, ref.producer_task)
        return f"output '{ref.output_artifact_key}' of task '{producer}'", producer
    return "an artifact the pipeline names", None
