"""Per-task overhead of Sluice against kfp.local and against the floor, on trivial components.

Pipelines of ``x + 1`` components, each run in one invocation by up to three runners:

* ``sluice``: ``sluice.run(pipeline, enable_caching=False)`` in a fresh temporary
  ``SLUICE_HOME`` (the ``cached`` case turns caching on, see below);
* ``kfp-local``: ``kfp.local.SubprocessRunner(use_venv=False)``, kfp.local's fastest mode. It
  is slow (about 1 s a task), so it runs the ``chain`` and ``fanout`` cases only;
* ``sluice-baseline`` (only with ``--baseline PATH``): the same as ``sluice``, with the Sluice
  of another checkout (``PATH/src``), in a subprocess of its own, so a change is measured
  before and after in one invocation;
* ``floor``: what any local runner must at least do: a warm process with kfp imported forks
  one child per task, and the child runs kfp's own executor (``executor_main`` with
  ``--component_module_path``/``--executor_input``/``--function_to_execute``, as
  ``python -m kfp.dsl.executor_main`` would) on the same component. The chain runs one task
  at a time; the fan-out keeps as many iterations running as Sluice's default parallelism,
  then sums them. Nothing is recorded. See ``benchmarks/_floor_worker.py`` for every step.

Cases (``--only``; sizes with ``--size`` or ``--case-size CASE=N``):

* ``chain``: 20 ``add_one`` tasks in a row, each consuming the previous output (all runners);
* ``chain100``: the same with 100 tasks (sluice, floor);
* ``fanout``: ``dsl.ParallelFor`` over 100 items of ``add_one``, then
  ``sum_all(dsl.Collected(...))`` (all runners);
* ``fanout1000``: the same, 1000 wide (sluice, floor);
* ``fanout10000``: the same, 10000 wide (sluice, floor), only when named in ``--only``;
* ``cached``: a fully cached re-run of a 100-task chain; read its ms per task (sluice).

Before any clock starts, a one-task Sluice run pays first-use costs (lazy imports); every
measured Sluice run still gets a fresh home, so creating its store is part of its time.
``cached`` first runs the chain once with caching on in its own ``SLUICE_HOME`` (not timed),
then times re-runs in which every task is a cache hit (checked).

For every (case, runner) it reports the median over ``--repeat`` runs, interleaved (run 1 of
every runner, then run 2, ...), of:

* wall time, and per task;
* CPU time of the whole process tree: ``getrusage`` of this process plus its reaped children,
  plus, from ``/proc/<pid>/stat``, the CPU of descendants still alive at either end (a fork
  worker the runner keeps, with what it reaped), minus the memory sampler thread's own CPU.
  For the floor, its worker measures itself exactly (``getrusage`` self + reaped children
  around the case) and this process's own CPU is added;
* the ratio to the floor (runner ÷ floor, wall and CPU) and to kfp.local (kfp.local ÷ runner,
  how many times faster);
* peak memory of the process tree: a background thread sums the RSS of this process and
  all its descendants (found through ``/proc/*/stat`` parent ids) every
  ``--sample-interval`` seconds and keeps the maximum. ``ru_maxrss`` is not used: it is a
  per-process high-water mark (for this process, over the whole invocation; for children,
  the single largest one ever reaped), so it neither adds a tree up nor resets per case.
  RSS counts pages a forked child still shares copy-on-write with its parent once per
  process, so the sum is an upper bound of the memory really used; tasks shorter than the
  interval may be missed. ``base_rss_mb`` is the tree at the start of the run.

Usage::

    python benchmarks/overhead.py                       # default cases, all runners
    python benchmarks/overhead.py --repeat 3            # median of three
    python benchmarks/overhead.py --only chain,fanout --runner sluice,floor --json
    python benchmarks/overhead.py --only fanout10000 --runner sluice,floor
    python benchmarks/overhead.py --size 3 --repeat 2   # a tiny smoke run
    git worktree add /tmp/base main                     # then, before/after in one go:
    python benchmarks/overhead.py --baseline /tmp/base --runner sluice,floor --repeat 3

Exits 1 if any runner failed (the error is in the table and the JSON).
"""

