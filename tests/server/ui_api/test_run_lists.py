"""The run list's server-side filters (pipeline, recurring run, created range, metric
predicate), its metric sort, and ``GET /runs:latest`` (the newest runs of many experiments
or recurring runs in one call), on SQLite and PostgreSQL over rows written to the store."""

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig
from sluice.store.models import ArtifactRow, EventRow, ExecutionRow, RunRow
from sluice.store.repository import Store

UI = "/apis/sluice/v1"
DAY1 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def _run(run_id: str, day: int, **more: Any) -> dict[str, Any]:
    created = DAY1 + timedelta(days=day)
    return {
        "id": run_id,
        "name": run_id,
        "display_name": run_id,
        "pipeline_name": "lists",
        "pipeline_spec": {},
        "arguments": {"lr": 0.1},
        "pipeline_root": "/tmp/lists",
        "options": {},
        "state": "SUCCEEDED",
        "outputs": {},
        "created_at": created,
        "updated_at": created,
        "executed_by": "server",
        "experiment_id": None,
        "pipeline_id": None,
        "pipeline_version_id": None,
        "recurring_run_id": None,
        "storage_state": "AVAILABLE",
        **more,
    }


def _metrics(run_id: str, **values: Any) -> dict[str, Any]:
    return {
        "uri": f"/tmp/lists/{run_id}/metrics",
        "name": "metrics",
        "display_name": "metrics",
        "schema_title": "system.Metrics",
        "schema_version": "0.0.1",
        "metadata": values,
        "run_id": run_id,
    }


def seed(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            insert(RunRow),
            [
                _run("r1", 1, experiment_id="A", pipeline_id="p1", pipeline_version_id="v1"),
                _run("r2", 2, experiment_id="A", pipeline_id="p1", pipeline_version_id="v2"),
                _run("r3", 3, experiment_id="B", recurring_run_id="rr1"),
                _run("r4", 4, experiment_id="B", recurring_run_id="rr1"),
                _run("r5", 5, experiment_id="A", storage_state="ARCHIVED"),
                # A cache hit of r2's task: it logs nothing, its metrics are r2's.
                _run("r6", 6, experiment_id="C"),
            ],
        )
        # r4's first Metrics artifact logs accuracy as a string: its number is the second's.
        for artifact in (
            _metrics("r1", accuracy=0.9, loss=0.1),
            _metrics("r2", accuracy=0.4, loss=0.5),
            _metrics("r4", accuracy="0.8"),
            _metrics("r4", accuracy=0.6, flag=True),
            _metrics("r5", accuracy=0.95),
        ):
            # The Core table: its column is "metadata" (the ORM attribute is metadata_).
            connection.execute(insert(ArtifactRow.__table__), [artifact])
        reused = connection.execute(
            insert(ExecutionRow).returning(ExecutionRow.id),
            [
                {
                    "run_id": "r6",
                    "pipeline_name": "lists",
                    "component_name": "train",
                    "type": "system.ContainerExecution",
                    "state": "CACHED",
                }
            ],
        ).scalar_one()
        r2_metrics = connection.execute(
            ArtifactRow.__table__.select().where(ArtifactRow.run_id == "r2")
        ).one()
        connection.execute(
            insert(EventRow),
            [{"artifact_id": r2_metrics.id, "execution_id": reused, "type": "OUTPUT", "name": "m"}],
        )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    home = Path(tmp_path_factory.mktemp("run-lists"))
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("module_postgres_url")
    settings = Settings.from_env(home=home, db_url=url)
    app = create_app(ServerConfig(settings=settings, background=False))
    with TestClient(app) as test_client:
        seed(Store(settings.db_url))
        yield test_client


def _ids(client: TestClient, **params: Any) -> list[str]:
    response = client.get(f"{UI}/runs", params=params)
    assert response.status_code == 200, response.text
    return [run["run_id"] for run in response.json()["runs"]]


def test_metric_predicate_keeps_the_matching_runs(client: TestClient) -> None:
    assert _ids(client, metric="accuracy > 0.5") == ["r4", "r1"]
    assert _ids(client, metric="accuracy>0.5 AND loss<0.2") == ["r1"]
    assert _ids(client, metric="accuracy >= 0.4 and accuracy <= 0.6") == ["r6", "r4", "r2"]
    assert _ids(client, metric="accuracy = 0.4") == ["r6", "r2"]
    # A run that logged no accuracy (r3) matches no clause on it, != included.
    assert _ids(client, metric="accuracy != 0.4") == ["r4", "r1"]
    assert _ids(client, metric='"loss" < 1') == ["r6", "r2", "r1"]
    assert _ids(client, metric="flag > 0") == []  # a boolean is not a number
    assert _ids(client, metric="accuracy > 0.5", archived="true") == ["r5"]


