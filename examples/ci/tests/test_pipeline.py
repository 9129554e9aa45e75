"""The pipeline's own tests, run in CI with ``sluice.run``: in-process, on small input."""

import sys
from pathlib import Path

import pytest

import sluice

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline import ci_pipeline


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "sluice"))


def test_a_clean_line_passes() -> None:
    run = sluice.run(ci_pipeline, {"rows": 20, "noise": 0.01})
    assert run.state == "SUCCEEDED", run.error
    assert run.task("fit").outputs["metrics"].metadata["r2"] > 0.99
    assert abs(run.task("fit").outputs["metrics"].metadata["slope"] - 2) < 0.1


def test_noise_fails_the_quality_check() -> None:
    run = sluice.run(ci_pipeline, {"rows": 20, "noise": 5.0, "min_r2": 0.9})
    assert run.state == "FAILED"
    assert run.task("check-quality").state == "FAILED"
