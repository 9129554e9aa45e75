"""``/recurringruns`` over HTTP: the app with TestClient, and the unmodified kfp.Client."""

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kfp
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.server.conftest import RunningServer, start_server
from tests.server.pipelines import adder, compile_to

from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig
from sluice.store.models import RecurringRunRow, RunRow
from sluice.store.repository import Store, as_utc

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
API = "/apis/v2beta1"


@pytest.fixture(scope="module")
def adder_yaml(tmp_path_factory: pytest.TempPathFactory) -> str:
    return compile_to(adder, str(tmp_path_factory.mktemp("pkg") / "adder.yaml"))


@pytest.fixture(scope="module")
def adder_spec(adder_yaml: str) -> dict[str, Any]:
    with open(adder_yaml) as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    monkeypatch.delenv("SLUICE_TOKEN", raising=False)
    app = create_app(ServerConfig(settings=Settings.from_env(home=tmp_path), background=False))
    with TestClient(app) as client:
        yield client


def body(spec: dict[str, Any], **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "display_name": "nightly",
        "pipeline_spec": spec,
        "runtime_config": {"parameters": {"a": 5}},
        "max_concurrency": 2,
        "trigger": {"cron_schedule": {"cron": "0 0 * * * *", "start_time": "2030-01-01T00:00:00Z"}},
        "mode": "ENABLE",
        "no_catchup": True,
    }
    out.update(fields)
    return out


def test_create_get_and_json_shape(api: TestClient, adder_spec: dict[str, Any]) -> None:
    created = api.post(f"{API}/recurringruns", json=body(adder_spec))
    assert created.status_code == 200, created.text
    got = api.get(f"{API}/recurringruns/{created.json()['recurring_run_id']}").json()
    assert got == created.json()
    assert got["status"] == "ENABLED"
    assert got["max_concurrency"] == "2"
    assert got["no_catchup"] is True
    assert got["trigger"] == {
        "cron_schedule": {"cron": "0 0 * * * *", "start_time": "2030-01-01T00:00:00Z"}
    }
    assert got["runtime_config"]["parameters"] == {"a": 5}
    assert got["pipeline_spec"]["pipelineInfo"]["name"] == "adder"
    assert got["experiment_id"]  # the Default experiment
    assert got["created_at"].endswith("Z")
    assert got["next_run_time"] == "2030-01-01T00:00:00Z"


