"""``sluice lineage`` on a real run: the tree, JSON, and DOT/Mermaid text that parses."""

import json
import re
from datetime import datetime, timezone

import pytest
from kfp import dsl
from typer.testing import CliRunner

import sluice
import sluice.metadata as md
from sluice.cli.graph_render import to_dot, to_mermaid
from sluice.cli.main import app

runner = CliRunner()


@dsl.component(base_image="python:3.11")
def load(data: dsl.Output[dsl.Dataset]):
    with open(data.path, "w") as f:
        f.write('rows with "quotes" {and braces}')


@dsl.component(base_image="python:3.11")
def train(data: dsl.Input[dsl.Dataset], model: dsl.Output[dsl.Model]):
    with open(model.path, "w") as f:
        f.write("model")


@dsl.component(base_image="python:3.11")
def evaluate(
    data: dsl.Input[dsl.Dataset],
    model: dsl.Input[dsl.Model],
    report: dsl.Output[dsl.Metrics],
):
    report.log_metric("accuracy", 0.9)


# A diamond: data feeds train and evaluate, and evaluate also takes train's model.
@dsl.pipeline(name="lineage-cli")
def lineage_pipeline():
    loaded = load()
    trained = train(data=loaded.outputs["data"])
    evaluate(data=loaded.outputs["data"], model=trained.outputs["model"])


@pytest.fixture
def run() -> sluice.Run:
    """One finished run of the diamond; artifacts are data #1, model #2, report #3."""
    finished = sluice.run(lineage_pipeline)
    assert finished.state == "SUCCEEDED", finished.error
    return finished


