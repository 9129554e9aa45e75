"""Metadata queries at scale: 1,000,000 artifacts and 200,000 executions in SQLite.

Builds (or reuses) a store shaped like real pipeline history: runs of 10-step chains where
each execution consumes one artifact of the step before and produces 5 artifacts, then
times the queries users make:

- ``Artifact.list`` filtered on ``schema_title`` and a metadata number, newest first,
  first page (100 rows), and a page deep into the results;
- a 5-hop upstream lineage query from the last artifact of a chain;
- ``in_context(run)``.

    python benchmarks/metadata_scale.py                # 1M artifacts, 200k executions
    python benchmarks/metadata_scale.py --executions 20000 --reuse /tmp/meta.db
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from sluice.store.models import (
    ArtifactRow,
    AttributionRow,
    ContextRow,
    EventRow,
    ExecutionRow,
    RunRow,
    TaskRow,
)
from sluice.store.repository import Store

OUTPUTS_PER_EXECUTION = 5
CHAIN = 10
SCHEMAS = ["system.Dataset", "system.Model", "system.Metrics", "system.Artifact", "system.Dataset"]
BATCH = 20_000


def build(store: Store, executions: int, seed: int = 7) -> None:
    """Fill an empty store with ``executions`` executions and 5x as many artifacts."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    runs = executions // CHAIN
    artifact_id = 0
    buffers: dict[Any, list[dict[str, Any]]] = {
        t: [] for t in (ArtifactRow, EventRow, AttributionRow, ExecutionRow, TaskRow)
    }

    def flush(connection: Any, force: bool = False) -> None:
        # All buffers together, parents first: events and attributions reference the rest.
        if not force and max(len(rows) for rows in buffers.values()) < BATCH:
            return
        for model in (TaskRow, ExecutionRow, ArtifactRow, EventRow, AttributionRow):
            rows = buffers[model]
            if rows:
                connection.execute(insert(model), rows)
                rows.clear()

    with store.engine.begin() as connection:
        pipeline_ctx = connection.execute(
            insert(ContextRow).values(type="system.Pipeline", name="bench", properties={})
        ).inserted_primary_key[0]
        for run_index in range(runs):
            run_id = f"run{run_index:08d}"
            created = start + timedelta(seconds=run_index * CHAIN * OUTPUTS_PER_EXECUTION)
            run_ctx = connection.execute(
                insert(ContextRow).values(type="system.PipelineRun", name=run_id, properties={})
            ).inserted_primary_key[0]
            connection.execute(
                insert(RunRow).values(
                    id=run_id,
                    name=f"bench-{run_index}",
                    display_name=f"bench-{run_index}",
                    pipeline_name="bench",
                    pipeline_spec={},
                    arguments={},
                    pipeline_root="/b",
                    options={},
                    state="SUCCEEDED",
                    outputs={},
                    run_context_id=run_ctx,
                    pipeline_context_id=pipeline_ctx,
                    created_at=created,
                    updated_at=created,
                )
            )
            previous_output: int | None = None
            for step in range(CHAIN):
                execution_id = run_index * CHAIN + step + 1
                task_id = f"{run_id}-t{step}"
                at = created + timedelta(seconds=step * OUTPUTS_PER_EXECUTION)
                buffers[TaskRow].append(
                    dict(
                        id=task_id,
                        run_id=run_id,
                        parent_id=None,
                        name=f"step-{step}",
                        path=f"step-{step}",
                        display_name=f"step-{step}",
                        kind="container",
                        component_name=f"comp-step-{step}",
                        state="SUCCEEDED",
                        attempts=1,
                        inputs={},
                        outputs={},
                        resources={},
                        created_at=at,
                    )
                )
                buffers[ExecutionRow].append(
                    dict(
                        id=execution_id,
                        run_id=run_id,
                        task_id=task_id,
                        pipeline_name="bench",
                        component_name=f"comp-step-{step}",
                        type="system.ContainerExecution",
                        attempt=1,
                        state="COMPLETE",
                        cache_enabled=True,
                        cache_cleared=False,
                        input_parameters={"lr": rng.random()},
                        output_parameters={},
                        started_at=at,
                        finished_at=at,
                    )
                )
                if previous_output is not None:
                    buffers[EventRow].append(
                        dict(
                            artifact_id=previous_output,
                            execution_id=execution_id,
                            type="INPUT",
                            name="data",
                            position=0,
                            created_at=at,
                        )
                    )
                for out in range(OUTPUTS_PER_EXECUTION):
                    artifact_id += 1
                    schema = SCHEMAS[(step + out) % len(SCHEMAS)]
                    metadata: dict[str, Any] = {"rows": rng.randint(1, 10_000)}
                    if schema in ("system.Model", "system.Metrics"):
                        metadata["accuracy"] = round(rng.random(), 4)
                    moment = at + timedelta(seconds=out)
                    # Core inserts take column names: the column is "metadata".
                    buffers[ArtifactRow].append(
                        dict(
                            id=artifact_id,
                            uri=f"/b/{run_id}/step-{step}/out{out}",
                            name=f"out{out}",
                            display_name=f"out{out}",
                            schema_title=schema,
                            schema_version="0.0.1",
                            metadata=metadata,
                            run_id=run_id,
                            producer_task_id=task_id,
                            created_at=moment,
                            updated_at=moment,
                        )
                    )
                    buffers[EventRow].append(
                        dict(
                            artifact_id=artifact_id,
                            execution_id=execution_id,
                            type="OUTPUT",
                            name=f"out{out}",
                            position=0,
                            created_at=moment,
                        )
                    )
                    buffers[AttributionRow].append(
                        dict(context_id=run_ctx, artifact_id=artifact_id)
                    )
                previous_output = artifact_id
            flush(connection)
        flush(connection, force=True)


