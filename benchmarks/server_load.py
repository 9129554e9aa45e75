"""Server under load: many clients submitting small runs at once; none lost, none doubled.

Starts ``sluice server`` in a subprocess over a fresh SLUICE_HOME, has ``--clients``
threads submit ``--runs`` runs of a two-task pipeline through the KFP REST API, waits for
every run to end, then checks:

- every submitted run id is on the server exactly once, and no other run is;
- every run SUCCEEDED;
- every task ran exactly once (the component writes one line per execution to a file of
  its run, and the store holds exactly one execution per task).

Prints submit latency p50/p99 and completed runs per minute.

    python benchmarks/server_load.py
    python benchmarks/server_load.py --runs 400 --clients 50 --max-concurrent-runs 8 --json
"""

import argparse
import json
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
from pathlib import Path
from typing import Any

import httpx

API = "/apis/v2beta1"
FINAL = {"SUCCEEDED", "FAILED", "CANCELED"}


def _pipeline_spec() -> dict[str, Any]:
    # Defined here, not at import: kfp is only needed to compile the pipeline once.
    from kfp import dsl

    from sluice.spec.loader import load_pipeline

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

    spec: dict[str, Any] = load_pipeline(load).to_dict()["pipeline_spec"]
    return spec


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


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


def _submit_all(
    base: str, spec: dict[str, Any], tallies: Path, runs: int, clients: int
) -> tuple[dict[int, str], list[float], list[str]]:
    todo: queue.Queue[int] = queue.Queue()
    for i in range(runs):
        todo.put(i)
    ids: dict[int, str] = {}
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=base + API, timeout=120) as http:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                body = {
                    "display_name": f"load-{i}",
                    "pipeline_spec": spec,
                    "runtime_config": {"parameters": {"tally": str(tallies / str(i)), "n": i}},
                }
                start = time.perf_counter()
                try:
                    response = http.post("/runs", json=body)
                    took = time.perf_counter() - start
                    if response.status_code >= 400:
                        raise ValueError(f"HTTP {response.status_code}: {response.text[:300]}")
                    run_id = str(response.json()["run_id"])
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    with lock:
                        errors.append(f"run {i}: {exc}")
                    continue
                with lock:
                    ids[i] = run_id
                    latencies.append(took)

    threads = [threading.Thread(target=client) for _ in range(clients)]
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


def main() -> None:
    """Run the benchmark and print (or ``--json``) its numbers; exit 1 if a check fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--max-concurrent-runs", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for runs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    spec = _pipeline_spec()
    with tempfile.TemporaryDirectory(prefix="sluice-load-") as tmp:
        home = Path(tmp) / "home"
        tallies = Path(tmp) / "tallies"
        home.mkdir()
        tallies.mkdir()
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = _start_server(home, port, args.max_concurrent_runs)
        try:
            started = time.perf_counter()
            ids, latencies, errors = _submit_all(base, spec, tallies, args.runs, args.clients)
            submitted = time.perf_counter() - started
            with httpx.Client(base_url=base + API, timeout=60) as http:
                deadline = time.monotonic() + args.timeout
                while True:
                    listed = _all_runs(http)
                    if all(r.get("state") in FINAL for r in listed) or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                elapsed = time.perf_counter() - started
                details = {
                    run_id: http.get(f"/runs/{run_id}").raise_for_status().json()
                    for run_id in ids.values()
                }
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        executions = _executions_per_task(home)

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
            lines = (
                (tallies / str(i)).read_text().splitlines() if (tallies / str(i)).exists() else []
            )
            if sorted(lines) != ["first", f"second {i + 1}"]:
                problems.append(f"run {i} ({run_id}) executed {lines}")
            tasks = details[run_id].get("run_details", {}).get("task_details", [])
            leaves = [t for t in tasks if t.get("display_name") in ("first", "second")]
            counts = [executions.get(str(t["task_id"]), 0) for t in leaves]
            if counts != [1, 1]:
                problems.append(f"run {i} ({run_id}): executions per task {counts}")
        finished = [r for r in listed if r.get("state") in FINAL]

    result = {
        "runs": args.runs,
        "clients": args.clients,
        "max_concurrent_runs": args.max_concurrent_runs,
        "submitted": len(ids),
        "completed": len(finished),
        "submit_seconds": round(submitted, 2),
        "total_seconds": round(elapsed, 2),
        "submit_latency_p50_ms": round(statistics.median(latencies) * 1000, 1)
        if latencies
        else None,
        "submit_latency_p99_ms": round(_percentile(latencies, 0.99) * 1000, 1)
        if latencies
        else None,
        "runs_per_minute": round(len(finished) / elapsed * 60, 1),
        "problems": problems[:20],
        "ok": not problems,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['submitted']}/{args.runs} runs submitted by {args.clients} clients in "
            f"{result['submit_seconds']} s; submit latency p50 {result['submit_latency_p50_ms']} "
            f"ms, p99 {result['submit_latency_p99_ms']} ms"
        )
        print(
            f"{result['completed']} runs completed in {result['total_seconds']} s with "
            f"--max-concurrent-runs {args.max_concurrent_runs}: "
            f"{result['runs_per_minute']} runs/min"
        )
        print("checks: " + ("OK (none lost, none duplicated)" if result["ok"] else "FAILED"))
        for problem in problems[:20]:
            print(f"  {problem}")
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
