"""Runs listed with Vertex AI's pipelineJobs filter, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from tests.states import move_run
from tests.store_rows import new_run

from sluice.errors import InvalidFilterError
from sluice.states import RunState
from sluice.store.repository import Store
from sluice.store.run_filters import list_pipeline_jobs

HERE = "projects/p/locations/us-central1"


def _run(store: Store, name: str, **fields: object) -> str:
    """A run named ``name`` and shown as ``NAME``: the display_name filter tells them apart."""
    return new_run(store, name=name, display_name=name.upper(), **fields).id


def _names(store: Store, filter: str | None, *, location: str = HERE) -> list[str]:
    page = list_pipeline_jobs(store, filter, None, location=location, limit=50, page_token=None)
    return sorted(row.name for row in page.items)


def test_vertex_fields_states_labels_and_locations(store: Store) -> None:
    done = _run(store, "done", labels={"env": "prod"}, location=HERE)
    _run(store, "elsewhere", labels={"env": "prod"}, location="projects/q/locations/us-east1")
    _run(store, "local")  # started outside Vertex: seen from every location
    _run(store, "scheduled", recurring_run_id="sched-1", location=HERE)
    move_run(store, done, RunState.RUNNING)
    move_run(store, done, RunState.SUCCEEDED, finished=True)

    assert _names(store, None) == ["done", "local", "scheduled"]
    assert _names(store, 'labels.env="prod"') == ["done"]
    assert _names(store, 'state="PIPELINE_STATE_SUCCEEDED"') == ["done"]
    assert _names(store, 'state!="PIPELINE_STATE_SUCCEEDED"') == ["local", "scheduled"]
    assert _names(store, 'state="PIPELINE_STATE_PENDING" AND display_name="LO*"') == ["local"]
    assert _names(store, f'schedule_name="{HERE}/schedules/sched-1"') == ["scheduled"]
    assert _names(store, 'pipeline_job_user_id:"on"') == ["done"]
    assert _names(store, 'end_time>"2020-01-01T00:00:00Z"') == ["done"]
    assert _names(store, None, location="projects/q/locations/us-east1") == ["elsewhere", "local"]


def test_an_unknown_field_is_named(store: Store) -> None:
    with pytest.raises(InvalidFilterError, match=r"unknown field 'colour'.*pipeline_job_user_id"):
        _names(store, 'colour="red"')
