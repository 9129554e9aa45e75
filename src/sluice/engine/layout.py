"""Where a run's files live: its attempts' directories and its tasks' output roots.

Two trees belong to a run:

* its working directory, ``<runs_dir>/<run id>/``, holding one directory per attempt of
  each container task, ``<task path>/attempt-<N>/`` with ``log.txt`` (stdout and
  stderr), ``outputs/`` (the output parameter files), ``work/`` (the process's cwd) and
  ``exception.json`` (what a Python component raised);
* its artifacts, ``<pipeline root>/<run name>/<task path>/<output>``, which a task writes
  where it runs: there for a local root, under ``<home>/staging/<run id>/`` for a remote
  one (uploaded after the task).

Every name from a spec goes through :mod:`sluice.names`, so a task named ``../x`` writes
nowhere else. The engine builds these paths and the service reads them back (logs), both
through :class:`RunLayout`, so the two never disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sluice.config import Settings
from sluice.engine.staging import is_remote
from sluice.names import safe_component, safe_task_path, under
from sluice.spec.placeholders import local_path_for_uri

_ATTEMPT_PREFIX = "attempt-"
_LOG_NAME = "log.txt"


def make_dir(path: Path | str) -> None:
    """``Path(path).mkdir(parents=True, exist_ok=True)`` in one call when the parent exists
    (the usual case), without building paths or recovering from errors on the way."""
    try:
        os.mkdir(path)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)


class MadeDirs:
    """The directories one run has made or found, so that each is created once.

    A loop's task lives two levels below the run's directory (``for-loop-2-0/add-one``),
    and its outputs as deep under the pipeline root: ``make_dir`` would fail on the missing
    parent and fall back to ``os.makedirs`` (a failed ``mkdir``, ``stat`` calls and more
    ``mkdir`` calls) for every iteration. Only parents are kept (task directories, output
    roots), not each attempt's own directories, so a 10,000-wide loop keeps ~20,000 paths.
    """

    def __init__(self) -> None:
        self._known: set[str] = set()

    def ensure(self, path: str) -> bool:
        """Make directory ``path`` and any missing parents; whether ``path`` was created
        now (so holds nothing yet)."""
        if path in self._known:
            return False
        parent = os.path.dirname(path)
        if parent != path and parent not in self._known:
            # Made (or found) by its own ``mkdir``, not probed first: a new parent (a loop
            # iteration's directory) costs one call, not a failed ``stat`` and then one.
            self.ensure(parent)
        try:
            os.mkdir(path)
            created = True
        except FileExistsError:
            if not os.path.isdir(path):
                raise
            created = False
        self._known.add(path)
        return created


@dataclass(frozen=True)
class AttemptLayout:
    """The files of one attempt of a container task (all inside :attr:`directory`).

    Its paths, and a run's, are computed once each (``cached_property``): an attempt asks
    for them several times, and each ``Path`` costs a parse.
    """

    directory: Path

    @cached_property
    def log(self) -> Path:
        """The attempt's stdout and stderr."""
        return self.directory / _LOG_NAME

    @cached_property
    def work(self) -> Path:
        """The scratch directory the task's process starts in."""
        return self.directory / "work"

    @cached_property
    def outputs(self) -> Path:
        """Where the task writes its output parameter files."""
        return self.directory / "outputs"

    @cached_property
    def exception(self) -> Path:
        """Where a Python component records the exception it raised."""
        return self.directory / "exception.json"

    def create(self, made: MadeDirs | None = None) -> None:
        """Create the attempt's directory with its ``work/`` and ``outputs/``.

        With ``made`` (the run's :class:`MadeDirs`), the task's directory and its parents
        are created once per run and then known: one ``mkdir`` per new directory and no
        failed calls; without it, one ``mkdir`` per directory when the run's directory
        exists (the usual case).
        """
        directory = str(self.directory)
        if made is not None:
            made.ensure(os.path.dirname(directory))  # the task's directory
        else:
            make_dir(os.path.dirname(directory))
        make_dir(directory)
        make_dir(directory + "/work")
        make_dir(directory + "/outputs")


