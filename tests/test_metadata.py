"""sluice.metadata end to end: query what real pipeline runs recorded (SQLite)."""

# KFP reads these signatures at compile time: typing.List is the spelling kfp understands.
# ruff: noqa: UP006, UP035

import hashlib
from pathlib import Path
from typing import List

import pytest
from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Model, Output

import sluice
import sluice.metadata as md
from sluice.config import Settings
from sluice.errors import MetadataNotFoundError, UserInputError
from sluice.store.repository import Store


@pytest.fixture(autouse=True)
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty store."""
    home = tmp_path / "sluice-home"
    home.mkdir()
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    return home


# -- pipelines -------------------------------------------------------------------------------


@dsl.component
def make_data(rows: int, data: Output[Dataset]):
    """Writes ``rows`` lines."""
    with open(data.path, "w") as f:
        f.write("\n".join(str(i) for i in range(rows)))
    data.metadata["rows"] = rows


@dsl.component
def train(data: Input[Dataset], lr: float, model: Output[Model]):
    """A "model" whose accuracy is 0.5 + lr."""
    with open(data.path) as f:
        n = len(f.read().splitlines())
    with open(model.path, "w") as f:
        f.write(f"model over {n} rows, lr {lr}")
    model.metadata["accuracy"] = 0.5 + lr
    model.metadata["framework"] = "none"


@dsl.component
def evaluate(model: Input[Model], metrics: Output[Metrics]):
    """Logs the model's accuracy as a metric."""
    metrics.log_metric("accuracy", model.metadata["accuracy"])


@dsl.pipeline(name="md-train")
def train_pipeline(rows: int = 5, lr: float = 0.25):
    """producer → consumer → consumer."""
    d = make_data(rows=rows)
    m = train(data=d.outputs["data"], lr=lr)
    evaluate(model=m.outputs["model"])


@dsl.component
def clean(raw: Input[Dataset], data: Output[Dataset]):
    """Upper-cases the raw text."""
    with open(raw.path) as f, open(data.path, "w") as out:
        out.write(f.read().upper())


@dsl.pipeline(name="md-prepare")
def prepare(raw: Input[Dataset]) -> Dataset:
    """A nested pipeline between the importer and the loop."""
    return clean(raw=raw).outputs["data"]


@dsl.component
def shard(data: Input[Dataset], i: int, part: Output[Dataset]):
    """One shard per loop iteration."""
    with open(data.path) as f, open(part.path, "w") as out:
        out.write(f"{i}:{f.read()}")
    part.metadata["i"] = i


@dsl.component
def combine(parts: Input[List[Dataset]], model: Output[Model]):
    """The final model, made from every shard."""
    with open(model.path, "w") as out:
        for p in parts:
            with open(p.path) as f:
                out.write(f.read() + "\n")


@dsl.pipeline(name="md-deep")
def deep_pipeline(uri: str):
    """importer → nested pipeline → ParallelFor → Collected."""
    imp = dsl.importer(artifact_uri=uri, artifact_class=Dataset, reimport=True)
    prep = prepare(raw=imp.output)
    with dsl.ParallelFor([1, 2, 3]) as i:
        s = shard(data=prep.output, i=i)
    combine(parts=dsl.Collected(s.outputs["part"]))


def _ok(run: sluice.Run) -> sluice.Run:
    assert run.state == "SUCCEEDED", run.error
    return run


def _by_title(artifacts: list[md.Artifact]) -> dict[str, list[md.Artifact]]:
    found: dict[str, list[md.Artifact]] = {}
    for artifact in artifacts:
        found.setdefault(artifact.schema_title, []).append(artifact)
    return found


# -- tests -----------------------------------------------------------------------------------