# No `from __future__ import annotations`: kfp reads the components' annotations as types.
import argparse
import builtins
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kfp import dsl

BASE_IMAGE = "python:3.11"
RUNNERS = ("sluice", "kfp-local", "floor")
# Added to every case that runs ``sluice`` when ``--baseline`` is given.
BASELINE_RUNNER = "sluice-baseline"
FLOOR_WORKER = Path(__file__).resolve().with_name("_floor_worker.py")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Pids whose process trees no Meter of this process counts (each measures itself).
EXCLUDED_PIDS: set[int] = set()


@dsl.component(base_image=BASE_IMAGE)
def add_one(x: int) -> int:
    """Return ``x + 1``."""
    return x + 1


@dsl.component(base_image=BASE_IMAGE)
def sum_all(vals: list[int]) -> int:
    """Sum the collected values.

    ``int()`` because kfp.local hands Collected integers over as floats.
    """
    return int(sum(vals))


def make_chain(length: int) -> Any:
    """A pipeline of ``length`` ``add_one`` tasks in a row; returns ``length``."""

    @dsl.pipeline(name=f"bench-chain-{length}")
    def chain(start: int = 0) -> int:
        task = add_one(x=start)
        for _ in range(length - 1):
            task = add_one(x=task.output)
        return task.output

    return chain


def make_fanout(width: int) -> Any:
    """A ``width``-wide ParallelFor of ``add_one`` plus a Collected sum; returns sum(1..width)."""

    @dsl.pipeline(name=f"bench-fanout-{width}")
    def fanout() -> int:
        with dsl.ParallelFor(items=list(range(width))) as item:
            task = add_one(x=item)
        return sum_all(vals=dsl.Collected(task.output)).output

    return fanout


@dataclass(frozen=True)
class CaseDef:
    """A case as selectable on the command line."""

    name: str
    shape: str  # "chain" or "fanout"
    size: int
    runners: tuple[str, ...]
    cached: bool = False
    default: bool = True


CASE_DEFS = (
    CaseDef("chain", "chain", 20, RUNNERS),
    CaseDef("chain100", "chain", 100, ("sluice", "floor")),
    CaseDef("fanout", "fanout", 100, RUNNERS),
    CaseDef("fanout1000", "fanout", 1000, ("sluice", "floor")),
    CaseDef("fanout10000", "fanout", 10000, ("sluice", "floor"), default=False),
    CaseDef("cached", "chain", 100, ("sluice",), cached=True),
)
CASE_NAMES = tuple(c.name for c in CASE_DEFS)


@dataclass
class Case:
    """One benchmark pipeline at its size, with its expected result."""

    name: str
    shape: str
    size: int
    runners: tuple[str, ...]
    cached: bool
    pipeline: Any

    @property
    def tasks(self) -> int:
        """Container tasks in one run: the chain's, or the loop's plus the sum."""
        return self.size if self.shape == "chain" else self.size + 1

    @property
    def expected(self) -> int:
        """The pipeline's output."""
        return self.size if self.shape == "chain" else self.size * (self.size + 1) // 2


def default_parallelism() -> int:
    """Sluice's default ``max_parallel_tasks`` (the floor's fan-out runs as many at once)."""
    try:
        from sluice.service.runs import default_parallelism
    except ImportError:  # the formula of src/sluice/client/local.py, should it move
        return max(8, 4 * (os.cpu_count() or 2))
    return default_parallelism()


# -- measuring ------------------------------------------------------------------------------


