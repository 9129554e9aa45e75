"""``/v1/.../tensorboards``: the TensorBoard bookkeeping Vertex AI Experiments relies on.

``aiplatform.init(experiment=...)`` finds (or creates) the default tensorboard, and
``start_run`` a tensorboard experiment and run per experiment run; ``log_time_series_metrics``
creates time series and writes scalar points, which ``batchRead`` and ``:read`` give back.
Resources are per location, kept by :mod:`sluice.service.tensorboards`. Lists answer in
one page. Creating a tensorboard answers a finished operation, which can be polled again.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sluice.server.config import state_of
from sluice.server.errors import bad_request
from sluice.server.limits import Name, Text
from sluice.server.vertex import shapes
from sluice.server.vertex.errors import VertexRoute, unimplemented
from sluice.server.vertex.pipeline_jobs import PREFIX, location_of
from sluice.service.tensorboards import Point, TensorboardService
from sluice.store.models import TensorboardResourceRow

router = APIRouter(route_class=VertexRoute)
TB = PREFIX + "/tensorboards/{tb}"
EXP = TB + "/experiments/{exp}"
RUN = EXP + "/runs/{run}"
SERIES = RUN + "/timeSeries/{series}"
_TYPE = "type.googleapis.com/google.cloud.aiplatform.v1."
# TensorboardTimeSeries.ValueType by number (requests carry numbers) and name.
_VALUE_TYPES = {0: "VALUE_TYPE_UNSPECIFIED", 1: "SCALAR", 2: "TENSOR", 3: "BLOB_SEQUENCE"}
_FRACTION = re.compile(r"(\.\d{6})\d+")


class ResourceIn(BaseModel):
    """A tensorboard, tensorboard experiment, run or time series as created."""

    model_config = ConfigDict(extra="ignore")

    displayName: Name | None = None
    description: Text | None = None
    labels: dict[str, Name] | None = None
    isDefault: bool | None = None
    source: Name | None = None
    valueType: int | str | None = None
    pluginName: Name | None = None
    pluginData: Text | None = None


class ScalarIn(BaseModel):
    """``TimeSeriesDataPoint.scalar``."""

    model_config = ConfigDict(extra="ignore")

    value: float = 0.0


class PointIn(BaseModel):
    """A ``TimeSeriesDataPoint`` (only scalars are kept)."""

    model_config = ConfigDict(extra="ignore")

    step: int | str = 0
    wallTime: Text | None = None
    scalar: ScalarIn | None = None


class SeriesDataIn(BaseModel):
    """A ``TimeSeriesData``: points of one time series, named by its id."""

    model_config = ConfigDict(extra="ignore")

    tensorboardTimeSeriesId: Name
    valueType: int | str | None = None
    values: list[PointIn] = Field(default_factory=list)


class WriteIn(BaseModel):
    """The body of ``tensorboardRuns.write``."""

    model_config = ConfigDict(extra="ignore")

    timeSeriesData: list[SeriesDataIn] = Field(default_factory=list)


def _service(request: Request) -> TensorboardService:
    return TensorboardService(state_of(request).store)


def _value_type(raw: int | str | None) -> str:
    if isinstance(raw, int):
        return _VALUE_TYPES.get(raw, "VALUE_TYPE_UNSPECIFIED")
    return raw or "SCALAR"


def _body(body: ResourceIn, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"description": body.description, "labels": body.labels or {}}
    if kind == "tensorboard":
        out["isDefault"] = bool(body.isDefault)
    elif kind == "experiment":
        out["source"] = body.source
    elif kind == "time_series":
        out.update(
            valueType=_value_type(body.valueType),
            pluginName=body.pluginName,
            pluginData=body.pluginData,
        )
    return {key: value for key, value in out.items() if value is not None}


def _json(
    location: str, row: TensorboardResourceRow, steps: tuple[int, datetime] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": f"{location}/{row.path}",
        "displayName": row.display_name,
        **row.body,
        "etag": _etag(row.updated_at),
    }
    for key, value in (("createTime", row.created_at), ("updateTime", row.updated_at)):
        text = shapes.ts(value)
        if text is not None:
            out[key] = text
    if row.kind == "time_series" and steps is not None:
        out["metadata"] = {"maxStep": str(steps[0]), "maxWallTime": shapes.ts(steps[1])}
    return out


def _etag(value: datetime) -> str:
    # Changes with every update: the update time in microseconds.
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return str(int(aware.timestamp() * 1_000_000))


def _wall_time(text: str | None) -> datetime:
    if not text:
        return datetime.now(timezone.utc)
    try:
        value = datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request(f"wallTime '{text}' is not an RFC 3339 time") from exc
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _points(data: SeriesDataIn) -> list[Point]:
    if _value_type(data.valueType) not in ("SCALAR", "VALUE_TYPE_UNSPECIFIED"):
        raise unimplemented("Sluice keeps scalar time series points only, not tensors or blobs")
    out = []
    for point in data.values:
        if point.scalar is None:
            raise unimplemented("Sluice keeps scalar time series points only, not tensors or blobs")
        try:
            step = int(point.step)
        except ValueError as exc:
            raise bad_request(f"step '{point.step}' is not an integer") from exc
        out.append(Point(step, point.scalar.value, _wall_time(point.wallTime)))
    return out


def _series_data(row: TensorboardResourceRow, points: list[Point]) -> dict[str, Any]:
    return {
        "tensorboardTimeSeriesId": row.path.rsplit("/", 1)[-1],
        "valueType": row.body.get("valueType", "SCALAR"),
        "values": [
            {"step": str(p.step), "wallTime": shapes.ts(p.wall_time), "scalar": {"value": p.value}}
            for p in points
        ],
    }


def _listing(key: str, location: str, rows: list[TensorboardResourceRow]) -> dict[str, Any]:
    return {key: [_json(location, row) for row in rows]}


def _deleted(location: str) -> dict[str, Any]:
    return shapes.empty_operation(location, f"delete-{secrets.token_hex(8)}")


def _create_operation(location: str, row: TensorboardResourceRow) -> dict[str, Any]:
    # Strictly parsed by the SDK: name, done and a response of exactly this type.
    return {
        "name": f"{location}/{row.path}/operations/create",
        "done": True,
        "response": {"@type": _TYPE + "Tensorboard", **_json(location, row)},
    }


# -- tensorboards ----------------------------------------------------------------------------


@router.post(PREFIX + "/tensorboards")
def create_tensorboard(
    project: str, location: str, body: ResourceIn, request: Request
) -> dict[str, Any]:
    """Create a tensorboard (named by a number); the operation is done when answered."""
    parent = location_of(project, location)
    row = _service(request).create(
        parent, "tensorboard", display_name=body.displayName, body=_body(body, "tensorboard")
    )
    return _create_operation(parent, row)


@router.get("/ui" + TB[3:] + "/operations/{operation_id}")
@router.get(TB + "/operations/{operation_id}")
def poll_tensorboard_operation(
    project: str, location: str, tb: str, operation_id: str, request: Request
) -> dict[str, Any]:
    """The (finished) operation that created a tensorboard."""
    parent = location_of(project, location)
    return _create_operation(parent, _service(request).get(parent, f"tensorboards/{tb}"))


@router.get(PREFIX + "/tensorboards")
def list_tensorboards(
    project: str, location: str, request: Request, filter: Text | None = None
) -> dict[str, Any]:
    """The location's tensorboards (``filter`` takes ``is_default=true``, ``display_name=``)."""
    parent = location_of(project, location)
    return _listing(
        "tensorboards", parent, _service(request).list(parent, "tensorboard", filter=filter)
    )


