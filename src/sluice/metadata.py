"""Query the metadata store: artifacts, executions, contexts and their lineage.

Shaped after Vertex AI's ``google.cloud.aiplatform`` metadata classes, so code that
inspects Vertex runs reads Sluice runs the same way::

    import sluice.metadata as md

    models = md.Artifact.list(
        filter='schema_title="system.Model" AND metadata.accuracy.number_value > 0.9'
    )
    graph = models[0].lineage_subgraph(direction="upstream")
    for execution in md.Execution.list(filter='in_context("my-run")'):
        print(execution.task_path, execution.state, execution.get_output_artifacts())

Every method opens the store named by ``SLUICE_HOME`` / ``SLUICE_DB_URL`` unless it is
given ``store=``. Objects remember the store they were read from. ``sluice.Client(home=...)
.metadata`` is the same API bound to that client's store (:class:`BoundMetadata`).

The classes live in :mod:`sluice.client.metadata_views` and
:mod:`sluice.client.bound_metadata`; this module is their public name.
"""

from __future__ import annotations

from sluice.client.bound_metadata import BoundKind, BoundMetadata
from sluice.client.metadata_views import Artifact, Context, Event, Execution, LineageGraph
from sluice.service.metadata import Page

__all__ = [
    "Artifact",
    "BoundKind",
    "BoundMetadata",
    "Context",
    "Event",
    "Execution",
    "LineageGraph",
    "Page",
]