def test_producer_consumer_artifacts_and_events() -> None:
    run = _ok(sluice.run(train_pipeline, {"rows": 7, "lr": 0.25}, run_name="r-events"))
    artifacts = md.Artifact.list()
    titles = _by_title(artifacts)
    assert sorted(titles) == ["system.Dataset", "system.Metrics", "system.Model"]
    (dataset,), (model,), (metrics,) = (
        titles["system.Dataset"],
        titles["system.Model"],
        titles["system.Metrics"],
    )
    assert dataset.metadata == {"rows": 7}
    assert model.metadata == {"accuracy": 0.75, "framework": "none"}
    assert metrics.metadata == {"accuracy": 0.75}
    assert all(a.run_id == run.id for a in artifacts)
    assert model.uri == run.task("train").outputs["model"].uri
    assert model.producer_task_id == run.task("train").id
    assert model.create_time.tzinfo is not None

    executions = {e.task_path: e for e in md.Execution.list()}
    assert set(executions) == {"make-data", "train", "evaluate"}
    ex = executions["train"]
    assert (ex.schema_title, ex.state, ex.attempt, ex.run_id) == (
        "system.ContainerExecution",
        "COMPLETE",
        1,
        run.id,
    )
    assert ex.component == "comp-train"
    assert ex.input_parameters == {"lr": 0.25}
    assert ex.exit_code == 0
    assert [a.id for a in ex.get_input_artifacts()] == [dataset.id]
    assert [a.id for a in ex.get_output_artifacts()] == [model.id]
    assert [(e.type, e.name, e.artifact_id) for e in ex.get_events()] == [
        ("INPUT", "data", dataset.id),
        ("OUTPUT", "model", model.id),
    ]
    assert [a.id for a in executions["evaluate"].get_input_artifacts()] == [model.id]
    assert md.Execution.get(ex.id) == ex

    context = md.Context.get("r-events")  # the run's context, by run name
    assert context.schema_title == "system.PipelineRun" and context.name == run.id
    assert {a.id for a in context.get_artifacts()} == {dataset.id, model.id, metrics.id}
    assert {e.id for e in context.get_executions()} == {e.id for e in executions.values()}
    assert md.Context.get("md-train").schema_title == "system.Pipeline"


def test_lineage_upstream_reaches_the_imported_artifact(tmp_path: Path) -> None:
    source = tmp_path / "raw.txt"
    source.write_text("abc")
    run = _ok(sluice.run(deep_pipeline, {"uri": str(source)}))
    (final,) = md.Artifact.list(filter='schema_title = "system.Model"')
    assert final.uri == run.task("combine").outputs["model"].uri

    graph = final.lineage_subgraph(direction="upstream")
    kinds = sorted(e.schema_title for e in graph.executions)
    assert kinds == ["system.ContainerExecution"] * 5 + ["system.ImporterExecution"]
    paths = sorted(e.task_path or "" for e in graph.executions)
    assert sum("shard" in p for p in paths) == 3
    assert any(p.endswith("clean") and p != "clean" for p in paths)  # inside the nested pipeline
    imported = [a for a in graph.artifacts if a.uri == str(source)]
    assert len(imported) == 1
    assert len(graph.artifacts) == 6  # imported, cleaned, 3 shards, model
    assert sorted(a.metadata.get("i", 0) for a in graph.artifacts) == [0, 0, 0, 1, 2, 3]
    # Every edge joins two nodes of the graph.
    artifact_ids = {a.id for a in graph.artifacts}
    execution_ids = {e.id for e in graph.executions}
    assert all(
        ev.artifact_id in artifact_ids and ev.execution_id in execution_ids for ev in graph.events
    )
    assert len(graph.events) == 1 + 3 + 3 + 3 + 1 + 1 + 1  # see the pipeline

    importer = next(e for e in graph.executions if e.schema_title == "system.ImporterExecution")
    assert [a.id for a in importer.get_output_artifacts()] == [imported[0].id]
    # Downstream from the import reaches the final model.
    down = imported[0].lineage_subgraph(direction="downstream")
    assert final.id in {a.id for a in down.artifacts}


def test_downstream_consumers_and_max_hops() -> None:
    run = _ok(sluice.run(train_pipeline))
    dataset = md.Artifact.get(run.task("make-data").outputs["data"].uri)
    down = dataset.lineage_subgraph(direction="downstream")
    assert {e.task_path for e in down.executions} == {"train", "evaluate"}
    assert sorted(a.schema_title for a in down.artifacts) == [
        "system.Dataset",
        "system.Metrics",
        "system.Model",
    ]

    one = dataset.lineage_subgraph(direction="downstream", max_hops=1)
    assert [e.task_path for e in one.executions] == ["train"]
    assert [a.id for a in one.artifacts] == [dataset.id]
    two = dataset.lineage_subgraph(direction="downstream", max_hops=2)
    assert sorted(a.schema_title for a in two.artifacts) == ["system.Dataset", "system.Model"]
    assert [e.task_path for e in two.executions] == ["train"]

    both = md.Artifact.get(run.task("train").outputs["model"].uri).lineage_subgraph(max_hops=2)
    assert {e.task_path for e in both.executions} == {"train", "evaluate"}
    assert len(both.artifacts) == 3


