"""Command-line placeholders: ``Concat``/``IfPresent`` structures and ``{{$...}}`` values.

The compiler leaves container ``Concat`` and ``IfPresent`` placeholders as JSON
strings inside ``command``/``args``; :func:`expand_structured_args` turns them into
plain strings first. :func:`resolve_placeholders` then replaces every ``{{$...}}``
in one string, in a single pass (a substituted value is never scanned again, so a
parameter whose text happens to contain ``{{$`` stays as it is).

Spellings follow ``kfp/dsl/placeholders.py`` and ``kfp/dsl/__init__.py`` (kfp 2.17)
and the Go launcher's ``getPlaceholders``; both ``['x']`` and ``["x"]`` are accepted.
Differences from Go, on purpose: job placeholders are also replaced inside longer
strings (Go only replaces a constant that is exactly the placeholder), ``Concat`` is
expanded (the Go driver only knows ``IfPresent``), and an unknown placeholder is an
error instead of being left in the command line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from sluice.errors import PlaceholderError, UnsupportedFeatureError
from sluice.spec.values import format_for_placeholder, normalize_numbers, to_json_text

__all__ = [
    "JobContext",
    "expand_structured_args",
    "local_path_for_uri",
    "resolve_placeholders",
]

# --- Concat / IfPresent ----------------------------------------------------------


def _as_structure(arg: str) -> dict[str, Any] | None:
    """The parsed Concat/IfPresent object if ``arg`` is one, else None."""
    if not arg.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(arg)
    except ValueError:
        return None
    return parsed if _is_structure(parsed) else None


def _is_structure(node: Any) -> bool:
    if not isinstance(node, dict) or len(node) != 1:
        return False
    if "Concat" in node:
        return isinstance(node["Concat"], list)
    if "IfPresent" in node:
        body = node["IfPresent"]
        return isinstance(body, dict) and isinstance(body.get("InputName"), str)
    return False


def _chosen_branch(node: dict[str, Any], present: Collection[str]) -> Any:
    body = node["IfPresent"]
    return body.get("Then") if body["InputName"] in present else body.get("Else")


def _expand_to_list(node: Any, present: Collection[str]) -> list[str]:
    """Expand a top-level element: an IfPresent may give zero, one or several args."""
    if node is None:
        return []
    if isinstance(node, list):
        return [text for item in node for text in _expand_to_list(item, present)]
    if isinstance(node, dict) and _is_structure(node) and "IfPresent" in node:
        return _expand_to_list(_chosen_branch(node, present), present)
    return [_expand_to_string(node, present)]


def _expand_to_string(node: Any, present: Collection[str]) -> str:
    """Expand an element that must become exactly one string (e.g. inside Concat)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, bool | int | float):
        return format_for_placeholder(node)
    if isinstance(node, list):
        if len(node) > 1:
            raise PlaceholderError(
                f"an IfPresent inside a Concat must give one element, got {json.dumps(node)}"
            )
        return _expand_to_string(node[0] if node else None, present)
    if _is_structure(node):
        if "Concat" in node:
            return "".join(_expand_to_string(item, present) for item in node["Concat"])
        return _expand_to_string(_chosen_branch(node, present), present)
    raise PlaceholderError(f"unknown structured placeholder {json.dumps(node)}")


def expand_structured_args(args: Sequence[str], *, present_inputs: Collection[str]) -> list[str]:
    """Expand the ``Concat``/``IfPresent`` JSON strings in a command or args list.

    Args:
        args: the compiled ``command`` or ``args``.
        present_inputs: names of the inputs (parameters or artifacts) that have a value.

    Returns:
        Plain strings, which may still hold ``{{$...}}`` placeholders. An arg that
        is not a Concat/IfPresent object (even if it is JSON) is kept unchanged.

    Raises:
        PlaceholderError: a structure is malformed (e.g. a list inside a Concat).
    """
    present = frozenset(present_inputs)
    expanded: list[str] = []
    for arg in args:
        structure = _as_structure(arg) if isinstance(arg, str) else None
        if structure is None:
            expanded.append(arg)
        else:
            expanded.extend(_expand_to_list(structure, present))
    return expanded


# --- artifact paths ---------------------------------------------------------------

# Go's component.LocalPathForURI: remote stores are FUSE-mounted at these roots.
_MOUNTED_SCHEMES = {"gs://": "/gcs/", "minio://": "/minio/", "s3://": "/s3/"}


