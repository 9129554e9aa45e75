"""Every benchmark script still runs: each at a tiny size, as a subprocess, checked by its JSON.

Nothing here looks at a time: only that the scripts exit 0, report what they promise and ran
what they were asked to (cases, runners, repeats, runs submitted and completed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
DEADLINE = 280  # seconds; generous for a loaded machine, below pytest's 300 s timeout

pytestmark = pytest.mark.slow

RUNNER_KEYS = {
    "wall_s",
    "cpu_s",
    "ms_per_task",
    "cpu_ms_per_task",
    "peak_rss_mb",
    "base_rss_mb",
    "ratio_to_floor",
    "cpu_ratio_to_floor",
    "kfp_local_ratio",
    "kfp_local_cpu_ratio",
    "repeat",
    "runs",
    "error",
}
RUN_KEYS = {"wall_s", "cpu_s", "peak_rss_mb", "base_rss_mb", "peak_processes", "rss_samples"}


def run_script(name: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``benchmarks/<name>`` with this checkout's ``src`` first on the path."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p
        ),
        "SLUICE_HOME": str(home),
    }
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=DEADLINE,
        check=False,
    )


def json_output(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The script's JSON object, after checking it exited 0."""
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}"
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def check_runner(case: dict[str, Any], runner: str, repeat: int) -> dict[str, Any]:
    """One runner's entry of a case: no error, every key, ``repeat`` plausible runs."""
    entry: dict[str, Any] = case["runners"][runner]
    assert entry["error"] is None, entry["error"]
    assert entry.keys() >= RUNNER_KEYS
    assert entry["repeat"] == repeat
    assert len(entry["runs"]) == repeat
    for run in entry["runs"]:
        assert run.keys() >= RUN_KEYS
        assert run["wall_s"] > 0
        assert run["cpu_s"] >= 0
        assert run["peak_rss_mb"] >= run["base_rss_mb"] > 0
        assert run["peak_processes"] >= 1
    assert entry["ms_per_task"] is not None
    assert entry["ms_per_task"] == pytest.approx(entry["wall_s"] * 1000 / case["tasks"], rel=0.01)
    return entry


def test_overhead_default_cases_with_sluice_and_the_floor(tmp_path: Path) -> None:
    """The default cases, tiny, twice each: sluice and floor everywhere, cached all hits."""
    proc = run_script(
        "overhead.py",
        *("--size", "2", "--repeat", "2", "--runner", "sluice,floor", "--json", "-q"),
        home=tmp_path,
    )
    data = json_output(proc)
    assert data["ok"] is True
    assert data["repeat"] == 2
    assert data["parallelism"] >= 1
    assert {"date", "command", "python", "kfp", "cpus", "load_average"} <= data.keys()
    cases = {c["case"]: c for c in data["cases"]}
    assert list(cases) == ["chain", "chain100", "fanout", "fanout1000", "cached"]
    for name, case in cases.items():
        assert case["size"] == 2
        assert case["tasks"] == (3 if name.startswith("fanout") else 2)
        if name == "cached":
            assert list(case["runners"]) == ["sluice"]
            entry = check_runner(case, "sluice", 2)
            assert entry["ratio_to_floor"] is None
            assert [r["cached_tasks"] for r in entry["runs"]] == [2, 2]
            continue
        assert list(case["runners"]) == ["sluice", "floor"]
        sluice = check_runner(case, "sluice", 2)
        floor = check_runner(case, "floor", 2)
        assert floor["ratio_to_floor"] == pytest.approx(1.0)
        assert sluice["ratio_to_floor"] == pytest.approx(
            sluice["wall_s"] / floor["wall_s"], rel=0.01
        )
        assert sluice["kfp_local_ratio"] is None  # kfp-local was not asked for
        assert [r["tasks_recorded"] for r in sluice["runs"]] == [case["tasks"]] * 2
        assert [r["cached_tasks"] for r in sluice["runs"]] == [0, 0]


def test_overhead_kfp_local_and_the_opt_in_case(tmp_path: Path) -> None:
    """kfp.local runs only chain and fanout; fanout10000 runs when named."""
    proc = run_script(
        "overhead.py",
        *("--only", "chain,fanout", "--only", "fanout10000", "--runner", "kfp-local,floor"),
        *("--size", "1", "--json", "-q"),
        home=tmp_path,
    )
    data = json_output(proc)
    cases = {c["case"]: c for c in data["cases"]}
    assert list(cases) == ["chain", "fanout", "fanout10000"]
    for name in ("chain", "fanout"):
        assert list(cases[name]["runners"]) == ["kfp-local", "floor"]
        kfp = check_runner(cases[name], "kfp-local", 1)
        floor = check_runner(cases[name], "floor", 1)
        assert floor["kfp_local_ratio"] == pytest.approx(kfp["wall_s"] / floor["wall_s"], rel=0.01)
        assert kfp["ratio_to_floor"] is not None
    assert list(cases["fanout10000"]["runners"]) == ["floor"]
    assert cases["fanout10000"]["tasks"] == 2
    check_runner(cases["fanout10000"], "floor", 1)