def test_cache_hit_links_to_the_original_execution() -> None:
    first = _ok(sluice.run(train_pipeline, run_name="first", enable_caching=True))
    second = _ok(sluice.run(train_pipeline, run_name="second", enable_caching=True))
    assert second.task("train").state == "CACHED"
    original = {e.task_path: e for e in md.Execution.list(filter='in_context("first")')}
    cached = {e.task_path: e for e in md.Execution.list(filter='in_context("second")')}
    assert set(cached) == set(original) == {"make-data", "train", "evaluate"}
    for path, execution in cached.items():
        assert execution.state == "CACHED", path
        assert execution.run_id == second.id
        assert execution.cached_execution_id == original[path].id
        # The reused artifacts are the cache hit's outputs too.
        assert [a.id for a in execution.get_output_artifacts()] == [
            a.id for a in original[path].get_output_artifacts()
        ]
    model = md.Artifact.get(first.task("train").outputs["model"].uri)
    producers = model.lineage_subgraph(direction="upstream", max_hops=1).executions
    assert {e.id for e in producers} == {original["train"].id, cached["train"].id}


def test_filters_and_pages_through_the_api() -> None:
    _ok(sluice.run(train_pipeline, {"lr": 0.1}, run_name="low"))
    _ok(sluice.run(train_pipeline, {"lr": 0.4}, run_name="high", enable_caching=False))
    models = md.Artifact.list(filter='schema_title = "system.Model"')
    assert sorted(m.metadata["accuracy"] for m in models) == [0.6, 0.9]
    good = md.Artifact.list(
        filter='schema_title = "system.Model" AND metadata.accuracy.number_value > 0.7'
    )
    assert [m.metadata["accuracy"] for m in good] == [0.9]
    in_low = md.Artifact.list(filter='in_context("low")')
    assert sorted(a.schema_title for a in in_low) == [
        "system.Dataset",
        "system.Metrics",
        "system.Model",
    ]
    high = sluice.get_run("high")
    assert {a.run_id for a in md.Artifact.list(filter='in_context("high")')} == {high.id}

    # Newest first by default; pages of two walk all six artifacts once.
    everything = md.Artifact.list()
    assert len(everything) == 6
    assert [a.create_time for a in everything] == sorted(
        (a.create_time for a in everything), reverse=True
    )
    seen, token = [], None
    while True:
        page = md.Artifact.list_page(limit=2, page_token=token)
        seen += [a.id for a in page.items]
        token = page.next_page_token
        if token is None:
            break
    assert seen == [a.id for a in everything]
    assert len(md.Execution.list(limit=4)) == 4
    runs = md.Context.list(filter='schema_title = "system.PipelineRun"')
    assert {c.properties["name"] for c in runs} == {"low", "high"}

    with pytest.raises(UserInputError):
        md.Artifact.list(filter="schema_title = = 3")


def test_get_by_uri_digest_and_to_dsl(sluice_home: Path) -> None:
    run = _ok(sluice.run(train_pipeline, {"rows": 3}))
    uri = run.task("train").outputs["model"].uri
    model = md.Artifact.get(uri)
    assert md.Artifact.get(model.id) == model
    assert md.Artifact.get(str(model.id)).id == model.id
    assert md.Artifact.get(f"file://{uri}").id == model.id

    expected = "sha256:" + hashlib.sha256(Path(uri).read_bytes()).hexdigest()
    assert model.compute_digest() == expected
    assert model.digest == expected
    assert md.Artifact.get(model.id).digest == expected

    dsl_model = model.to_dsl()
    assert isinstance(dsl_model, dsl.Model)
    assert dsl_model.uri == uri and dsl_model.metadata["accuracy"] == 0.75

    store = Store(Settings.from_env().db_url)
    remote_id = store.create_artifact(
        uri="s3://bucket/x",
        name="x",
        schema_title="system.Artifact",
        schema_version="0.0.1",
        metadata={},
        run_id=None,
        producer_task_id=None,
    )
    assert md.Artifact.get(remote_id, store=store).compute_digest() is None

    with pytest.raises(MetadataNotFoundError):
        md.Artifact.get("/no/such/artifact")
    with pytest.raises(MetadataNotFoundError):
        md.Artifact.get(10**9)
    with pytest.raises(MetadataNotFoundError):
        md.Execution.get(10**9)
    with pytest.raises(MetadataNotFoundError):
        md.Context.get("no-such-context")