def _lineage(*args: str) -> str:
    result = runner.invoke(app, ["lineage", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_tree_shows_producers_inputs_and_consumers(run: sluice.Run) -> None:
    model_uri = run.task("train").outputs["model"].uri
    out = _lineage(model_uri)
    lines = out.splitlines()
    assert lines[0].startswith("model #2 system.Model") and model_uri in lines[0]
    up, down = lines.index("├── upstream"), lines.index("└── downstream")
    upstream, downstream = "\n".join(lines[up:down]), "\n".join(lines[down:])
    assert "<- comp-train #2 COMPLETE  task train" in upstream
    assert f"run {run.name}" in upstream
    assert "data #1 system.Dataset" in upstream
    assert "<- comp-load #1 COMPLETE" in upstream
    assert "-> comp-evaluate #3 COMPLETE  task evaluate" in downstream
    assert "report #3 system.Metrics" in downstream
    assert "comp-load" not in downstream

    only_up = _lineage("2", "--upstream")
    assert "comp-train" in only_up and "comp-evaluate" not in only_up
    assert "upstream" not in only_up.splitlines()[1]  # one direction: no section headers
    only_down = _lineage("2", "--downstream")
    assert "comp-evaluate" in only_down and "comp-train" not in only_down

    # the diamond: evaluate is reached from data twice (directly and through model)
    from_data = _lineage("1", "--downstream")
    assert from_data.count("-> comp-evaluate #3") == 2
    assert "(shown above)" in from_data

    nothing = _lineage("3", "--downstream")
    assert "(nothing consumed it in the store)" in nothing


def test_json_lists_the_subgraph_and_honours_max_hops(run: sluice.Run) -> None:
    data = json.loads(_lineage("2", "--format", "json"))
    assert data["root"] == 2 and data["direction"] == "both" and data["max_hops"] is None
    assert sorted(a["id"] for a in data["artifacts"]) == [1, 2, 3]
    assert sorted(e["task_path"] for e in data["executions"]) == ["evaluate", "load", "train"]
    assert {e["run_name"] for e in data["executions"]} == {run.name}
    edges = {(e["type"], e["artifact_id"], e["execution_id"], e["name"]) for e in data["events"]}
    assert ("OUTPUT", 2, 2, "model") in edges and ("INPUT", 2, 3, "model") in edges
    assert ("INPUT", 1, 2, "data") in edges and ("OUTPUT", 1, 1, "data") in edges

    one_hop = json.loads(_lineage("2", "--upstream", "--max-hops", "1", "-f", "json"))
    assert [a["id"] for a in one_hop["artifacts"]] == [2]
    assert [e["task_path"] for e in one_hop["executions"]] == ["train"]
    two_hops = json.loads(_lineage("2", "--upstream", "--max-hops", "2", "-f", "json"))
    assert sorted(a["id"] for a in two_hops["artifacts"]) == [1, 2]


def _without_strings(text: str) -> str:
    """The text with every double-quoted string (escapes included) replaced by ``S``."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', "S", text)


def test_dot_is_a_wellformed_digraph(run: sluice.Run) -> None:
    dot = _lineage("1", "--format", "dot")
    bare = _without_strings(dot)
    assert bare.startswith("digraph lineage {")
    assert bare.rstrip().endswith("}")
    assert bare.count("{") == bare.count("}") == 1
    assert '"' not in bare  # every quote was closed
    declared = set(re.findall(r"^\s*([ae]\d+) \[", bare, re.MULTILINE))
    edges = re.findall(r"^\s*([ae]\d+) -> ([ae]\d+) \[label=S\];$", bare, re.MULTILINE)
    assert declared == {"a1", "a2", "a3", "e1", "e2", "e3"}
    assert len(edges) == 6
    assert all(a in declared and b in declared for a, b in edges)
    assert ("e1", "a1") in edges and ("a1", "e2") in edges and ("e3", "a3") in edges
    assert all(line.endswith(";") for line in bare.splitlines()[1:-1])


def test_mermaid_is_a_wellformed_graph(run: sluice.Run) -> None:
    text = _lineage("2", "--format", "mermaid")
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    bare = [_without_strings(line).strip() for line in lines[1:]]
    assert all('"' not in line for line in bare)
    declared = {m.group(1) for ln in bare if (m := re.fullmatch(r"(a\d+)\(\[S\]\)", ln))}
    declared |= {m.group(1) for ln in bare if (m := re.fullmatch(r"(e\d+)\[S\]", ln))}
    edges = [re.fullmatch(r"([ae]\d+) -->\|S\| ([ae]\d+)", ln) for ln in bare if "-->" in ln]
    assert declared == {"a1", "a2", "a3", "e1", "e2", "e3"}
    assert edges and all(e is not None for e in edges)
    assert all(e.group(1) in declared and e.group(2) in declared for e in edges if e)
    assert "class a2 root" in bare


def _odd_graph() -> tuple[md.LineageGraph, md.Artifact]:
    """A graph whose names hold quotes, braces, backslashes and a newline."""
    moment = datetime(2024, 1, 1, tzinfo=timezone.utc)
    artifact = md.Artifact(
        id=7,
        name='we "quote"',
        display_name='we "quote" {x}',
        uri="C:\\data\n{1}",
        schema_title="system.Dataset",
        schema_version="0.0.1",
        metadata={},
        run_id=None,
        producer_task_id=None,
        digest=None,
        create_time=moment,
        update_time=moment,
    )
    execution = md.Execution(
        id=9,
        schema_title="system.ContainerExecution",
        component='comp-"odd"',
        state="COMPLETE",
        attempt=1,
        run_id="r",
        task_id="t",
        task_path="a}b",
        input_parameters={},
        output_parameters={},
        fingerprint=None,
        cached_execution_id=None,
        create_time=moment,
        update_time=moment,
        exit_code=0,
    )
    event = md.Event(artifact_id=7, execution_id=9, type="OUTPUT", name='out"put', position=0)
    return md.LineageGraph([artifact], [execution], [event]), artifact


def test_renderers_escape_quotes_braces_and_newlines() -> None:
    graph, root = _odd_graph()
    bare = _without_strings(to_dot(graph, root))
    assert '"' not in bare and bare.count("{") == bare.count("}") == 1
    assert re.search(r"^  e9 -> a7 \[label=S\];$", bare, re.MULTILINE)

    mermaid = to_mermaid(graph, root)
    assert "#quot;" in mermaid
    bare_lines = [_without_strings(line).strip() for line in mermaid.splitlines()]
    assert "a7([S])" in bare_lines and "e9[S]" in bare_lines and "e9 -->|S| a7" in bare_lines


def test_bad_input_exits_2(run: sluice.Run) -> None:
    both = runner.invoke(app, ["lineage", "1", "--upstream", "--downstream"])
    assert both.exit_code == 2
    assert both.stderr.startswith("error: --upstream and --downstream exclude each other")
    unknown = runner.invoke(app, ["lineage", "no/such/uri"])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: no artifact 'no/such/uri'")
    assert runner.invoke(app, ["lineage", "1", "--max-hops", "-1"]).exit_code == 2
    assert runner.invoke(app, ["lineage", "1", "--format", "svg"]).exit_code == 2


def test_an_execution_recorded_without_a_run_renders_without_task_or_run() -> None:
    """Vertex AI's ``start_execution`` records executions with no run, task or event name."""
    from dataclasses import replace

    from rich.console import Console

    from sluice.cli.graph_render import lineage_tree

    graph, root = _odd_graph()
    execution = replace(graph.executions[0], run_id=None, task_id=None, task_path=None)
    event = replace(graph.events[0], name="")
    graph = md.LineageGraph(graph.artifacts, [execution], [event])
    console = Console(width=200, record=True)
    console.print(lineage_tree(graph, root))
    tree = console.export_text()
    assert "task" not in tree and "run " not in tree and "(output)" in tree
    assert "e9 --> a7" in to_mermaid(graph, root)
