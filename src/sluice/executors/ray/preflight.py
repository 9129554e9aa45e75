"""Before a run starts: can some node of the Ray cluster run each of its tasks?

A request that only finds every node busy waits for one to free up; one that no alive node
has the totals for (8 GPUs where the largest node has 4, an accelerator type no node
declares) would wait forever, since Ray queues an infeasible task without an error. Without
an autoscaler the alive nodes are all there will be, so such a run is refused before
anything is written, in one line naming the task, what it asks for and what the largest
node has. With one (``$SLUICE_RAY_AUTOSCALER=1``, KubeRay) the problems are warnings.
"""

from __future__ import annotations

from sluice.config import Settings
from sluice.errors import ResourceUnavailableError
from sluice.executors.base import Resources
from sluice.executors.ray.connection import connect
from sluice.executors.ray.executor import autoscaling
from sluice.executors.ray.resources import infeasible_reason, ray_request
from sluice.spec.graph import executor_users
from sluice.spec.loader import LoadedPipeline
from sluice.spec.resources import task_resources

__all__ = ["check_cluster_resources"]


def check_cluster_resources(
    loaded: LoadedPipeline, settings: Settings, *, allow_unsatisfiable: bool = False
) -> list[str]:
    """Check every task's request against the alive nodes of the run's Ray cluster.

    Returns the problems as warnings when ``allow_unsatisfiable`` (or an autoscaler may add
    nodes); a value set from an upstream output is checked when the task runs.

    Raises:
        ResourceUnavailableError: no alive node can run some task.
        ExecutorError: the cluster cannot be reached.
    """
    requests = task_resources(loaded)
    if not requests:
        return []
    ray = connect(getattr(settings, "ray_address", None))
    nodes = ray.nodes()
    users = executor_users(loaded.spec)
    problems = []
    for label in sorted(requests):
        asked = requests[label]
        resources = Resources(
            cpu_request=asked.cpu,
            memory_request=asked.memory_bytes,
            accelerator_type=asked.accelerator_type,
            # A count from a placeholder is known at run time; one of the type is checked now.
            accelerator_count=asked.accelerator_count if asked.accelerator_count is not None else 1,
        )
        reason = infeasible_reason(ray_request(resources), nodes)
        if reason:
            names = ", ".join(f"'{name}'" for name in users.get(label, []) or [label])
            problems.append(f"task {names} {reason}")
    if problems and not (allow_unsatisfiable or autoscaling()):
        raise ResourceUnavailableError(
            "; ".join(problems) + "; add such a node to the Ray cluster, or pass "
            "--allow-unsatisfiable-resources / allow_unsatisfiable_resources=True (or set "
            "SLUICE_RAY_AUTOSCALER=1 where an autoscaler adds nodes) to run anyway"
        )
    return problems
