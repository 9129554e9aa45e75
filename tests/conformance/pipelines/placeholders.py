"""Runtime placeholders, f-strings over upstream outputs, env variables, display names."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.
# ruff: noqa: UP014

from typing import NamedTuple

from kfp import dsl


@dsl.component
def show_placeholders(
    job_name: str,
    job_resource_name: str,
    job_id: str,
    task_name: str,
    task_id: str,
    root: str,
    create_time: str,
    schedule_time: str,
) -> dict:
    """Echoes the resolved placeholder values."""
    return {
        "job_name": job_name,
        "job_resource_name": job_resource_name,
        "job_id": job_id,
        "task_name": task_name,
        "task_id": task_id,
        "root": root,
        "create_time": create_time,
        "schedule_time": schedule_time,
    }


@dsl.pipeline(name="placeholders")
def placeholders() -> dict:
    """Every pipeline-level placeholder kfp 2.17.3 exposes (workspace needs a workspace)."""
    return show_placeholders(
        job_name=dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
        job_resource_name=dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER,
        job_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
        task_name=dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
        task_id=dsl.PIPELINE_TASK_ID_PLACEHOLDER,
        root=dsl.PIPELINE_ROOT_PLACEHOLDER,
        create_time=dsl.PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER,
        schedule_time=dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER,
    ).output


@dsl.component
def produce(word: str) -> str:
    """Upstream value spliced into an f-string."""
    return word.upper()


@dsl.component
def echo(msg: str) -> str:
    """Returns its input."""
    return msg


@dsl.component
def read_env(name: str) -> str:
    """The value of an environment variable inside the task."""
    import os

    return os.environ.get(name, "<unset>")


@dsl.pipeline(name="fstring-env-display")
def fstring_env_display(word: str = "abc") -> NamedTuple(
    "Outputs", [("joined", str), ("env", str), ("both", str)]
):
    """An f-string mixing an upstream output and a pipeline parameter into constants."""
    p = produce(word=word)
    joined = echo(msg=f"pre-{p.output}-mid-{word}-post")
    env = read_env(name="MY_ENV").set_env_variable("MY_ENV", "hello-env")
    env.set_display_name("Env Reader")
    both = echo(msg=f"{joined.output}|{env.output}")
    outputs = NamedTuple("Outputs", [("joined", str), ("env", str), ("both", str)])
    return outputs(joined.output, env.output, both.output)
