"""Per-task overhead of Sluice against kfp.local on trivial components.

Two pipelines of ``x + 1`` components, each run with Sluice (``sluice.run``, caching off, in a
temporary ``SLUICE_HOME``) and with ``kfp.local.SubprocessRunner(use_venv=False)``, in the
same process:

* ``chain``: 20 tasks, each consuming the previous one's output (pure sequential overhead);
* ``fanout``: a 100-wide ``dsl.ParallelFor`` plus one task summing ``dsl.Collected`` outputs
  (scheduling and concurrency; kfp.local runs these two at a time).

Usage::

    python benchmarks/overhead.py                  # both cases, both runners, one run each
    python benchmarks/overhead.py --repeat 3       # median of three
    python benchmarks/overhead.py --only chain --runner sluice --json

The 100-wide fan-out takes about two minutes under kfp.local.
"""

import argparse
import builtins
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfp import dsl

BASE_IMAGE = "python:3.11"
RUNNERS = ("sluice", "kfp-local")


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


@dataclass
class Case:
    """One benchmark pipeline with its expected result."""

    name: str
    tasks: int
    pipeline: Any
    expected: int


@dataclass
class Result:
    """Timings of one case under one runner."""

    case: str
    runner: str
    tasks: int
    times: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        """Median wall time in seconds, or None when the runner failed."""
        return statistics.median(self.times) if self.times and self.error is None else None


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


def run_sluice(case: Case, workdir: Path) -> float:
    """Run ``case`` with Sluice in a fresh SLUICE_HOME; return wall seconds."""
    home = Path(tempfile.mkdtemp(prefix="sluice-home-", dir=workdir))
    os.environ["SLUICE_HOME"] = str(home)
    import sluice  # imported late so the kfp.local half works without Sluice

    start = time.perf_counter()
    run = sluice.run(case.pipeline, enable_caching=False)
    elapsed = time.perf_counter() - start
    if run.state != "SUCCEEDED":
        raise RuntimeError(f"sluice run {run.name} ended {run.state}: {run.error}")
    got = run.outputs.get("Output")
    if got != case.expected:
        raise RuntimeError(f"sluice returned {got!r}, expected {case.expected}")
    return elapsed


def run_kfp_local(case: Case, workdir: Path) -> float:
    """Run ``case`` with kfp.local's SubprocessRunner (no venv); return wall seconds."""
    from kfp import local

    root = tempfile.mkdtemp(prefix="kfp-local-", dir=workdir)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=root)
    # kfp.local indents output by swapping builtins.print; its loop threads can leave the
    # swapped version in place, which would indent everything this script prints later.
    original_print = builtins.print
    start = time.perf_counter()
    try:
        task = case.pipeline()
    finally:
        elapsed = time.perf_counter() - start
        builtins.print = original_print
    if task.output != case.expected:
        raise RuntimeError(f"kfp.local returned {task.output!r}, expected {case.expected}")
    return elapsed


RUNNER_FUNCS: dict[str, Callable[[Case, Path], float]] = {
    "sluice": run_sluice,
    "kfp-local": run_kfp_local,
}


def measure(case: Case, runner: str, repeat: int, workdir: Path, verbose: bool) -> Result:
    """Run ``case`` ``repeat`` times under ``runner``; stop at the first failure."""
    result = Result(case=case.name, runner=runner, tasks=case.tasks)
    for i in range(repeat):
        if verbose:
            print(f"  {case.name} / {runner} #{i + 1} ...", end="", file=sys.stderr, flush=True)
        try:
            with quiet():
                seconds = RUNNER_FUNCS[runner](case, workdir)
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            if verbose:
                print(f" failed: {result.error}", file=sys.stderr)
            break
        result.times.append(seconds)
        if verbose:
            print(f" {seconds:.2f} s", file=sys.stderr)
    return result


def fmt(seconds: float | None) -> str:
    """Seconds for the table, or ``error``/``-``."""
    return "-" if seconds is None else f"{seconds:.2f}"


def report(cases: list[Case], results: dict[tuple[str, str], Result], as_json: bool) -> None:
    """Print a table (and JSON lines with ``--json``) of medians and the kfp.local/sluice ratio."""
    rows: list[dict[str, Any]] = []
    for case in cases:
        sl = results.get((case.name, "sluice"))
        kl = results.get((case.name, "kfp-local"))
        sl_med = sl.median if sl else None
        kl_med = kl.median if kl else None
        ratio = kl_med / sl_med if sl_med and kl_med else None
        rows.append(
            {
                "case": case.name,
                "tasks": case.tasks,
                "sluice_s": sl_med,
                "kfp_local_s": kl_med,
                "ratio": ratio,
                "sluice_per_task_s": sl_med / case.tasks if sl_med else None,
                "kfp_local_per_task_s": kl_med / case.tasks if kl_med else None,
                "sluice_runs": sl.times if sl else [],
                "kfp_local_runs": kl.times if kl else [],
                "sluice_error": sl.error if sl else None,
                "kfp_local_error": kl.error if kl else None,
            }
        )
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    header = "{:<8} {:>5} {:>9} {:>12} {:>17}".format(
        "case", "tasks", "sluice s", "kfp.local s", "kfp.local/sluice"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio_cell = "-" if row["ratio"] is None else f"{row['ratio']:.1f}x"
        sl_cell = "error" if row["sluice_error"] else fmt(row["sluice_s"])
        kl_cell = "error" if row["kfp_local_error"] else fmt(row["kfp_local_s"])
        print(f"{row['case']:<8} {row['tasks']:>5} {sl_cell:>9} {kl_cell:>12} {ratio_cell:>17}")
    for row in rows:
        for runner in ("sluice", "kfp_local"):
            if row[f"{runner}_error"]:
                print(f"{row['case']} / {runner}: {row[f'{runner}_error']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the median is shown")
    parser.add_argument("--only", choices=["chain", "fanout"], help="run one case only")
    parser.add_argument("--runner", choices=RUNNERS, help="run one runner only")
    parser.add_argument("--chain-length", type=int, default=20, help="tasks in the chain")
    parser.add_argument("--width", type=int, default=100, help="iterations of the fan-out")
    parser.add_argument("--json", action="store_true", help="print one JSON object per case")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 if any runner failed."""
    args = parse_args(argv)
    cases = [
        Case("chain", args.chain_length, make_chain(args.chain_length), args.chain_length),
        Case("fanout", args.width + 1, make_fanout(args.width), args.width * (args.width + 1) // 2),
    ]
    if args.only:
        cases = [c for c in cases if c.name == args.only]
    runners = [args.runner] if args.runner else list(RUNNERS)

    results: dict[tuple[str, str], Result] = {}
    with tempfile.TemporaryDirectory(prefix="sluice-bench-") as tmp:
        for case in cases:
            for runner in runners:
                result = measure(case, runner, args.repeat, Path(tmp), not args.quiet)
                results[(case.name, runner)] = result
    report(cases, results, args.json)
    return 1 if any(r.error for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