@router.get(TB + ":batchRead")
def batch_read(
    project: str,
    location: str,
    tb: str,
    request: Request,
    timeSeries: list[Text] = Query(default_factory=list),  # noqa: B008 (FastAPI's idiom)
) -> dict[str, Any]:
    """The points of several time series of the tensorboard, by full name."""
    parent = location_of(project, location)
    service = _service(request)
    prefix = f"{parent}/tensorboards/{tb}/"
    rows = []
    for name in timeSeries:
        if not name.startswith(prefix):
            raise bad_request(f"time series '{name}' is not in tensorboard {tb}")
        rows.append(service.get(parent, name[len(parent) + 1 :]))
    points = service.points(rows)
    return {"timeSeriesData": [_series_data(row, points.get(row.id, [])) for row in rows]}


@router.get(TB)
def get_tensorboard(project: str, location: str, tb: str, request: Request) -> dict[str, Any]:
    """A tensorboard."""
    parent = location_of(project, location)
    return _json(parent, _service(request).get(parent, f"tensorboards/{tb}"))


@router.delete(TB)
def delete_tensorboard(project: str, location: str, tb: str, request: Request) -> dict[str, Any]:
    """Delete a tensorboard with its experiments, runs and points."""
    parent = location_of(project, location)
    _service(request).delete(parent, f"tensorboards/{tb}")
    return _deleted(parent)


