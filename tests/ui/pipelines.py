"""Pipelines the UI tests submit (no ``from __future__ import annotations``: kfp reads the
real annotations)."""

from kfp import compiler, dsl


@dsl.component
def make_number(n: int) -> int:
    """Answer ``n``."""
    return n


@dsl.component
def square(x: int) -> int:
    """Square ``x``."""
    return x * x


@dsl.component
def shout(text: str) -> str:
    """Print many lines (the logs tab's fixture) and answer ``text`` upper-cased."""
    for i in range(50):
        print(f"line {i}: {text}")
    print(f"\x1b[1;31mred alert\x1b[0m for {text}")
    return text.upper()


@dsl.component
def gate(path: str) -> str:
    """Wait until the file ``path`` exists: holds a task RUNNING until a test releases it."""
    import os
    import time

    print(f"waiting for {path}", flush=True)
    while not os.path.exists(path):
        time.sleep(0.05)
    print("the gate is open", flush=True)
    return "released"


@dsl.component
def fail(message: str) -> None:
    """Fail with ``message``."""
    raise RuntimeError(message)


@dsl.component
def flaky(marker: str) -> str:
    """Fail the first time (leaving ``marker``), succeed the next."""
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        print("first attempt: failing on purpose", flush=True)
        raise RuntimeError("the first attempt fails")
    print("second attempt: fine", flush=True)
    return "ok"


@dsl.pipeline(name="inner")
def inner(x: int) -> int:
    """A nested pipeline: square, then square again."""
    first = square(x=x)
    return square(x=first.output).output


@dsl.pipeline(name="ui-showcase")
def showcase(gate_file: str = "/nonexistent", flip: int = 1) -> None:
    """A loop of a nested pipeline, an If/Else with one branch skipped, an exit handler and a
    gate task that waits for a file."""
    cleanup = shout(text="cleanup")
    with dsl.ExitHandler(cleanup):
        start = make_number(n=flip)
        with dsl.ParallelFor([1, 2, 3]) as item:
            inner(x=item)
        with dsl.If(start.output == 1):
            shout(text="taken").set_display_name("taken-branch")
        with dsl.Else():
            shout(text="skipped").set_display_name("skipped-branch")
        gate(path=gate_file).after(start)


@dsl.pipeline(name="ui-failing")
def failing() -> None:
    """One task that succeeds, then one that fails."""
    first = shout(text="before the failure")
    fail(message="the failure the UI shows").after(first)


@dsl.pipeline(name="ui-retry")
def retried(marker: str = "/nonexistent") -> None:
    """One task that fails once, then succeeds on its retry."""
    flaky(marker=marker).set_caching_options(False).set_retry(num_retries=1, backoff_duration="0s")


def compile_to(pipeline: object, path: str) -> str:
    """Compile ``pipeline`` to a YAML file at ``path``; returns the path."""
    compiler.Compiler().compile(pipeline, path)  # type: ignore[arg-type]
    return path


@dsl.component
def evaluate(
    seed: int,
    scores: dsl.Output[dsl.Metrics],
    classes: dsl.Output[dsl.ClassificationMetrics],
) -> None:
    """Log scalar metrics, a confusion matrix and a ROC curve that depend on ``seed``."""
    scores.log_metric("accuracy", 0.5 + seed / 100)
    scores.log_metric("loss", 1.0 - seed / 50)
    scores.log_metric("epochs", 3)
    classes.log_confusion_matrix(
        ["cat", "dog", "fish"], [[10 + seed, 2, 1], [3, 9, seed], [0, 1, 12]]
    )
    classes.log_roc_curve(
        [0.0, 0.1 * (1 + seed / 10), 0.5, 1.0], [0.0, 0.6, 0.9, 1.0], [1.0, 0.8, 0.4, 0.0]
    )


