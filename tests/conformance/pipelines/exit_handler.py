"""dsl.ExitHandler with PipelineTaskFinalStatus, and ignore_upstream_failure."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.

from kfp import dsl


@dsl.component
def work(fail: bool, marker: str, resource_name: str) -> str:
    """Body task: records the job resource name it saw, then fails if asked to."""
    with open(marker, "a") as f:
        f.write(f"work {resource_name}\n")
    if fail:
        raise ValueError("work failed on purpose")
    return "done"


@dsl.component
def after_work(msg: str, marker: str):
    """Runs inside the body after ``work``; must not run when ``work`` failed."""
    with open(marker, "a") as f:
        f.write(f"after {msg}\n")


@dsl.component
def on_exit(status: dsl.PipelineTaskFinalStatus, marker: str) -> dict:
    """Exit task: records the final status of the body it guards."""
    with open(marker, "a") as f:
        f.write("exit\n")
    return {
        "state": status.state,
        "pipeline_job_resource_name": status.pipeline_job_resource_name,
        "pipeline_task_name": status.pipeline_task_name,
    }


@dsl.pipeline(name="exit-handler")
def exit_handler(fail: bool = False, marker: str = ""):
    """The exit task runs after the body whether it succeeded or failed."""
    exit_task = on_exit(marker=marker)
    with dsl.ExitHandler(exit_task):
        w = work(fail=fail, marker=marker, resource_name=dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER)
        after_work(msg=w.output, marker=marker)


@dsl.component
def maybe_fail(fail: bool) -> str:
    """Fails when asked to, otherwise returns a real value."""
    if fail:
        raise RuntimeError("upstream failed on purpose")
    return "real-value"


@dsl.component
def tolerant(msg: str = "default-msg") -> str:
    """Runs even after a failed upstream; the input falls back to its default then."""
    return msg


@dsl.pipeline(name="ignore-upstream-failure")
def ignore_upstream_failure(fail: bool = True) -> str:
    """``tolerant`` ignores ``maybe-fail``'s failure."""
    up = maybe_fail(fail=fail)
    return tolerant(msg=up.output).ignore_upstream_failure().output
