"""set_retry: succeed after failures, and exhaust the retries."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.

from kfp import dsl


@dsl.component
def flaky(marker: str, fail_times: int) -> int:
    """Fails its first ``fail_times`` attempts; returns the attempt number that succeeded."""
    import os

    n = 0
    if os.path.exists(marker):
        with open(marker) as f:
            n = len(f.read().splitlines())
    with open(marker, "a") as f:
        f.write("attempt\n")
    if n < fail_times:
        raise RuntimeError(f"flaky attempt {n + 1} failed")
    return n + 1


@dsl.pipeline(name="retry-succeeds")
def retry_succeeds(marker: str, fail_times: int = 2) -> int:
    """Two failures, then success on the third attempt (three retries allowed)."""
    return (
        flaky(marker=marker, fail_times=fail_times)
        .set_retry(num_retries=3, backoff_duration="0s")
        .output
    )


@dsl.pipeline(name="retry-exhausted")
def retry_exhausted(marker: str, fail_times: int = 100) -> int:
    """Always fails: 1 attempt + 2 retries, then the task and the run fail."""
    return (
        flaky(marker=marker, fail_times=fail_times)
        .set_retry(num_retries=2, backoff_duration="0s")
        .output
    )


@dsl.pipeline(name="retry-waits")
def retry_waits(marker: str) -> int:
    """Fails, then waits a minute before its retry: long enough to be canceled meanwhile."""
    return (
        flaky(marker=marker, fail_times=100).set_retry(num_retries=1, backoff_duration="60s").output
    )
