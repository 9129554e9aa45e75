"""``/recurringruns``: KFP's recurring runs (schedules), plus an in-place PATCH.

Beyond Kubeflow: ``PATCH /recurringruns/{id}`` edits a schedule in place, and
``max_run_count`` (Vertex's) stops a schedule after that many runs. The JSON also shows
``runs_started`` and ``next_run_time`` (Vertex's ``started_run_count`` and next run).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from sluice.errors import UserInputError
from sluice.server import services
from sluice.server.auth import require_token
from sluice.server.config import ServerState, state_of
from sluice.server.cron import normalize_trigger, parse_trigger, to_utc
from sluice.server.errors import bad_request
from sluice.server.kfp_filters import list_json, list_query
from sluice.server.limits import Description, LimitedRoute, Name
from sluice.server.packages import load_spec
from sluice.server.routers.runs import RuntimeConfig, VersionReference
from sluice.server.scheduler import next_slot
from sluice.server.serialize import spec_for_output, ts
from sluice.server.submission import resolve_experiment
from sluice.service.recurring_runs import LIST_KEYS
from sluice.spec.validate import resolve_arguments
from sluice.store.models import RecurringRunRow, utcnow

router = APIRouter(
    tags=["recurring runs"], dependencies=[Depends(require_token)], route_class=LimitedRoute
)

MAX_CONCURRENCY = 10  # Kubeflow's limit
MAX_RUN_COUNT = 2**31 - 1  # fits the store's integer column on every database
MAX_TRIGGER_CHARS = 4096


class RecurringRunIn(BaseModel):
    """The body of CreateRecurringRun (and, every field optional, of PATCH)."""

    model_config = ConfigDict(extra="ignore")

    display_name: Name | None = None
    description: Description | None = None
    experiment_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: VersionReference | None = None
    pipeline_version_id: str | None = None
    runtime_config: RuntimeConfig | None = None
    service_account: Name | None = None
    max_concurrency: int | str | None = None
    trigger: dict[str, Any] | None = None
    mode: str | None = None
    no_catchup: bool | None = None
    max_run_count: int | str | None = None


# -- validation --------------------------------------------------------------------------------


def _max_concurrency(raw: int | str | None) -> int:
    if raw is None or raw == "":
        return 1
    try:
        value = int(raw)
    except (ValueError, OverflowError) as exc:
        raise bad_request(f"max_concurrency must be a whole number, got {raw!r}") from exc
    if not 1 <= value <= MAX_CONCURRENCY:
        raise bad_request(f"max_concurrency must be between 1 and {MAX_CONCURRENCY}, got {value}")
    return value


def _max_run_count(raw: int | str | None) -> int | None:
    if raw is None or raw == "" or raw == 0 or raw == "0":
        return None  # proto3's unset
    try:
        value = int(raw)
    except (ValueError, OverflowError) as exc:
        raise bad_request(f"max_run_count must be a whole number, got {raw!r}") from exc
    if not 1 <= value <= MAX_RUN_COUNT:
        raise bad_request(
            f"max_run_count must be from 1 to {MAX_RUN_COUNT} (or left out), got {value}"
        )
    return value


def _enabled(mode: str | None) -> bool:
    name = (mode or "ENABLE").upper()
    if name in ("ENABLE", "MODE_UNSPECIFIED"):
        return True
    if name == "DISABLE":
        return False
    raise bad_request(f"mode must be ENABLE or DISABLE, got {mode!r}")


def _normal_trigger(trigger: dict[str, Any] | None, created_at: datetime) -> dict[str, Any]:
    if not trigger:
        raise bad_request(
            "a recurring run needs a trigger: {'cron_schedule': {'cron': ...}} or "
            "{'periodic_schedule': {'interval_second': ...}}"
        )
    if len(json.dumps(trigger)) > MAX_TRIGGER_CHARS:
        raise bad_request(f"the trigger is longer than {MAX_TRIGGER_CHARS} characters of JSON")
    return normalize_trigger(trigger, created_at=created_at)


def _stored_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A pipeline spec body (plain IR or both documents) as the two-document form."""
    if "pipeline_spec" in spec and "root" not in spec:
        return {"pipeline_spec": spec["pipeline_spec"], "platform_spec": spec.get("platform_spec")}
    return {"pipeline_spec": spec, "platform_spec": None}


def _check_parameters(pipeline: object, parameters: dict[str, Any]) -> None:
    # The same checks a run gets, now, so a bad schedule is a 400 and not a failing slot.
    resolve_arguments(load_spec(pipeline), parameters)


# -- JSON --------------------------------------------------------------------------------------


def _next_run_time(row: RecurringRunRow) -> datetime | None:
    if row.status != "ENABLED":
        return None
    if row.max_run_count is not None and row.runs_started >= row.max_run_count:
        return None
    try:
        trigger = parse_trigger(row.trigger, created_at=to_utc(row.created_at))
    except UserInputError:
        return None
    return next_slot(row, trigger)


