"""Server under load: many kfp.Client users submitting small runs at once; none lost, none doubled.

Starts ``sluice server`` in a subprocess over a fresh SLUICE_HOME, uploads a two-task
pipeline once, then has ``--clients`` threads, each with its own unmodified ``kfp.Client``,
submit ``--runs`` runs of it (``Client.run_pipeline`` with the pipeline version) while the
server executes them. A
separate process samples ``/healthz`` every 20 ms all the while. Once every run has ended it
checks:

- every submitted run id is on the server exactly once, and no other run is;
- every run SUCCEEDED;
- every task ran exactly once (the component writes one line per execution to a file of
  its run, and the store holds exactly one execution per task).

By default each client submits its next run as soon as it has the answer to the last (a
closed loop at the server's top speed: with 50 clients a submit waits for the 49 others'
requests, so its latency is about 50 / the API's throughput). ``--rate R`` paces them
instead (an open loop): run ``i`` is due ``i / R`` seconds after the start, client ``c``
submits runs ``c``, ``c + clients``, ..., and a submit's latency counts from when it was
due, so a client still waiting for an answer counts against the server.

Prints submit latency p50/p99, the CPU the API's process used per submit while they
arrived (Linux: from /proc; healthz probes included, the worker process not), healthz
p50/p99, the time until every run completed, and runs per minute; ``--json`` prints one
JSON object instead.

    python benchmarks/server_load.py                       # 50 clients, 500 runs
    python benchmarks/server_load.py --rate 50             # the same, 50 submissions/s
    python benchmarks/server_load.py --clients 2 --runs 4 --json   # tiny (the smoke test)
"""

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

API = "/apis/v2beta1"
FINAL = {"SUCCEEDED", "FAILED", "CANCELED"}
HEALTHZ_INTERVAL = 0.02


def _compile_pipeline(path: Path) -> None:
    # Defined here, not at import: kfp is only needed to compile the pipeline once.
    from kfp import compiler, dsl

    @dsl.component(base_image="python:3.11")
    def first(tally: str, n: int) -> int:
        with open(tally, "a") as f:
            f.write("first\n")
        return n + 1

    @dsl.component(base_image="python:3.11")
    def second(tally: str, n: int):
        with open(tally, "a") as f:
            f.write(f"second {n}\n")

    @dsl.pipeline(name="load")
    def load(tally: str, n: int):
        second(tally=tally, n=first(tally=tally, n=n).output)

    compiler.Compiler().compile(load, str(path))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _start_server(home: Path, port: int, max_concurrent: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SLUICE_HOME": str(home)}
    for name in ("SLUICE_DB_URL", "SLUICE_TOKEN", "SLUICE_HOST"):
        env.pop(name, None)
    with open(home / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "sluice", "server", "--port", str(port)),
                *("--max-concurrent-runs", str(max_concurrent)),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see {home / 'server.log'}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{API}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("server did not answer within 60 s")
        time.sleep(0.1)


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a live process has used, from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sample_healthz(url: str, ready: Any, stop: Any, results: Any) -> None:
    """In a process of its own: GET healthz every 20 ms until ``stop``; latencies to results."""
    latencies: list[float] = []
    failures = 0
    with httpx.Client(timeout=30) as http:
        http.get(url)  # connected and warm before the clock starts
        ready.set()
        while not stop.is_set():
            start = time.perf_counter()
            try:
                ok = http.get(url).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - start)
            else:
                failures += 1
            time.sleep(HEALTHZ_INTERVAL)
    results.put((latencies, failures))


