"""The viewers' and the Compare page's budgets (docs/ui.md), against a real ``sluice server``.

Submits ``--runs`` runs of the viewers pipeline (tests/ui/pipelines.py) through the
unmodified ``kfp.Client``, then replaces one run's CSV dataset with a ``--gib`` GiB CSV and
measures:

- ``:preview`` of that file (100 typed rows: the head only, design budget under 1 s);
- ``:content`` of it, whole (download throughput) and one 1 MiB range;
- ``/compare`` over 3, 20 and all runs (the API call behind the page);
- in Debian's Chromium: from navigation to the Compare page's metrics table drawn with
  20 runs (design budget under 2 s).

Times are printed, never asserted.

    python benchmarks/ui_viewers.py              # 50 runs, a 1 GiB CSV
    python benchmarks/ui_viewers.py --runs 20 --gib 0.1 --json
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
import warnings
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.*: the server process and the fixture pipeline

from tests.server.server_process import ServerProcess  # noqa: E402
from tests.ui.pipelines import compile_to, viewers  # noqa: E402

from sluice.server.ui_static import ui_dist  # noqa: E402

UI = "/apis/sluice/v1"


def _ms(call: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _wait(api: str, run_id: str) -> None:
    deadline = time.monotonic() + 300
    while httpx.get(f"{api}/runs/{run_id}").json()["state"] not in ("SUCCEEDED", "FAILED"):
        if time.monotonic() > deadline:
            raise SystemExit(f"run {run_id} did not finish")
        time.sleep(0.1)


def _big_csv(path: Path, gib: float) -> int:
    block = "".join(f"{i},row-{i},{i / 4},true\n" for i in range(40_000)).encode()
    target = int(gib * 1024**3)
    with path.open("wb") as handle:
        handle.write(b"id,name,score,ok\n")
        written = 0
        while written < target:
            handle.write(block)
            written += len(block)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", FutureWarning)
    import kfp

    results: dict[str, Any] = {"runs": args.runs}
    with (
        tempfile.TemporaryDirectory() as tmp,
        ServerProcess(Path(tmp) / "home", background=True) as server,
    ):
        client = kfp.Client(host=server.url)
        package = compile_to(viewers, str(Path(tmp) / "viewers.yaml"))
        start = time.perf_counter()
        ids = [
            str(
                client.create_run_from_pipeline_package(
                    package, arguments={"seed": i}, run_name=f"bench-{i:02d}"
                ).run_id
            )
            for i in range(args.runs)
        ]
        for run_id in ids:
            _wait(server.api, run_id)
        results["seed_s"] = round(time.perf_counter() - start, 2)

        detail = httpx.get(f"{server.url}{UI}/runs/{ids[0]}/tasks/tables").json()
        data = next(a for a in detail["artifacts"] if a["output_key"] == "data")
        results["csv_bytes"] = _big_csv(Path(data["uri"]), args.gib)
        url = f"{server.url}{UI}/artifacts/{data['id']}"
        with httpx.Client(timeout=600) as http:
            results["preview_ms"] = round(
                _ms(lambda: http.get(f"{url}:preview").raise_for_status(), args.repeat), 1
            )
            results["range_1mib_ms"] = round(
                _ms(
                    lambda: http.get(
                        f"{url}:content", headers={"Range": "bytes=0-1048575"}
                    ).raise_for_status(),
                    args.repeat,
                ),
                1,
            )
            whole_ms = _ms(lambda: http.get(f"{url}:content").raise_for_status(), 1)
            results["download_mib_s"] = round(results["csv_bytes"] / 1024**2 / (whole_ms / 1000), 1)
            for count in sorted({3, min(20, args.runs), args.runs}):
                chosen = ",".join(ids[:count])
                results[f"compare_{count}_ms"] = round(
                    _ms(
                        lambda chosen=chosen: http.get(
                            f"{server.url}{UI}/compare", params={"run_ids": chosen}
                        ).raise_for_status(),
                        args.repeat,
                    ),
                    1,
                )

        chromium = os.environ.get("SLUICE_CHROMIUM") or shutil.which("chromium")
        if chromium and (ui_dist() / "index.html").is_file():
            from playwright.sync_api import sync_playwright

            twenty = ids[: min(20, args.runs)]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium)
                page = browser.new_page(base_url=server.url)
                page.goto("/runs")  # the app's code cached, as a user's second page
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    page.goto(f"/compare?runs={','.join(twenty)}&tab=metrics")
                    page.locator('table[aria-label="Metrics"] thead th').nth(len(twenty)).wait_for()
                    times.append((time.perf_counter() - start) * 1000)
                results[f"compare_page_{len(twenty)}_ms"] = round(statistics.median(times), 1)
                browser.close()
        else:
            results["compare_page"] = "skipped: needs Chromium and a built UI"

    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