def recurring_run_json(row: RecurringRunRow) -> dict[str, Any]:
    """A RecurringRun: snake_case, int64 fields as strings, unset times left out."""
    trigger = {
        kind: {k: (str(v) if k == "interval_second" else v) for k, v in body.items()}
        for kind, body in (row.trigger or {}).items()
    }
    runtime: dict[str, Any] = {"parameters": (row.runtime_config or {}).get("parameters") or {}}
    if (row.runtime_config or {}).get("pipeline_root"):
        runtime["pipeline_root"] = row.runtime_config["pipeline_root"]
    out: dict[str, Any] = {
        "recurring_run_id": row.id,
        "display_name": row.display_name,
        "runtime_config": runtime,
        "max_concurrency": str(row.max_concurrency),
        "trigger": trigger,
        "mode": "ENABLE" if row.status == "ENABLED" else "DISABLE",
        "status": row.status,
        "no_catchup": row.no_catchup,
        "namespace": row.namespace,
        "runs_started": str(row.runs_started),
    }
    if row.description:
        out["description"] = row.description
    if row.experiment_id:
        out["experiment_id"] = row.experiment_id
    if row.service_account:
        out["service_account"] = row.service_account
    if row.max_run_count is not None:
        out["max_run_count"] = str(row.max_run_count)
    if row.pipeline_spec:
        out["pipeline_spec"] = spec_for_output(row.pipeline_spec)
    else:
        out["pipeline_version_reference"] = {
            "pipeline_id": row.pipeline_id or "",
            "pipeline_version_id": row.pipeline_version_id or "",
        }
    for key, value in (
        ("created_at", row.created_at),
        ("updated_at", row.updated_at),
        ("last_run_scheduled_at", row.last_slot_at),
        ("next_run_time", _next_run_time(row)),
    ):
        text = ts(value)
        if text is not None:
            out[key] = text
    return out


# -- endpoints ---------------------------------------------------------------------------------


def get_recurring_row(state: ServerState, recurring_run_id: str) -> RecurringRunRow:
    """The recurring run with this id, or 404."""
    return services.recurring_runs(state).get(recurring_run_id)


def _source(
    state: ServerState, body: RecurringRunIn
) -> tuple[object, dict[str, Any] | None, str | None, str | None]:
    """The pipeline to check, plus what to store: a spec, or pipeline and version ids."""
    if body.pipeline_spec:
        stored = _stored_spec(body.pipeline_spec)
        return stored, stored, None, None
    reference = body.pipeline_version_reference
    pipeline_id = reference.pipeline_id if reference else None
    version_id = (reference.pipeline_version_id if reference else None) or body.pipeline_version_id
    version = services.pipelines(state).source_of(pipeline_id, version_id)
    if version is not None and version_id:
        return version.pipeline_spec, None, version.pipeline_id, version.id
    if version is not None:
        # No version: each run takes the newest version when it starts.
        return version.pipeline_spec, None, pipeline_id, None
    raise bad_request("a recurring run needs pipeline_spec or pipeline_version_reference")


@router.post("/recurringruns")
def create_recurring_run(body: RecurringRunIn, request: Request) -> dict[str, Any]:
    """Validate and record a recurring run; nothing is written when anything is wrong."""
    state = state_of(request)
    if not (body.display_name or "").strip():
        raise bad_request("a recurring run needs a display_name")
    now = utcnow()
    trigger = _normal_trigger(body.trigger, now)
    max_concurrency = _max_concurrency(body.max_concurrency)
    max_run_count = _max_run_count(body.max_run_count)
    enabled = _enabled(body.mode)
    pipeline, stored_spec, pipeline_id, version_id = _source(state, body)
    config = body.runtime_config or RuntimeConfig()
    parameters = dict(config.parameters or {})
    _check_parameters(pipeline, parameters)
    experiment = resolve_experiment(state, body.experiment_id)
    runtime: dict[str, Any] = {"parameters": parameters}
    if config.pipeline_root:
        runtime["pipeline_root"] = config.pipeline_root
    row = RecurringRunRow(
        display_name=body.display_name,
        description=body.description or None,
        experiment_id=experiment.id,
        namespace=experiment.namespace,
        service_account=body.service_account or None,
        pipeline_spec=stored_spec,
        pipeline_id=pipeline_id,
        pipeline_version_id=version_id,
        runtime_config=runtime,
        trigger=trigger,
        max_concurrency=max_concurrency,
        no_catchup=bool(body.no_catchup),
        max_run_count=max_run_count,
        status="ENABLED" if enabled else "DISABLED",
        created_at=now,
        updated_at=now,
    )
    # The answer is built before the commit: should it fail, nothing is written.
    return services.recurring_runs(state).create(row, recurring_run_json)


