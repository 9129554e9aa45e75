"""A large artifact between two tasks through an object store: time and the orchestrator's memory.

For each store asked for, one invocation starts the store's server on loopback (moto's
standalone S3 server; ``sluice server --emulate-gcs`` for ``gs://``), then runs the pipeline
of ``tests/large_artifacts.py`` with ``sluice run`` in a process of its own: ``produce``
writes ``--mib`` MiB, the orchestrator uploads it under the ``s3://`` / ``gs://`` pipeline
root and downloads it for ``consume``, which checks its digest. Reported per store:

* ``run_s``: the whole ``sluice run`` process, start to exit;
* ``produce_s``: ``produce``'s recorded start to end: writing the file, then its upload (a
  task ends once its outputs are in the store);
* ``download_s``: from ``produce``'s recorded end to ``consume``'s recorded start: the
  download (and the engine's bookkeeping between the two tasks);
* ``peak_rss_mib``: the ``sluice run`` process's peak resident memory (``VmHWM``): the
  orchestrator's only, the components are other processes.

Usage::

    python benchmarks/artifact_transfer.py                     # 1 GiB, s3 and gs
    python benchmarks/artifact_transfer.py --mib 256 --store s3 --json

Every server is this script's own and is stopped by its PID.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.large_artifacts import run_big_pipeline


def _seconds(run: dict[str, Any], since: tuple[str, str], until: tuple[str, str]) -> float:
    tasks = {t["name"]: t for t in run["tasks"]}
    begin = datetime.fromisoformat(tasks[since[0]][since[1]])
    end = datetime.fromisoformat(tasks[until[0]][until[1]])
    return round((end - begin).total_seconds(), 2)


def _measure(root: str, mib: int, env: dict[str, str], work: Path) -> dict[str, Any]:
    began = time.perf_counter()
    run, peak = run_big_pipeline(root, mib, work, env)
    return {
        "run_s": round(time.perf_counter() - began, 2),
        "produce_s": _seconds(run, ("produce", "started_at"), ("produce", "finished_at")),
        "download_s": _seconds(run, ("produce", "finished_at"), ("consume", "started_at")),
        "peak_rss_mib": round(peak, 1),
    }


def _s3(mib: int, work: Path) -> dict[str, Any]:
    from tests.s3_server import s3_server

    with s3_server() as server:
        server.filesystem().mkdir("bench")
        return _measure("s3://bench/root", mib, server.environment(), work)


def _gs(mib: int, work: Path) -> dict[str, Any]:
    from tests.server.server_process import ServerProcess

    with ServerProcess(work / "server-home", cli_args=["--emulate-gcs"]) as server:
        from gcsfs.core import GCSFileSystem

        fs = GCSFileSystem(endpoint_url=server.url, token="anon", project="bench")
        fs.mkdir("bench")
        env = {"STORAGE_EMULATOR_HOST": server.url, "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
        return _measure("gs://bench/root", mib, env, work)


def main() -> int:
    """Parse the arguments, measure each store, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="artifact size (default 1024)")
    parser.add_argument("--store", choices=["s3", "gs"], action="append", help="default both")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "mib": args.mib,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    for store in args.store or ["s3", "gs"]:
        with tempfile.TemporaryDirectory(prefix=f"sluice-bench-{store}-") as tmp:
            results[store] = (_s3 if store == "s3" else _gs)(args.mib, Path(tmp))
    if args.json:
        print(json.dumps(results))
    else:
        for store in args.store or ["s3", "gs"]:
            r = results[store]
            print(
                f"{store}: {args.mib} MiB  run {r['run_s']} s  produce+upload {r['produce_s']} s  "
                f"download {r['download_s']} s  peak RSS {r['peak_rss_mib']} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
