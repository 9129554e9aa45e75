"""``sluice artifacts list|show`` and ``sluice executions list`` on real runs."""

import json

from kfp import dsl
from typer.testing import CliRunner

import sluice
from sluice.cli.main import app

runner = CliRunner()


@dsl.component(base_image="python:3.11")
def load(rows: int, data: dsl.Output[dsl.Dataset]):
    with open(data.path, "w") as f:
        f.write("x" * rows)
    data.metadata["rows"] = rows
    data.metadata["source"] = "synthetic"


@dsl.component(base_image="python:3.11")
def train(data: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
    with open(model.path, "w") as f:
        f.write("model")
    model.metadata["accuracy"] = 0.875
    model.metadata["epochs"] = 3


@dsl.component(base_image="python:3.11")
def inspect(data: dsl.Input[dsl.Dataset]) -> int:
    return len(open(data.path).read())


@dsl.pipeline(name="artifacts-cli")
def artifacts_pipeline(rows: int = 4) -> dsl.Model:
    loaded = load(rows=rows)
    trained = train(data=loaded.outputs["data"])
    inspect(data=loaded.outputs["data"])
    return trained.outputs["model"]


def test_list_shows_artifacts_and_filters_orders_limits() -> None:
    run = sluice.run(artifacts_pipeline)
    assert run.state == "SUCCEEDED", run.error

    result = runner.invoke(app, ["artifacts", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TYPE", "URI", "CREATED", "METADATA"]
    model_line = next(ln for ln in lines if "system.Model" in ln)
    assert model_line.split()[:3] == ["2", "model", "system.Model"]
    assert run.outputs["Output"].uri in model_line
    assert model_line.rstrip().endswith("accuracy=0.875, epochs=3")
    data_line = next(ln for ln in lines if "system.Dataset" in ln)
    assert data_line.rstrip().endswith("rows=4")  # strings are not "key numbers"

    as_json = json.loads(runner.invoke(app, ["artifacts", "list", "--json"]).stdout)
    assert [a["id"] for a in as_json] == [2, 1]  # newest first
    assert as_json[0]["metadata"] == {"accuracy": 0.875, "epochs": 3}
    assert as_json[0]["run_id"] == run.id

    models = runner.invoke(
        app, ["artifacts", "list", "--filter", 'schema_title="system.Model"', "--json"]
    )
    assert [a["name"] for a in json.loads(models.stdout)] == ["model"]
    by_metadata = runner.invoke(
        app, ["artifacts", "list", "--filter", "metadata.rows >= 4", "--json"]
    )
    assert [a["name"] for a in json.loads(by_metadata.stdout)] == ["data"]
    oldest = runner.invoke(
        app, ["artifacts", "list", "--order-by", "create_time asc", "--limit", "1", "--json"]
    )
    assert [a["id"] for a in json.loads(oldest.stdout)] == [1]

    none = runner.invoke(app, ["artifacts", "list", "--filter", 'schema_title="system.Metrics"'])
    assert none.exit_code == 0
    assert "No artifacts match." in none.stdout


def test_show_by_id_and_uri_names_producer_and_consumers() -> None:
    run = sluice.run(artifacts_pipeline, {"rows": 6})
    data_uri = run.task("load").outputs["data"].uri

    result = runner.invoke(app, ["artifacts", "show", "1"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Name:          data" in out
    assert f"URI:           {data_uri}" in out
    assert "Type:          system.Dataset" in out
    assert f"Run:           {run.name} ({run.id})" in out
    assert "Produced by:   execution 1 (comp-load, task load)" in out
    assert '  "rows": 6,' in out and '  "source": "synthetic"' in out
    events = [ln.split() for ln in out.splitlines() if ln.startswith(("OUTPUT", "INPUT"))]
    assert (events[0][0], events[0][3], events[0][5]) == ("OUTPUT", "comp-load", "load")
    # train and inspect run in parallel: either may have started first
    assert sorted((e[0], e[3], e[5]) for e in events[1:]) == [
        ("INPUT", "comp-inspect", "inspect"),
        ("INPUT", "comp-train", "train"),
    ]
    assert all(e[6] == run.name for e in events)

    by_uri = runner.invoke(app, ["artifacts", "show", data_uri, "--json"])
    assert by_uri.exit_code == 0, by_uri.output
    data = json.loads(by_uri.stdout)
    assert data["id"] == 1 and data["uri"] == data_uri
    assert data["metadata"] == {"rows": 6, "source": "synthetic"}
    assert data["run_name"] == run.name
    assert data["producer"]["task_path"] == "load"
    assert data["producer"]["run_name"] == run.name
    consumers = [e["execution"]["task_path"] for e in data["events"] if e["type"] == "INPUT"]
    assert sorted(consumers) == ["inspect", "train"]


def test_executions_list_shows_states_runs_and_cache_hits() -> None:
    first = sluice.run(artifacts_pipeline)
    second = sluice.run(artifacts_pipeline)
    assert {t.state for t in second.tasks if t.kind == "container"} == {"CACHED"}

    result = runner.invoke(app, ["executions", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = ["ID", "COMPONENT", "STATE", "TASK", "RUN", "STARTED", "DURATION", "CACHED", "FROM"]
    assert lines[0].split() == header
    rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
    assert rows["1"][1:5] == ["comp-load", "COMPLETE", "load", first.name]
    assert rows["4"][1:5] == ["comp-load", "CACHED", "load", second.name]
    assert rows["4"][-1] == "1"  # cached from execution 1

    cached = runner.invoke(
        app, ["executions", "list", "--filter", 'state="CACHED"', "--order-by", "id", "--json"]
    )
    assert cached.exit_code == 0, cached.output
    hits = json.loads(cached.stdout)
    assert [e["id"] for e in hits] == [4, 5, 6]
    assert {e["run_name"] for e in hits} == {second.name}
    everything = json.loads(runner.invoke(app, ["executions", "list", "--json"]).stdout)
    path_of = {e["id"]: e["task_path"] for e in everything}
    # each hit points at the execution of the same task in the first run
    assert {e["cached_execution_id"] for e in hits} == {1, 2, 3}
    assert all(path_of[e["cached_execution_id"]] == e["task_path"] for e in hits)
    limited = runner.invoke(app, ["executions", "list", "--limit", "2", "--json"])
    assert [e["id"] for e in json.loads(limited.stdout)] == [6, 5]


def test_bad_filter_and_unknown_artifact_exit_2() -> None:
    bad = runner.invoke(app, ["artifacts", "list", "--filter", "schema_title = AND"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: invalid filter")
    assert len(bad.stderr.strip().splitlines()) == 1

    bad_order = runner.invoke(app, ["executions", "list", "--order-by", "create_time sideways"])
    assert bad_order.exit_code == 2
    assert bad_order.stderr.startswith("error: ")

    unknown = runner.invoke(app, ["artifacts", "show", "999"])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: no artifact '999'")

    empty = runner.invoke(app, ["executions", "list"])
    assert empty.exit_code == 0
    assert "No executions match." in empty.stdout
