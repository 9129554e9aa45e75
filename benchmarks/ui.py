"""The web UI's budgets (docs/ui.md), measured in Chromium against a real ``sluice server``.

Builds a store by direct writes: ``--runs`` finished runs (5 tasks each) for the run list,
and one run of a ``--width``-wide ParallelFor (every iteration a box holding one task) for
the graph. Then, in Debian's Chromium through Playwright:

- run list: from navigation to the first page's rows drawn, and the next page's;
- graph: from navigation to the wide loop drawn open (a loop over 20 iterations is a
  summary, "n/N" and counts by state, with an iteration picker); from picking iteration
  123 (or the middle one) to its task drawn; and the frame times while the view is panned
  and zoomed (every ``requestAnimationFrame`` interval during a mouse drag and wheel
  zooms: the 95th percentile and the longest);
- the API calls behind them (``/apis/sluice/v1/runs``, ``.../graph``), from Python: the
  first, second and last page of runs, and a first page filtered by a metric predicate
  and one sorted by a metric (every run logs one ``system.Metrics`` artifact).

With ``--live N`` and ``--log-mb M``, a second server that executes runs (its own store):

- live: a chain of N gate tasks, each released by a file; for every RUNNING and SUCCEEDED
  the time from the store's timestamp of that change (the task's state history) to the
  page's node showing it, seen by a MutationObserver (one machine, one clock);
- log: one task that prints M MiB; from navigation to its Logs tab until the log's last
  lines are drawn (the stream starts at the last 4 MiB), and until the first text is.

Times are printed, never asserted (design budgets: first page under 1 s with 10,000 runs,
a 500-task graph under 3 s, frame time under 50 ms while panning and zooming, a state
change on the page within 1 s of being committed, the first screen of a 50 MB log under
1 s). ``--width`` must be over 20, so that the loop is summarised.

    python benchmarks/ui.py                      # 10,000 runs, a 500-wide loop
    python benchmarks/ui.py --runs 100 --width 30 --json
    python benchmarks/ui.py --runs 100 --width 30 --live 10 --log-mb 50
"""

# No `from __future__ import annotations`: kfp reads the components' real annotations.

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from kfp import dsl
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.server.server_process: the server in its own process

from tests.server.server_process import ServerProcess  # noqa: E402

from sluice.server.kfp_filters import token_of  # noqa: E402
from sluice.server.ui_static import ui_dist  # noqa: E402
from sluice.spec.loader import load_pipeline  # noqa: E402
from sluice.store.models import ArtifactRow, RunRow, TaskRow  # noqa: E402
from sluice.store.repository import Store  # noqa: E402

TASKS_PER_RUN = 5
BATCH = 5000


@dsl.component
def square(x: int) -> int:
    """Square ``x``."""
    return x * x


def wide_pipeline(width: int) -> dict[str, Any]:
    """A pipeline of one ParallelFor over ``width`` items, compiled, as a run stores it."""

    @dsl.pipeline(name="ui-bench-wide")
    def wide() -> None:
        with dsl.ParallelFor(list(range(width))) as item:
            square(x=item)

    return load_pipeline(wide).to_dict()


def _run(run_id: str, name: str, created: datetime, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": name,
        "display_name": name,
        "pipeline_name": "ui-bench",
        "pipeline_spec": spec,
        "arguments": {},
        "pipeline_root": "/tmp/ui-bench",
        "options": {},
        "state": "SUCCEEDED",
        "outputs": {},
        "created_at": created,
        "started_at": created,
        "finished_at": created + timedelta(seconds=30),
        "updated_at": created,
        "executed_by": "server",
    }


