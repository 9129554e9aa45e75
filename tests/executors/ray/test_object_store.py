"""Artifacts between tasks on different Ray nodes through an ``s3://`` root (moto's real
S3 server on loopback), with nothing shared: each node downloads its task's inputs from the
store and uploads its outputs there itself; the driver's disk never holds them.

No ``from __future__ import annotations``: kfp reads the components' real annotations.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from kfp import dsl
from tests.s3_server import S3Server, apply_environment, s3_server

import sluice
from sluice.config import Settings

from .conftest import T4, RayCluster
from .support import require_ray

require_ray()

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        server.filesystem().mkdir("cluster")
        yield server


@dsl.component
def make_table(rows: int, table: dsl.Output[dsl.Dataset]) -> str:
    import os

    with open(table.path, "w") as f:
        f.write("\n".join(str(i) for i in range(rows)))
    return os.environ.get("SLUICE_RAY_NODE_ID", "")


@dsl.component
def total(table: dsl.Input[dsl.Dataset]) -> str:
    import os

    with open(table.path) as f:
        value = sum(int(line) for line in f)
    return f"{value}|{os.environ.get('SLUICE_RAY_NODE_ID', '')}"


@dsl.pipeline
def across_nodes(rows: int = 5) -> str:
    # The T4 node makes the table; only the `cpu` node has 2 CPUs to sum it.
    made = make_table(rows=rows).set_accelerator_type("NVIDIA_TESLA_T4").set_accelerator_limit(1)
    made.set_caching_options(False)
    summed = total(table=made.outputs["table"]).set_cpu_limit("2").set_caching_options(False)
    return summed.output


def test_artifacts_move_between_nodes_through_s3(
    on_ray: RayCluster, s3: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_environment(s3, monkeypatch)
    run = sluice.run(across_nodes, executor="ray", pipeline_root="s3://cluster/root")
    assert run.state == "SUCCEEDED", run.error
    maker_node = run.task("make-table").outputs["Output"]
    value, summer_node = run.outputs["Output"].split("|")
    assert value == "10"
    assert maker_node in on_ray.node_ids_with(T4) and summer_node != maker_node
    table = run.task("make-table").outputs["table"]
    assert table.uri == f"s3://cluster/root/{run.name}/make-table/table"
    assert run.task("total").inputs["table"].uri == table.uri
    assert s3.filesystem().cat(table.uri.removeprefix("s3://")) == b"0\n1\n2\n3\n4"
    # Not through the driver: no artifact file was ever staged on its disk.
    staging = Settings.from_env().home / "staging" / run.id
    assert [p for p in staging.rglob("*") if p.is_file()] == []
