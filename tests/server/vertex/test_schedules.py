"""Pipeline job schedules through the real Vertex AI SDK (a real server process)."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from google.cloud.aiplatform_v1.types import Schedule
from tests.server.vertex.conftest import VertexServer


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
