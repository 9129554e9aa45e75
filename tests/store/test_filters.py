"""The metadata filter language selects the same rows on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from tests.states import move_run, move_task
from tests.store_rows import new_run, new_task

from sluice.errors import InvalidFilterError, UserInputError
from sluice.store.filters import (
    ARTIFACTS,
    CONTEXTS,
    EXECUTIONS,
    FilterTarget,
    compile_filter,
    compile_order_by,
)
from sluice.store.models import ArtifactRow, ContextRow, ExecutionRow
from sluice.store.repository import Store

UTC = timezone.utc


@dataclass
class Data:
    """What the ``data`` fixture inserted: ids by label."""

    runs: dict[str, str]  # run name -> run id
    artifacts: dict[str, int]  # display name -> id
    executions: dict[str, int]  # label -> id
    contexts: dict[str, int]  # context name -> id


def _run(store: Store, name: str, pipeline: str) -> str:
    run_id = new_run(store, name=name, pipeline_name=pipeline).id
    move_run(store, run_id, "RUNNING")
    return run_id


def _task(store: Store, run_id: str, name: str) -> str:
    task_id = new_task(store, run_id, name=name).id
    move_task(store, task_id, "RUNNING")
    return task_id


ARTIFACT_ROWS = [
    # display name, schema, uri, name, metadata, run, created at
    (
        "m1",
        "system.Model",
        "gs://bucket/train/m1",
        "model",
        {"accuracy": 0.95, "framework": "pytorch", "flag": True, "a.b": 1, "é": "x", 'q"t': 3},
        "run-one",
        datetime(2026, 1, 1, tzinfo=UTC),
    ),
    (
        "m2",
        "system.Model",
        "gs://bucket/eval/m2",
        "model",
        {"accuracy": 0.85, "framework": "tensorflow", "flag": False},
        "run-one",
        datetime(2026, 1, 2, 0, 0, 0, 500000, tzinfo=UTC),
    ),
    (
        "ds",
        "system.Dataset",
        "s3://data/train_set.csv",
        "dataset",
        {"accuracy": "0.99", "rows": 100, "framework": "pytorch-lightning"},
        "run-two",
        datetime(2026, 1, 3, tzinfo=UTC),
    ),
    (
        "met",
        "system.Metrics",
        "/tmp/metrics%",
        "metrics",
        {"accuracy": 1, "flag": "true"},
        None,
        datetime(2026, 1, 4, tzinfo=UTC),
    ),
    (
        "m3",
        "system.Model",
        "gs://bucket/train/m3",
        "model-3",
        {},
        "run-two",
        datetime(2026, 1, 5, tzinfo=UTC),
    ),
]
ALL_ARTIFACTS = {"m1", "m2", "ds", "met", "m3"}


@pytest.fixture
def data(store: Store) -> Data:
    """Two runs of two pipelines, five artifacts, three executions."""
    runs = {
        "run-one": _run(store, "run-one", "pipe-a"),
        "run-two": _run(store, "run-two", "pipe-b"),
    }
    tasks = {name: _task(store, run_id, name) for name, run_id in runs.items()}
    artifacts: dict[str, int] = {}
    for label, schema, uri, name, metadata, run, created in ARTIFACT_ROWS:
        artifacts[label] = store.create_artifact(
            uri=uri,
            name=name,
            display_name=label,
            schema_title=schema,
            schema_version="0.0.2" if label == "m3" else "0.0.1",
            metadata=metadata,
            run_id=runs[run] if run else None,
            producer_task_id=tasks[run] if run else None,
        )
        with store.session() as session:
            values = {"created_at": created, "updated_at": created}
            if label == "m1":
                values["digest"] = "sha256:aaa"
            session.execute(
                update(ArtifactRow).where(ArtifactRow.id == artifacts[label]).values(**values)
            )

    def execution(run: str, component: str, inputs: dict[str, object], fp: str | None) -> int:
        return store.create_execution(
            run_id=runs[run],
            task_id=tasks[run],
            pipeline_name="pipe",
            component_name=component,
            type_="system.ContainerExecution",
            attempt=1,
            state="RUNNING",
            input_parameters=inputs,
            fingerprint=fp,
            cache_enabled=True,
        )

    e1 = execution("run-one", "comp-train", {"lr": 0.1, "epochs": 3, "mode": "fast"}, "fp1")
    store.finish_execution(e1, state="COMPLETE", output_parameters={"score": 0.8, "mode": "slow"})
    e2 = execution("run-two", "comp-eval", {"lr": 0.01}, None)
    store.finish_execution(e2, state="FAILED")
    e3 = execution("run-one", "comp-train", {"lr": 0.5}, None)
    with store.session() as session:
        contexts = {row.name: row.id for row in session.scalars(select(ContextRow))}
    return Data(runs, artifacts, {"e1": e1, "e2": e2, "e3": e3}, contexts)


def _select(store: Store, target: FilterTarget, filter_text: str | None) -> set[str]:
    condition = compile_filter(filter_text, target)
    label = {
        "artifacts": ArtifactRow.display_name,
        "executions": ExecutionRow.id,
        "contexts": ContextRow.name,
    }[target.name]
    query = select(label)
    if condition is not None:
        query = query.where(condition)
    with store.session() as session:
        return {str(value) for value in session.scalars(query)}


def _check(
    store: Store,
    target: FilterTarget,
    cases: list[tuple[str, set[str]]],
    ids: dict[str, int] | None = None,
) -> None:
    by_id = {str(v): k for k, v in (ids or {}).items()}
    failures = []
    for filter_text, expected in cases:
        got = {by_id.get(value, value) for value in _select(store, target, filter_text)}
        if got != expected:
            failures.append(f"{filter_text!r}: got {sorted(got)}, expected {sorted(expected)}")
    assert not failures, "\n".join(failures)


def test_artifact_fields_and_strings(store: Store, data: Data) -> None:
    m1 = data.artifacts["m1"]
    _check(
        store,
        ARTIFACTS,
        [
            ('schema_title="system.Model"', {"m1", "m2", "m3"}),
            ('display_name="m1"', {"m1"}),
            ('display_name = "m1"', {"m1"}),
            ('name="model"', {"m1", "m2"}),
            ('schema_version="0.0.2"', {"m3"}),
            ('uri:"train"', {"m1", "ds", "m3"}),
            ('uri:"TRAIN"', set()),  # case-sensitive on both databases
            ('uri:"train_"', {"ds"}),  # "_" and "%" are not wildcards
            ('uri:"%"', {"met"}),
            ('uri="gs://*/m1"', {"m1"}),  # "*" is a wildcard in "="
            ('uri="gs://bucket/train/m?"', set()),
            ('uri="gs://bucket/train/m\\*"', set()),  # "\*" is a star
            ('uri="gs://bucket/train/*"', {"m1", "m3"}),
            ('display_name!="m1"', ALL_ARTIFACTS - {"m1"}),
            ('display_name<"m2"', {"ds", "m1"}),
            ('digest="sha256:aaa"', {"m1"}),
            ('digest!="sha256:aaa"', ALL_ARTIFACTS - {"m1"}),  # NULL digests are not equal
            ("digest:*", {"m1"}),
            ("NOT digest:*", ALL_ARTIFACTS - {"m1"}),
            (f'run_id="{data.runs["run-one"]}"', {"m1", "m2"}),
            ("run_id:*", ALL_ARTIFACTS - {"met"}),
            (f"id={m1}", {"m1"}),
            (f'id="{m1}"', {"m1"}),
            (f"id>{m1}", ALL_ARTIFACTS - {"m1"}),
            ("update_time:*", ALL_ARTIFACTS),
        ],
    )


def test_artifact_timestamps(store: Store, data: Data) -> None:
    _check(
        store,
        ARTIFACTS,
        [
            ('create_time>"2026-01-02T00:00:00Z"', {"m2", "ds", "met", "m3"}),
            ('create_time>"2026-01-02T00:00:00.5Z"', {"ds", "met", "m3"}),
            ('create_time>="2026-01-02T00:00:00.500000000Z"', {"m2", "ds", "met", "m3"}),
            ('create_time<"2026-01-02T01:00:00+01:00"', {"m1"}),  # 00:00 UTC
            ('create_time<"2026-01-01T20:00:00-04:00"', {"m1"}),  # 00:00 UTC next day
            ('create_time<"2026-01-02T00:00:01"', {"m1", "m2"}),  # no offset: UTC
            ('create_time="2026-01-01T00:00:00Z"', {"m1"}),
            ('create_time!="2026-01-01T00:00:00Z"', ALL_ARTIFACTS - {"m1"}),
            ('create_time>="2026-01-04"', {"met", "m3"}),
            ('update_time<="2026-01-01T00:00:00Z"', {"m1"}),
        ],
    )


def test_artifact_metadata(store: Store, data: Data) -> None:
    _check(
        store,
        ARTIFACTS,
        [
            # A string "0.99" is not a number: skipped, and PostgreSQL does not try to cast it.
            ("metadata.accuracy.number_value>0.9", {"m1", "met"}),
            ("metadata.accuracy.number_value>=1", {"met"}),
            ("metadata.accuracy.number_value=1", {"met"}),
            ("metadata.accuracy.number_value<0.9", {"m2"}),
            ("metadata.accuracy.number_value != 1", {"m1", "m2", "ds", "m3"}),
            ('metadata.accuracy.string_value="0.99"', {"ds"}),
            ('metadata.framework.string_value="pytorch"', {"m1"}),
            ('metadata.framework.string_value:"torch"', {"m1", "ds"}),
            ('metadata.framework.string_value="py*"', {"m1", "ds"}),
            ('metadata.framework="pytorch"', {"m1"}),  # untyped: the literal's type decides
            ("metadata.accuracy>0.9", {"m1", "met"}),
            ("metadata.flag.bool_value=true", {"m1"}),  # the string "true" is no boolean
            ("metadata.flag.bool_value=false", {"m2"}),
            ("metadata.flag.bool_value!=true", ALL_ARTIFACTS - {"m1"}),
            ("metadata.flag=true", {"m1"}),
            ("metadata.flag:*", {"m1", "m2", "met"}),
            ("metadata.flag.bool_value:*", {"m1", "m2"}),
            ("metadata.rows:*", {"ds"}),
            ("metadata.rows.number_value=100", {"ds"}),
            ("NOT metadata.accuracy.number_value>0.9", {"m2", "ds", "m3"}),
            ("-metadata.accuracy.number_value>0.9", {"m2", "ds", "m3"}),
            ('metadata."a.b".number_value=1', {"m1"}),
            ('metadata."é".string_value="x"', {"m1"}),
            ('metadata."q\\"t".number_value=3', {"m1"}),
            ('metadata."q\\"t":*', {"m1"}),
            ("metadata.missing.number_value>0", set()),
            ("metadata.desc.number_value>0", set()),  # keywords are fine as keys
        ],
    )


def test_logic_and_in_context(store: Store, data: Data) -> None:
    run_one = data.runs["run-one"]
    _check(
        store,
        ARTIFACTS,
        [
            ('schema_title="system.Model" AND metadata.accuracy.number_value>0.9', {"m1"}),
            (
                'schema_title="system.Model" AND (display_name="m1" OR display_name="m3")',
                {"m1", "m3"},
            ),
            # AIP-160: OR binds tighter than AND.
            ('display_name="m1" OR display_name="m2" AND schema_title="system.Dataset"', set()),
            (
                '(display_name="m1" OR display_name="m2") AND schema_title="system.Model"',
                {"m1", "m2"},
            ),
            ('display_name="m1" OR (display_name="m2" AND schema_title="system.Dataset")', {"m1"}),
            ('NOT (schema_title="system.Model" OR schema_title="system.Dataset")', {"met"}),
            ('NOT NOT display_name="m1"', {"m1"}),
            ('-(display_name="m1")', ALL_ARTIFACTS - {"m1"}),
            ('in_context("run-one")', {"m1", "m2"}),  # a run name
            (f'in_context("{run_one}")', {"m1", "m2"}),  # a run context's name: the run id
            ('in_context("pipe-b")', {"ds", "m3"}),  # a pipeline context's name
            (f'in_context("{data.contexts["pipe-b"]}")', {"ds", "m3"}),  # a context id
            ('in_context("nope")', set()),
            ('NOT in_context("run-one")', {"ds", "met", "m3"}),
            ('in_context("run-one") AND schema_title="system.Model" AND uri:"train"', {"m1"}),
        ],
    )


def test_execution_filters(store: Store, data: Data) -> None:
    _check(
        store,
        EXECUTIONS,
        [
            ('state="COMPLETE"', {"e1"}),
            ('component="comp-train"', {"e1", "e3"}),
            ('display_name="comp-*"', {"e1", "e2", "e3"}),
            ('schema_title="system.ContainerExecution"', {"e1", "e2", "e3"}),
            ("metadata.lr.number_value>0.05", {"e1", "e3"}),
            ('metadata.mode="slow"', {"e1"}),  # an output shadows the input of the same name
            ('metadata.mode="fast"', set()),
            ('input_parameters.mode.string_value="fast"', {"e1"}),
            ("output_parameters.score.number_value>0.5", {"e1"}),
            ("output_parameters.lr:*", set()),
            ("metadata.score:*", {"e1"}),
            ("metadata.epochs:*", {"e1"}),
            ("update_time:*", {"e1", "e2"}),
            ("NOT update_time:*", {"e3"}),
            ('update_time>"2000-01-01T00:00:00Z"', {"e1", "e2"}),
            ('NOT update_time>"2000-01-01T00:00:00Z"', {"e3"}),
            ('create_time>"2000-01-01T00:00:00Z"', {"e1", "e2", "e3"}),
            ('fingerprint="fp1"', {"e1"}),
            ('fingerprint!="fp1"', {"e2", "e3"}),
            ('in_context("run-one")', {"e1", "e3"}),
            ('in_context("pipe-b")', {"e2"}),
            (f'run_id="{data.runs["run-two"]}"', {"e2"}),
            (f"id={data.executions['e2']}", {"e2"}),
        ],
        data.executions,
    )


def test_context_filters(store: Store, data: Data) -> None:
    run_one, run_two = data.runs["run-one"], data.runs["run-two"]
    _check(
        store,
        CONTEXTS,
        [
            ('schema_title="system.PipelineRun"', {run_one, run_two}),
            ('schema_title="system.Pipeline"', {"pipe-a", "pipe-b"}),
            ('display_name:"pipe-"', {"pipe-a", "pipe-b"}),
            ('name="pipe-a"', {"pipe-a"}),
            ('metadata.name.string_value="run-one"', {run_one}),  # a run context's properties
            (f"id={data.contexts['pipe-b']}", {"pipe-b"}),
            ('create_time>"2000-01-01T00:00:00Z"', {run_one, run_two, "pipe-a", "pipe-b"}),
        ],
    )
    with pytest.raises(InvalidFilterError, match="in_context\\(\\) does not apply to contexts"):
        compile_filter('in_context("x")', CONTEXTS)


def _ordered(store: Store, order_by: str | None, filter_text: str | None = None) -> list[str]:
    query = select(ArtifactRow.display_name).order_by(*compile_order_by(order_by, ARTIFACTS))
    condition = compile_filter(filter_text, ARTIFACTS)
    if condition is not None:
        query = query.where(condition)
    with store.session() as session:
        return list(session.scalars(query))


def test_order_by(store: Store, data: Data) -> None:
    assert _ordered(store, None) == ["m3", "met", "ds", "m2", "m1"]
    assert _ordered(store, "") == ["m3", "met", "ds", "m2", "m1"]
    assert _ordered(store, "create_time desc") == ["m3", "met", "ds", "m2", "m1"]
    assert _ordered(store, "create_time") == ["m1", "m2", "ds", "met", "m3"]
    assert _ordered(store, "create_time ASC") == ["m1", "m2", "ds", "met", "m3"]
    assert _ordered(store, "display_name desc") == ["met", "m3", "m2", "m1", "ds"]
    assert _ordered(store, "schema_title, create_time desc") == ["ds", "met", "m3", "m2", "m1"]
    assert _ordered(store, "schema_title desc,display_name") == ["m1", "m2", "m3", "met", "ds"]
    # JSON keys sort by their typed value, rows without one last (id breaks ties).
    assert _ordered(store, "metadata.accuracy.number_value desc") == [
        "met",
        "m1",
        "m2",
        "m3",
        "ds",
    ]
    assert _ordered(store, "metadata.accuracy.number_value") == ["m2", "m1", "met", "ds", "m3"]
    assert _ordered(store, "digest desc")[0] == "m1"
    assert _ordered(store, "digest")[0] == "m1"
    assert _ordered(store, "id desc") == ["m3", "met", "ds", "m2", "m1"]
    assert _ordered(store, "create_time desc", 'schema_title="system.Model"') == ["m3", "m2", "m1"]


def test_order_by_clauses_end_with_id() -> None:
    def sql(order_by: str | None) -> str:
        query = select(ArtifactRow.id).order_by(*compile_order_by(order_by, ARTIFACTS))
        return str(query.compile(dialect=sqlite.dialect())).split("ORDER BY ")[1]

    assert sql(None) == "artifacts.created_at DESC, artifacts.id DESC"
    assert sql("create_time") == "artifacts.created_at ASC, artifacts.id ASC"
    assert sql("id, create_time desc") == "artifacts.id ASC, artifacts.created_at DESC"
    assert sql("digest desc") == "artifacts.digest DESC NULLS LAST, artifacts.id DESC"
    executions = select(ExecutionRow.id).order_by(*compile_order_by(None, EXECUTIONS))
    assert "executions.started_at DESC, executions.id DESC" in str(executions)


@pytest.mark.parametrize(
    ("order_by", "message"),
    [
        (
            "create_time down",
            "invalid order_by at column 13 (near 'down'): expected asc, desc, a '.', a ',' "
            "or the end of the order_by — order_by: create_time down",
        ),
        (
            "created desc",
            "invalid order_by at column 1 (near 'created'): unknown field 'created'; "
            "the artifacts fields are: create_time, description, digest, display_name, id, "
            "name, run_id, schema_title, schema_version, state, update_time, uri, "
            'metadata.<key>.number_value|string_value|bool_value, in_context("...")'
            " — order_by: created desc",
        ),
        (
            "create_time desc,",
            "invalid order_by at column 18 (at the end): expected a field name"
            " — order_by: create_time desc,",
        ),
        ("metadata.accuracy desc", "add .number_value, .string_value or .bool_value"),
        ("uri desc desc", "at column 10 (near 'desc'): expected a ',' or the end of the order_by"),
    ],
)
def test_order_by_errors(order_by: str, message: str) -> None:
    with pytest.raises(InvalidFilterError) as info:
        compile_order_by(order_by, ARTIFACTS)
    assert message in str(info.value)


FIELDS = (
    "create_time, description, digest, display_name, id, name, run_id, schema_title, "
    "schema_version, state, update_time, uri, "
    'metadata.<key>.number_value|string_value|bool_value, in_context("...")'
)


@pytest.mark.parametrize(
    ("filter_text", "message"),
    [
        (
            'schema_title="x" AND AND uri:"a"',
            "invalid filter at column 22 (near 'AND'): expected a field name, a '(' or NOT"
            ' — filter: schema_title="x" AND AND uri:"a"',
        ),
        (
            "schema_title=",
            "invalid filter at column 14 (at the end): expected a value "
            '(a "string", a number, true or false) — filter: schema_title=',
        ),
        ('(uri:"a"', "at column 9 (at the end): expected AND, OR or a ')'"),
        ('uri:"a")', "at column 8 (near ')'): unmatched ')'"),
        (
            'uri:"a" and display_name="b"',
            "at column 9 (near 'and'): expected AND, OR or the end of the filter "
            "(AND, OR and NOT are written in upper case)",
        ),
        (
            'uri ~ "a"',
            "at column 5 (near '~'): expected an operator (= != < <= > >= :), a '.' or a '('",
        ),
        ('uri == "a"', "at column 6 (near '='): expected a value"),
        ('uri="a', "at column 5 (near '\"a'): unterminated string: the closing '\"' is missing"),
        ('in_context("a" "b")', "at column 16 (near '\"b\"'): expected a ',' or a ')'"),
        ("AND", "at column 1 (near 'AND'): expected a field name, a '(' or NOT"),
        (
            'foo="x"',
            f"at column 1 (near 'foo'): unknown field 'foo'; the artifacts fields are: {FIELDS}",
        ),
        ('uri.x="a"', "at column 1 (near 'uri'): field 'uri' has no sub-fields"),
        (
            "schema_title=1",
            "at column 14 (near '1'): schema_title is a string field: quote the value, "
            'e.g. schema_title="..."',
        ),
        (
            'create_time>"yesterday"',
            "at column 13 (near '\"yesterday\"'): create_time is a timestamp: compare it with a "
            'quoted RFC 3339 time such as "2026-01-01T00:00:00Z"',
        ),
        ('create_time>"2026-13-01T00:00:00Z"', "create_time is a timestamp"),
        ("create_time>5", "create_time is a timestamp"),
        (
            'create_time:"2026"',
            "at column 12 (near ':'): operator ':' applies to strings and create_time is a "
            "timestamp field; use = != < <= > >=",
        ),
        ("id:1", "operator ':' applies to strings and id is an integer field"),
        ("id=1.5", "at column 4 (near '1.5'): id is an integer field"),
        ('id="x1"', "id is an integer field"),
        (
            "metadata.flag.bool_value>true",
            "at column 25 (near '>'): operator '>' does not apply to booleans; use = or !=",
        ),
        (
            'metadata.accuracy.number_value="high"',
            "at column 32 (near '\"high\"'): metadata.accuracy.number_value holds a number: "
            "compare it with a number such as 0.9",
        ),
        ("metadata.x.string_value=1", 'holds a string: compare it with a quoted "string"'),
        ("metadata.x.bool_value=1", "holds a boolean: compare it with true/false"),
        ("metadata.x.number_value:1", "at column 24 (near ':'): operator ':' applies to strings"),
        (
            "metadata.accuracy.float_value>1",
            "at column 1 (near 'metadata'): expected metadata.<key>.number_value, string_value "
            'or bool_value; quote a key holding dots: metadata."a.b".number_value',
        ),
        ("metadata.a.b.number_value>1", "expected metadata.<key>.number_value"),
        ("metadata>1", "metadata needs a key"),
        ("uri=*", "at column 5 (near '*'): '*' alone is only valid after ':'"),
        ("metadata.x=*", "'*' alone is only valid after ':'"),
        ("in_context()", "at column 1 (near 'in_context'): in_context() takes one quoted argument"),
        ("in_context(1)", "at column 12 (near '1'): in_context() takes one quoted argument"),
        ('in_context("a", "b")', "in_context() takes one quoted argument"),
        ('in_ctx("a")', "at column 1 (near 'in_ctx'): unknown function 'in_ctx'"),
        ('uri="a\\qb"', "at column 7 (near '\\qb\"'): unknown escape '\\q' in a string"),
        ("metadata.x.number_value>1e999", "at column 25 (near '1e999'): number out of range"),
        ("id=99999999999999999999", "id is an integer field"),
        ("(" * 70 + 'uri:"a"' + ")" * 70, "nests deeper than 64 levels"),
    ],
)
def test_filter_errors(filter_text: str, message: str) -> None:
    with pytest.raises(InvalidFilterError) as info:
        compile_filter(filter_text, ARTIFACTS)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, UserInputError)


def test_execution_field_errors_list_execution_fields() -> None:
    with pytest.raises(InvalidFilterError, match="the executions fields are: component, "):
        compile_filter('uri="x"', EXECUTIONS)
    assert compile_filter("input_parameters.lr.number_value>1", EXECUTIONS) is not None
    with pytest.raises(InvalidFilterError, match="unknown field 'input_parameters'"):
        compile_filter("input_parameters.lr>1", ARTIFACTS)


@pytest.mark.parametrize(
    "filter_text",
    [
        'schema_title="system.Model"',
        '  display_name = "model"  ',
        'uri:"train"',
        'create_time>"2026-01-01T00:00:00Z"',
        'create_time>"2026-01-01T00:00:00.123456789+05:30"',
        'create_time>"2026-01-01t00:00:00z"',
        "metadata.accuracy.number_value>0.9",
        "metadata.accuracy.number_value>=-1e-3",
        "metadata.accuracy.number_value>.5",
        'metadata.framework.string_value="pytorch"',
        "metadata.flag.bool_value=true",
        "metadata.flag.bool_value=FALSE",
        "metadata.f1-score.number_value>0.5",
        'in_context("RUN_ID_OR_NAME")',
        'NOT (uri:"a" OR -uri:"b") AND display_name!="c"',
        'display_name="tab\\t\\u00e9\\/"',
        "metadata.AND.number_value>1",
        "metadata.true.bool_value=true",
    ],
)
def test_valid_filters_compile(filter_text: str) -> None:
    assert compile_filter(filter_text, ARTIFACTS) is not None


def test_no_filter() -> None:
    assert compile_filter(None, ARTIFACTS) is None
    assert compile_filter("", ARTIFACTS) is None
    assert compile_filter("  \n ", ARTIFACTS) is None


INJECTIONS = [
    'display_name="x\'; DROP TABLE artifacts; --"',
    'uri:"\'); DELETE FROM artifacts; --"',
    'metadata."x\') OR 1=1 --".number_value>0',
    'metadata."x\\" OR 1=1 --".string_value="a"',
    'metadata."$.accuracy".number_value>0',
    'in_context("1 OR 1=1")',
    'display_name="%" OR display_name="_"',
    'uri="*\'*"',
]


@pytest.mark.parametrize("filter_text", INJECTIONS)
def test_values_and_keys_are_bound_not_spliced(filter_text: str) -> None:
    condition = compile_filter(filter_text, ARTIFACTS)
    assert condition is not None
    for dialect in (sqlite.dialect(), postgresql.psycopg.dialect()):  # type: ignore[attr-defined]
        sql = str(select(ArtifactRow.id).where(condition).compile(dialect=dialect))
        for fragment in ("DROP", "DELETE", "1=1", "x'", "$.accuracy", '%"', "'%'"):
            assert fragment not in sql, (fragment, sql)


def test_injection_attempts_are_harmless(store: Store, data: Data) -> None:
    for filter_text in INJECTIONS:
        assert _select(store, ARTIFACTS, filter_text) == set(), filter_text
    assert _select(store, ARTIFACTS, None) == ALL_ARTIFACTS
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ArtifactRow)) == 5


def test_sqlite_plan_walks_the_schema_index(tmp_path: Path) -> None:
    """The benchmark's query reads the (schema_title, created_at) index newest first."""
    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    condition = compile_filter(
        'schema_title="system.Model" AND metadata.accuracy.number_value>0.9', ARTIFACTS
    )
    assert condition is not None
    query = (
        select(ArtifactRow.id)
        .where(condition)
        .order_by(*compile_order_by("create_time desc", ARTIFACTS))
        .limit(100)
    )
    compiled = query.compile(dialect=store.engine.dialect)
    with store.engine.connect() as connection:
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "ix_artifacts_schema_created (schema_title=?)" in details, details
    assert "TEMP B-TREE" not in details, details
