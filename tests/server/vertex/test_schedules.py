"""Pipeline job schedules through the real Vertex AI SDK (a real server process)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from google.cloud.aiplatform_v1.types import Schedule
from tests.server.vertex.conftest import VertexServer, wait

UTC = timezone.utc


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _until(what: str, check: Callable[[], bool], seconds: float = 120) -> None:
    """Poll ``check`` until it holds (a deadline, not a sleep, decides failure)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.5)


def _resource(schedule: aiplatform.PipelineJobSchedule) -> Schedule:
    return aiplatform.PipelineJobSchedule.get(schedule.resource_name).gca_resource


def test_a_schedule_is_created_paused_resumed_listed_and_deleted(vertex: VertexServer) -> None:
    job = vertex.job("rows", parameter_values={"n": 2})
    schedule = job.create_schedule(
        cron="TZ=America/Los_Angeles 0 2 * * *",
        display_name="nightly rows",
        max_concurrent_run_count=2,
        max_run_count=5,
    )
    assert schedule.state == Schedule.State.ACTIVE
    resource = schedule.gca_resource
    assert resource.cron == "TZ=America/Los_Angeles 0 2 * * *"
    assert resource.max_run_count == 5
    assert resource.max_concurrent_run_count == 2
    assert resource.started_run_count == 0
    # 02:00 in Los Angeles is 09:00 or 10:00 UTC, depending on daylight saving time.
    assert resource.next_run_time.hour in (9, 10)

    found = aiplatform.PipelineJobSchedule.get(schedule.resource_name)
    assert found.display_name == "nightly rows"
    assert schedule.resource_name in [
        s.resource_name for s in aiplatform.PipelineJobSchedule.list()
    ]
    assert schedule.list_jobs() == []

    schedule.update(display_name="nightly", max_run_count=7)
    updated = aiplatform.PipelineJobSchedule.get(schedule.resource_name).gca_resource
    assert (updated.display_name, updated.max_run_count) == ("nightly", 7)
    assert updated.cron == "TZ=America/Los_Angeles 0 2 * * *"  # not in the mask: kept
    assert updated.max_concurrent_run_count == 2

    schedule.pause()
    assert schedule.state == Schedule.State.PAUSED
    schedule.resume()
    assert schedule.state == Schedule.State.ACTIVE

    schedule.delete()
    with pytest.raises(exceptions.NotFound):
        aiplatform.PipelineJobSchedule.get(schedule.resource_name)


def test_a_bad_cron_is_a_bad_request(vertex: VertexServer) -> None:
    job = vertex.job("rows")
    with pytest.raises(exceptions.BadRequest, match="cron"):
        job.create_schedule(cron="0 25 * * *", display_name="never")
    with pytest.raises(exceptions.BadRequest, match="Mars/Olympus"):
        job.create_schedule(cron="TZ=Mars/Olympus 0 2 * * *", display_name="never")
    assert "never" not in {s.display_name for s in aiplatform.PipelineJobSchedule.list()}
    schedule = job.create_schedule(cron="0 2 * * *", display_name="keeps its cron")
    with pytest.raises(exceptions.BadRequest, match="cron"):
        schedule.update(cron="61 * * * *")
    assert _resource(schedule).cron == "0 2 * * *"  # nothing was changed


def test_a_schedule_fires_its_jobs_carry_its_labels_and_list_jobs_finds_them(
    vertex: VertexServer,
) -> None:
    job = vertex.job(
        "rows", parameter_values={"n": 1}, labels={"team": "nightly"}, enable_caching=False
    )
    # Every minute since two minutes ago: a slot is due at once, and max_run_count=1
    # keeps it to one run.
    schedule = job.create_schedule(
        cron="* * * * *",
        display_name="fires at once",
        start_time=_rfc3339(datetime.now(UTC) - timedelta(minutes=2)),
        max_run_count=1,
    )
    assert schedule.gca_resource.create_pipeline_job_request.pipeline_job.labels == {
        "team": "nightly"
    }
    _until("the schedule started its job", lambda: len(schedule.list_jobs()) == 1)
    (fired,) = schedule.list_jobs()
    assert fired.gca_resource.schedule_name == schedule.resource_name
    assert fired.gca_resource.labels == {"team": "nightly"}
    wait(fired)
    assert fired.state.name == "PIPELINE_STATE_SUCCEEDED"
    resource = _resource(schedule)
    assert resource.started_run_count == 1
    assert resource.state == Schedule.State.COMPLETED
    assert not resource.next_run_time  # nothing more fires
    # The job is in the schedule's location: another project sees neither.
    vertex.init(project="other-project")
    try:
        with pytest.raises(exceptions.NotFound):
            aiplatform.PipelineJob.get(fired.resource_name.rsplit("/", 1)[-1])
    finally:
        vertex.init()