@router.get("/recurringruns/{recurring_run_id}")
def get_recurring_run(recurring_run_id: str, request: Request) -> dict[str, Any]:
    """One recurring run."""
    return recurring_run_json(get_recurring_row(state_of(request), recurring_run_id))


@router.get("/recurringruns")
def list_recurring_runs(
    request: Request,
    page_token: str | None = None,
    page_size: int | None = None,
    sort_by: str | None = None,
    filter: str | None = None,
    namespace: str | None = None,
    experiment_id: str | None = None,
) -> dict[str, Any]:
    """Recurring runs, filtered, sorted and paged (the key is camelCase, as in KFP)."""
    query = list_query(
        LIST_KEYS, filter=filter, sort_by=sort_by, page_token=page_token, page_size=page_size
    )
    page = services.recurring_runs(state_of(request)).list(
        query, namespace=namespace, experiment_id=experiment_id
    )
    return list_json(page, key="recurringRuns", to_json=recurring_run_json)


def _set_status(request: Request, recurring_run_id: str, enabled: bool) -> dict[str, Any]:
    services.recurring_runs(state_of(request)).set_enabled(recurring_run_id, enabled)
    return {}


@router.post("/recurringruns/{recurring_run_id}:enable")
def enable_recurring_run(recurring_run_id: str, request: Request) -> dict[str, Any]:
    """Enable; slots missed while disabled follow the catch-up rule (see the scheduler)."""
    return _set_status(request, recurring_run_id, True)


@router.post("/recurringruns/{recurring_run_id}:disable")
def disable_recurring_run(recurring_run_id: str, request: Request) -> dict[str, Any]:
    """Disable: no more runs start; runs already started carry on."""
    return _set_status(request, recurring_run_id, False)


@router.delete("/recurringruns/{recurring_run_id}")
def delete_recurring_run(recurring_run_id: str, request: Request) -> dict[str, Any]:
    """Delete the schedule; the runs it started are kept (they still name it)."""
    services.recurring_runs(state_of(request)).delete(recurring_run_id)
    return {}


@router.patch("/recurringruns/{recurring_run_id}")
def update_recurring_run(
    recurring_run_id: str, body: RecurringRunIn, request: Request
) -> dict[str, Any]:
    """Edit a schedule in place (Sluice's addition): only the fields sent change.

    Editable: trigger, max_concurrency, no_catchup, runtime_config (parameters,
    pipeline_root), display_name, description, max_run_count (null removes it) and mode.
    Slots already handled stay handled when the trigger changes.
    """
    state = state_of(request)
    current = get_recurring_row(state, recurring_run_id)
    sent = body.model_fields_set
    fixed = sent & {"pipeline_spec", "pipeline_version_reference", "pipeline_version_id"}
    if fixed or ("experiment_id" in sent and body.experiment_id != current.experiment_id):
        raise bad_request(
            "the pipeline and experiment of a recurring run cannot change; create a new one"
        )
    changes: dict[str, Any] = {}
    if "display_name" in sent:
        if not (body.display_name or "").strip():
            raise bad_request("display_name must not be empty")
        changes["display_name"] = body.display_name
    if "description" in sent:
        changes["description"] = body.description or None
    if "trigger" in sent:
        changes["trigger"] = _normal_trigger(body.trigger, to_utc(current.created_at))
    if "max_concurrency" in sent:
        changes["max_concurrency"] = _max_concurrency(body.max_concurrency)
    if "no_catchup" in sent:
        changes["no_catchup"] = bool(body.no_catchup)
    if "max_run_count" in sent:
        changes["max_run_count"] = _max_run_count(body.max_run_count)
    if "mode" in sent:
        changes["status"] = "ENABLED" if _enabled(body.mode) else "DISABLED"
    if "runtime_config" in sent and body.runtime_config is not None:
        config = body.runtime_config
        runtime = dict(current.runtime_config or {})
        if "parameters" in config.model_fields_set:
            runtime["parameters"] = dict(config.parameters or {})
        if "pipeline_root" in config.model_fields_set:
            runtime["pipeline_root"] = config.pipeline_root or None
        if current.pipeline_spec:
            pipeline: object = current.pipeline_spec
        else:
            pipeline = _source(
                state,
                RecurringRunIn(
                    pipeline_version_reference=VersionReference(
                        pipeline_id=current.pipeline_id,
                        pipeline_version_id=current.pipeline_version_id,
                    )
                ),
            )[0]
        _check_parameters(pipeline, runtime.get("parameters") or {})
        changes["runtime_config"] = {k: v for k, v in runtime.items() if v is not None}
    return services.recurring_runs(state).update(recurring_run_id, changes, recurring_run_json)