def test_overhead_baseline_runs_the_sluice_cases_with_another_checkout(tmp_path: Path) -> None:
    """``--baseline`` (here this very checkout) adds sluice-baseline next to sluice."""
    proc = run_script(
        "overhead.py",
        *("--only", "chain,cached", "--runner", "sluice,floor", "--baseline", str(ROOT)),
        *("--size", "2", "--repeat", "2", "--json", "-q"),
        home=tmp_path,
    )
    data = json_output(proc)
    assert data["ok"] is True
    assert data["baseline"]["path"] == str(ROOT)
    assert Path(data["baseline"]["sluice"]).is_relative_to(ROOT / "src")
    cases = {c["case"]: c for c in data["cases"]}
    assert list(cases["chain"]["runners"]) == ["sluice", "sluice-baseline", "floor"]
    assert list(cases["cached"]["runners"]) == ["sluice", "sluice-baseline"]
    for name, case in cases.items():
        sluice = check_runner(case, "sluice", 2)
        baseline = check_runner(case, "sluice-baseline", 2)
        assert baseline["baseline_ratio"] == pytest.approx(1.0)
        assert sluice["baseline_ratio"] == pytest.approx(
            sluice["wall_s"] / baseline["wall_s"], rel=0.01
        )
        expected_cached = [2, 2] if name == "cached" else [0, 0]
        assert [r["cached_tasks"] for r in baseline["runs"]] == expected_cached
        assert [r["tasks_recorded"] for r in baseline["runs"]] == [2, 2]
    assert cases["chain"]["runners"]["sluice-baseline"]["ratio_to_floor"] is not None


def test_overhead_refuses_a_baseline_that_is_not_a_checkout(tmp_path: Path) -> None:
    """A --baseline without src/sluice is refused up front, exit 2."""
    proc = run_script("overhead.py", "--baseline", str(tmp_path), home=tmp_path)
    assert proc.returncode == 2
    assert "not a Sluice checkout" in proc.stderr


def test_overhead_refuses_an_unknown_case(tmp_path: Path) -> None:
    """A misspelt case is one line naming it and the choices, exit 2."""
    proc = run_script("overhead.py", "--only", "chian", home=tmp_path)
    assert proc.returncode == 2
    assert "unknown case chian; choose from chain, chain100" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_metadata_scale_tiny(tmp_path: Path) -> None:
    """20 executions: every query answers, the lineage and the lookup find their rows."""
    proc = run_script(
        "metadata_scale.py", "--executions", "20", "--repeat", "1", "--json", home=tmp_path
    )
    data = json_output(proc)
    assert data["executions"] == 20
    results = data["results"]
    assert len(results) == 5
    for row in results:
        assert {"query", "median_ms", "best_ms", "rows"} <= row.keys()
        assert row["median_ms"] >= 0
    assert results[-1]["query"] == "Artifact.get(uri)"
    assert results[-1]["rows"] == 1
    assert results[3]["rows"] > 1  # the upstream lineage has more than the tip


def test_server_load_tiny(tmp_path: Path) -> None:
    """4 runs by 2 kfp.Client users: all submitted, all completed, none lost or doubled."""
    proc = run_script(
        "server_load.py",
        *("--runs", "4", "--clients", "2", "--max-concurrent-runs", "2"),
        *("--timeout", "120", "--json"),
        home=tmp_path,
    )
    data = json_output(proc)
    assert data["ok"] is True, data["problems"]
    assert data["problems"] == []
    assert (data["runs"], data["clients"], data["submitted"], data["completed"]) == (4, 2, 4, 4)
    assert data["submit_latency_p50_ms"] is not None
    assert data["submit_latency_p99_ms"] is not None
    assert data["healthz_samples"] > 0
    assert data["healthz_p99_ms"] is not None
    assert "api_cpu_ms_per_submit" in data and "rate" in data
    assert data["total_seconds"] > 0
    assert data["runs_per_minute"] > 0
    assert {"date", "command", "cpus", "load_average"} <= data.keys()


def test_server_load_paced_tiny(tmp_path: Path) -> None:
    """The paced mode (--rate): every run submitted and completed, the rate reported."""
    proc = run_script(
        "server_load.py",
        *("--runs", "4", "--clients", "2", "--max-concurrent-runs", "2", "--rate", "20"),
        *("--timeout", "120", "--json"),
        home=tmp_path,
    )
    data = json_output(proc)
    assert data["ok"] is True, data["problems"]
    assert (data["rate"], data["submitted"], data["completed"]) == (20.0, 4, 4)
