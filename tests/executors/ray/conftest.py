"""A three-node Ray cluster on loopback for the test modules here (``ray.cluster_utils.Cluster``).

* the head: 1 CPU;
* ``cpu``: 2 CPUs;
* ``gpu``: 1 CPU, 2 logical GPUs and ``accelerator_type:T4`` (what Ray advertises on a node
  with T4s), so a task asking for ``NVIDIA_TESLA_T4`` can only be placed there.

Every node runs with ``SLUICE_HOME`` of its own (``node-home``: the workers' venvs), and the
test process is the driver. Stopped with ``cluster.shutdown()`` (its own processes only,
never ``ray stop``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .support import LOOPBACK_ENV, ray_env, require_ray

# Read by Ray when it is imported (its constants), so set before anything imports it: every
# Ray process of these tests then listens on 127.0.0.1 only.
for _key, _value in LOOPBACK_ENV.items():
    os.environ.setdefault(_key, _value)

T4 = "accelerator_type:T4"


@dataclass
class RayCluster:
    """The cluster of the module and where its nodes keep their files."""

    cluster: Any
    address: str
    node_home: Path

    def alive_nodes(self) -> list[dict[str, Any]]:
        """``ray.nodes()`` entries of the alive nodes."""
        import ray

        return [n for n in ray.nodes() if n["Alive"]]

    def node_ids_with(self, resource: str) -> set[str]:
        """The ids of the alive nodes that have ``resource``."""
        return {n["NodeID"] for n in self.alive_nodes() if resource in n["Resources"]}

    def add_gpu_node(self) -> Any:
        """One more node like ``gpu``."""
        return self.cluster.add_node(num_cpus=1, num_gpus=2, resources={T4: 1})


@pytest.fixture(scope="package")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    """Head + a CPU node + a GPU node; the test process connected as the driver."""
    ray = require_ray()
    from ray.cluster_utils import Cluster

    tmp = tmp_path_factory.mktemp("ray")
    node_home = tmp / "node-home"
    # Short: Ray's socket paths under it must fit in 107 bytes.
    temp_dir = Path(tempfile.mkdtemp(prefix="sluice-ray-"))
    with pytest.MonkeyPatch.context() as env:
        # Raylets and their workers inherit this process's environment at start.
        # Dummy AWS credentials: the nodes' own, as on a real cluster, for the s3:// tests
        # (test_object_store.py); the store's endpoint comes from the driver.
        aws = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        for key, value in {**ray_env(temp_dir), "SLUICE_HOME": str(node_home), **aws}.items():
            env.setenv(key, value)
        cluster = Cluster(
            initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
        )
        try:
            cluster.add_node(num_cpus=2)
            cluster.add_node(num_cpus=1, num_gpus=2, resources={T4: 1})
            cluster.wait_for_nodes()
            ray.init(address=cluster.address, log_to_driver=False, logging_level="WARNING")
            yield RayCluster(cluster=cluster, address=cluster.address, node_home=node_home)
        finally:
            ray.shutdown()
            cluster.shutdown()
            shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture
def on_ray(ray_cluster: RayCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RayCluster:
    """This test's SLUICE_HOME, and the ray executor pointed at the module's cluster."""
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SLUICE_RAY_ADDRESS", ray_cluster.address)
    monkeypatch.delenv("SLUICE_EXECUTOR", raising=False)
    monkeypatch.delenv("SLUICE_RAY_AUTOSCALER", raising=False)
    assert os.environ["SLUICE_HOME"] != str(ray_cluster.node_home)
    return ray_cluster