def local_path_for_uri(uri: str) -> str:
    """The local filesystem path where a component reads or writes an artifact ``uri``.

    A plain path is used verbatim and ``file://`` URIs become their path. Like the
    Go launcher, ``gs://b/k`` maps to ``/gcs/b/k``, ``s3://`` to ``/s3/``,
    ``minio://`` to ``/minio/`` and ``oci://a/b`` to ``/oci/a_b/models``.

    Raises:
        UnsupportedFeatureError: the URI has another scheme (``https://``, ``hf://``...).
    """
    for prefix, root in _MOUNTED_SCHEMES.items():
        if uri.startswith(prefix):
            return root + uri[len(prefix) :]
    if uri.startswith("oci://"):
        return "/oci/" + uri[len("oci://") :].replace("/", "_") + "/models"
    if uri.startswith("file://"):
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            raise UnsupportedFeatureError(f"artifact uri {uri!r} names a remote host")
        return unquote(parts.path)
    if "://" in uri:
        raise UnsupportedFeatureError(
            f"artifact uri {uri!r} has no local path: unsupported storage scheme"
        )
    return uri


# --- {{$...}} ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class JobContext:
    """Run- and task-level values for the job placeholders.

    Attributes:
        job_name: the run's display name (``{{$.pipeline_job_name}}``).
        job_resource_name: the run's unique name (``{{$.pipeline_job_resource_name}}``).
        job_uuid: the run id (``{{$.pipeline_job_uuid}}``).
        task_name: ``{{$.pipeline_task_name}}``.
        task_uuid: ``{{$.pipeline_task_uuid}}``.
        pipeline_root: ``{{$.pipeline_root}}``.
        create_time_utc: ``{{$.pipeline_job_create_time_utc}}`` (RFC 3339 text).
        schedule_time_utc: ``{{$.pipeline_job_schedule_time_utc}}``.
        workspace_path: ``{{$.workspace_path}}``; empty when the run has no workspace.
    """

    job_name: str
    job_resource_name: str
    job_uuid: str
    task_name: str
    task_uuid: str
    pipeline_root: str
    create_time_utc: str
    schedule_time_utc: str
    workspace_path: str


def _workspace(job: JobContext) -> str:
    if not job.workspace_path:
        raise PlaceholderError(
            "placeholder {{$.workspace_path}} is used but the pipeline has no workspace"
        )
    return job.workspace_path


_JOB_PLACEHOLDERS: dict[str, Callable[[JobContext], str]] = {
    ".pipeline_job_name": lambda job: job.job_name,
    ".pipeline_job_resource_name": lambda job: job.job_resource_name,
    ".pipeline_job_uuid": lambda job: job.job_uuid,
    ".pipeline_task_name": lambda job: job.task_name,
    ".pipeline_task_uuid": lambda job: job.task_uuid,
    ".pipeline_root": lambda job: job.pipeline_root,
    ".pipeline_job_create_time_utc": lambda job: job.create_time_utc,
    ".pipeline_job_schedule_time_utc": lambda job: job.schedule_time_utc,
    ".workspace_path": _workspace,
}

# Non-greedy: a placeholder ends at the first "}}".
_PLACEHOLDER = re.compile(r"\{\{\$(.*?)\}\}", re.DOTALL)
_KEY = r"""\[\s*(?:'([^']*)'|"([^"]*)")\s*\]"""
_IO = re.compile(r"\.(inputs|outputs)\.(parameters|artifacts)" + _KEY + r"(.*)", re.DOTALL)
_METADATA_KEY = re.compile(r"\.metadata" + _KEY, re.DOTALL)


def _section(executor_input: Mapping[str, Any], side: str, field: str) -> Mapping[str, Any]:
    section = executor_input.get(side) or {}
    values = section.get(field) if isinstance(section, Mapping) else None
    return values if isinstance(values, Mapping) else {}


