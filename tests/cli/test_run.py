"""``sluice run`` end to end: real runs of small pipelines through the typer app."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sluice.cli.main import app

runner = CliRunner()


def test_successful_run_exits_0_and_prints_summary_and_outputs(pipelines: Path) -> None:
    result = runner.invoke(app, ["run", str(pipelines), "--pipeline", "good", "-p", "rows=4"])

    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output
    # One plain line per state change, no ANSI escapes off a terminal.
    assert "RUNNING   make" in result.output
    assert "\x1b[" not in result.output
    # The artifact output is shown as its URI.
    assert "Output = " in result.output and "/data" in result.output


def test_failing_component_exits_1_naming_task_and_exception(pipelines: Path) -> None:
    result = runner.invoke(app, ["run", str(pipelines), "--pipeline", "bad", "-p", "rows=5"])

    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output
    assert "Failed task: boom" in result.output
    # The exception line from the component's own log, and a line only the log holds.
    assert "ValueError: bad rows: 10" in result.output
    assert "about to fail with 10" in result.output
    assert "Traceback" in result.output  # the component's own traceback, as it recorded it


def test_json_prints_one_object_with_artifacts_and_tasks(pipelines: Path) -> None:
    result = runner.invoke(app, ["run", str(pipelines), "--pipeline", "good", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["state"] == "SUCCEEDED"
    assert data["error"] is None
    artifact = data["outputs"]["Output"]
    assert artifact["schema_title"] == "system.Dataset"
    assert artifact["metadata"] == {"n": 6}
    assert artifact["uri"]
    tasks = {t["path"]: t for t in data["tasks"]}
    assert tasks["make"]["state"] == "SUCCEEDED" and tasks["make"]["attempts"] == 1


def test_json_of_failed_run_exits_1(pipelines: Path) -> None:
    result = runner.invoke(app, ["run", str(pipelines), "--pipeline", "bad", "--json"])

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["state"] == "FAILED"
    assert "bad rows" in data["error"]


def _assert_bad_input(args: list[str], *needles: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0]


def test_mistyped_parameter_is_one_line_error(pipelines: Path) -> None:
    _assert_bad_input(["run", str(pipelines), "--pipeline", "good", "-p", "rows=abc"], "rows")


def test_unknown_parameter(pipelines: Path) -> None:
    _assert_bad_input(["run", str(pipelines), "--pipeline", "good", "-p", "nope=1"], "nope")


def test_malformed_pair(pipelines: Path) -> None:
    _assert_bad_input(["run", str(pipelines), "--pipeline", "good", "-p", "rows"], "rows")


def test_a_taken_run_name_is_one_line_error_and_writes_nothing(pipelines: Path) -> None:
    args = ["run", str(pipelines), "--pipeline", "good", "--run-name", "dup1"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    _assert_bad_input(args, "'dup1' already exists", "unique id", "display name")
    listed = runner.invoke(app, ["runs", "list", "--json"])
    assert [r["name"] for r in json.loads(listed.stdout)] == ["dup1"]


def test_a_run_name_that_is_not_an_id_is_refused(pipelines: Path, sluice_home: Path) -> None:
    args = ["run", str(pipelines), "--pipeline", "good", "--run-name", "../../escape"]
    _assert_bad_input(args, "invalid run name", "letters, digits")
    assert not (sluice_home.parent / "escape").exists()


def test_missing_pipeline_file(tmp_path: Path) -> None:
    _assert_bad_input(["run", str(tmp_path / "nothere.py")], "nothere.py")


def test_yaml_that_is_not_a_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("name: hello\nitems: [1, 2]\n")
    _assert_bad_input(["run", str(path)], "not a pipeline")


def test_missing_params_file(pipelines: Path, tmp_path: Path) -> None:
    missing = tmp_path / "params.yaml"
    _assert_bad_input(
        ["run", str(pipelines), "--pipeline", "good", "--params-file", str(missing)],
        "params.yaml",
    )


def test_several_pipelines_need_pipeline_option(pipelines: Path) -> None:
    _assert_bad_input(["run", str(pipelines)], "--pipeline")


def test_bad_cache_max_age(pipelines: Path) -> None:
    _assert_bad_input(
        ["run", str(pipelines), "--pipeline", "good", "--cache-max-age", "soon"], "cache-max-age"
    )


def test_params_file_is_used_and_p_overrides_it(pipelines: Path, tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"rows": 1}))
    result = runner.invoke(
        app,
        [
            "run",
            str(pipelines),
            "--pipeline",
            "good",
            "--json",
            "--params-file",
            str(params),
            "-p",
            "rows=7",
            "--no-cache",
        ],
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["arguments"] == {"rows": 7}


GPU_PIPELINE = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def hello() -> str:
    return "hi"


@dsl.pipeline(name="gpu")
def gpu():
    hello().set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(64)
"""


