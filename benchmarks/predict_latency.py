"""Predict latency through ``sluice server``'s Vertex ``:predict`` route (docs/models.md).

Starts a real server (``sluice server --emulate-gcs`` on a temporary ``SLUICE_HOME``),
registers a small scikit-learn model with ``aiplatform.Model.upload``, deploys it with
``model.deploy``, then times ``endpoint.predict(instances=...)`` (the SDK over REST, as a
user calls it) and, for comparison, a POST straight to the deployed model's own process.
Warm-up requests are not timed. Prints p50/p90/p99 and the mean, in milliseconds.

    PYTHONPATH=src python benchmarks/predict_latency.py [--requests 200] [--instances 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _report(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"{name:<28} n={len(ms):<4} p50={_percentile(ms, 0.5):7.2f} ms  "
        f"p90={_percentile(ms, 0.9):7.2f} ms  p99={_percentile(ms, 0.99):7.2f} ms  "
        f"mean={statistics.fmean(ms):7.2f} ms"
    )


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--instances", type=int, default=2, help="instances per request")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    import httpx
    from google.cloud import aiplatform
    from tests.server.vertex.registry_models import registry_server, sklearn_model

    instances = [[0.0, 0.1], [1.0, 1.0]] * max(1, args.instances // 2)
    instances = instances[: args.instances]
    with tempfile.TemporaryDirectory() as tmp, registry_server(Path(tmp)):
        model = aiplatform.Model.upload(
            display_name="bench",
            artifact_uri=str(sklearn_model(Path(tmp) / "model")),
            serving_container_image_uri="us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest",
        )
        endpoint = model.deploy(machine_type="n1-standard-2")
        direct_url = endpoint.list_models()[0].private_endpoints.predict_http_uri
        try:
            for _ in range(args.warmup):
                endpoint.predict(instances=instances)
            sdk = []
            for _ in range(args.requests):
                start = time.perf_counter()
                endpoint.predict(instances=instances)
                sdk.append(time.perf_counter() - start)
            with httpx.Client() as client:
                for _ in range(args.warmup):
                    client.post(direct_url, json={"instances": instances})
                direct = []
                for _ in range(args.requests):
                    start = time.perf_counter()
                    client.post(direct_url, json={"instances": instances}).raise_for_status()
                    direct.append(time.perf_counter() - start)
        finally:
            endpoint.undeploy_all()
    print(f"{os.cpu_count()} cores, {args.instances} instances per request")
    _report("server :predict (SDK)", sdk)
    _report("model process (direct)", direct)


if __name__ == "__main__":
    main()