class _Resolver:
    """Resolves one placeholder body (the text between ``{{$`` and ``}}``)."""

    def __init__(
        self,
        executor_input: Mapping[str, Any] | None,
        job: JobContext,
        optional_inputs: Collection[str],
    ) -> None:
        self.executor_input = executor_input
        self.job = job
        self.optional_inputs = optional_inputs

    def _executor_input(self, placeholder: str) -> Mapping[str, Any]:
        if self.executor_input is None:
            raise PlaceholderError(f"placeholder {placeholder} cannot be used here")
        return self.executor_input

    def resolve(self, body: str) -> str:
        placeholder = "{{$" + body + "}}"
        if body == "":
            return to_json_text(self._executor_input(placeholder))
        if body in _JOB_PLACEHOLDERS:
            return _JOB_PLACEHOLDERS[body](self.job)
        if body in (".outputs.output_file", ".outputMetadataUri"):
            outputs = self._executor_input(placeholder).get("outputs") or {}
            output_file = outputs.get("outputFile")
            if not isinstance(output_file, str):
                raise PlaceholderError(f"placeholder {placeholder}: no executor output file")
            return output_file
        match = _IO.fullmatch(body)
        if match is None:
            raise PlaceholderError(f"unknown placeholder {placeholder}")
        side, kind, quoted1, quoted2, rest = match.groups()
        name = quoted1 if quoted1 is not None else quoted2
        executor_input = self._executor_input(placeholder)
        if kind == "parameters":
            return self._parameter(executor_input, side, name, rest, placeholder)
        return self._artifact(executor_input, side, name, rest, placeholder)

    def _parameter(
        self,
        executor_input: Mapping[str, Any],
        side: str,
        name: str,
        rest: str,
        placeholder: str,
    ) -> str:
        if side == "inputs" and rest == "":
            values = _section(executor_input, "inputs", "parameterValues")
            if name in values:
                return format_for_placeholder(values[name])
            if name in self.optional_inputs:
                return ""
            raise PlaceholderError(f"placeholder {placeholder}: no input parameter '{name}'")
        if side == "outputs" and rest == ".output_file":
            output = _section(executor_input, "outputs", "parameters").get(name)
            if isinstance(output, Mapping) and isinstance(output.get("outputFile"), str):
                return str(output["outputFile"])
            raise PlaceholderError(f"placeholder {placeholder}: no output parameter '{name}'")
        raise PlaceholderError(f"unknown placeholder {placeholder}")

    def _artifact(
        self,
        executor_input: Mapping[str, Any],
        side: str,
        name: str,
        rest: str,
        placeholder: str,
    ) -> str:
        entry = _section(executor_input, side, "artifacts").get(name)
        if entry is None:
            if side == "inputs" and name in self.optional_inputs:
                return ""
            noun = "input" if side == "inputs" else "output"
            raise PlaceholderError(f"placeholder {placeholder}: no {noun} artifact '{name}'")
        artifacts = entry.get("artifacts") if isinstance(entry, Mapping) else None
        artifacts = artifacts if isinstance(artifacts, list) else []
        if rest == "":
            # A whole list of artifacts (Input[List[Artifact]]); Go has no text for
            # it, so give the artifacts' JSON.
            return to_json_text(artifacts)
        if not artifacts:
            return ""
        artifact = artifacts[0]
        if rest == ".uri":
            return str(artifact.get("uri", ""))
        if rest == ".path":
            custom = artifact.get("customPath") or artifact.get("custom_path")
            if custom:  # set_path() in an upstream component (Go retrieveArtifactPath)
                return str(custom)
            return local_path_for_uri(str(artifact.get("uri", "")))
        metadata = artifact.get("metadata") or {}
        if rest == ".metadata":
            return to_json_text(metadata)
        key_match = _METADATA_KEY.fullmatch(rest)
        if key_match is not None:
            key = key_match.group(1) if key_match.group(1) is not None else key_match.group(2)
            return format_for_placeholder(normalize_numbers(metadata.get(key)))
        raise PlaceholderError(f"unknown placeholder {placeholder}")


def resolve_placeholders(
    text: str,
    *,
    executor_input: Mapping[str, Any] | None,
    job: JobContext,
    optional_inputs: Collection[str] = (),
) -> str:
    """Replace every ``{{$...}}`` placeholder in ``text``.

    Args:
        text: one command-line element, constant or metadata string.
        executor_input: the task's executor input as a protojson-shaped dict
            (``inputs.parameterValues``, ``inputs.artifacts``, ``outputs.parameters``,
            ``outputs.artifacts``, ``outputs.outputFile``); partial is fine, and
            ``None`` allows only the job placeholders.
        job: run- and task-level values.
        optional_inputs: names of optional inputs; a reference to one that has no
            value gives ``""`` instead of an error (an input present with value
            ``None`` also gives ``""``).

    Raises:
        PlaceholderError: an unknown placeholder, or a reference to an input or
            output that does not exist; the message names the placeholder.
        UnsupportedFeatureError: an artifact ``.path`` for a URI with no local path.
    """
    if "{{$" not in text:
        return text
    resolver = _Resolver(executor_input, job, optional_inputs)
    return _PLACEHOLDER.sub(lambda match: resolver.resolve(match.group(1)), text)