def attempt_log(log_path: Path, attempt: int) -> Path:
    """The log of attempt ``attempt`` of the task whose (last) log is ``log_path``."""
    return log_path.parent.parent / f"{_ATTEMPT_PREFIX}{attempt}" / log_path.name


def attempts_with_log(log_path: Path) -> list[int]:
    """The numbers of the attempts, beside the one of ``log_path``, that have a log."""
    found = []
    for directory in log_path.parent.parent.glob(f"{_ATTEMPT_PREFIX}*"):
        number = directory.name.removeprefix(_ATTEMPT_PREFIX)
        if number.isdigit() and (directory / log_path.name).exists():
            found.append(int(number))
    return sorted(found)


@dataclass(frozen=True, kw_only=True)
class RunLayout:
    """Where the files of one run live (see the module's docstring)."""

    settings: Settings
    run_id: str
    # The run's unique name and its pipeline root: where its artifacts go.
    run_name: str
    pipeline_root: str
    # local_task_root() and the attempts' parent by task path: each attempt asks for
    # them, and they never change.
    _local_roots: dict[str, Path] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _task_dirs: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    # The directories this run made or found (the engine's, one thread).
    made: MadeDirs = field(default_factory=MadeDirs, init=False, repr=False, compare=False)

    @cached_property
    def run_dir(self) -> Path:
        """The run's working directory: its attempts' logs and scratch files."""
        return self.settings.runs_dir / safe_component(self.run_id)

    def attempt(self, path: str, number: int) -> AttemptLayout:
        """The files of attempt ``number`` of the task at ``path``."""
        task_dir = self._task_dirs.get(path)
        if task_dir is None:
            task_dir = self._task_dirs[path] = under(str(self.run_dir), safe_task_path(path))
        return AttemptLayout(Path(f"{task_dir}/{_ATTEMPT_PREFIX}{int(number)}"))

    def holds(self, file: Path) -> bool:
        """Whether ``file`` (resolved, links followed) is inside the run's working directory."""
        return file.resolve().is_relative_to(self.run_dir.resolve())

    @cached_property
    def workspace_dir(self) -> Path:
        """The run's ``dsl.WORKSPACE_PATH_PLACEHOLDER`` directory."""
        return self.settings.home / "workspaces" / self.run_id

    @cached_property
    def remote_root(self) -> bool:
        """Whether artifacts live in an object store (staged locally for tasks)."""
        return is_remote(self.pipeline_root)

    @cached_property
    def staging_dir(self) -> Path:
        """Local copies of a remote-rooted run's artifacts."""
        return self.settings.home / "staging" / self.run_id

    def task_root(self, path: str) -> str:
        """Where a task's output artifacts go: ``<pipeline_root>/<run name>/<task path>``.

        Every name in it is a safe path component, and the result is checked to stay
        under the pipeline root: a task named ``../x`` in an uploaded spec writes nowhere
        else. The root of the run itself (``path=""``) ends with a ``/``.
        """
        run_dir = safe_component(self.run_name)
        if not path:
            return under(self.pipeline_root, run_dir) + "/"
        return under(self.pipeline_root, run_dir, safe_task_path(path))

    def local_task_root(self, path: str) -> Path:
        """Where a task writes its outputs on this machine."""
        root = self._local_roots.get(path)
        if root is None:
            if self.remote_root:
                root = Path(under(str(self.staging_dir), safe_task_path(path)))
            else:
                root = Path(local_path_for_uri(self.task_root(path)))
            self._local_roots[path] = root
        return root

    @cached_property
    def local_pipeline_root(self) -> Path:
        """The local directory every task's outputs of this run are under."""
        return self.local_task_root("").parent

    def executor_output(self, path: str) -> Path:
        """The executor-output file of the task at ``path`` (KFP's ``outputFile``)."""
        return self.local_task_root(path) / "executor_output.json"
