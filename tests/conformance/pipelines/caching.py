"""Task caching: hits, misses, run-level overrides, custom cache keys."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.
# ruff: noqa: UP014

from typing import NamedTuple

from kfp import dsl
from kfp.dsl import Dataset, Input, Output


@dsl.component
def count_run(marker: str, x: int) -> int:
    """Counts its real executions; returns a value derived from ``x``."""
    with open(marker, "a") as f:
        f.write(f"{x}\n")
    return x * 10


@dsl.component
def count_artifact(marker: str, x: int, out: Output[Dataset]):
    """Counts its executions; writes an artifact whose URI a cache hit must republish."""
    import time

    with open(marker, "a") as f:
        f.write(f"{x}\n")
    with open(out.path, "w") as f:
        f.write(f"{x}@{time.time()}")
    out.metadata["x"] = x


@dsl.pipeline(name="cache-basic")
def cache_basic(marker_a: str, marker_b: str, marker_c: str, x: int = 1, y: int = 2) -> NamedTuple(
    "Outputs", [("a", int), ("c", int), ("b", Dataset)]
):
    """``a`` depends on ``x``; ``b`` on ``y``; ``c`` consumes ``a``'s output."""
    a = count_run(marker=marker_a, x=x)
    b = count_artifact(marker=marker_b, x=y)
    c = count_run(marker=marker_c, x=a.output)
    outputs = NamedTuple("Outputs", [("a", int), ("c", int), ("b", Dataset)])
    return outputs(a.output, c.output, b.outputs["out"])


@dsl.pipeline(name="cache-off-at-compile")
def cache_off_at_compile(marker: str, x: int = 1) -> int:
    """``set_caching_options(False)`` at compile time."""
    return count_run(marker=marker, x=x).set_caching_options(enable_caching=False).output


@dsl.pipeline(name="cache-custom-key")
def cache_custom_key(marker: str, x: int = 1) -> int:
    """A custom cacheKey: the fingerprint ignores the inputs (Go driver/cache.go)."""
    return (
        count_run(marker=marker, x=x)
        .set_caching_options(enable_caching=True, cache_key="conformance-key")
        .output
    )


@dsl.pipeline(name="cache-artifact")
def cache_artifact(marker: str, x: int = 1) -> Dataset:
    """A cached artifact-producing task."""
    return count_artifact(marker=marker, x=x).outputs["out"]


@dsl.pipeline(name="cache-artifact-other-pipeline")
def cache_artifact_other_pipeline(marker: str, x: int = 1) -> Dataset:
    """Same component and inputs as ``cache-artifact`` but another pipeline name."""
    return count_artifact(marker=marker, x=x).outputs["out"]


@dsl.component
def fail_if_flag(marker: str, flag: str) -> str:
    """Fails while the file ``flag`` exists (the inputs stay identical across runs)."""
    import os

    with open(marker, "a") as f:
        f.write("run\n")
    if os.path.exists(flag):
        raise RuntimeError("flag file present")
    return "ok"


@dsl.pipeline(name="cache-after-failure")
def cache_after_failure(marker: str, flag: str) -> str:
    """A failed execution must not be cached."""
    return fail_if_flag(marker=marker, flag=flag).output


@dsl.component
def consume_artifact(marker: str, data: Input[Dataset]) -> str:
    """Counts its executions; its cache key includes the input artifact's identity."""
    with open(marker, "a") as f:
        f.write("consume\n")
    with open(data.path) as f:
        return f.read().split("@")[0]


@dsl.pipeline(name="cache-artifact-consumer")
def cache_artifact_consumer(marker_p: str, marker_c: str) -> str:
    """Producer (caching off) -> consumer (caching on) over an artifact."""
    p = count_artifact(marker=marker_p, x=1)
    p.set_caching_options(enable_caching=False)
    c = consume_artifact(marker=marker_c, data=p.outputs["out"])
    return c.output


@dsl.pipeline(name="cache-artifact-consumer-cached")
def cache_artifact_consumer_cached(marker_p: str, marker_c: str) -> str:
    """Producer -> consumer over an artifact, both cacheable."""
    p = count_artifact(marker=marker_p, x=1)
    return consume_artifact(marker=marker_c, data=p.outputs["out"]).output
