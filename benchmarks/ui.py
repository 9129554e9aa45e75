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
- the API calls behind them (``/apis/sluice/v1/runs``, ``.../graph``), from Python.

Times are printed, never asserted (design budgets: first page under 1 s with 10,000 runs,
a 500-task graph under 3 s, frame time under 50 ms while panning and zooming).
``--width`` must be over 20, so that the loop is summarised.

    python benchmarks/ui.py                      # 10,000 runs, a 500-wide loop
    python benchmarks/ui.py --runs 100 --width 30 --json
"""

# No `from __future__ import annotations`: kfp reads the components' real annotations.

import argparse
import json
import os
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

from sluice.server.ui_static import ui_dist  # noqa: E402
from sluice.spec.loader import load_pipeline  # noqa: E402
from sluice.store.models import RunRow, TaskRow  # noqa: E402
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


def build(store: Store, runs: int, width: int) -> tuple[str, str, str]:
    """Write ``runs`` runs and the wide run; answers the wide run's id, its loop's path and
    the name of the task in each iteration."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with store.engine.begin() as connection:
        run_rows: list[dict[str, Any]] = []
        task_rows: list[dict[str, Any]] = []
        for index in range(runs):
            run_id = f"run{index:08d}"
            created = start + timedelta(seconds=index)
            run_rows.append(_run(run_id, f"bench-{index}", created, {}))
            for step in range(TASKS_PER_RUN):
                task_rows.append(
                    _task(run_id, f"{run_id}-{step}", f"step-{step}", "container", None, created)
                )
            if len(task_rows) >= BATCH:
                connection.execute(insert(RunRow), run_rows)
                connection.execute(insert(TaskRow), task_rows)
                run_rows, task_rows = [], []
        if run_rows:
            connection.execute(insert(RunRow), run_rows)
            connection.execute(insert(TaskRow), task_rows)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--width", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
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
            result["api_runs_first_page_ms"] = round(_api_ms(f"{ui}/runs?page_size=50", 5), 1)
            result["api_graph_ms"] = round(_api_ms(f"{ui}/runs/{wide}/graph", 3), 1)
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
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