def _task(
    run_id: str, task_id: str, path: str, kind: str, parent: str | None, at: datetime, **more: Any
) -> dict[str, Any]:
    return {
        "id": task_id,
        "run_id": run_id,
        "parent_id": parent,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "display_name": path.rsplit("/", 1)[-1],
        "kind": kind,
        "component_name": "comp",
        "state": "SUCCEEDED",
        "attempts": 1 if kind == "container" else 0,
        "inputs": {},
        "outputs": {},
        "resources": {},
        "notices": [],
        "created_at": at,
        "started_at": at,
        "finished_at": at + timedelta(seconds=1),
        # Every row has every key: an executemany insert takes its columns from the first.
        "iteration_index": None,
        **more,
    }


def _metrics(run_id: str, index: int, runs: int) -> dict[str, Any]:
    return {
        "uri": f"/tmp/ui-bench/{run_id}/metrics",
        "name": "metrics",
        "display_name": "metrics",
        "schema_title": "system.Metrics",
        "schema_version": "0.0.1",
        # The Core table's column name (the ORM attribute is metadata_).
        "metadata": {"accuracy": index / runs, "loss": 1 - index / runs},
        "run_id": run_id,
        "created_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
        "updated_at": datetime(2026, 1, 1, tzinfo=timezone.utc),
    }


