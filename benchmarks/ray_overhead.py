"""Task overhead of the ``ray`` executor against ``local``, and a wide ParallelFor on Ray.

One invocation starts a three-node ``ray.cluster_utils.Cluster`` on loopback (a head and two
worker nodes, ``--cpus`` logical CPUs each), connects to it as the driver, and measures:

* ``chain``: ``--chain`` ``add_one`` tasks in a row, each consuming the previous output, run
  with ``executor="local"`` and with ``executor="ray"`` (interleaved, ``--repeat`` times, the
  median kept); per-task wall time of each and the ratio ray ÷ local. A chain runs one task at
  a time, so it measures what one task costs end to end: submission, a Ray worker, the log
  stream, the outputs back;
* ``fanout``: a ``dsl.ParallelFor`` ``--width`` wide of ``add_one``, then ``sum_all`` of the
  ``Collected`` outputs, on Ray only, with ``--max-parallel`` task slots (tasks ask for 1 CPU
  each, Ray's default, so the cluster runs ``3 * --cpus`` at once).

Before any clock starts each executor runs a one-task pipeline (imports, Ray's first workers,
their fork workers). Every measured run gets a fresh ``SLUICE_HOME``. Every Ray process is
this script's own and is stopped by ``cluster.shutdown()`` (never ``ray stop``).

Usage::

    python benchmarks/ray_overhead.py                   # chain 20, fanout 200, repeat 1
    python benchmarks/ray_overhead.py --repeat 3 --json
    python benchmarks/ray_overhead.py --chain 2 --width 3 --json   # a tiny smoke run

Exits 1 if a run did not succeed (the error is in the JSON).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Before Ray is imported (its constants read them): loopback only, no token, no usage report.
for _key, _value in {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
}.items():
    os.environ.setdefault(_key, _value)

from kfp import dsl  # noqa: E402

import sluice  # noqa: E402


@dsl.component
def add_one(x: int) -> int:
    return x + 1


@dsl.component
def sum_all(values: list[int]) -> int:
    return sum(values)


def chain_pipeline(n: int) -> Any:
    @dsl.pipeline(name=f"chain-{n}")
    def chain(x: int = 0) -> int:
        task = add_one(x=x)
        for _ in range(n - 1):
            task = add_one(x=task.output)
        return task.output

    return chain


def fanout_pipeline(width: int) -> Any:
    @dsl.pipeline(name=f"fanout-{width}")
    def fanout() -> int:
        with dsl.ParallelFor(list(range(width))) as item:
            part = add_one(x=item)
        return sum_all(values=dsl.Collected(part.output)).output

    return fanout


def timed_run(
    pipeline: Any, executor: str, scratch: Path, **options: Any
) -> tuple[float, Any, str | None]:
    """Wall time, output and error of one run in a fresh SLUICE_HOME."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    os.environ["SLUICE_HOME"] = str(home)
    started = time.perf_counter()
    run = sluice.run(pipeline, executor=executor, enable_caching=False, **options)
    wall = time.perf_counter() - started
    shutil.rmtree(home, ignore_errors=True)
    error = None if run.state == "SUCCEEDED" else f"{run.state}: {run.error}"
    return wall, run.outputs.get("Output"), error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chain", type=int, default=20, help="tasks in the chain")
    parser.add_argument("--width", type=int, default=200, help="iterations of the ParallelFor")
    parser.add_argument("--repeat", type=int, default=1, help="chain runs per executor")
    parser.add_argument("--cpus", type=int, default=2, help="logical CPUs of each node")
    parser.add_argument("--max-parallel", type=int, default=16, help="task slots of the fanout")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args(argv)

    import ray
    from ray.cluster_utils import Cluster

    # Short: Ray's socket paths under it must fit in 107 bytes.
    scratch = Path(tempfile.mkdtemp(prefix="sluice-rb-"))
    os.environ["RAY_TMPDIR"] = str(scratch)
    os.environ["SLUICE_HOME"] = str(scratch / "node-home")  # the nodes' venvs, if any
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "python": platform.python_version(),
        "ray": ray.__version__,
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "nodes": 3,
        "cpus_per_node": args.cpus,
    }
    errors: list[str] = []
    started = time.perf_counter()
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": args.cpus, "include_dashboard": False}
    )
    try:
        for _ in range(2):
            cluster.add_node(num_cpus=args.cpus)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False, logging_level="WARNING")
        os.environ["SLUICE_RAY_ADDRESS"] = cluster.address
        report["cluster_start_s"] = round(time.perf_counter() - started, 3)

        warm = chain_pipeline(1)
        for executor in ("local", "ray"):
            *_, error = timed_run(warm, executor, scratch)
            if error:
                errors.append(f"warm-up on {executor}: {error}")

        chain = chain_pipeline(args.chain)
        walls: dict[str, list[float]] = {"local": [], "ray": []}
        for _ in range(args.repeat):
            for executor in walls:
                wall, output, error = timed_run(chain, executor, scratch)
                if error or output != args.chain:
                    errors.append(f"chain on {executor}: {error or f'output {output}'}")
                walls[executor].append(wall)
        medians = {name: statistics.median(values) for name, values in walls.items()}
        report["chain"] = {
            "tasks": args.chain,
            "repeat": args.repeat,
            **{f"{name}_wall_s": round(value, 3) for name, value in medians.items()},
            **{
                f"{name}_ms_per_task": round(1000 * value / args.chain, 1)
                for name, value in medians.items()
            },
            "ray_to_local_ratio": round(medians["ray"] / medians["local"], 2),
        }

        wall, output, error = timed_run(
            fanout_pipeline(args.width), "ray", scratch, max_parallel_tasks=args.max_parallel
        )
        expected = sum(range(1, args.width + 1))
        if error or output != expected:
            errors.append(f"fanout: {error or f'output {output}, expected {expected}'}")
        report["fanout"] = {
            "width": args.width,
            "tasks": args.width + 1,
            "max_parallel": args.max_parallel,
            "wall_s": round(wall, 3),
            "ms_per_task": round(1000 * wall / (args.width + 1), 1),
            "tasks_per_s": round((args.width + 1) / wall, 1),
        }
    finally:
        ray.shutdown()
        cluster.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)
    report["errors"] = errors
    report["ok"] = not errors
    if args.json:
        print(json.dumps(report))
    else:
        chain_report, fan = report.get("chain", {}), report.get("fanout", {})
        print(f"cluster: 3 nodes x {args.cpus} CPUs, up in {report.get('cluster_start_s')} s")
        print(
            f"chain of {args.chain}: local {chain_report.get('local_ms_per_task')} ms/task, "
            f"ray {chain_report.get('ray_ms_per_task')} ms/task, "
            f"ratio {chain_report.get('ray_to_local_ratio')}"
        )
        print(
            f"fanout {args.width} wide on ray: {fan.get('wall_s')} s "
            f"({fan.get('tasks_per_s')} tasks/s)"
        )
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