class ProcTree:
    """This process's descendants, read from ``/proc``.

    Where the kernel lists each thread's children (``/proc/<pid>/task/<tid>/children``),
    a scan walks down from the root reading only the tree's own files: a few dozen small
    reads, where scanning every pid of a busy machine cost milliseconds per sample, long
    enough to hold the GIL against the run being measured (a cached 100-task run's wall
    time was 1.8x what it is without the sampler). Elsewhere it finds the tree through the
    parent ids in ``/proc/*/stat``, cached per pid (a process keeps its parent until it is
    orphaned, and then it is no longer ours), so a scan reads only the stat files of new
    pids and of the tree.
    """

    HAS_CHILDREN_FILES = os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")

    def __init__(self, root: int) -> None:
        self.root = root
        self.parents: dict[int, int] = {}
        # Subtrees left out: the baseline worker, which measures itself (see BaselineWorker).
        self.excluded = EXCLUDED_PIDS

    @staticmethod
    def stat(pid: int) -> list[str] | None:
        """The fields of ``/proc/<pid>/stat`` after the command name, or None if it is gone."""
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                data = f.read()
        except OSError:
            return None
        return data[data.rindex(b")") + 2 :].decode().split()

    @staticmethod
    def children(pid: int) -> list[int]:
        """The children of every thread of ``pid`` ([] if it is gone)."""
        found: list[int] = []
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return found
        for tid in threads:
            try:
                with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                    found.extend(int(child) for child in f.read().split())
            except OSError:
                continue  # the thread ended meanwhile
        return found

    def walk(self) -> dict[int, list[str]]:
        """Stat fields of the root and of every live descendant, walking the children files."""
        found: dict[int, list[str]] = {}
        todo = [self.root]
        while todo:
            pid = todo.pop()
            if pid in self.excluded or pid in found:
                continue
            fields = self.stat(pid)
            if fields is None:
                continue
            found[pid] = fields
            todo.extend(self.children(pid))
        return found

    def scan(self) -> dict[int, list[str]]:
        """Stat fields of the root and of every live descendant."""
        if self.HAS_CHILDREN_FILES:
            return self.walk()
        live: set[int] = set()
        with os.scandir("/proc") as entries:
            for entry in entries:
                if entry.name.isdigit():
                    live.add(int(entry.name))
        for pid in list(self.parents):
            if pid not in live:
                del self.parents[pid]
        for pid in live - self.parents.keys():
            fields = self.stat(pid)
            if fields is not None:
                self.parents[pid] = int(fields[1])
        children: dict[int, list[int]] = {}
        for pid, ppid in self.parents.items():
            children.setdefault(ppid, []).append(pid)
        found: dict[int, list[str]] = {}
        todo = [self.root]
        while todo:
            pid = todo.pop()
            if pid in self.excluded:
                continue
            fields = self.stat(pid)
            if fields is None:
                continue
            found[pid] = fields
            todo.extend(children.get(pid, ()))
        return found

    def descendants_cpu(self) -> float:
        """CPU seconds of live descendants, each with the children it reaped."""
        total = 0
        for pid, fields in self.scan().items():
            if pid != self.root:  # this process is counted exactly by getrusage
                total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        return total / CLOCK_TICKS


