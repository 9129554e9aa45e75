"""The floor runner's warm process: kfp imported once, one forked child per task.

Started by ``overhead.py`` (``--runner floor``) as ``python benchmarks/_floor_worker.py`` with
``_KFP_RUNTIME=true`` in its environment, the switch the KFP launcher sets. It imports nothing
of Sluice: it is what any local runner must at least do to run a lightweight component with
kfp's own executor, so it bounds what Sluice can reach.

Protocol, one JSON object per line. The worker prints ``{"ready": true}`` once warm; then for
each request on stdin it runs one whole case and answers on stdout:

* request ``{"shape": "chain" | "fanout", "size": n, "parallel": p, "workdir": dir,
  "sources": {"add_one": source, "sum_all": source}}``;
* answer ``{"result": value, "tasks": n, "wall_s": s, "cpu_s": s}``, or ``{"error": text}``.

``wall_s`` and ``cpu_s`` are measured here, around the case only: wall with ``perf_counter``,
CPU as ``getrusage`` of this process plus its reaped children (exact, unlike /proc ticks).

Each task, exactly:

1. the parent builds the task's ``ExecutorInput`` JSON (input parameters; output parameter
   and executor output file paths), as an orchestrator must;
2. ``os.fork()``; the child points fds 1 and 2 at the task's own log file, sets ``sys.argv``
   to ``--component_module_path <source> --executor_input <json> --function_to_execute <fn>``
   and calls ``kfp.dsl.executor_main.executor_main()`` (the body of ``python -m
   kfp.dsl.executor_main``: parse the arguments, load the component module, run kfp's
   ``Executor``, write the executor output), then flushes and leaves with ``os._exit``;
3. the parent reaps the child (``os.waitpid`` for the chain, ``os.wait`` for whichever
   iteration ends first in the fan-out), checks its exit code and reads the output parameter
   from the executor output file, to hand it to the next task.

The chain runs one task at a time; the fan-out keeps ``parallel`` iterations running (Sluice's
default parallelism) and then runs ``sum_all`` on the collected outputs. What a real runner
also does and the floor skips: recording anything, caching, artifacts, a process group per
task, a fresh source file per task (written once per component here), an environment per task.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _preload() -> None:
    """Import and warm what every task uses, once, so children inherit it."""
    import argparse
    import logging  # noqa: F401

    import kfp
    import kfp.dsl
    import kfp.dsl.executor_main  # noqa: F401

    # Build and use a parser like executor_main's once: argparse's regexes land in the re cache
    # and gettext imports locale here rather than in every child.
    parser = argparse.ArgumentParser(description="warm-up")
    parser.add_argument("--function_to_execute", type=str, required=True)
    parser.add_argument("--executor_input", type=str)
    parser.parse_known_args(["--function_to_execute", "f", "--executor_input", "{}"])
    # Children share the loaded modules copy-on-write; keep the GC off those pages.
    gc.collect()
    gc.freeze()


def _cpu() -> float:
    """CPU seconds of this process and its reaped children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class _Case:
    """One case's files and the fork/reap of its tasks."""

    def __init__(self, workdir: Path, sources: dict[str, str]) -> None:
        self.workdir = workdir
        self.modules: dict[str, Path] = {}
        for name, source in sources.items():
            path = workdir / "src" / name / "ephemeral_component.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source, encoding="utf-8")
            self.modules[name] = path
        (workdir / "out").mkdir(exist_ok=True)
        (workdir / "logs").mkdir(exist_ok=True)
        self.count = 0

    def start(self, function: str, inputs: dict[str, Any]) -> tuple[int, Path]:
        """Fork a child running ``function`` on ``inputs``; return its pid and output file."""
        index = self.count
        self.count += 1
        output_file = self.workdir / "out" / f"{index}.json"
        executor_input = json.dumps(
            {
                "inputs": {"parameterValues": inputs},
                "outputs": {
                    "parameters": {
                        "Output": {"outputFile": str(self.workdir / "out" / f"{index}.Output")}
                    },
                    "outputFile": str(output_file),
                },
            }
        )
        log = str(self.workdir / "logs" / f"{index}.log")
        argv = [
            "--component_module_path",
            str(self.modules[function]),
            "--executor_input",
            executor_input,
            "--function_to_execute",
            function,
        ]
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the task
            code = 1
            try:
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                os.close(fd)
                sys.argv = ["executor_main", *argv]
                import kfp.dsl.executor_main

                kfp.dsl.executor_main.executor_main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                sys.excepthook(*sys.exc_info())
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):  # exiting anyway
                        stream.flush()
                os._exit(code)
        return pid, output_file

    def finish(self, pid: int, status: int, output_file: Path) -> Any:
        """Check a reaped child's exit status and return its ``Output`` parameter."""
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            index = output_file.stem
            log = (self.workdir / "logs" / f"{index}.log").read_text(errors="replace")
            raise RuntimeError(f"task {index} exited {code}: {log.strip()[-500:]}")
        return json.loads(output_file.read_text())["parameterValues"]["Output"]

    def run(self, function: str, inputs: dict[str, Any]) -> Any:
        """Run one task to its end and return its output."""
        pid, output_file = self.start(function, inputs)
        _, status = os.waitpid(pid, 0)
        return self.finish(pid, status, output_file)


def run_case(request: dict[str, Any]) -> dict[str, Any]:
    """Run one case and time it (see the module docstring)."""
    case = _Case(Path(request["workdir"]), request["sources"])
    size = int(request["size"])
    cpu0, wall0 = _cpu(), time.perf_counter()
    if request["shape"] == "chain":
        value: Any = 0
        for _ in range(size):
            value = case.run("add_one", {"x": value})
    elif request["shape"] == "fanout":
        parallel = max(1, int(request["parallel"]))
        next_item = 0
        running: dict[int, Path] = {}
        outputs: list[Any] = []
        while next_item < size or running:
            while next_item < size and len(running) < parallel:
                pid, output_file = case.start("add_one", {"x": next_item})
                next_item += 1
                running[pid] = output_file
            pid, status = os.wait()
            output_file = running.pop(pid)
            outputs.append(case.finish(pid, status, output_file))
        value = case.run("sum_all", {"vals": outputs})
    else:
        raise ValueError(f"unknown shape {request['shape']!r}")
    wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
    return {"result": value, "tasks": case.count, "wall_s": wall, "cpu_s": cpu}


def main() -> None:
    """Warm up, say so, then serve one case per line of stdin until EOF."""
    _preload()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = run_case(json.loads(line))
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
