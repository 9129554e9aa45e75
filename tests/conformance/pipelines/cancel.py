"""A run that blocks until released, for cancellation tests."""

from kfp import dsl


@dsl.component
def blocker(marker: str, release: str) -> str:
    """Records its pid, then waits (bounded) for the ``release`` file to appear."""
    import os
    import time

    with open(marker, "a") as f:
        f.write(f"started {os.getpid()}\n")
    deadline = time.time() + 60
    while not os.path.exists(release) and time.time() < deadline:
        time.sleep(0.05)
    with open(marker, "a") as f:
        f.write("finished\n")
    return "released"


@dsl.component
def after_block(x: str, marker: str):
    """Must not run when the run was canceled."""
    with open(marker, "a") as f:
        f.write(f"after {x}\n")


@dsl.pipeline(name="cancelable")
def cancelable(marker: str, release: str):
    """blocker -> after-block."""
    b = blocker(marker=marker, release=release)
    after_block(x=b.output, marker=marker)