# -- experiments, runs, time series -------------------------------------------------------

_CHILDREN = (
    # kind, the parent's path pattern, the collection, the id query parameter
    ("experiment", TB, "experiments", "tensorboardExperimentId"),
    ("run", EXP, "runs", "tensorboardRunId"),
    ("time_series", RUN, "timeSeries", "tensorboardTimeSeriesId"),
)


def _path(params: dict[str, str], upto: str) -> str:
    """The resource path of a request's path parameters, up to the named one."""
    parts = [
        ("tb", "tensorboards"),
        ("exp", "experiments"),
        ("run", "runs"),
        ("series", "timeSeries"),
    ]
    out = []
    for key, collection in parts:
        out.append(f"{collection}/{params[key]}")
        if key == upto:
            break
    return "/".join(out)


_PARENT_PARAM = {"experiment": "tb", "run": "exp", "time_series": "run"}
_OWN_PARAM = {"experiment": "exp", "run": "run", "time_series": "series"}


def _add_child_routes(kind: str, parent_pattern: str, collection: str, id_param: str) -> None:
    """create, list, get and delete of one kind of child resource."""
    own = f"{parent_pattern}/{collection}/{{{_OWN_PARAM[kind]}}}"
    key = "tensorboardTimeSeries" if kind == "time_series" else f"tensorboard{collection.title()}"

    # The path's parameters are read from the request: one handler serves three depths.
    def create(request: Request, body: ResourceIn) -> dict[str, Any]:
        params = dict(request.path_params)
        parent = location_of(params["project"], params["location"])
        row = _service(request).create(
            parent,
            kind,
            parent_path=_path(params, _PARENT_PARAM[kind]),
            resource_id=request.query_params.get(id_param),
            display_name=body.displayName,
            body=_body(body, kind),
        )
        return _json(parent, row)

    def listing(request: Request, filter: Text | None = None) -> dict[str, Any]:
        params = dict(request.path_params)
        parent = location_of(params["project"], params["location"])
        service = _service(request)
        rows = service.list(
            parent, kind, parent_path=_path(params, _PARENT_PARAM[kind]), filter=filter
        )
        steps = service.max_steps(rows) if kind == "time_series" else {}
        return {key: [_json(parent, row, steps.get(row.id)) for row in rows]}

    def get(request: Request) -> dict[str, Any]:
        params = dict(request.path_params)
        parent = location_of(params["project"], params["location"])
        service = _service(request)
        row = service.get(parent, _path(params, _OWN_PARAM[kind]))
        steps = service.max_steps([row]) if kind == "time_series" else {}
        return _json(parent, row, steps.get(row.id))

    def remove(request: Request) -> dict[str, Any]:
        params = dict(request.path_params)
        parent = location_of(params["project"], params["location"])
        _service(request).delete(parent, _path(params, _OWN_PARAM[kind]))
        return _deleted(parent)

    base = f"{parent_pattern}/{collection}"
    router.add_api_route(base, create, methods=["POST"], name=f"create_tensorboard_{kind}")
    router.add_api_route(base, listing, methods=["GET"], name=f"list_tensorboard_{kind}")
    if kind == "run":
        router.add_api_route(own + ":write", write_run_data, methods=["POST"], name="write_run")
    if kind == "time_series":
        router.add_api_route(own + ":read", read_time_series, methods=["GET"], name="read_series")
    router.add_api_route(own, get, methods=["GET"], name=f"get_tensorboard_{kind}")
    router.add_api_route(own, remove, methods=["DELETE"], name=f"delete_tensorboard_{kind}")


def write_run_data(
    project: str, location: str, tb: str, exp: str, run: str, body: WriteIn, request: Request
) -> dict[str, Any]:
    """Append scalar points to time series of a run (``log_time_series_metrics``)."""
    parent = location_of(project, location)
    path = f"tensorboards/{tb}/experiments/{exp}/runs/{run}"
    data = [(item.tensorboardTimeSeriesId, _points(item)) for item in body.timeSeriesData]
    _service(request).write(parent, path, data)
    return {}


def read_time_series(
    project: str, location: str, tb: str, exp: str, run: str, series: str, request: Request
) -> dict[str, Any]:
    """The points of one time series."""
    parent = location_of(project, location)
    service = _service(request)
    row = service.get(parent, f"tensorboards/{tb}/experiments/{exp}/runs/{run}/timeSeries/{series}")
    return {"timeSeriesData": _series_data(row, service.points([row]).get(row.id, []))}


for _child in _CHILDREN:
    _add_child_routes(*_child)
