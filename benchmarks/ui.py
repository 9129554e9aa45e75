"""The web UI's budgets (docs/ui.md), measured in Chromium against a real ``sluice server``.

Builds a store by direct writes: ``--runs`` finished runs (5 tasks each) for the run list,
and one run of a ``--width``-wide ParallelFor (every iteration a box holding one task) for
the graph. Then, in Debian's Chromium through Playwright:

- run list: from navigation to the first page's rows drawn, and the next page's;
- graph: from navigation to every node of the wide run drawn, all boxes open;
- the API calls behind them (``/apis/sluice/v1/runs``, ``.../graph``), from Python: the
  first, second and last page of runs, and a first page filtered by a metric predicate
  and one sorted by a metric (every run logs one ``system.Metrics`` artifact).

Times are printed, never asserted (design budgets: first page under 1 s with 10,000 runs,
a 500-task graph under 3 s).

    python benchmarks/ui.py                      # 10,000 runs, a 500-wide loop
    python benchmarks/ui.py --runs 100 --width 20 --json
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


def build(store: Store, runs: int, width: int) -> str:
    """Write ``runs`` runs (each with a Metrics artifact) and the wide run; answers the
    wide run's id."""
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
    return wide_id


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
        wide = build(store, args.runs, args.width)
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
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium)
                page = browser.new_page(base_url=server.url)
                page.goto("/runs")  # warm: the bundle is cached from here on
                page.locator("tbody tr").first.wait_for()
                first, nxt, graph = [], [], []
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
                    page.goto(f"/runs/{wide}?expand=all")
                    page.wait_for_function(
                        f"document.querySelectorAll('[data-testid^=\"node-\"]').length"
                        f" >= {1 + 2 * args.width}",
                        timeout=60_000,
                    )
                    graph.append((time.perf_counter() - began) * 1000)
                browser.close()
            result["run_list_first_page_ms"] = round(statistics.median(first), 1)
            result["run_list_next_page_ms"] = round(statistics.median(nxt), 1)
            result["graph_render_ms"] = round(statistics.median(graph), 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