def build(store: Store, runs: int, width: int) -> tuple[str, str, str]:
    """Write ``runs`` runs (each with a Metrics artifact) and the wide run; answers the
    wide run's id, its loop's path and the name of the task in each iteration."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with store.engine.begin() as connection:
        run_rows: list[dict[str, Any]] = []
        task_rows: list[dict[str, Any]] = []
        metric_rows: list[dict[str, Any]] = []
        for index in range(runs):
            run_id = f"run{index:08d}"
            created = start + timedelta(seconds=index)
            run_rows.append(_run(run_id, f"bench-{index}", created, {}))
            metric_rows.append(_metrics(run_id, index, runs))
            for step in range(TASKS_PER_RUN):
                task_rows.append(
                    _task(run_id, f"{run_id}-{step}", f"step-{step}", "container", None, created)
                )
            if len(task_rows) >= BATCH:
                connection.execute(insert(RunRow), run_rows)
                connection.execute(insert(TaskRow), task_rows)
                connection.execute(insert(ArtifactRow.__table__), metric_rows)
                run_rows, task_rows, metric_rows = [], [], []
        if run_rows:
            connection.execute(insert(RunRow), run_rows)
            connection.execute(insert(TaskRow), task_rows)
            connection.execute(insert(ArtifactRow.__table__), metric_rows)
        spec = wide_pipeline(width)
        root = spec["pipeline_spec"]["root"]["dag"]["tasks"]
        loop_name = next(iter(root))
        body_component = root[loop_name]["componentRef"]["name"]
        body = spec["pipeline_spec"]["components"][body_component]["dag"]["tasks"]
        inner = next(iter(body))
        wide_id = "wide-run"
        at = start + timedelta(days=1)
        connection.execute(insert(RunRow), [_run(wide_id, "wide", at, spec)])
        tasks = [_task(wide_id, "loop", loop_name, "loop", None, at)]
        for i in range(width):
            tasks.append(
                _task(
                    wide_id,
                    f"it{i}",
                    f"{loop_name}[{i}]",
                    "iteration",
                    "loop",
                    at,
                    iteration_index=i,
                )
            )
            tasks.append(
                _task(wide_id, f"t{i}", f"{loop_name}[{i}]/{inner}", "container", f"it{i}", at)
            )
        connection.execute(insert(TaskRow), tasks)
    return wide_id, loop_name, inner


# Records every animation frame's interval in the page until __frames.stop() is called.
FRAME_PROBE = """
() => {
  window.__frames = []; let last = performance.now(); let on = true;
  const tick = (now) => {
    window.__frames.push(now - last); last = now; if (on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.__stopFrames = () => { on = false; return window.__frames; };
}
"""


def _pan_and_zoom_frames(page: Any) -> list[float]:
    """The frame intervals (ms) while the graph is dragged about and zoomed in and out."""
    pane = page.locator(".react-flow__pane")
    box = pane.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(FRAME_PROBE)
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(40):
        page.mouse.move(x + (step % 20 - 10) * 15, y + (step % 10 - 5) * 10)
    page.mouse.up()
    for delta in (-300, -300, 300, 300, -300, 300):
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(50)
    frames: list[float] = page.evaluate("window.__stopFrames()")
    return frames[1:]  # the first interval starts before the probe's first frame


def _api_ms(url: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = httpx.get(url, timeout=60)
        response.raise_for_status()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


# -- live latency and the big log (a second server, one that executes runs) ---------------


@dsl.component
def wait_for(path: str) -> str:
    """Wait until the file ``path`` exists: the benchmark decides when the task ends."""
    import os
    import time

    while not os.path.exists(path):
        time.sleep(0.02)
    return path


@dsl.component
def print_mib(megabytes: int) -> None:
    """Print ``megabytes`` MiB of numbered lines, then a marker line."""
    import sys

    line = "x" * 90
    for i in range(megabytes * 1024 * 1024 // 100 + 1):
        sys.stdout.write(f"{i:08d} {line}\n")
    print("the last line of the big log", flush=True)


def _gate_chain(folder: Path, changes: int) -> Any:
    @dsl.pipeline(name="ui-bench-live")
    def live() -> None:
        previous = None
        for index in range(changes):
            task = wait_for(path=str(folder / f"gate-{index}")).set_caching_options(False)
            if previous is not None:
                task.after(previous)
            previous = task

    return live


@dsl.pipeline(name="ui-bench-big-log")
def _big_log(megabytes: int = 50) -> None:
    print_mib(megabytes=megabytes).set_caching_options(False)


# Records, in the page, when each graph node first shows each state (Date.now(): the same
# clock as the server's timestamps on this machine).
_OBSERVER = """
window.__seen = {};
new MutationObserver(() => {
  const now = Date.now();
  for (const node of document.querySelectorAll('[data-testid^="node-"][data-state]')) {
    const key = node.dataset.testid.slice(5) + '|' + node.dataset.state;
    if (!(key in window.__seen)) window.__seen[key] = now;
  }
}).observe(document, {subtree: true, childList: true, attributes: true,
                      attributeFilter: ['data-state']});
"""


def _wait_state(ui: str, run_id: str, states: set[str], timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while True:
        state = str(httpx.get(f"{ui}/runs/{run_id}", timeout=30).json()["state"])
        if state in states or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def _seconds(at: str) -> float:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def measure_live(server: ServerProcess, browser: Any, folder: Path, changes: int) -> dict[str, Any]:
    """Latency from a task's state change in the store to the run page showing it."""
    import kfp
    from kfp import compiler

    package = folder / "live.yaml"
    compiler.Compiler().compile(_gate_chain(folder, changes), str(package))
    ui = f"{server.url}/apis/sluice/v1"
    run_id = str(kfp.Client(host=server.url).create_run_from_pipeline_package(str(package)).run_id)
    paths = ["wait-for"] + [f"wait-for-{index + 1}" for index in range(1, changes)]
    page = browser.new_page(base_url=server.url)
    page.add_init_script(_OBSERVER)
    page.goto(f"/runs/{run_id}")
    seen = "key => key in window.__seen"
    for index, path in enumerate(paths):
        page.wait_for_function(seen, arg=f"{path}|RUNNING", timeout=120_000)
        # A random pause, so the releases do not keep step with the server's poll of the
        # store (runs execute in the worker process; its changes reach the server's event
        # stream through that poll).
        time.sleep(random.uniform(0, 1))
        (folder / f"gate-{index}").write_text("")
        page.wait_for_function(seen, arg=f"{path}|SUCCEEDED", timeout=120_000)
    marks: dict[str, int] = page.evaluate("window.__seen")
    page.close()
    assert _wait_state(ui, run_id, {"SUCCEEDED", "FAILED", "CANCELED"}) == "SUCCEEDED"
    latencies: list[float] = []
    for index, path in enumerate(paths):
        history = httpx.get(f"{ui}/runs/{run_id}/tasks/{path}", timeout=30).json()["history"]
        for change in history:
            # The first task may be RUNNING before the page has opened: not a push.
            if change["state"] not in ("RUNNING", "SUCCEEDED") or change["at"] is None:
                continue
            if index == 0 and change["state"] == "RUNNING":
                continue
            shown = marks[f"{path}|{change['state']}"] / 1000
            latencies.append((shown - _seconds(change["at"])) * 1000)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    return {
        "live_changes": len(latencies),
        "live_median_ms": round(statistics.median(latencies), 1),
        "live_p95_ms": round(p95, 1),
        "live_max_ms": round(latencies[-1], 1),
    }


def measure_big_log(
    server: ServerProcess, browser: Any, folder: Path, megabytes: int, repeat: int
) -> dict[str, Any]:
    """From navigation to a task's Logs tab until the last lines of its M MiB log are
    drawn, and until its first text is."""
    import kfp
    from kfp import compiler

    package = folder / "big-log.yaml"
    compiler.Compiler().compile(_big_log, str(package))
    ui = f"{server.url}/apis/sluice/v1"
    client = kfp.Client(host=server.url)
    run = client.create_run_from_pipeline_package(str(package), {"megabytes": megabytes})
    run_id = str(run.run_id)
    assert _wait_state(ui, run_id, {"SUCCEEDED", "FAILED", "CANCELED"}) == "SUCCEEDED"
    page = browser.new_page(base_url=server.url)
    url = f"/runs/{run_id}?task=print-mib&tab=logs"
    page.goto(url)  # warm: the bundle is cached from here on
    page.locator('[data-testid="log"][data-ended="true"]').wait_for(timeout=60_000)
    first, last = [], []
    for _ in range(repeat):
        page.goto("about:blank")
        began = time.perf_counter()
        page.goto(url)
        page.wait_for_function(
            "document.querySelector('[data-testid=log]')?.firstChild != null",
            polling=10,
            timeout=60_000,
        )
        first.append((time.perf_counter() - began) * 1000)
        page.locator('[data-testid="log"][data-ended="true"]').wait_for(timeout=60_000)
        last.append((time.perf_counter() - began) * 1000)
        shown = page.evaluate(
            "(() => { const log = document.querySelector('[data-testid=log]');"
            " return [log.textContent.includes('the last line of the big log'),"
            " log.scrollHeight - log.scrollTop - log.clientHeight]; })()"
        )
        assert shown[0] and shown[1] < 24, f"the log's end is not in view: {shown}"
    page.close()
    return {
        "log_mib": megabytes,
        "log_first_text_ms": round(statistics.median(first), 1),
        "log_last_lines_ms": round(statistics.median(last), 1),
    }


def measure_running(args: argparse.Namespace, chromium: str) -> dict[str, Any]:
    """The cases that need runs to execute, on their own server and store."""
    from playwright.sync_api import sync_playwright

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        folder = Path(scratch) / "files"
        folder.mkdir()
        with ServerProcess(home, background=True) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium)
            try:
                if args.live:
                    result.update(measure_live(server, browser, folder, args.live))
                if args.log_mb:
                    result.update(
                        measure_big_log(server, browser, folder, args.log_mb, args.repeat)
                    )
            finally:
                browser.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--width", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--live", type=int, default=0, help="also time N live state changes (0: skip)"
    )
    parser.add_argument(
        "--log-mb", type=int, default=0, help="also time the Logs tab of an M MiB log (0: skip)"
    )
    args = parser.parse_args(argv)
    if args.width <= 20:
        parser.error("--width must be over 20: the graph case measures the summarised loop")
    chromium = os.environ.get("SLUICE_CHROMIUM") or shutil.which("chromium")
    if chromium is None or not (ui_dist() / "index.html").is_file():
        print("needs Chromium (apt-get install chromium) and a built UI (make setup)")
        return 2
    from playwright.sync_api import sync_playwright

    result: dict[str, Any] = {"runs": args.runs, "width": args.width}
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        store = Store(f"sqlite:///{home / 'sluice.db'}")
        began = time.perf_counter()
        wide, loop, inner = build(store, args.runs, args.width)
        store.engine.dispose()
        result["seed_s"] = round(time.perf_counter() - began, 2)
        with ServerProcess(home) as server:
            ui = f"{server.url}/apis/sluice/v1"
            runs_url = f"{ui}/runs?page_size=50"
            result["api_runs_first_page_ms"] = round(_api_ms(runs_url, 5), 1)
            result["api_runs_next_page_ms"] = round(
                _api_ms(f"{runs_url}&page_token={token_of(50)}", 5), 1
            )
            last = max(args.runs - 50, 0)
            result["api_runs_last_page_ms"] = round(
                _api_ms(f"{runs_url}&page_token={token_of(last)}", 5), 1
            )
            result["api_runs_metric_filter_ms"] = round(
                _api_ms(f"{runs_url}&metric=accuracy%20%3E%200.5%20AND%20loss%20%3C%200.9", 5), 1
            )
            result["api_runs_metric_sort_ms"] = round(
                _api_ms(f"{runs_url}&sort=-metrics.accuracy", 5), 1
            )
            result["api_graph_ms"] = round(_api_ms(f"{ui}/runs/{wide}/graph", 3), 1)
            # With the artifact nodes asked for: one more query, and the IR's outputs walked.
            result["api_graph_artifacts_ms"] = round(
                _api_ms(f"{ui}/runs/{wide}/graph?artifacts=true", 3), 1
            )
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium)
                page = browser.new_page(base_url=server.url)
                page.goto("/runs")  # warm: the bundle is cached from here on
                page.locator("tbody tr").first.wait_for()
                first, nxt, graph, pick, frames = [], [], [], [], []
                pick_index = 123 if args.width > 123 else args.width // 2
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    page.goto("/runs")
                    page.locator(f'tr[data-run-id="run{args.runs - 1:08d}"]').wait_for()
                    first.append((time.perf_counter() - began) * 1000)
                    began = time.perf_counter()
                    page.get_by_role("button", name="Next page").click()
                    page.locator(f'tr[data-run-id="run{args.runs - 51:08d}"]').wait_for()
                    nxt.append((time.perf_counter() - began) * 1000)
                    began = time.perf_counter()
                    page.goto(f"/runs/{wide}?expand={loop}")
                    page.get_by_test_id(f"progress-{loop}").filter(
                        has_text=f"{args.width}/{args.width}"
                    ).wait_for(timeout=60_000)
                    page.get_by_test_id("loop-count-SUCCEEDED").wait_for(timeout=60_000)
                    graph.append((time.perf_counter() - began) * 1000)
                    picker = page.get_by_role("spinbutton", name=f"Iteration of {loop}")
                    began = time.perf_counter()
                    picker.fill(str(pick_index))
                    picker.press("Enter")
                    page.get_by_test_id(f"node-{loop}[{pick_index}]/{inner}").wait_for()
                    pick.append((time.perf_counter() - began) * 1000)
                    frames += _pan_and_zoom_frames(page)
                browser.close()
            result["run_list_first_page_ms"] = round(statistics.median(first), 1)
            result["run_list_next_page_ms"] = round(statistics.median(nxt), 1)
            result["graph_render_ms"] = round(statistics.median(graph), 1)
            result["graph_pick_ms"] = round(statistics.median(pick), 1)
            frames.sort()
            result["graph_frame_p95_ms"] = round(frames[int(0.95 * (len(frames) - 1))], 1)
            result["graph_frame_max_ms"] = round(frames[-1], 1)
    if args.live or args.log_mb:
        result.update(measure_running(args, chromium))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
