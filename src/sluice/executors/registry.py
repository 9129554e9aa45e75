"""Executors by name: the built-ins and those other packages register by entry point.

A package adds an executor with an entry point in the group ``sluice.executors``: its name
is the executor's name, its object a callable taking the :class:`~sluice.config.Settings`
and returning an :class:`~sluice.executors.base.Executor` (a class whose ``__init__`` takes
the settings is one)::

    [project.entry-points."sluice.executors"]
    ray = "sluice_ray:RayExecutor"

The built-in names (``local``, ``docker``, ``podman``, ``ray``) cannot be taken over by a package:
a run recorded with one of them must run the same way wherever it is resumed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
from collections.abc import Callable

from sluice.config import Settings
from sluice.errors import ExecutorError, UserInputError
from sluice.executors.base import Executor

__all__ = [
    "BUILTIN_EXECUTORS",
    "ENTRY_POINT_GROUP",
    "UnknownExecutorError",
    "available",
    "check_name",
    "container_executor_name",
    "get",
    "resource_check",
]

ENTRY_POINT_GROUP = "sluice.executors"

ExecutorFactory = Callable[[Settings], Executor]


class UnknownExecutorError(UserInputError):
    """No executor has the name asked for."""


def _local(settings: Settings) -> Executor:
    from sluice.devices import machine_gpus
    from sluice.executors.local import LocalExecutor

    return LocalExecutor(venv_root=settings.venvs_dir, gpus=machine_gpus(settings.gpus).devices)


def _docker(settings: Settings) -> Executor:
    from sluice.executors.containers import ContainerExecutor

    return ContainerExecutor(engines=("docker",))


def _podman(settings: Settings) -> Executor:
    from sluice.executors.containers import ContainerExecutor

    return ContainerExecutor(engines=("podman",))


def _ray(settings: Settings) -> Executor:
    from sluice.executors.ray import RayExecutor

    return RayExecutor(settings)


# Imported only when chosen: `local` must not pay for the container module, nor the
# reverse.
BUILTIN_EXECUTORS: dict[str, ExecutorFactory] = {
    "local": _local,
    "docker": _docker,
    "podman": _podman,
    # The optional extra `sluice[ray]`: Ray itself is imported by the first attempt.
    "ray": _ray,
}


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """The executors other packages register, by name (the built-ins win)."""
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if point.name not in BUILTIN_EXECUTORS:
            found.setdefault(point.name, point)
    return found


def available() -> list[str]:
    """The names of every executor that can be chosen, sorted."""
    return sorted({*BUILTIN_EXECUTORS, *_entry_points()})


def check_name(name: str) -> str:
    """``name`` if an executor has it (entry points are looked up; nothing is loaded).

    Raises:
        UnknownExecutorError: no executor has that name; the message lists those there are.
    """
    if name == "ray" and importlib.util.find_spec("ray") is None:
        raise UnknownExecutorError(
            "the ray executor needs Ray, which is not installed here: pip install 'sluice[ray]'"
        )
    if name in BUILTIN_EXECUTORS or name in _entry_points():
        return name
    raise UnknownExecutorError(
        f"unknown executor '{name}'; available: {', '.join(available())} (a package adds one "
        f"with an entry point in group '{ENTRY_POINT_GROUP}')"
    )


def get(name: str, settings: Settings) -> Executor:
    """A new executor ``name`` for ``settings``; the caller closes it (``aclose``).

    Raises:
        UnknownExecutorError: no executor has that name.
        ExecutorError: a package's executor could not be loaded or created.
    """
    factory = BUILTIN_EXECUTORS.get(name)
    if factory is None:
        point = _entry_points().get(check_name(name))
        assert point is not None  # check_name found it
        try:
            factory = point.load()
        except Exception as exc:
            raise ExecutorError(
                f"executor '{name}' ({point.value}) cannot be loaded: {type(exc).__name__}: {exc}"
            ) from exc
    try:
        executor = factory(settings)
    except Exception as exc:
        raise ExecutorError(
            f"executor '{name}' cannot be created: {type(exc).__name__}: {exc}"
        ) from exc
    if not callable(getattr(executor, "execute", None)):
        raise ExecutorError(f"executor '{name}' has no execute() method; see docs/architecture.md")
    return executor


ResourceCheck = Callable[..., list[str]]


def resource_check(name: str) -> ResourceCheck | None:
    """What checks a new run's resource requests for executor ``name``, if not this machine.

    None: the tasks run on this machine (``local``, ``docker``, ``podman``), and
    :func:`sluice.spec.resources.check_resources` applies. For ``ray``, the check is against
    the cluster's nodes (:func:`sluice.executors.ray.preflight.check_cluster_resources`); it
    is called as ``check(loaded, settings, allow_unsatisfiable=...)``.
    """
    if name == "ray":
        from sluice.executors.ray.preflight import check_cluster_resources

        return check_cluster_resources
    return None


def container_executor_name() -> str:
    """The executor ``--use-container`` / ``use_container=True`` stands for.

    ``docker`` if its CLI is installed, else ``podman`` if that one is, else ``docker``
    (whose first container task then says that neither answered).
    """
    for name in ("docker", "podman"):
        if shutil.which(name) is not None:
            return name
    return "docker"