def test_unsatisfiable_resources_refused_or_warned(tmp_path: Path) -> None:
    path = tmp_path / "gpu.py"
    path.write_text(textwrap.dedent(GPU_PIPELINE))

    refused = runner.invoke(app, ["run", str(path)])
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith("error: ")

    allowed = runner.invoke(app, ["run", str(path), "--allow-unsatisfiable-resources"])
    assert allowed.exit_code == 0, allowed.output
    assert "warning: " in allowed.stderr
    assert "SUCCEEDED" in allowed.stdout


def test_python_m_sluice_runs_a_pipeline(pipelines: Path, sluice_home: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sluice",
            "run",
            str(pipelines),
            "--pipeline",
            "good",
            "-p",
            "rows=2",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "SLUICE_HOME": str(sluice_home)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCEEDED" in proc.stdout
    assert "\x1b[" not in proc.stdout


def test_python_m_sluice_bad_input_exits_2_without_traceback(pipelines: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sluice",
            "run",
            str(pipelines),
            "--pipeline",
            "good",
            "-p",
            "rows=abc",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr


SLOW_PIPELINE = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def nap(seconds: int) -> int:
    import time
    time.sleep(seconds)
    return seconds


@dsl.pipeline(name="slow")
def slow():
    nap(seconds=120)
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_cancels_the_run_and_exits_130(tmp_path: Path, sluice_home: Path) -> None:
    path = tmp_path / "slow.py"
    path.write_text(textwrap.dedent(SLOW_PIPELINE))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sluice", "run", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "SLUICE_HOME": str(sluice_home)},
        # A shell may start us with SIGINT ignored; Ctrl-C must reach Python's handler.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if "RUNNING" in line and "nap" in line:
                break
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(seen) + rest
    assert proc.returncode == 130, output
    assert "CANCELED" in output


NUMBERS = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def show(l: list, f: float, n: int) -> str:
    return f"{l} {f} {n}"


@dsl.pipeline(name="numbers")
def numbers(l: list = [], f: float = 1.0, n: int = 1) -> str:
    return show(l=l, f=f, n=n).output
"""


@pytest.mark.parametrize(
    ("arg", "needle"),
    [
        ("l=" + "[" * 5000 + "]" * 5000, "parameter 'l' nests lists or structs more than 100"),
        ("f=nan", "parameter 'f' is nan: KFP parameters cannot carry NaN or infinity"),
        ("f=inf", "parameter 'f' is inf"),
        ("f=-Infinity", "parameter 'f' is -inf"),
        ("l=[1, NaN]", "parameter 'l' holds nan"),
        ("n=9223372036854775808", "outside the 64-bit integer range"),
        ("n=-9223372036854775809", "outside the 64-bit integer range"),
    ],
    ids=["deep", "nan", "inf", "-inf", "nan-in-list", "int64+1", "int64-1"],
)
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_values_kfp_cannot_carry_exit_2_and_record_nothing(
    store: str,
    arg: str,
    needle: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No RecursionError or PostgreSQL DataError traceback: one line, exit 2, no run."""
    if store == "postgresql":
        monkeypatch.setenv("SLUICE_DB_URL", request.getfixturevalue("postgres_url"))
    path = tmp_path / "numbers.py"
    path.write_text(NUMBERS)
    _assert_bad_input(["run", str(path), "-p", arg], needle)
    listed = runner.invoke(app, ["runs", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []


def test_int64_edges_run(tmp_path: Path) -> None:
    path = tmp_path / "numbers.py"
    path.write_text(NUMBERS)
    result = runner.invoke(
        app, ["run", str(path), "-p", "n=9223372036854775807", "-p", "f=1e308", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outputs"]["Output"] == "[] 1e+308 9223372036854775807"


NO_BASE_IMAGE = """
from kfp import dsl


@dsl.component
def hi(name: str) -> str:
    return f"hi {name}"


@dsl.pipeline(name="no-base-image")
def no_base_image(name: str = "x") -> str:
    return hi(name=name).output
"""


def test_default_base_image_warning_only_where_the_image_is_used(
    tmp_path: Path, sluice_home: Path
) -> None:
    """kfp's FutureWarning is about the image a cloud run uses: silent for a host run,
    kept by `sluice compile` (real processes: pytest's own filters would hide it)."""
    path = tmp_path / "no_base_image.py"
    path.write_text(NO_BASE_IMAGE)
    env = {**os.environ, "SLUICE_HOME": str(sluice_home)}
    env.pop("PYTHONWARNINGS", None)

    def sluice(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sluice", *args],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )

    ran = sluice("run", str(path))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "FutureWarning" not in ran.stderr + ran.stdout
    compiled = sluice("compile", str(path), "-o", str(tmp_path / "out.yaml"))
    assert compiled.returncode == 0, compiled.stderr
    assert "FutureWarning: The default base_image" in compiled.stderr