def test_the_rows_carry_the_values_the_predicate_compared(client: TestClient) -> None:
    runs = client.get(f"{UI}/runs", params={"metric": "accuracy > 0"}).json()["runs"]
    assert {run["run_id"]: run["metrics"]["accuracy"] for run in runs} == {
        "r1": 0.9,
        "r2": 0.4,
        "r4": 0.6,
        "r6": 0.4,  # the cache hit shows the metrics of the task it reused
    }
    assert runs[0]["parameters"] == {"lr": 0.1}


@pytest.mark.parametrize(
    ("metric", "named"),
    [
        ("accuracy >", "'accuracy >'"),
        ("accuracy ~ 1", "'accuracy ~ 1'"),
        ("accuracy > high", "'high'"),
        ("accuracy > nan", "'nan'"),
        ("accuracy > 1 AND", "'accuracy > 1 AND'"),
        ("accuracy > 1 AND AND loss < 1", "'AND loss < 1'"),
        ("> 1", "'> 1'"),
    ],
)
def test_a_bad_predicate_is_a_400_naming_it(client: TestClient, metric: str, named: str) -> None:
    response = client.get(f"{UI}/runs", params={"metric": metric})
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert message.startswith("metric: ") and named in message, message


def test_sort_by_a_metric_puts_runs_without_it_last(client: TestClient) -> None:
    # Ties (r2 and its cache hit r6) keep the id order.
    assert _ids(client, sort="-metrics.accuracy") == ["r1", "r4", "r2", "r6", "r3"]
    assert _ids(client, sort="metrics.accuracy") == ["r2", "r6", "r4", "r1", "r3"]
    assert _ids(client, sort="display_name") == ["r1", "r2", "r3", "r4", "r6"]
    response = client.get(f"{UI}/runs", params={"sort": "-pipeline_spec"})
    assert response.status_code == 400
    assert "sort: cannot sort on 'pipeline_spec'" in response.json()["message"]


def test_pipeline_recurring_and_created_range(client: TestClient) -> None:
    assert _ids(client, pipeline_id="p1") == ["r2", "r1"]
    assert _ids(client, pipeline_version_id="v1") == ["r1"]
    assert _ids(client, recurring_run_id="rr1") == ["r4", "r3"]
    day2 = (DAY1 + timedelta(days=2)).date().isoformat()
    day4 = (DAY1 + timedelta(days=4)).date().isoformat()
    assert _ids(client, created_after=day2, created_before=day4) == ["r3", "r2"]
    assert _ids(client, created_after=f"{day2}T00:00:00Z") == ["r6", "r4", "r3", "r2"]
    response = client.get(f"{UI}/runs", params={"created_after": "yesterday"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("created_after: 'yesterday' is not a time")


def test_filtered_pages_hold_every_match_once(client: TestClient) -> None:
    seen: list[str] = []
    token = ""
    while True:
        page = client.get(
            f"{UI}/runs", params={"metric": "accuracy > 0", "page_size": 1, "page_token": token}
        ).json()
        assert page["total_size"] == 4
        seen += [run["run_id"] for run in page["runs"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == ["r6", "r4", "r2", "r1"]


def test_latest_runs_of_many_experiments_in_one_call(client: TestClient) -> None:
    response = client.get(
        f"{UI}/runs:latest", params={"group_by": "experiment", "ids": "A,B,missing", "per_group": 1}
    )
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]
    assert [(g["id"], g["total_size"], [r["run_id"] for r in g["runs"]]) for g in groups] == [
        ("A", 2, ["r2"]),
        ("B", 2, ["r4"]),
        ("missing", 0, []),
    ]
    assert groups[1]["runs"][0]["metrics"] == {"accuracy": 0.6}
    archived = client.get(
        f"{UI}/runs:latest", params={"group_by": "experiment", "ids": "A", "archived": "true"}
    ).json()["groups"]
    assert [r["run_id"] for r in archived[0]["runs"]] == ["r5"]


def test_latest_runs_of_recurring_runs(client: TestClient) -> None:
    groups = client.get(
        f"{UI}/runs:latest", params={"group_by": "recurring_run", "ids": "rr1"}
    ).json()["groups"]
    assert groups == [
        {"id": "rr1", "total_size": 2, "runs": groups[0]["runs"]},
    ]
    assert [r["run_id"] for r in groups[0]["runs"]] == ["r4", "r3"]


def test_latest_runs_refuses_bad_input(client: TestClient) -> None:
    for params in (
        {"group_by": "pipeline", "ids": "A"},
        {"group_by": "experiment"},
        {"group_by": "experiment", "ids": ",".join(f"e{i}" for i in range(201))},
        {"group_by": "experiment", "ids": "A", "per_group": 0},
    ):
        response = client.get(f"{UI}/runs:latest", params=params)
        assert response.status_code == 400, (params, response.text)