def test_periodic_and_max_run_count(api: TestClient, adder_spec: dict[str, Any]) -> None:
    trigger = {"periodic_schedule": {"interval_second": "3600"}}
    created = api.post(
        f"{API}/recurringruns",
        json=body(adder_spec, trigger=trigger, max_concurrency="3", max_run_count=4),
    ).json()
    assert created["trigger"] == {"periodic_schedule": {"interval_second": "3600"}}
    assert created["max_concurrency"] == "3"
    assert created["max_run_count"] == "4"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"trigger": {"cron_schedule": {"cron": "0 0 61 * * *"}}}, "invalid cron"),
        ({"trigger": {"cron_schedule": {"cron": "* * *"}}}, "has 3 fields"),
        ({"trigger": {"periodic_schedule": {"interval_second": 0}}}, "interval_second"),
        ({"trigger": None}, "needs a trigger"),
        ({"max_concurrency": 11}, "between 1 and 10"),
        ({"max_concurrency": "0"}, "between 1 and 10"),
        ({"max_concurrency": "lots"}, "whole number"),
        ({"runtime_config": {"parameters": {"nope": 1}}}, "nope"),
        ({"runtime_config": {"parameters": {"a": "x"}}}, "a"),
        ({"pipeline_spec": {"not": "a pipeline"}}, ""),
        ({"mode": "SOMETIMES"}, "ENABLE or DISABLE"),
        ({"display_name": ""}, "display_name"),
        ({"max_run_count": -1}, "max_run_count"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(
    api: TestClient, adder_spec: dict[str, Any], fields: dict[str, Any], message: str
) -> None:
    answer = api.post(f"{API}/recurringruns", json=body(adder_spec, **fields))
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert set(error) >= {"error", "code", "message", "details"}
    assert message in error["message"]
    assert api.get(f"{API}/recurringruns").json()["total_size"] == 0


def test_unknown_ids_are_404(api: TestClient) -> None:
    assert api.get(f"{API}/recurringruns/nope").status_code == 404
    assert api.post(f"{API}/recurringruns/nope:enable").status_code == 404
    assert api.post(f"{API}/recurringruns/nope:disable").status_code == 404
    assert api.delete(f"{API}/recurringruns/nope").status_code == 404
    assert api.patch(f"{API}/recurringruns/nope", json={}).status_code == 404


def test_list_filter_sort_and_pages(api: TestClient, adder_spec: dict[str, Any]) -> None:
    for name in ("c", "a", "b"):
        api.post(f"{API}/recurringruns", json=body(adder_spec, display_name=name))
    page = api.get(f"{API}/recurringruns", params={"page_size": 2, "sort_by": "display_name"})
    first = page.json()
    assert [r["display_name"] for r in first["recurringRuns"]] == ["a", "b"]
    assert first["total_size"] == 3
    rest = api.get(
        f"{API}/recurringruns",
        params={"page_size": 2, "sort_by": "display_name", "page_token": first["next_page_token"]},
    ).json()
    assert [r["display_name"] for r in rest["recurringRuns"]] == ["c"]
    assert not rest.get("next_page_token")
    flt = '{"predicates":[{"operation":"EQUALS","key":"display_name","string_value":"b"}]}'
    only_b = api.get(f"{API}/recurringruns", params={"filter": flt}).json()
    assert [r["display_name"] for r in only_b["recurringRuns"]] == ["b"]
    assert api.get(f"{API}/recurringruns", params={"sort_by": "cron"}).status_code == 400


def test_enable_disable_delete_keep_runs(api: TestClient, adder_spec: dict[str, Any]) -> None:
    rid = api.post(f"{API}/recurringruns", json=body(adder_spec, mode="DISABLE")).json()[
        "recurring_run_id"
    ]
    assert api.get(f"{API}/recurringruns/{rid}").json()["status"] == "DISABLED"
    assert api.post(f"{API}/recurringruns/{rid}:enable").json() == {}
    assert api.get(f"{API}/recurringruns/{rid}").json()["status"] == "ENABLED"
    assert api.post(f"{API}/recurringruns/{rid}:disable").json() == {}
    assert api.get(f"{API}/recurringruns/{rid}").json()["status"] == "DISABLED"
    # A run the schedule started survives the schedule's deletion.
    run = api.post(f"{API}/runs", json={"display_name": "r", "pipeline_spec": adder_spec}).json()
    store = api.app.state.sluice.store  # type: ignore[attr-defined]
    with store.session() as session:
        session.get(RunRow, run["run_id"]).recurring_run_id = rid
    assert api.delete(f"{API}/recurringruns/{rid}").json() == {}
    assert api.get(f"{API}/recurringruns/{rid}").status_code == 404
    kept = api.get(f"{API}/runs/{run['run_id']}").json()
    assert kept["recurring_run_id"] == rid


def test_patch_updates_in_place(api: TestClient, adder_spec: dict[str, Any]) -> None:
    created = api.post(f"{API}/recurringruns", json=body(adder_spec)).json()
    rid = created["recurring_run_id"]
    patched = api.patch(
        f"{API}/recurringruns/{rid}",
        json={
            "display_name": "renamed",
            "description": "now described",
            "trigger": {"cron_schedule": {"cron": "TZ=Europe/Paris 0 9 * * 1-5"}},
            "max_concurrency": "5",
            "no_catchup": False,
            "max_run_count": 7,
            "runtime_config": {"parameters": {"a": 9, "b": 1}},
        },
    )
    assert patched.status_code == 200, patched.text
    got = patched.json()
    assert got["recurring_run_id"] == rid
    assert got["display_name"] == "renamed"
    assert got["description"] == "now described"
    assert got["trigger"] == {"cron_schedule": {"cron": "TZ=Europe/Paris 0 9 * * 1-5"}}
    assert got["max_concurrency"] == "5"
    assert got["no_catchup"] is False
    assert got["max_run_count"] == "7"
    assert got["runtime_config"]["parameters"] == {"a": 9, "b": 1}
    assert api.get(f"{API}/recurringruns/{rid}").json() == got
    # Only what is sent changes; bad values are refused without a change.
    bad = api.patch(f"{API}/recurringruns/{rid}", json={"runtime_config": {"parameters": {"z": 1}}})
    assert bad.status_code == 400
    bad = api.patch(
        f"{API}/recurringruns/{rid}", json={"trigger": {"cron_schedule": {"cron": "x"}}}
    )
    assert bad.status_code == 400
    again = api.patch(f"{API}/recurringruns/{rid}", json={"max_run_count": None}).json()
    assert "max_run_count" not in again
    assert again["display_name"] == "renamed"
    assert again["runtime_config"]["parameters"] == {"a": 9, "b": 1}
    assert (
        api.patch(f"{API}/recurringruns/{rid}", json={"pipeline_spec": adder_spec}).status_code
        == 400
    )


def test_version_reference(api: TestClient, adder_yaml: str) -> None:
    with open(adder_yaml, "rb") as handle:
        uploaded = api.post(
            f"{API}/pipelines/upload",
            params={"name": "adder-pipe"},
            files={"uploadfile": ("adder.yaml", handle.read())},
        ).json()
    created = api.post(
        f"{API}/recurringruns",
        json={
            "display_name": "by-version",
            "pipeline_version_reference": {"pipeline_id": uploaded["pipeline_id"]},
            "trigger": {"periodic_schedule": {"interval_second": 60}},
        },
    )
    assert created.status_code == 200, created.text
    got = created.json()
    assert got["pipeline_version_reference"]["pipeline_id"] == uploaded["pipeline_id"]
    assert "pipeline_spec" not in got
    missing = api.post(
        f"{API}/recurringruns",
        json={
            "display_name": "x",
            "pipeline_version_reference": {"pipeline_id": "p", "pipeline_version_id": "v"},
            "trigger": {"periodic_schedule": {"interval_second": 60}},
        },
    )
    assert missing.status_code == 404


def test_kfp_client_round_trip(api_server: RunningServer, adder_yaml: str) -> None:
    client = kfp.Client(host=api_server.url)
    exp = client.create_experiment("schedules")
    cron = client.create_recurring_run(
        experiment_id=exp.experiment_id,
        job_name="cron-job",
        pipeline_package_path=adder_yaml,
        params={"a": 3},
        cron_expression="0 0 9 ? * 2-6",
        max_concurrency=2,
        no_catchup=True,
        start_time="2030-01-01T00:00:00Z",
    )
    interval = client.create_recurring_run(
        experiment_id=exp.experiment_id,
        job_name="interval-job",
        pipeline_package_path=adder_yaml,
        interval_second=3600,
        enabled=False,
    )
    got = client.get_recurring_run(cron.recurring_run_id)
    assert got.display_name == "cron-job"
    assert got.status == "ENABLED"
    assert got.trigger.cron_schedule.cron == "0 0 9 ? * 2-6"
    assert got.max_concurrency == "2"
    assert got.no_catchup is True
    assert client.get_recurring_run(interval.recurring_run_id).status == "DISABLED"
    listed = client.list_recurring_runs(experiment_id=exp.experiment_id, page_size=10)
    names = sorted(r.display_name for r in listed.recurring_runs)
    assert names == ["cron-job", "interval-job"]
    assert listed.total_size == 2
    client.disable_recurring_run(cron.recurring_run_id)
    assert client.get_recurring_run(cron.recurring_run_id).status == "DISABLED"
    client.enable_recurring_run(interval.recurring_run_id)
    assert client.get_recurring_run(interval.recurring_run_id).status == "ENABLED"
    client.delete_recurring_run(cron.recurring_run_id)
    client.delete_recurring_run(interval.recurring_run_id)
    assert client.list_recurring_runs(experiment_id=exp.experiment_id).total_size == 0


class Clock:
    """The server scheduler's clock, moved by hand (read from the server's thread)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clocked_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RunningServer, Clock]]:
    """A server running runs in the background whose scheduler reads a hand-moved clock."""
    home = tmp_path / "home"
    # Components' own processes find the store through the environment.
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    monkeypatch.delenv("SLUICE_TOKEN", raising=False)
    clock = Clock(T0 - dt.timedelta(hours=1))
    running, stop = start_server(home, background=True, clock=clock)
    try:
        yield running, clock
    finally:
        stop()


T0 = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)


def _runs_of(store: Store, recurring_id: str) -> list[RunRow]:
    with store.session() as session:
        return list(session.scalars(select(RunRow).where(RunRow.recurring_run_id == recurring_id)))


def _wait_for(predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    """Polls ``predicate`` (bounded): waits for an event, never times it."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_server_scheduler_starts_runs(
    clocked_server: tuple[RunningServer, Clock], adder_yaml: str
) -> None:
    """The server's scheduler starts a run per due slot, and none once max_run_count is hit."""
    server, clock = clocked_server
    client = kfp.Client(host=server.url)
    exp = client.create_experiment("scheduled-live")
    rec = client.create_recurring_run(
        experiment_id=exp.experiment_id,
        job_name="every-second",
        pipeline_package_path=adder_yaml,
        interval_second=1,
        max_concurrency=2,
        start_time=T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    store = server.state.store
    scheduler = server.state.scheduler
    assert scheduler is not None
    rid = rec.recurring_run_id
    with store.session() as session:
        session.get(RecurringRunRow, rid).max_run_count = 2
    # The clock is an hour before the first slot: the scheduler has nothing to start yet.
    assert _runs_of(store, rid) == []
    # Slots are start_time + k seconds, k >= 1. Each step of the clock makes one more due;
    # the wake-up is what the API sends after an edit.
    for step in (1, 2):
        clock.now = T0 + dt.timedelta(seconds=step + 0.5)
        scheduler.wake()
        _wait_for(lambda step=step: len(_runs_of(store, rid)) >= step, f"run {step}")
        assert len(_runs_of(store, rid)) == step
    runs = _runs_of(store, rid)
    assert sorted(as_utc(r.scheduled_at) for r in runs) == [
        T0 + dt.timedelta(seconds=1),
        T0 + dt.timedelta(seconds=2),
    ]

    def counted() -> bool:
        with store.session() as session:
            return session.get(RecurringRunRow, rid).runs_started == 2

    _wait_for(counted, "the second run to be counted")
    # Many slots are due now, yet max_run_count is reached: a pass starts nothing. The pass
    # runs here rather than on the server's loop, so the test knows when it has happened.
    clock.now = T0 + dt.timedelta(seconds=10)
    assert scheduler.tick() is None
    assert len(_runs_of(store, rid)) == 2
    listed = client.list_runs(experiment_id=exp.experiment_id, page_size=10).runs
    assert {r.recurring_run_id for r in listed} == {rid}
    client.delete_recurring_run(rid)
