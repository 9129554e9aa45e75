"""The contract between the engine and whatever runs one task attempt.

The engine resolves everything (placeholders, inputs, output locations) and hands an
executor a fully resolved command line with the KFP executor input it was built from and
the task's resources. The executor runs it, sends its stdout/stderr to ``log_path``, and
reports the exit code and — when the attempt succeeded — the task's outputs as KFP's
``ExecutorOutput`` holds them (:class:`ExecutorOutput`). The engine never reads a file the
component wrote: an executor on another machine returns the same values it would read
there (see ``docs/architecture.md``, "How to add an executor").
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sluice.errors import ComponentError


@dataclass(frozen=True, kw_only=True)
class Resources:
    """What a task asks for, from its container spec (``None``: not set).

    CPU is in cores (``500m`` is 0.5), memory in bytes. Where a task sets only the request
    or only the limit, the other is None: each executor decides what that means (Docker
    has limits only; Kubernetes schedules on requests).

    Attributes:
        cpu_request: ``resourceCpuRequest`` / ``cpuRequest``.
        cpu_limit: ``resourceCpuLimit`` / ``cpuLimit``.
        memory_request: ``resourceMemoryRequest`` / ``memoryRequest`` (legacy GB converted).
        memory_limit: ``resourceMemoryLimit`` / ``memoryLimit``.
        accelerator_type: e.g. ``nvidia.com/gpu``; None when no accelerator is asked for.
        accelerator_count: how many; 0 without an accelerator type.
    """

    cpu_request: float | None = None
    cpu_limit: float | None = None
    memory_request: int | None = None
    memory_limit: int | None = None
    accelerator_type: str | None = None
    accelerator_count: int = 0


@dataclass(frozen=True, kw_only=True)
class ArtifactStaging:
    """How an attempt's artifacts reach an object-store pipeline root (``s3://``, ``gs://``).

    The component reads and writes local paths under ``staging_dir``. An executor whose
    attempts run on other machines (``stages_artifacts = True``: Ray) moves them itself on
    the node: it downloads ``inputs`` before the attempt and uploads ``outputs`` after a
    successful one. For the others the engine does it on this machine.

    Attributes:
        staging_dir: the run's local staging directory (every path below is under it).
        inputs: ``(uri, local path)`` of each input artifact kept in the store.
        outputs: ``(local path, uri)`` of each output artifact.
    """

    staging_dir: Path
    inputs: tuple[tuple[str, Path], ...] = ()
    outputs: tuple[tuple[Path, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ExecutionRequest:
    """One attempt of one container task, fully resolved.

    Attributes:
        task_name: the task's name, for messages.
        image: the container image named by the component (recorded; used in container mode).
        command: the resolved ``command + args`` of the container spec.
        env: environment variables the component declares (added on top of the host's).
        log_path: file that receives the attempt's stdout and stderr (created; appended).
        work_dir: an empty scratch directory for this attempt (the process's cwd).
        executor_input: the KFP executor input the command was resolved from (its
            ``outputs`` say where the component writes its outputs and its executor output;
            see :func:`read_executor_output`). Empty: the command has no outputs to collect.
        resources: what the task asks for (CPU, memory, accelerators).
        mounts: the local directories the resolved paths in the command point into (the
            pipeline root or staging directory, the attempt's directory): where a container
            or a remote machine must see the same paths.
        exception_path: a file this attempt's Python component may record an uncaught
            exception in (see :class:`ComponentException`); None: not recorded.
        staging: with an object-store pipeline root, where its artifacts are staged
            (:class:`ArtifactStaging`); None: a local root.
    """

    task_name: str
    image: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path
    work_dir: Path
    executor_input: dict[str, Any] = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)
    mounts: tuple[Path, ...] = ()
    exception_path: Path | None = None
    staging: ArtifactStaging | None = None


@dataclass(frozen=True, kw_only=True)
class ComponentException:
    """The uncaught exception of a Python component, as its own process recorded it.

    Attributes:
        type: the exception's type as a traceback names it (``ValueError``, ``mod.MyError``).
        message: ``str()`` of the exception.
        traceback: the exception chain as Python prints it, with only the component's own
            frames (from its function down; none of Sluice's, runpy's or kfp's executor's).
        output: the byte range ``(start, end)`` of the log that the component's function
            printed before it raised; None if unknown.
    """

    type: str
    message: str
    traceback: str
    output: tuple[int, int] | None = None


def read_component_exception(path: Path) -> ComponentException | None:
    """The exception a component recorded in ``path``; None if there is none or it is unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return None
    span = data.get("output")
    output = None
    if isinstance(span, list) and len(span) == 2 and all(isinstance(n, int) for n in span):
        output = (span[0], span[1])
    return ComponentException(
        type=data["type"],
        message=str(data.get("message") or ""),
        traceback=str(data.get("traceback") or ""),
        output=output,
    )


@dataclass(frozen=True, kw_only=True)
class OutputArtifact:
    """One output artifact as the executor reports it.

    Attributes:
        uri: where the artifact is now (the provisioned URI, or the one the component set).
        metadata: the metadata the component gave it (merged over the provisioned metadata).
    """

    uri: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ExecutorOutput:
    """The outputs of a successful attempt: KFP's ``ExecutorOutput`` and the parameter files.

    Attributes:
        parameter_values: ``parameterValues`` of the executor output, as JSON values.
        parameter_files: the text of the output-parameter files (``OutputPath`` parameters)
            whose key is missing from ``parameter_values``; the engine parses it by the
            parameter's type, as the Go launcher does. A parameter in neither was not produced.
        artifacts: per output name, the artifacts the executor output reports (a
            ``custom_path`` already moved to the provisioned location by the executor).
    """

    parameter_values: dict[str, Any] = field(default_factory=dict)
    parameter_files: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, list[OutputArtifact]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ExecutionResult:
    """What came of one attempt.

    Attributes:
        exit_code: the process's exit code (negative: killed by that signal).
        how: how it ran, e.g. ``"fork-worker"``, ``"subprocess"``, ``"venv:<hash>"``, ``"docker"``.
        exception: the component's uncaught Python exception, when it recorded one.
        output: the task's outputs, for an attempt that exited with 0 (None: it produced
            none, which only a component without outputs may do).
    """

    exit_code: int
    how: str = "subprocess"
    exception: ComponentException | None = None
    output: ExecutorOutput | None = None


class Executor(Protocol):
    """Runs one task attempt. Cancelling the awaiting coroutine must kill the process.

    Attributes:
        uses_images: whether tasks run in their components' images (a container engine, a
            cluster); when False the engine tells the user once per image that it is not used.
    """

    uses_images: bool

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the attempt to completion; on exit code 0, return the task's outputs too.

        A component failure is a non-zero exit code, never an exception.

        Raises:
            ExecutorError: the attempt could not be started or supervised.
            ComponentError: the attempt exited with 0 but its outputs cannot be read.
        """
        ...

    async def aclose(self) -> None:
        """Release long-lived resources (worker processes, ...)."""
        ...


def read_executor_output(request: ExecutionRequest) -> ExecutorOutput:
    """The outputs a component wrote on this machine, where ``request.executor_input`` says.

    For executors whose tasks write to local paths (the host, a container with the paths
    mounted). ``executor_output.json`` is read when present; each output parameter missing
    from it is read from its ``outputFile``; an artifact's ``custom_path``
    (``artifact.set_path()``) is copied to the provisioned location, as the Go launcher
    uploads from it.

    Raises:
        ComponentError: the executor output is not JSON.
    """
    outputs = request.executor_input.get("outputs") or {}
    executor_output: dict[str, Any] = {}
    output_file = outputs.get("outputFile")
    if output_file:
        try:
            text = _read_bytes(output_file)
        except FileNotFoundError:
            text = b""
        except OSError as exc:
            raise ComponentError(
                request.task_name, f"executor output {output_file} cannot be read: {exc}"
            ) from exc
        try:
            executor_output = json.loads(text or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ComponentError(
                request.task_name, f"executor output {output_file} is not JSON: {exc}"
            ) from exc
    values = dict(executor_output.get("parameterValues") or {})
    files: dict[str, str] = {}
    for name, spec in (outputs.get("parameters") or {}).items():
        if name in values:
            continue
        try:
            files[name] = Path(spec["outputFile"]).read_text()
        except (OSError, KeyError):
            continue  # not produced: the engine says so, naming the file
    artifacts: dict[str, list[OutputArtifact]] = {}
    reported = executor_output.get("artifacts") or {}
    for name, provisioned_list in (outputs.get("artifacts") or {}).items():
        provisioned = provisioned_list["artifacts"][0]
        uri, metadata = str(provisioned["uri"]), dict(provisioned.get("metadata") or {})
        for item in (reported.get(name) or {}).get("artifacts", [])[:1]:
            metadata.update(item.get("metadata") or {})
            custom = item.get("custom_path") or item.get("customPath")
            if custom and Path(custom).exists():
                # Imported here: rare, and the placeholder module is slow to import.
                from sluice.spec.placeholders import local_path_for_uri

                _copy_into(Path(custom), Path(local_path_for_uri(uri)))
            elif item.get("uri"):
                uri = str(item["uri"])
        artifacts[name] = [OutputArtifact(uri=uri, metadata=metadata)]
    return ExecutorOutput(parameter_values=values, parameter_files=files, artifacts=artifacts)


def _read_bytes(path: str) -> bytes:
    """A file's bytes without a ``Path`` or a text file object (once per attempt; json
    detects the encoding of bytes itself)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _copy_into(source: Path, target: Path) -> None:
    if source.resolve() == target.resolve():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copyfile(source, target)
