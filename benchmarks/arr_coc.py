"""Wall time of the ARR-COC example (examples/arr_coc), the number CI has to budget for.

Two measurements, each repeated ``--repeat`` times on a fresh store:

* ``in-process``: ``sluice.run(training, ...)`` (texture arrays, the three scorers, the
  adapter, evaluation) in this process, as the example's test and a notebook run it;
* ``end-to-end``: ``examples/arr_coc/submit.py`` as a user runs it (compile, submit with
  ``aiplatform.PipelineJob`` to a real ``sluice server --emulate-gcs``, wait, then list the
  metrics, the model and the endpoint and predict), from starting the script to its exit.
  On a server without the Model Registry the job fails at ``register-model``; that is
  reported, with the time it took to get there.

    PYTHONPATH=src .venv/bin/python benchmarks/arr_coc.py --images 120 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples" / "arr_coc"))


def in_process(images: int) -> float:
    """Seconds for one in-process run of the training pipeline."""
    from pipeline import training

    import sluice

    with tempfile.TemporaryDirectory(prefix="arr-coc-bench-") as home:
        os.environ["SLUICE_HOME"] = home
        start = time.perf_counter()
        run = sluice.run(training, {"num_images": images}, enable_caching=False)
        took = time.perf_counter() - start
    if run.state != "SUCCEEDED":
        raise SystemExit(f"the training run {run.state}: {run.error}")
    return took


def end_to_end(images: int) -> tuple[float, str]:
    """Seconds for submit.py against a fresh server, and how it ended."""
    from tests.server.server_process import ServerProcess

    with tempfile.TemporaryDirectory(prefix="arr-coc-bench-") as tmp:
        work = Path(tmp)
        with ServerProcess(work / "server", cli_args=["--emulate-gcs"]) as server:
            env = {**os.environ, "STORAGE_EMULATOR_HOST": server.url, "ARR_COC_IMAGES": str(images)}
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(ROOT / "examples" / "arr_coc" / "submit.py")],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            took = time.perf_counter() - start
    if done.returncode == 0:
        return took, "succeeded"
    last = (done.stderr.strip().splitlines() or ["?"])[-1]
    return took, f"failed: {last[:160]}"


def main() -> None:
    """Run the measurements and print one line each, then the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-server", action="store_true", help="only the in-process run")
    args = parser.parse_args()
    local = [in_process(args.images) for _ in range(args.repeat)]
    print(f"in-process  images={args.images}: " + " ".join(f"{t:.1f}s" for t in local))
    print(f"in-process  median {statistics.median(local):.1f}s")
    if args.skip_server:
        return
    remote = [end_to_end(args.images) for _ in range(args.repeat)]
    for took, how in remote:
        print(f"end-to-end  images={args.images}: {took:.1f}s ({how})")
    print(f"end-to-end  median {statistics.median(t for t, _ in remote):.1f}s")


if __name__ == "__main__":
    main()
