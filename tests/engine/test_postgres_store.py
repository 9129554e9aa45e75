"""The engine runs pipelines against a PostgreSQL store exactly as against SQLite."""

from pathlib import Path

import pytest
from kfp import dsl

import sluice


@dsl.component
def square(x: int) -> int:
    return x * x


@dsl.component
def total(values: list) -> int:
    return sum(values)


@dsl.pipeline
def squares(xs: list = [1, 2, 3]) -> int:  # noqa: B006 - a pipeline default, not a Python one
    with dsl.ParallelFor(xs) as x:
        sq = square(x=x)
    return total(values=dsl.Collected(sq.output)).output


def test_run_and_cache_hit_on_postgresql(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SLUICE_DB_URL", postgres_url)
    first = sluice.run(squares, enable_caching=True)
    assert first.state == "SUCCEEDED", first.error
    assert first.outputs == {"Output": 14}
    second = sluice.run(squares, enable_caching=True)
    assert {t.state for t in second.tasks if t.kind == "container"} == {"CACHED"}
    assert [r.id for r in sluice.list_runs()] == [second.id, first.id]

    import sluice.metadata as md

    assert len(md.Execution.list(filter=f'in_context("{first.name}")')) == 4