def timed(label: str, repeat: int, call: Callable[[], Any]) -> dict[str, Any]:
    """Median and best wall time of ``call`` over ``repeat`` runs (after one warm-up)."""
    result = call()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - began) * 1000)
    size = len(result) if hasattr(result, "__len__") else None
    return {
        "query": label,
        "median_ms": round(statistics.median(times), 1),
        "best_ms": round(min(times), 1),
        "rows": size,
    }


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the store, run the queries, print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=200_000)
    parser.add_argument("--reuse", type=Path, help="SQLite file to build once and reuse")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.executions < CHAIN:
        parser.error(f"--executions must be at least {CHAIN} (one run of {CHAIN} steps)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.reuse:
        return measure(args, args.reuse)
    with tempfile.TemporaryDirectory(prefix="sluice-meta-") as tmp:
        return measure(args, Path(tmp) / "meta.db")


def measure(args: argparse.Namespace, path: Path) -> int:
    """Build the store at ``path`` unless it exists, run the queries, print the results."""
    import sluice.metadata as md

    fresh = not path.exists()
    store = Store(f"sqlite:///{path}")
    if fresh:
        began = time.perf_counter()
        build(store, args.executions)
        print(
            f"built {args.executions:,} executions, {args.executions * 5:,} artifacts "
            f"in {time.perf_counter() - began:.0f} s at {path}",
            file=sys.stderr,
        )

    last_run = args.executions // CHAIN - 1
    tip = f"/b/run{last_run:08d}/step-{CHAIN - 1}/out{OUTPUTS_PER_EXECUTION - 1}"
    model_filter = 'schema_title="system.Model" AND metadata.accuracy.number_value>0.9'
    first_page = md.Artifact.list_page(model_filter, "create_time desc", limit=100, store=store)
    page = first_page
    for _ in range(50):  # 50 pages deep
        if not page.next_page_token:
            break
        page = md.Artifact.list_page(
            model_filter,
            "create_time desc",
            limit=100,
            page_token=page.next_page_token,
            store=store,
        )
    deep_token = page.next_page_token
    tip_artifact = md.Artifact.get(tip, store=store)
    results = [
        timed(
            "Artifact.list(schema_title + metadata number, newest first), first 100",
            args.repeat,
            lambda: md.Artifact.list(model_filter, "create_time desc", limit=100, store=store),
        ),
        timed(
            "  same, page 51 (keyset page token)",
            args.repeat,
            lambda: (
                md.Artifact.list_page(
                    model_filter, "create_time desc", limit=100, page_token=deep_token, store=store
                ).items
            ),
        ),
        timed(
            "Artifact.list(in_context(run)), first 100",
            args.repeat,
            lambda: md.Artifact.list(
                f'in_context("run{last_run // 2:08d}")', limit=100, store=store
            ),
        ),
        timed(
            "lineage_subgraph(upstream, max_hops=5)",
            args.repeat,
            lambda: tip_artifact.lineage_subgraph(direction="upstream", max_hops=5).artifacts,
        ),
        timed("Artifact.get(uri)", args.repeat, lambda: [md.Artifact.get(tip, store=store)]),
    ]
    store.engine.dispose()  # before a temporary directory holding the file goes
    if args.json:
        print(json.dumps({"executions": args.executions, "results": results}))
    else:
        print(f"{'query':<72} {'median ms':>10} {'best ms':>8} {'rows':>5}")
        for row in results:
            print(
                f"{row['query']:<72} {row['median_ms']:>10} {row['best_ms']:>8} "
                f"{row['rows'] if row['rows'] is not None else '':>5}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