def own_cpu() -> float:
    """CPU seconds of this process (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def reaped_cpu() -> float:
    """CPU seconds of reaped children (with what they reaped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class MemorySampler(threading.Thread):
    """Samples the summed RSS of this process tree until stopped; keeps the peak."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.interval = interval
        self.tree = ProcTree(os.getpid())
        self.stopping = threading.Event()
        self.peak_bytes = 0
        self.base_bytes: int | None = None
        self.peak_processes = 0
        self.samples = 0
        self.cpu_s = 0.0  # this thread's own CPU, left out of the runner's

    def sample(self) -> None:
        """One sample of the tree."""
        tree = self.tree.scan()
        rss = sum(int(fields[21]) for fields in tree.values()) * PAGE_BYTES
        if self.base_bytes is None:
            self.base_bytes = rss
        self.peak_bytes = max(self.peak_bytes, rss)
        self.peak_processes = max(self.peak_processes, len(tree))
        self.samples += 1

    def run(self) -> None:
        """Sample until :meth:`stop` (the caller takes the first sample)."""
        try:
            while not self.stopping.wait(self.interval):
                self.sample()
            self.sample()
        finally:
            self.cpu_s = time.thread_time()

    def stop(self) -> None:
        """Stop sampling (after a last sample) and wait for the thread."""
        self.stopping.set()
        self.join()


class Meter:
    """Wall time, tree CPU and peak tree RSS of the code inside ``with meter:``."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.wall_s = 0.0
        self.cpu_s = 0.0
        self.own_cpu_s = 0.0
        self.memory: dict[str, Any] = {}

    def __enter__(self) -> "Meter":
        self.tree = ProcTree(os.getpid())
        self.sampler = MemorySampler(self.interval)
        # The first samples (a full /proc scan each) are taken here, before the clocks start.
        self.sampler.sample()
        self.tree.scan()
        self.sampler.start()
        self._own = own_cpu()
        self._cpu = self._own + reaped_cpu() + self.tree.descendants_cpu()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_s = time.perf_counter() - self._wall
        end_own = own_cpu()
        end = end_own + reaped_cpu() + self.tree.descendants_cpu()
        self.sampler.stop()
        self.own_cpu_s = max(0.0, end_own - self._own - self.sampler.cpu_s)
        self.cpu_s = max(0.0, end - self._cpu - self.sampler.cpu_s)
        s = self.sampler
        self.memory = {
            "peak_rss_mb": round(s.peak_bytes / 2**20, 1),
            "base_rss_mb": round((s.base_bytes or 0) / 2**20, 1),
            "peak_processes": s.peak_processes,
            "rss_samples": s.samples,
        }


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence stdout/stderr at the file-descriptor level (component logs included)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


# -- runners --------------------------------------------------------------------------------

_cached_homes: dict[tuple[str, int], Path] = {}


def run_sluice(case: Case, workdir: Path, meter: Meter) -> dict[str, Any]:
    """Run ``case`` with Sluice; a fresh SLUICE_HOME, except for ``cached`` re-runs."""
    import sluice  # imported late so the other runners work without Sluice

    if case.cached:
        home = _cached_homes.get((case.name, case.size))
        if home is None:  # the run that fills the cache, not timed
            home = Path(tempfile.mkdtemp(prefix="sluice-cached-", dir=workdir))
            os.environ["SLUICE_HOME"] = str(home)
            first = sluice.run(case.pipeline, enable_caching=True)
            if first.state != "SUCCEEDED":
                raise RuntimeError(f"sluice run {first.name} ended {first.state}: {first.error}")
            _cached_homes[(case.name, case.size)] = home
        os.environ["SLUICE_HOME"] = str(home)
    else:
        os.environ["SLUICE_HOME"] = tempfile.mkdtemp(prefix="sluice-home-", dir=workdir)
    with meter:
        run = sluice.run(case.pipeline, enable_caching=case.cached)
    if run.state != "SUCCEEDED":
        raise RuntimeError(f"sluice run {run.name} ended {run.state}: {run.error}")
    got = run.outputs.get("Output")
    if got != case.expected:
        raise RuntimeError(f"sluice returned {got!r}, expected {case.expected}")
    containers = [t for t in run.tasks if t.kind == "container"]
    cached = sum(t.state == "CACHED" for t in containers)
    if len(containers) != case.tasks:
        raise RuntimeError(f"sluice recorded {len(containers)} tasks, expected {case.tasks}")
    if case.cached and cached != case.tasks:
        raise RuntimeError(f"only {cached} of {case.tasks} tasks were cache hits")
    return {"tasks_recorded": len(containers), "cached_tasks": cached}


def run_kfp_local(case: Case, workdir: Path, meter: Meter) -> dict[str, Any]:
    """Run ``case`` with kfp.local's SubprocessRunner (no venv)."""
    from kfp import local

    root = tempfile.mkdtemp(prefix="kfp-local-", dir=workdir)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root)
    # kfp.local indents output by swapping builtins.print; its loop threads can leave the
    # swapped version in place, which would indent everything this script prints later.
    original_print = builtins.print
    try:
        with meter:
            task = case.pipeline()
    finally:
        builtins.print = original_print
    if task.output != case.expected:
        raise RuntimeError(f"kfp.local returned {task.output!r}, expected {case.expected}")
    return {}


def component_source(component: Any) -> str:
    """The source file the KFP launcher writes for a lightweight component."""
    return str(component.component_spec.implementation.container.command[-1])


