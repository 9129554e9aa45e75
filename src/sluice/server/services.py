"""The services a request uses, built from the server's state (its store and hooks)."""

from __future__ import annotations

from sluice.server.config import ServerState
from sluice.server.scheduler import derived_columns
from sluice.service.events import EventService
from sluice.service.experiments import ExperimentService
from sluice.service.pipelines import PipelineService
from sluice.service.recurring_runs import RecurringRunService
from sluice.service.runs import RunService


def _wake_scheduler(state: ServerState) -> None:
    if state.scheduler is not None:
        state.scheduler.wake()


def experiments(state: ServerState) -> ExperimentService:
    """Experiments; archiving one wakes the scheduler (its recurring runs stop)."""
    return ExperimentService(state.store, on_schedules_changed=lambda: _wake_scheduler(state))


def runs(state: ServerState) -> RunService:
    """Runs; the run manager (when background execution is on) executes them."""
    return RunService(state.store, state.config.settings, executor=state.manager)


def pipelines(state: ServerState) -> PipelineService:
    """Pipelines and their versions."""
    return PipelineService(state.store)


def recurring_runs(state: ServerState) -> RecurringRunService:
    """Recurring runs; every change wakes the scheduler and keeps ``next_run_at``."""
    return RecurringRunService(
        state.store, on_schedules_changed=lambda: _wake_scheduler(state), derive=derived_columns
    )


def events(state: ServerState) -> EventService:
    """The events of the store's runs (the SSE stream)."""
    return EventService(state.store)