def _submit_all(
    base: str, package: Path, tallies: Path, runs: int, clients: int, rate: float
) -> tuple[dict[int, str], list[float], list[str]]:
    import kfp

    with contextlib.redirect_stdout(io.StringIO()):  # it prints links to what it creates
        setup = kfp.Client(host=base)
        experiment = setup.create_experiment("load")
        # Uploaded once: submitting by version spares each client thread kfp's YAML parse
        # of the package (~10 ms of client CPU, under the client's GIL), which would
        # otherwise be measured as the server's latency.
        pipeline = setup.upload_pipeline(str(package), pipeline_name="load")
        versions = setup.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions
        version_id = versions[0].pipeline_version_id
    todo: queue.Queue[int] = queue.Queue()
    for i in range(runs):
        todo.put(i)
    # Paced: run i is due at start + i / rate, and client c submits runs c, c + clients, ...
    mine = [list(range(c, runs, clients)) for c in range(clients)]
    clock: list[float] = []
    ids: dict[int, str] = {}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients)

    def next_run(c: int) -> tuple[int, float] | None:
        """The next run client ``c`` submits and when it was due (closed loop: now)."""
        if not rate:
            try:
                return todo.get_nowait(), time.perf_counter()
            except queue.Empty:
                return None
        if not mine[c]:
            return None
        i = mine[c].pop(0)
        due = clock[0] + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        return i, due

    def client(c: int) -> None:
        user = kfp.Client(host=base)
        if ready.wait() == 0:  # every client built: they start submitting together
            clock.append(time.perf_counter())
        ready.wait()
        while True:
            job = next_run(c)
            if job is None:
                return
            # Latency counts from when the run was due, so a client still waiting for its
            # previous answer makes the server look slower, not faster.
            i, start = job
            try:
                run = user.run_pipeline(
                    experiment_id=experiment.experiment_id,
                    job_name=f"load-{i}",
                    pipeline_id=pipeline.pipeline_id,
                    version_id=version_id,
                    params={"tally": str(tallies / str(i)), "n": i},
                )
                took = time.perf_counter() - start
            except Exception as exc:  # the client's ApiException, a connection error
                with lock:
                    errors.append(f"run {i}: {type(exc).__name__}: {str(exc)[:300]}")
                continue
            with lock:
                ids[i] = str(run.run_id)
                latencies.append(took)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    # kfp.Client prints a "Run details" link per run; keep stdout for the results.
    with contextlib.redirect_stdout(io.StringIO()):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return ids, latencies, errors


def _all_runs(http: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"page_size": 100}
        if token:
            params["page_token"] = token
        page = http.get("/runs", params=params).raise_for_status().json()
        found.extend(page.get("runs") or [])
        token = page.get("next_page_token")
        if not token:
            return found


def _executions_per_task(home: Path) -> dict[str, int]:
    from sqlalchemy import func, select

    from sluice.store.models import ExecutionRow
    from sluice.store.repository import Store

    store = Store(f"sqlite:///{home / 'sluice.db'}")
    with store.session() as session:
        rows = session.execute(
            select(ExecutionRow.task_id, func.count()).group_by(ExecutionRow.task_id)
        ).all()
    return {str(task_id): int(count) for task_id, count in rows}


def _problems(
    *,
    errors: list[str],
    ids: dict[int, str],
    listed: list[dict[str, Any]],
    details: dict[str, dict[str, Any]],
    executions: dict[str, int],
    tallies: Path,
) -> list[str]:
    problems = list(errors)
    listed_ids = [str(r["run_id"]) for r in listed]
    if len(listed_ids) != len(set(listed_ids)):
        problems.append("the server lists a run twice")
    if set(listed_ids) != set(ids.values()):
        problems.append(
            f"submitted {len(ids)} runs, server has {len(set(listed_ids))}; "
            f"missing {len(set(ids.values()) - set(listed_ids))}, "
            f"unexpected {len(set(listed_ids) - set(ids.values()))}"
        )
    not_ok = [r["run_id"] for r in listed if r.get("state") != "SUCCEEDED"]
    if not_ok:
        problems.append(f"{len(not_ok)} runs did not succeed, e.g. {not_ok[:3]}")
    for i, run_id in ids.items():
        tally = tallies / str(i)
        lines = tally.read_text().splitlines() if tally.exists() else []
        if sorted(lines) != ["first", f"second {i + 1}"]:
            problems.append(f"run {i} ({run_id}) executed {lines}")
        tasks = details[run_id].get("run_details", {}).get("task_details", [])
        leaves = [t for t in tasks if t.get("display_name") in ("first", "second")]
        counts = [executions.get(str(t["task_id"]), 0) for t in leaves]
        if counts != [1, 1]:
            problems.append(f"run {i} ({run_id}): executions per task {counts}")
    return problems


