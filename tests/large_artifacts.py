"""One big artifact through an object store, and the peak memory of the run that moved it.

``sluice run`` runs in a process of its own that prints its peak resident memory at the
end: only the orchestrator's (the components are other processes). The artifact is written
from a repeated random block (fast, no sparse file) and checked by digest downstream.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import sluice

BIG_PIPELINE = """
from kfp import dsl


@dsl.component
def produce(mib: int, blob: dsl.Output[dsl.Artifact]) -> str:
    import hashlib
    import os

    block, digest = os.urandom(1 << 20), hashlib.sha256()
    with open(blob.path, "wb") as f:
        for _ in range(mib):
            f.write(block)
            digest.update(block)
    return digest.hexdigest()


@dsl.component
def consume(blob: dsl.Input[dsl.Artifact]) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(blob.path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dsl.pipeline(name="big")
def big(mib: int = 1) -> str:
    made = produce(mib=mib).set_caching_options(False)
    checked = consume(blob=made.outputs["blob"]).set_caching_options(False)
    return checked.output
"""

# VmHWM, not ru_maxrss: Linux carries the pre-exec high-water mark into ru_maxrss, and
# subprocess's vfork shares the test process's memory until the exec, so ru_maxrss would
# report the (large, in a full suite) test process. VmHWM belongs to the new image alone.
_MEASURED_RUN = """
import sys
from sluice.cli.main import main
try:
    main()
except SystemExit as exit:
    code = exit.code
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print("maxrss_kib", peak, file=sys.stderr)
sys.exit(code)
"""


def run_big_pipeline(
    root: str, mib: int, tmp_path: Path, env: dict[str, str]
) -> tuple[dict[str, Any], float]:
    """``sluice run`` of :data:`BIG_PIPELINE` under ``root``; the run's JSON and the
    process's peak RSS in MiB. The digests of both tasks must agree."""
    source = tmp_path / "big.py"
    source.write_text(textwrap.dedent(BIG_PIPELINE))
    src = str(Path(sluice.__file__).parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    full_env = {**os.environ, "SLUICE_HOME": str(tmp_path / "home"), "PYTHONPATH": path, **env}
    args = ["run", str(source), "--pipeline-root", root, "-p", f"mib={mib}", "--json"]
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED_RUN, *args],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    line = [x for x in result.stderr.splitlines() if x.startswith("maxrss_kib ")][-1]
    run: dict[str, Any] = json.loads(result.stdout)
    assert run["state"] == "SUCCEEDED", run
    produced = next(t for t in run["tasks"] if t["name"] == "produce")
    assert run["outputs"]["Output"] == produced["outputs"]["Output"]  # the same bytes arrived
    return run, int(line.split()[1]) / 1024