@dsl.component
def report(seed: int, page: dsl.Output[dsl.HTML], notes: dsl.Output[dsl.Markdown]) -> None:
    """An HTML report whose script probes its sandbox, and a Markdown note with traps."""
    with open(page.path, "w") as f:
        f.write(
            f"<h1 id='title'>Report {seed}</h1><p id='probe'>pending</p><script>"
            "let out = [];"
            "try { out.push('parent:' + window.parent.document.title); }"
            " catch (e) { console.error('sandboxed: ' + e.name); out.push('parent:blocked'); }"
            "fetch('/apis/v2beta1/runs').then(r => { out.push('fetch:' + r.status); show(); },"
            " () => { out.push('fetch:failed'); show(); });"
            "function show() { document.getElementById('probe').textContent = out.join(' '); }"
            "</script>"
        )
    with open(notes.path, "w") as f:
        f.write(
            f"# Notes {seed}\n\n| key | value |\n|---|---|\n| seed | {seed} |\n\n"
            "```\ncode block\n```\n\n<script>window.mdPwned = true</script>\n\n"
            '<img src="x" onerror="window.mdPwned = true">\n\n'
            "[a link](https://example.invalid/docs)\n"
        )


@dsl.component
def tables(rows: int, data: dsl.Output[dsl.Dataset], folder: dsl.Output[dsl.Dataset]) -> None:
    """A CSV dataset of ``rows`` rows and a directory dataset of three files."""
    import os

    with open(data.path, "w") as f:
        f.write("id,name,score,ok\n")
        for i in range(rows):
            f.write(f"{i},row-{i},{i / 4},{'true' if i % 2 else 'false'}\n")
    os.makedirs(os.path.join(folder.path, "part"), exist_ok=True)
    for name in ("a.txt", "b.txt", "part/c.txt"):
        with open(os.path.join(folder.path, name), "w") as f:
            f.write(name)


@dsl.pipeline(name="ui-viewers")
def viewers(seed: int = 1, rows: int = 150, lr: float = 0.1) -> None:
    """Every kind of artifact the viewers show: metrics, classification, HTML, Markdown,
    a CSV dataset and a directory."""
    evaluate(seed=seed)
    report(seed=seed)
    tables(rows=rows)


@dsl.component
def big_log(megabytes: int) -> None:
    """Print ``megabytes`` MiB of numbered lines (the 4 MiB truncation notice's fixture)."""
    import sys

    line = "x" * 90
    count = megabytes * 1024 * 1024 // 100 + 1
    for i in range(count):
        sys.stdout.write(f"{i:08d} {line}\n")
    print("the last line of the big log", flush=True)


@dsl.pipeline(name="ui-big-log")
def big_logged(megabytes: int = 5) -> None:
    """One task whose log is over 4 MiB."""
    big_log(megabytes=megabytes).set_caching_options(False)


@dsl.component
def fixable(flag: str) -> str:
    """Fail until the file ``flag`` exists (the fix a test applies before retrying)."""
    import os

    if not os.path.exists(flag):
        raise RuntimeError(f"not fixed yet: {flag} is missing")
    print("fixed", flush=True)
    return "fixed"


@dsl.pipeline(name="ui-fixable")
def fixable_run(flag: str = "/nonexistent") -> None:
    """A task that succeeds, then one that fails until a fix flag is set; caching off, so
    a retry that kept the first task did so because the run kept it, not the cache."""
    first = shout(text="before the fix").set_caching_options(False)
    fixable(flag=flag).after(first).set_caching_options(False)


@dsl.pipeline(name="ui-echo")
def echo(text: str = "echo") -> None:
    """One shout of ``text``: a run with a text of its own is a cache source no other run
    shares."""
    shout(text=text)


@dsl.component
def echo_index(i: int) -> int:
    """Answer ``i`` (one iteration of the wide loop)."""
    return i


@dsl.pipeline(name="ui-wide-loop")
def wide_loop() -> None:
    """A ParallelFor of 500 trivial iterations: the summarised loop (test 19)."""
    with dsl.ParallelFor(list(range(500))) as item:
        echo_index(i=item)


@dsl.component
def fail_on(i: int, bad: int) -> int:
    """Fail for the item ``bad``; answer ``i`` for the others."""
    if i == bad:
        raise RuntimeError(f"iteration item {i} fails on purpose")
    return i


@dsl.pipeline(name="ui-wide-failing-loop")
def wide_failing_loop(bad: int = 5) -> None:
    """A ParallelFor of 25 iterations (summarised) in which the item ``bad`` fails."""
    with dsl.ParallelFor(list(range(25))) as item:
        fail_on(i=item, bad=bad).set_caching_options(False)
