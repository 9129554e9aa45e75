"""The ``local`` executor: task attempts as processes on this machine.

Dispatch, fastest first:

* a KFP lightweight-Python command whose packages the host already has: the pip prelude is
  skipped and the component runs in a child forked from the warm worker (``"fork-worker"``);
* one whose packages are missing: in a cached venv that has them (``"venv:<hash8>"``);
* anything else (container components, v1 YAML, shell commands): verbatim as a host process
  (``"subprocess"``).

Containers are the ``docker``/``podman`` executors' (:mod:`sluice.executors.containers`).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sluice.executors.base import (
    ExecutionRequest,
    ExecutionResult,
    read_component_exception,
    read_executor_output,
)
from sluice.executors.gpu_pool import GpuPool
from sluice.executors.lightweight import (
    LightweightCommand,
    host_kfp_available,
    is_kfp_requirement,
    strip_lightweight_prelude,
    unsatisfied_requirements,
)
from sluice.executors.processes import append_log_line, run_logged
from sluice.executors.venvs import VenvCache, VenvSpec
from sluice.executors.zygote_client import (
    ATTEMPT_MAIN_PATH,
    RUN_MODULE_BOOTSTRAP,
    ForkWorker,
    ForkWorkerDied,
)

__all__ = ["LocalExecutor"]

_SOURCE_FILE = "ephemeral_component.py"


class LocalExecutor:
    """Runs attempts on the host, with KFP's exact behaviour but without its pip prelude.

    Args:
        venv_root: where venvs for missing ``packages_to_install`` are cached
            (the engine passes ``$SLUICE_HOME/venvs``).
        use_fork_worker: run lightweight components in forks of a warm worker (fast); when
            False they run as ``python -m kfp.dsl.executor_main`` subprocesses.
        gpus: the machine's GPUs to hand out, each to one attempt at a time (the engine
            reserves them through :attr:`gpu_pool`; see :mod:`sluice.executors.gpu_pool`).
            Empty: tasks get no devices of their own (as on a Ray node, where Ray assigns them).
    """

    # Tasks run on the host, not in their images (the engine says so once per image).
    uses_images = False

    def __init__(
        self, *, venv_root: Path, use_fork_worker: bool = True, gpus: Sequence[str] = ()
    ) -> None:
        self.venvs = VenvCache(venv_root)
        # Shared by every executor of the process: two runs never get the same device.
        self.gpu_pool: GpuPool | None = GpuPool.shared(gpus) if gpus else None
        self.use_fork_worker = use_fork_worker
        # Kept warm between runs: a process's next run forks from the same worker.
        self._worker = ForkWorker(keep_warm=True)
        self._missing: dict[tuple[str, ...], list[str]] = {}

    async def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run one attempt to completion; see the module docstring for how.

        A component failure is a non-zero exit code, never an exception. On exit code 0
        the outputs the component wrote are read back (:func:`read_executor_output`).

        Raises:
            ExecutorError: the attempt could not be started or supervised (the fork worker
                died).
            ComponentError: the attempt exited with 0 but its executor output is not JSON.
        """
        # Absolute paths: the fork child changes directory before it opens anything.
        if not (request.log_path.is_absolute() and request.work_dir.is_absolute()):
            request = dataclasses.replace(
                request, log_path=request.log_path.absolute(), work_dir=request.work_dir.absolute()
            )
        _ensure_dir(request.log_path.parent)
        _ensure_dir(request.work_dir)
        lightweight = strip_lightweight_prelude(request.command)
        if lightweight is None:
            result = await self._run_verbatim(request)
        else:
            if request.exception_path is not None:
                request.exception_path.unlink(missing_ok=True)  # never report an older one
            result = await self._run_lightweight(request, lightweight)
        if result.exit_code == 0 and request.executor_input:
            return dataclasses.replace(result, output=read_executor_output(request))
        if lightweight is not None and request.exception_path is not None:
            exception = read_component_exception(request.exception_path)
            return dataclasses.replace(result, exception=exception)
        return result

    async def aclose(self) -> None:
        """Stop the fork worker (and any attempt still running in it)."""
        await self._worker.aclose()

    # -- lightweight components --------------------------------------------------------------

    async def _run_lightweight(
        self, request: ExecutionRequest, command: LightweightCommand
    ) -> ExecutionResult:
        kfp_ok = host_kfp_available()
        missing = self._missing.get(command.packages)
        if missing is None:
            # Scanning installed distributions costs milliseconds; a run asks about the same few
            # package lists over and over.
            missing = self._missing[command.packages] = unsatisfied_requirements(command.packages)
        env = {**host_environment(), **request.env, "_KFP_RUNTIME": "true"}
        command = dataclasses.replace(command, module=_executor_module(command.module))
        source_path = request.work_dir / _SOURCE_FILE
        argv = ["--component_module_path", str(source_path), *command.args]
        if kfp_ok and not missing:
            if self.use_fork_worker and _forkable(request.env):
                run = functools.partial(
                    self._worker.run,
                    module=command.module,
                    argv=argv,
                    source=command.source,
                    source_path=source_path,
                    cwd=request.work_dir,
                    env=env,
                    log_path=request.log_path,
                    exception_file=request.exception_path,
                )
                try:
                    code = await run()
                except ForkWorkerDied as exc:
                    # Not the task's failure (its processes are gone): once more, in a fresh
                    # worker; if that one dies too, the task fails and its retries apply.
                    append_log_line(request.log_path, f"sluice: {exc}; running the attempt again")
                    code = await run()
                return ExecutionResult(exit_code=code, how="fork-worker")
            return await self._run_module(sys.executable, request, command, argv, env, "subprocess")
        # Install everything the component lists (not just what is missing) so the venv's key
        # depends only on the component; kfp itself comes from the host when it can.
        requirements = command.packages + (() if kfp_ok else command.kfp_packages)
        spec = VenvSpec(
            requirements=tuple(r for r in requirements if not (kfp_ok and is_kfp_requirement(r))),
            index_url=command.index_url,
            extra_index_urls=command.extra_index_urls,
            trusted_hosts=command.trusted_hosts,
            find_links=command.find_links,
        )
        how = f"venv:{spec.key()[:8]}"
        built = await self.venvs.ensure(spec, log_path=request.log_path, env=env)
        if built.python is None:
            return ExecutionResult(exit_code=built.exit_code, how=how)
        return await self._run_module(str(built.python), request, command, argv, env, how)

    async def _run_module(
        self,
        python: str,
        request: ExecutionRequest,
        command: LightweightCommand,
        argv: list[str],
        env: dict[str, str],
        how: str,
    ) -> ExecutionResult:
        """``<python> -m kfp.dsl.executor_main ...`` as a plain subprocess (no prelude).

        It runs through :func:`sluice.executors.attempt_main.run_main` (what a fork child runs),
        which behaves as ``-m`` does and also records an uncaught exception like a fork child.
        """
        (request.work_dir / _SOURCE_FILE).write_text(command.source, encoding="utf-8")
        exception_file = str(request.exception_path) if request.exception_path else ""
        bootstrap = [python, "-c", RUN_MODULE_BOOTSTRAP, ATTEMPT_MAIN_PATH, exception_file]
        code = await run_logged(
            [*bootstrap, command.module, *argv],
            cwd=request.work_dir,
            env=env,
            log_path=request.log_path,
        )
        return ExecutionResult(exit_code=code, how=how)

    # -- everything else ---------------------------------------------------------------------

    async def _run_verbatim(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the resolved command on the host as it stands."""
        if not request.command:
            append_log_line(
                request.log_path,
                f"sluice: the component has no command; it relies on the entrypoint of image "
                f"'{request.image}', which cannot run on this host (run with use_container=True "
                f"if Docker/Podman is available)",
            )
            return ExecutionResult(exit_code=127, how="subprocess")
        argv = list(request.command)
        if argv[0] in ("python3", "python"):
            argv[0] = sys.executable  # as kfp.local does: the interpreter running Sluice
        env = {**host_environment(), **request.env}
        try:
            code = await run_logged(argv, cwd=request.work_dir, env=env, log_path=request.log_path)
        except FileNotFoundError:
            append_log_line(
                request.log_path,
                f"sluice: command not found on this host: '{argv[0]}' (the component expects "
                f"image '{request.image}'; run with use_container=True if Docker/Podman is "
                f"available)",
            )
            return ExecutionResult(exit_code=127, how="subprocess")
        except PermissionError as exc:
            append_log_line(request.log_path, f"sluice: cannot execute '{argv[0]}': {exc}")
            return ExecutionResult(exit_code=126, how="subprocess")
        return ExecutionResult(exit_code=code, how="subprocess")


def _ensure_dir(path: Path) -> None:
    """Create ``path`` (and its parents) unless it is a directory already, as the engine's
    attempts' are: one ``stat``, rather than a failed ``mkdir`` and its exception."""
    if not os.path.isdir(path):
        path.mkdir(parents=True, exist_ok=True)


# os.environ's raw bytes when host_environment() last decoded them, and the result.
_environment: tuple[dict[bytes, bytes], dict[str, str]] | None = None


def host_environment() -> dict[str, str]:
    """``dict(os.environ)``, which callers must not change.

    Every attempt starts from this process's environment, and decoding all of it costs
    about 0.1 ms: the last copy is reused for as long as ``os.environ``'s raw data (which
    every change to ``os.environ`` updates) compares equal.
    """
    global _environment
    raw = getattr(os.environ, "_data", None)
    if not isinstance(raw, dict):
        return dict(os.environ)
    cached = _environment
    if cached is not None and cached[0] == raw:
        return cached[1]
    decoded = dict(os.environ)
    _environment = (dict(raw), decoded)
    return decoded


def _forkable(component_env: dict[str, str]) -> bool:
    """Whether a forked child can honour the component's env.

    ``PYTHON*`` variables (PYTHONPATH, PYTHONHASHSEED, ...) act at interpreter startup, which
    a fork skips; such tasks run as a fresh subprocess instead.
    """
    return not any(key.startswith("PYTHON") for key in component_env)


@functools.cache
def _executor_module(module: str) -> str:
    """The launcher's executor module, or kfp 2's own if the host's kfp lacks it.

    Early kfp 2 pre-releases launched ``kfp.components.executor_main``; any kfp 2.x installed
    here runs those components with ``kfp.dsl.executor_main``.
    """
    try:
        if importlib.util.find_spec(module) is not None:
            return module
    except ImportError:
        pass
    return "kfp.dsl.executor_main"
