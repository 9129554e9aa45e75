"""Pipelines of the Logs and Cache tab tests (no ``from __future__ import annotations``:
kfp reads the real annotations).

``live_logged`` prints 20,000 lines in three parts held apart by two gate files, so a test
sees the log grow while the task is RUNNING without depending on how fast anything is:
lines 1-10,000 (paced), then a wait for the first gate, lines 10,001-19,999 (paced), a wait
for the second gate, and line 20,000. Every 100th line is green, every 1,000th red and
bold, and the lines 500, 1,500, ... carry the searchable token ``needle-<tag>`` (20 of
them; made in the component, so the executor's own lines, which show the arguments, do not
hold it).

``cache_params`` feeds one pipeline parameter through an upstream task to a downstream
one, so changing it misses the cache on both: on the first as that parameter, on the
second as the upstream task's output.
"""

from kfp import dsl


@dsl.component
def live_log(first_gate: str, second_gate: str, tag: str) -> None:
    """Print 20,000 numbered lines with ANSI colours, held at two gates (see the module)."""
    import os
    import sys
    import time

    token = f"needle-{tag}"

    def line(number: int) -> str:
        text = f"{number:05d} step {number}"
        if number % 1000 == 500:
            text += f" {token}"
        if number % 1000 == 0:
            return f"\x1b[1;31m{text} ERROR checkpoint\x1b[0m\n"
        if number % 100 == 0:
            return f"\x1b[32m{text} ok\x1b[0m\n"
        return text + "\n"

    def paced(first: int, last: int) -> None:
        # 500 lines every 50 ms: each part takes about a second.
        for start in range(first, last + 1, 500):
            sys.stdout.write("".join(line(n) for n in range(start, min(start + 500, last + 1))))
            sys.stdout.flush()
            time.sleep(0.05)

    def hold(path: str) -> None:
        # A test that fails before releasing the gate must not leave the task forever.
        deadline = time.monotonic() + 300
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)

    paced(1, 10_000)
    hold(first_gate)
    paced(10_001, 19_999)
    hold(second_gate)
    sys.stdout.write(f"{line(20_000)[:-1]} the last line of the live log\n")
    sys.stdout.flush()


@dsl.pipeline(name="ui-live-log")
def live_logged(
    first_gate: str = "/nonexistent", second_gate: str = "/nonexistent", tag: str = "x"
) -> None:
    """One task whose 20,000-line log grows while it runs."""
    live_log(first_gate=first_gate, second_gate=second_gate, tag=tag).set_caching_options(False)


@dsl.component
def prepare(times: int) -> int:
    """Answer ``times`` ten times over (what the downstream task reads)."""
    return times * 10


@dsl.component
def greet(greeting: str, count: int) -> str:
    """Say ``greeting``, and how many times it was asked to."""
    print(f"{greeting} (x{count})", flush=True)
    return greeting


@dsl.pipeline(name="ui-cache-params")
def cache_params(greeting: str = "hello", times: int = 3) -> None:
    """``times`` reaches ``greet`` through ``prepare``'s output."""
    greet(greeting=greeting, count=prepare(times=times).output)