def main() -> None:
    """Run the benchmark and print (or ``--json``) its numbers; exit 1 if a check fails."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--max-concurrent-runs", type=int, default=4)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="submissions per second of all clients together, evenly spaced (an open loop); "
        "0 (the default): each client submits again as soon as it has its answer",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for runs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sluice-load-") as tmp:
        home, tallies, package = Path(tmp) / "home", Path(tmp) / "tallies", Path(tmp) / "p.yaml"
        home.mkdir()
        tallies.mkdir()
        _compile_pipeline(package)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = _start_server(home, port, args.max_concurrent_runs)
        context = multiprocessing.get_context("spawn")
        ready, stop, results = context.Event(), context.Event(), context.Queue()
        sampler = context.Process(
            target=_sample_healthz, args=(f"{base}{API}/healthz", ready, stop, results)
        )
        try:
            sampler.start()
            if not ready.wait(timeout=120):
                raise SystemExit("the healthz sampler did not start")
            started = time.perf_counter()
            api_cpu_before = _process_cpu(proc.pid)
            ids, latencies, errors = _submit_all(
                base, package, tallies, args.runs, args.clients, args.rate
            )
            submitted = time.perf_counter() - started
            api_cpu_after = _process_cpu(proc.pid)
            api_cpu = (
                None
                if api_cpu_before is None or api_cpu_after is None or not ids
                else (api_cpu_after - api_cpu_before) / len(ids)
            )
            with httpx.Client(base_url=base + API, timeout=60) as http:
                deadline = time.monotonic() + args.timeout
                while True:
                    listed = _all_runs(http)
                    if all(r.get("state") in FINAL for r in listed) or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                elapsed = time.perf_counter() - started
                stop.set()
                health, health_failures = results.get(timeout=60)
                sampler.join(timeout=30)
                details = {
                    run_id: http.get(f"/runs/{run_id}").raise_for_status().json()
                    for run_id in ids.values()
                }
        except BaseException:
            log = (home / "server.log").read_text(errors="replace").splitlines()
            print("\n".join(["server.log (last 40 lines):", *log[-40:]]), file=sys.stderr)
            raise
        finally:
            stop.set()
            if sampler.is_alive():
                sampler.terminate()
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        problems = _problems(
            errors=errors,
            ids=ids,
            listed=listed,
            details=details,
            executions=_executions_per_task(home),
            tallies=tallies,
        )
        if health_failures:
            problems.append(f"healthz failed {health_failures} times")
        finished = [r for r in listed if r.get("state") in FINAL]

    result = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python", "benchmarks/server_load.py", *sys.argv[1:]]),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": args.runs,
        "clients": args.clients,
        "max_concurrent_runs": args.max_concurrent_runs,
        "rate": args.rate or None,
        "submitted": len(ids),
        "completed": len(finished),
        "submit_seconds": round(submitted, 2),
        "total_seconds": round(elapsed, 2),
        "submit_latency_p50_ms": _ms(statistics.median(latencies)) if latencies else None,
        "submit_latency_p99_ms": _ms(_percentile(latencies, 0.99)) if latencies else None,
        "api_cpu_ms_per_submit": _ms(api_cpu),
        "healthz_samples": len(health),
        "healthz_p50_ms": _ms(statistics.median(health)) if health else None,
        "healthz_p99_ms": _ms(_percentile(health, 0.99)) if health else None,
        "runs_per_minute": round(len(finished) / elapsed * 60, 1),
        "problems": problems[:20],
        "ok": not problems,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['submitted']}/{args.runs} runs submitted by {args.clients} kfp.Client "
            f"users ({f'{args.rate:g}/s in all' if args.rate else 'back to back'}) in "
            f"{result['submit_seconds']} s; submit p50 "
            f"{result['submit_latency_p50_ms']} ms, p99 {result['submit_latency_p99_ms']} ms"
        )
        print(
            f"the API process used {result['api_cpu_ms_per_submit']} ms of CPU per submit "
            "(the worker process not counted)"
        )
        print(
            f"healthz ({result['healthz_samples']} samples meanwhile): p50 "
            f"{result['healthz_p50_ms']} ms, p99 {result['healthz_p99_ms']} ms"
        )
        print(
            f"{result['completed']} runs completed {result['total_seconds']} s after the first "
            f"submit with --max-concurrent-runs {args.max_concurrent_runs}: "
            f"{result['runs_per_minute']} runs/min"
        )
        print("checks: " + ("OK (none lost, none duplicated)" if result["ok"] else "FAILED"))
        for problem in problems[:20]:
            print(f"  {problem}")
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