def run_floor(case: Case, workdir: Path, meter: Meter) -> dict[str, Any]:
    """Run ``case`` in a fresh warm floor worker (started and warmed before timing)."""
    env = {**os.environ, "_KFP_RUNTIME": "true"}
    proc = subprocess.Popen(
        [sys.executable, str(FLOOR_WORKER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        if json.loads(proc.stdout.readline() or "{}").get("ready") is not True:
            raise RuntimeError(f"the floor worker did not start (exit code {proc.wait()})")
        request = {
            "shape": case.shape,
            "size": case.size,
            "parallel": default_parallelism(),
            "workdir": tempfile.mkdtemp(prefix="floor-", dir=workdir),
            "sources": {"add_one": component_source(add_one), "sum_all": component_source(sum_all)},
        }
        with meter:
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline() or '{"error": "the floor worker died"}')
    finally:
        proc.stdin.close()
        proc.wait()
    if "error" in answer:
        raise RuntimeError(f"floor: {answer['error']}")
    if answer["result"] != case.expected or answer["tasks"] != case.tasks:
        raise RuntimeError(
            f"floor returned {answer['result']!r} after {answer['tasks']} tasks, "
            f"expected {case.expected} after {case.tasks}"
        )
    # The worker's own exact figures; this process only waited on a pipe meanwhile.
    return {"wall_s": answer["wall_s"], "cpu_s": answer["cpu_s"] + meter.own_cpu_s}


class BaselineWorker:
    """This script in a subprocess that imports another checkout's Sluice (``--baseline``).

    The subprocess (``overhead.py --serve-baseline``, ``PYTHONPATH=<root>/src``) warms up
    like this process does, says which ``sluice`` it imported, then runs one Sluice case per
    request line and answers with the run's figures, measured by its own :class:`Meter`
    around its own process tree. It lives for the whole invocation, so its ``cached`` homes
    and first-use costs are kept across runs exactly like this process's.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.proc: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {"path": str(self.root), "revision": _git_revision(root)}

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the answer (starting the subprocess if needed)."""
        proc = self.proc or self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            self.proc = None
            raise RuntimeError(f"the baseline worker died (exit code {proc.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _start(self) -> subprocess.Popen[str]:
        src = self.root / "src"
        if not (src / "sluice" / "__init__.py").is_file():
            raise RuntimeError(f"--baseline {self.root}: no src/sluice there")
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve-baseline"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(src)},
            text=True,
        )
        assert proc.stdout is not None
        ready = json.loads(proc.stdout.readline() or "{}")
        if ready.get("ready") is not True:
            raise RuntimeError(f"the baseline worker did not start (exit code {proc.wait()})")
        imported = Path(ready["sluice"]).resolve()
        if not imported.is_relative_to(src.resolve()):
            proc.kill()
            raise RuntimeError(f"the baseline worker imported {imported}, not one under {src}")
        self.info["sluice"] = str(imported)
        self.proc = proc
        EXCLUDED_PIDS.add(proc.pid)
        return proc

    def close(self) -> None:
        """Let the subprocess go (EOF on its stdin)."""
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
            self.proc.wait()
        self.proc = None


def _git_revision(root: Path) -> str | None:
    """The commit checked out at ``root``, if it is a git checkout."""
    found = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or None


_baseline: BaselineWorker | None = None


def run_sluice_baseline(case: Case, workdir: Path, meter: Meter) -> dict[str, Any]:
    """Run ``case`` with the baseline checkout's Sluice, in the baseline worker."""
    assert _baseline is not None, "--baseline was not given"
    with meter:
        answer = _baseline.request(
            {
                "case": case.name,
                "size": case.size,
                "workdir": str(workdir),
                "sample_interval": meter.interval,
            }
        )
    if "error" in answer:
        raise RuntimeError(f"baseline: {answer['error']}")
    # The worker's own figures of its tree; this process only waited on a pipe meanwhile.
    answer["cpu_s"] += meter.own_cpu_s
    return answer


def serve_baseline() -> int:
    """``--serve-baseline``: the body of :class:`BaselineWorker`'s subprocess."""
    import sluice

    # The protocol keeps the real stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    defs = {d.name: d for d in CASE_DEFS}
    with tempfile.TemporaryDirectory(prefix="sluice-bench-baseline-") as tmp:
        warm_up({"sluice"}, Path(tmp))
        print(json.dumps({"ready": True, "sluice": sluice.__file__}), file=out, flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            d = defs[request["case"]]
            size = int(request["size"])
            pipeline = make_chain(size) if d.shape == "chain" else make_fanout(size)
            case = Case(d.name, d.shape, size, ("sluice",), d.cached, pipeline)
            meter = Meter(float(request["sample_interval"]))
            try:
                with quiet():
                    extra = run_sluice(case, Path(request["workdir"]), meter)
                answer = {"wall_s": meter.wall_s, "cpu_s": meter.cpu_s, **meter.memory, **extra}
            except Exception as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
            print(json.dumps(answer), file=out, flush=True)
    return 0


def warm_up(runners: set[str], workdir: Path) -> None:
    """Pay first-use costs (lazy imports, first compilations) before any clock starts.

    Sluice runs a one-task pipeline in a throwaway home; kfp.local only imports (one task
    would cost a second). A failure here is left for the measured runs to report.
    """
    with quiet(), contextlib.suppress(Exception):
        if "sluice" in runners:
            import sluice

            os.environ["SLUICE_HOME"] = tempfile.mkdtemp(prefix="sluice-warm-", dir=workdir)
            sluice.run(make_chain(1), enable_caching=False)
        if "kfp-local" in runners:
            from kfp import local  # noqa: F401


RUNNER_FUNCS: dict[str, Callable[[Case, Path, Meter], dict[str, Any]]] = {
    "sluice": run_sluice,
    "kfp-local": run_kfp_local,
    "floor": run_floor,
    BASELINE_RUNNER: run_sluice_baseline,
}


@dataclass
class Result:
    """The runs of one case under one runner."""

    case: str
    runner: str
    tasks: int
    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def median(self, key: str) -> float | None:
        """Median of ``key`` over the runs, or None when the runner failed."""
        values = [r[key] for r in self.runs if r.get(key) is not None]
        return statistics.median(values) if values and self.error is None else None


def measure_once(
    case: Case, runner: str, workdir: Path, interval: float, result: Result, verbose: bool
) -> None:
    """One run of ``case`` under ``runner``, appended to ``result`` (or its error set)."""
    if verbose:
        n = len(result.runs) + 1
        print(f"  {case.name} / {runner} #{n} ...", end="", file=sys.stderr, flush=True)
    meter = Meter(interval)
    try:
        with quiet():
            extra = RUNNER_FUNCS[runner](case, workdir, meter)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        if verbose:
            print(f" failed: {result.error}", file=sys.stderr)
        return
    run = {"wall_s": meter.wall_s, "cpu_s": meter.cpu_s, **meter.memory, **extra}
    result.runs.append(run)
    if verbose:
        print(f" {run['wall_s']:.2f} s, {run['cpu_s']:.2f} s CPU", file=sys.stderr)


# -- reporting ------------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def summarise(case: Case, results: dict[str, Result]) -> dict[str, Any]:
    """The JSON object of one case: every runner's medians, ratios and raw runs."""
    floor = results.get("floor")
    kfp = results.get("kfp-local")
    floor_wall = floor.median("wall_s") if floor else None
    floor_cpu = floor.median("cpu_s") if floor else None
    base = results.get(BASELINE_RUNNER)
    base_wall = base.median("wall_s") if base else None
    base_cpu = base.median("cpu_s") if base else None
    kfp_wall = kfp.median("wall_s") if kfp else None
    kfp_cpu = kfp.median("cpu_s") if kfp else None
    runners: dict[str, Any] = {}
    for name, result in results.items():
        wall, cpu = result.median("wall_s"), result.median("cpu_s")
        runners[name] = {
            "wall_s": _round(wall, 4),
            "cpu_s": _round(cpu, 4),
            "ms_per_task": _round(wall and wall * 1000 / case.tasks, 3),
            "cpu_ms_per_task": _round(cpu and cpu * 1000 / case.tasks, 3),
            "peak_rss_mb": result.median("peak_rss_mb"),
            "base_rss_mb": result.median("base_rss_mb"),
            # runner ÷ floor: how many times the floor's cost.
            "ratio_to_floor": _round(_ratio(wall, floor_wall), 3),
            "cpu_ratio_to_floor": _round(_ratio(cpu, floor_cpu), 3),
            # kfp.local ÷ runner: how many times faster than kfp.local.
            "kfp_local_ratio": _round(_ratio(kfp_wall, wall), 3),
            "kfp_local_cpu_ratio": _round(_ratio(kfp_cpu, cpu), 3),
            # runner ÷ sluice-baseline: below 1 is faster than the baseline checkout.
            "baseline_ratio": _round(_ratio(wall, base_wall), 3),
            "baseline_cpu_ratio": _round(_ratio(cpu, base_cpu), 3),
            "repeat": len(result.runs),
            "runs": result.runs,
            "error": result.error,
        }
    return {
        "case": case.name,
        "shape": case.shape,
        "size": case.size,
        "tasks": case.tasks,
        "cached": case.cached,
        "runners": runners,
    }


def _cell(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def print_table(summaries: list[dict[str, Any]]) -> None:
    """The human-readable table: one row per case and runner."""
    any_baseline = any(BASELINE_RUNNER in s["runners"] for s in summaries)
    header = (
        f"{'case':<11} {'tasks':>5} {'runner':<15} {'wall s':>8} {'ms/task':>8} {'CPU s':>8} "
        f"{'CPU ms/task':>11} {'/floor':>7} {'CPU/floor':>9} {'kfp.local/':>10} {'peak MB':>8}"
        f"{'  CPU/base' if any_baseline else ''}"
    )
    print(header)
    print("-" * len(header))
    errors = []
    for summary in summaries:
        for runner, r in summary["runners"].items():
            if r["error"]:
                errors.append(f"{summary['case']} / {runner}: {r['error']}")
                print(f"{summary['case']:<11} {summary['tasks']:>5} {runner:<15} {'error':>8}")
                continue
            print(
                f"{summary['case']:<11} {summary['tasks']:>5} {runner:<15} "
                f"{_cell(r['wall_s'], '.3f'):>8} {_cell(r['ms_per_task'], '.2f'):>8} "
                f"{_cell(r['cpu_s'], '.3f'):>8} {_cell(r['cpu_ms_per_task'], '.2f'):>11} "
                f"{_cell(r['ratio_to_floor'], '.1f', 'x'):>7} "
                f"{_cell(r['cpu_ratio_to_floor'], '.1f', 'x'):>9} "
                f"{_cell(r['kfp_local_ratio'], '.1f', 'x'):>10} "
                f"{_cell(r['peak_rss_mb'], '.0f'):>8}"
                + (f" {_cell(r['baseline_cpu_ratio'], '.2f', 'x'):>9}" if any_baseline else "")
            )
    for line in errors:
        print(line)


# -- command line ---------------------------------------------------------------------------


def _names(values: list[str] | None, allowed: tuple[str, ...], what: str) -> list[str]:
    """Comma-separated and repeated option values, checked against ``allowed``."""
    names = [n.strip() for v in values or [] for n in v.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {', '.join(unknown)}; choose from {', '.join(allowed)}"
        )
    return list(dict.fromkeys(names))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        epilog=f"cases: {', '.join(CASE_NAMES)} (fanout10000 only when named in --only)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the median is shown")
    parser.add_argument(
        "--only",
        action="append",
        metavar="CASE[,CASE]",
        help="cases to run (default: all but fanout10000); repeatable",
    )
    parser.add_argument(
        "--runner",
        action="append",
        metavar="RUNNER[,RUNNER]",
        help=f"runners to use, of {', '.join(RUNNERS)} (default: all); repeatable",
    )
    parser.add_argument(
        "--size", type=int, help="size (tasks in a chain, width of a loop) of every selected case"
    )
    parser.add_argument(
        "--case-size",
        action="append",
        default=[],
        metavar="CASE=N",
        help="size of one case, e.g. fanout1000=300; repeatable; wins over --size",
    )
    parser.add_argument("--chain-length", type=int, help="same as --case-size chain=N")
    parser.add_argument("--width", type=int, help="same as --case-size fanout=N")
    parser.add_argument(
        "--sample-interval",
        type=float,
        default=0.02,
        metavar="S",
        help="seconds between samples of the process tree's RSS (default 0.02)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="PATH",
        help=(
            f"another checkout's root: adds the runner {BASELINE_RUNNER}, the sluice cases run "
            "with PATH/src in a subprocess, interleaved with the others"
        ),
    )
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print one JSON object, every number")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.sample_interval <= 0:
        parser.error("--sample-interval must be positive")
    try:
        args.cases = _names(args.only, CASE_NAMES, "case") or [
            c.name for c in CASE_DEFS if c.default
        ]
        allowed = (*RUNNERS, BASELINE_RUNNER) if args.baseline else RUNNERS
        args.runners = _names(args.runner, allowed, "runner") or list(RUNNERS)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    if args.baseline:
        if not (args.baseline / "src" / "sluice").is_dir():
            parser.error(f"--baseline {args.baseline}: not a Sluice checkout (no src/sluice)")
        if "sluice" in args.runners and BASELINE_RUNNER not in args.runners:
            # Right after sluice, so the two alternate run by run.
            args.runners.insert(args.runners.index("sluice") + 1, BASELINE_RUNNER)
    sizes: dict[str, int] = {}
    if args.chain_length is not None:
        sizes["chain"] = args.chain_length
    if args.width is not None:
        sizes["fanout"] = args.width
    for item in args.case_size:
        name, sep, value = item.partition("=")
        if not sep or name not in CASE_NAMES or not value.isdigit():
            parser.error(f"--case-size takes CASE=N with CASE one of {', '.join(CASE_NAMES)}")
        sizes[name] = int(value)
    for name in args.cases:
        size = sizes.get(name, args.size)
        if size is not None and size < 1:
            parser.error(f"the size of {name} must be at least 1")
    args.sizes = sizes
    return args


def build_cases(args: argparse.Namespace) -> list[Case]:
    """The selected cases at their sizes, with the runners that apply to each."""
    cases = []
    for d in CASE_DEFS:
        if d.name not in args.cases:
            continue
        size = args.sizes.get(d.name, args.size if args.size is not None else d.size)
        applies = (*d.runners, BASELINE_RUNNER) if "sluice" in d.runners else d.runners
        runners = tuple(r for r in args.runners if r in applies)
        if not runners:
            continue
        pipeline = make_chain(size) if d.shape == "chain" else make_fanout(size)
        cases.append(Case(d.name, d.shape, size, runners, d.cached, pipeline))
    return cases


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 if any runner failed."""
    global _baseline
    args = parse_args(argv)
    if args.serve_baseline:
        return serve_baseline()
    cases = build_cases(args)
    if not cases:
        print(
            "overhead.py: no case has the runners asked for (kfp-local runs chain and fanout, "
            "cached is sluice only); change --only or --runner",
            file=sys.stderr,
        )
        return 2
    summaries = []
    if args.baseline:
        _baseline = BaselineWorker(args.baseline)
    with (
        tempfile.TemporaryDirectory(prefix="sluice-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        if _baseline is not None:
            stack.callback(_baseline.close)
        warm_up({r for case in cases for r in case.runners}, Path(tmp))
        for case in cases:
            results = {r: Result(case.name, r, case.tasks) for r in case.runners}
            for _ in range(args.repeat):  # interleaved: one run of every runner at a time
                for runner, result in results.items():
                    if result.error is None:
                        measure_once(
                            case, runner, Path(tmp), args.sample_interval, result, not args.quiet
                        )
            summaries.append(summarise(case, results))
    ok = all(r["error"] is None for s in summaries for r in s["runners"].values())
    if args.json:
        import kfp

        print(
            json.dumps(
                {
                    "benchmark": "overhead",
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "command": " ".join(
                        ["benchmarks/overhead.py", *(sys.argv[1:] if argv is None else argv)]
                    ),
                    "python": platform.python_version(),
                    "kfp": kfp.__version__,
                    "cpus": os.cpu_count(),
                    "load_average": list(os.getloadavg()),
                    "parallelism": default_parallelism(),
                    "baseline": _baseline.info if _baseline is not None else None,
                    "repeat": args.repeat,
                    "sample_interval_s": args.sample_interval,
                    "cases": summaries,
                    "ok": ok,
                }
            )
        )
    else:
        print_table(summaries)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
