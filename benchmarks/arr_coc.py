"""Wall time of the ARR-COC example (examples/arr_coc), the number CI has to budget for.

Two measurements, each repeated ``--repeat`` times on a fresh store:

* ``in-process``: ``sluice.run(training, ...)`` (texture arrays, the three scorers, the
  adapter, evaluation) in this process, as the example's test and a notebook run it;
* ``end-to-end``: ``examples/arr_coc/submit.py`` as a user runs it (compile, submit with
  ``aiplatform.PipelineJob`` to a real ``sluice server --emulate-gcs``, wait, then list the
  metrics, the model and the endpoint and predict), from starting the script to its exit.
  On a server without the Model Registry the job fails at ``register-model``; that is
  reported, with the time it took to get there;
* ``predict``: after a successful end-to-end run, ``--predict N`` sends N single-instance
  ``endpoint.predict`` calls through the SDK to the deployed adapter, one at a time, and
  reports the p50 and p99 latency.

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


def predict_latencies(server_url: str, count: int) -> list[float]:
    """Seconds of each of ``count`` one-instance predictions on the example's endpoint."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform

    aiplatform.init(
        project="my-project",
        location="us-central1",
        api_endpoint=server_url,
        api_transport="rest",
        credentials=AnonymousCredentials(),
    )
    endpoint = aiplatform.Endpoint.list(filter='display_name="arr-coc"')[0]
    patch = [0.8, 0.25, 0.2, 0.5, 0.4, 0.3, 0.6, 0.1, 0.5, 0.5, 0.3, 0.0, 0.0]
    endpoint.predict(instances=[patch])  # warm: the first call builds the SDK's client
    took = []
    for _ in range(count):
        start = time.perf_counter()
        endpoint.predict(instances=[patch])
        took.append(time.perf_counter() - start)
    return took


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def end_to_end(images: int, predictions: int = 0) -> tuple[float, str]:
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
            if done.returncode == 0 and predictions:
                latencies = predict_latencies(server.url, predictions)
                p50, p99 = _percentile(latencies, 0.5), _percentile(latencies, 0.99)
                print(
                    f"predict     {predictions} calls: p50 {p50 * 1000:.1f} ms, "
                    f"p99 {p99 * 1000:.1f} ms"
                )
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
    parser.add_argument("--predict", type=int, default=0, help="predictions after each run")
    args = parser.parse_args()
    local = [in_process(args.images) for _ in range(args.repeat)]
    print(f"in-process  images={args.images}: " + " ".join(f"{t:.1f}s" for t in local))
    print(f"in-process  median {statistics.median(local):.1f}s")
    if args.skip_server:
        return
    remote = [end_to_end(args.images, args.predict) for _ in range(args.repeat)]
    for took, how in remote:
        print(f"end-to-end  images={args.images}: {took:.1f}s ({how})")
    print(f"end-to-end  median {statistics.median(t for t, _ in remote):.1f}s")


if __name__ == "__main__":
    main()
