"""``GET /apis/sluice/v1/events``: state changes as server-sent events, resumable, across
processes, behind the token."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer, start_server
from tests.server.pipelines import adder, compile_to

from sluice.events import bus_for
from sluice.store.repository import Store

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

EVENTS = "/apis/sluice/v1/events"
FINAL = {"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"}
TOKEN = "events-token"
# Short heartbeat and poll so that the tests see both quickly.
FAST = {"events_heartbeat": 0.3, "events_poll": 0.2}


@dataclass
class Sse:
    """One server-sent event, or a comment (``kind == ":"``)."""

    kind: str
    id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def read_stream(
    url: str,
    *,
    until: Callable[[list[Sse]], bool],
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    limit: float = 60.0,
) -> list[Sse]:
    """The stream's events and comments until ``until(received)`` holds (then it closes).

    Every read has a timeout and the whole read a deadline: a test can never hang here.
    """
    received: list[Sse] = []
    deadline = time.monotonic() + limit
    timeout = httpx.Timeout(10.0)
    with httpx.stream("GET", url, headers=headers, params=params, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, str] = {}
        for line in response.iter_lines():
            if time.monotonic() > deadline:
                raise AssertionError(f"the stream did not get there in {limit}s: {received}")
            if line.startswith(":"):
                received.append(Sse(":"))
            elif line == "":
                if "event" in current:
                    received.append(
                        Sse(current["event"], int(current["id"]), json.loads(current["data"]))
                    )
                current = {}
            else:
                name, _, value = line.partition(":")
                current[name] = value.removeprefix(" ")
                continue
            if until(received):
                return received
    raise AssertionError(f"the stream ended: {received}")


def states(events: list[Sse]) -> list[Sse]:
    return [e for e in events if e.kind in ("run_state", "task_state")]


def run_ended(run_id: str) -> Callable[[list[Sse]], bool]:
    def ended(received: list[Sse]) -> bool:
        return any(
            e.kind == "run_state" and e.data["run_id"] == run_id and e.data["state"] in FINAL
            for e in received
        )

    return ended


@pytest.fixture(scope="module")
def events_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server executing runs, with a fast heartbeat and poll."""
    home = tmp_path_factory.mktemp("events-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("SLUICE_HOME", str(home))
    mp.delenv("SLUICE_DB_URL", raising=False)
    mp.delenv("SLUICE_TOKEN", raising=False)
    running, stop = start_server(home, background=True, **FAST)
    try:
        yield running
    finally:
        stop()
        mp.undo()


@pytest.fixture(scope="module")
def finished_run(events_server: RunningServer) -> str:
    """The id of a run the server executed, followed live to its end."""
    client = kfp.Client(host=events_server.url)
    run_id = str(client.create_run_from_pipeline_func(adder, arguments={"a": 1, "b": 2}).run_id)
    read_stream(events_server.url + EVENTS, params={"run_id": run_id}, until=run_ended(run_id))
    return run_id


def test_a_runs_state_changes_arrive_in_order_ending_with_its_final_state(
    events_server: RunningServer,
) -> None:
    client = kfp.Client(host=events_server.url)
    run_id = str(client.create_run_from_pipeline_func(adder, arguments={"a": 2, "b": 5}).run_id)
    received = read_stream(
        events_server.url + EVENTS, params={"run_id": run_id}, until=run_ended(run_id)
    )
    changes = states(received)
    seqs = [e.id for e in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert {e.data["run_id"] for e in changes} == {run_id}
    assert changes[0].kind == "run_state" and changes[0].data["state"] == "PENDING"
    assert changes[-1].kind == "run_state" and changes[-1].data["state"] == "SUCCEEDED"
    # The stream is the store's history: every row, no more, same order.
    store = Store(events_server.state.config.settings.db_url)
    run_rows = [row.id for row in store.state_history(run_id)]
    assert [e.id for e in changes if e.kind == "run_state"] == run_rows
    tasks = [e for e in changes if e.kind == "task_state"]
    assert any(e.data["path"] == "add" and e.data["state"] == "SUCCEEDED" for e in tasks)
    logs = [e for e in received if e.kind == "task_log"]
    assert logs and all(e.data["log_path"] for e in logs)


def test_reconnecting_with_last_event_id_gets_exactly_the_rest(
    events_server: RunningServer, finished_run: str
) -> None:
    url = events_server.url + EVENTS
    params = {"run_id": finished_run}
    everything = states(read_stream(url, params=params, until=run_ended(finished_run)))
    middle = everything[len(everything) // 2].id
    assert middle is not None
    expected = [(e.id, e.kind, e.data) for e in everything if e.id is not None and e.id > middle]
    by_header = states(
        read_stream(
            url,
            params=params,
            headers={"Last-Event-ID": str(middle)},
            until=run_ended(finished_run),
        )
    )
    assert [(e.id, e.kind, e.data) for e in by_header] == expected
    by_query = states(
        read_stream(
            url,
            params={**params, "last_event_id": str(middle)},
            until=run_ended(finished_run),
        )
    )
    assert [(e.id, e.kind, e.data) for e in by_query] == expected
    # Caught up, the stream stays open with heartbeats.
    last = everything[-1].id
    quiet = read_stream(
        url,
        params=params,
        headers={"Last-Event-ID": str(last)},
        until=lambda got: len(got) >= 2,
    )
    assert [e.kind for e in quiet] == [":", ":"]


def test_an_unknown_run_is_404_before_streaming(events_server: RunningServer) -> None:
    response = httpx.get(events_server.url + EVENTS, params={"run_id": "no-such-run"}, timeout=10.0)
    assert response.status_code == 404
    assert "no-such-run" in response.json()["message"]
    bad = httpx.get(events_server.url + EVENTS, headers={"Last-Event-ID": "abc"}, timeout=10.0)
    assert bad.status_code == 400


def test_the_stream_is_in_the_openapi_document(events_server: RunningServer) -> None:
    schema = httpx.get(events_server.url + "/openapi.json", timeout=10.0).json()
    operation = schema["paths"][EVENTS]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {p["name"] for p in operation["parameters"]} >= {"run_id", "last_event_id"}


def test_a_run_executed_by_another_process_is_seen(tmp_path: Path) -> None:
    # An API-only server: nothing in its process executes or publishes this run.
    home = tmp_path / "home"
    running, stop = start_server(home, background=False, **FAST)
    try:
        package = compile_to(adder, str(tmp_path / "adder.yaml"))
        env = {**os.environ, "SLUICE_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path)}
        env.pop("SLUICE_DB_URL", None)
        sibling: subprocess.Popen[bytes] | None = None

        def started_then_ended(received: list[Sse]) -> bool:
            nonlocal sibling
            if sibling is None and received and received[-1].kind == ":":
                # Caught up with the (empty) history: now another process runs a pipeline.
                sibling = subprocess.Popen(
                    [sys.executable, "-m", "sluice", "run", package, "--run-name", "sibling"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            return any(e.kind == "run_state" and e.data["state"] in FINAL for e in received)

        try:
            received = read_stream(running.url + EVENTS, until=started_then_ended)
        finally:
            if sibling is not None:
                sibling.wait(timeout=60)
        assert sibling is not None and sibling.returncode == 0
        changes = states(received)
        assert changes[0].data["state"] == "PENDING" and changes[-1].data["state"] == "SUCCEEDED"
        assert [e.id for e in changes] == sorted({e.id for e in changes if e.id is not None})
        assert any(e.kind == "task_state" and e.data["path"] == "add" for e in changes)
    finally:
        stop()


def test_the_token_is_required(tmp_path: Path) -> None:
    running, stop = start_server(tmp_path / "home", background=False, token=TOKEN, **FAST)
    try:
        url = running.url + EVENTS
        assert httpx.get(url, timeout=10.0).status_code == 401
        wrong = httpx.get(url, headers={"Authorization": "Bearer nope"}, timeout=10.0)
        assert wrong.status_code == 401
        beat = read_stream(
            url, headers={"Authorization": f"Bearer {TOKEN}"}, until=lambda got: len(got) >= 1
        )
        assert beat[0].kind == ":"
        # The client left: its subscription to the bus ends with it.
        bus = bus_for(running.state.store.url)
        deadline = time.monotonic() + 10
        while bus.has_subscribers and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not bus.has_subscribers
    finally:
        stop()