def _paused_with_missed_slots(vertex: VertexServer, name: str) -> aiplatform.PipelineJobSchedule:
    """A paused schedule whose every slot (one a minute for ten minutes) was missed."""
    job = vertex.job("rows", parameter_values={"n": 1}, enable_caching=False)
    schedule = job.create_schedule(
        cron="* * * * *", display_name=name, start_time="2035-01-01T00:00:00Z", max_run_count=2
    )
    schedule.pause()
    assert schedule.state == Schedule.State.PAUSED
    now = datetime.now(UTC)
    schedule.update(
        start_time=_rfc3339(now - timedelta(minutes=10)),
        end_time=_rfc3339(now - timedelta(minutes=1)),
    )
    assert schedule.state == Schedule.State.PAUSED
    return schedule


def test_resume_skips_the_slots_missed_while_paused_unless_asked_to_catch_up(
    vertex: VertexServer,
) -> None:
    skipping = _paused_with_missed_slots(vertex, "skips missed slots")
    before = datetime.now(UTC) - timedelta(seconds=1)
    # The SDK sends no catchUp whatever resume(catch_up=...) says: Vertex then skips them.
    skipping.resume(catch_up=True)
    resource = _resource(skipping)
    assert resource.state == Schedule.State.COMPLETED  # every slot was missed and skipped
    assert resource.started_run_count == 0 and not resource.catch_up
    assert resource.last_resume_time >= before
    assert resource.last_pause_time <= resource.last_resume_time
    assert skipping.list_jobs() == []

    catching = _paused_with_missed_slots(vertex, "catches up")
    # The request's catch_up (the GAPIC client sends it): the missed slots fire, oldest
    # first, up to max_run_count.
    catching.api_client.resume_schedule(request={"name": catching.resource_name, "catch_up": True})
    _until("both runs started", lambda: _resource(catching).started_run_count == 2)
    resource = _resource(catching)
    assert resource.catch_up
    assert resource.state == Schedule.State.COMPLETED
    assert len(catching.list_jobs()) == 2

    with pytest.raises(exceptions.BadRequest, match="only a paused schedule can be resumed"):
        catching.resume()


def test_list_filters_by_vertex_fields_and_locations_keep_their_schedules(
    vertex: VertexServer,
) -> None:
    job = vertex.job("rows")
    nightly = job.create_schedule(cron="0 3 * * *", display_name="filtered-nightly")
    ending = job.create_schedule(
        cron="0 4 * * *", display_name="filtered-ending", end_time="2099-01-01T00:00:00Z"
    )
    ending.pause()

    def names(filter: str) -> set[str]:
        found = aiplatform.PipelineJobSchedule.list(
            filter=f'display_name="filtered-*" AND {filter}'
        )
        return {s.display_name for s in found}

    both = {"filtered-nightly", "filtered-ending"}
    assert names("create_pipeline_job_request:*") == both
    assert names('state="PAUSED"') == {"filtered-ending"}
    assert names('state!="PAUSED"') == {"filtered-nightly"}
    assert names("end_time:*") == {"filtered-ending"}
    assert names("NOT end_time:*") == {"filtered-nightly"}
    assert names('end_time>"2098-01-01T00:00:00Z"') == {"filtered-ending"}
    assert names('next_run_time>"2020-01-01T00:00:00Z"') == {"filtered-nightly"}  # not paused
    assert names('create_time>"2020-01-01T00:00:00Z" AND start_time>"2020-01-01T00:00:00Z"') == both
    assert names('create_time<"2020-01-01T00:00:00Z"') == set()
    assert names('display_name:"nightly" OR state="COMPLETED"') == {"filtered-nightly"}
    assert nightly.resource_name in {
        s.resource_name for s in aiplatform.PipelineJobSchedule.list(order_by="create_time desc")
    }

    vertex.init(project="other-project")
    try:
        assert names("create_pipeline_job_request:*") == set()
        with pytest.raises(exceptions.NotFound, match="no schedule"):
            aiplatform.PipelineJobSchedule.get(nightly.resource_name.rsplit("/", 1)[-1])
    finally:
        vertex.init()


def test_error_answers(vertex: VertexServer) -> None:
    with pytest.raises(exceptions.NotFound, match="no schedule 'nope'"):
        aiplatform.PipelineJobSchedule.get("nope")
    gone = vertex.job("rows").create_schedule(cron="0 2 * * *", display_name="deleted")
    gone.delete()
    for call in (gone.pause, gone.resume, gone.delete):
        with pytest.raises(exceptions.NotFound, match="no schedule"):
            call()
    with pytest.raises(exceptions.BadRequest, match="near 'ANDD'"):
        aiplatform.PipelineJobSchedule.list(filter='state="ACTIVE" ANDD display_name="x"')
    with pytest.raises(exceptions.BadRequest, match=r"near '\"soon\"'.*RFC 3339"):
        aiplatform.PipelineJobSchedule.list(filter='next_run_time<"soon"')
    with pytest.raises(exceptions.BadRequest, match="unknown field 'colour'"):
        aiplatform.PipelineJobSchedule.list(filter='colour="red"')
    with pytest.raises(exceptions.BadRequest, match=r"column 19 \(at the end\)"):
        aiplatform.PipelineJobSchedule.list(filter='state="ACTIVE" AND')
    with pytest.raises(exceptions.BadRequest, match="state is a string field"):
        aiplatform.PipelineJobSchedule.list(filter="state=1")
