"""``sluice run``: run a pipeline here, show its tasks live, then summarize."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from sluice.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    cli_errors,
    make_console,
    parse_age,
)
from sluice.cli.summary import print_run_summary, run_json
from sluice.cli.view import make_view
from sluice.errors import UserInputError
from sluice.states import RunState

if TYPE_CHECKING:
    from sluice.client.local import RunHandle
    from sluice.client.models import Run

# The main thread waits for the run in slices: it wakes the moment the run ends, and
# between slices Python delivers Ctrl-C (the signal always lands in the main thread).
_WAIT_SLICE_SECONDS = 0.5


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """Treat SIGTERM (``kill``, a service manager, CI's timeout) like Ctrl-C.

    Python's default for SIGTERM is to die at once: the run would stay RUNNING in the store
    with nobody executing it. As Ctrl-C, the run is canceled and its tasks stopped.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _wait(handle: RunHandle) -> Run:
    while not handle.wait_ended(_WAIT_SLICE_SECONDS):
        pass
    return handle.wait()


def _cancel(handle: RunHandle) -> Run:
    typer.echo(f"canceling run {handle.name} ...", err=True)
    handle.cancel()
    try:
        return _wait(handle)
    except KeyboardInterrupt:
        # A second Ctrl-C: stop waiting for tasks to wind down.
        typer.echo("interrupted again; exiting without waiting for the run to stop", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None


@cli_errors
def run_command(
    pipeline: Annotated[
        str,
        typer.Argument(
            metavar="PIPELINE",
            help="A .py file defining a pipeline, or a compiled pipeline .yaml/.json (or a "
            "component YAML).",
            show_default=False,
        ),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            metavar="NAME=VALUE",
            help="A pipeline argument, typed by the declared input (repeatable).",
        ),
    ] = None,
    params_file: Annotated[
        Path | None,
        typer.Option(
            "--params-file",
            metavar="FILE",
            help="JSON or YAML mapping of arguments; -p values override it.",
        ),
    ] = None,
    pipeline_name: Annotated[
        str | None,
        typer.Option(
            "--pipeline", metavar="NAME", help="Which pipeline of a .py file that defines several."
        ),
    ] = None,
    pipeline_root: Annotated[
        str | None,
        typer.Option(
            "--pipeline-root",
            metavar="URI",
            help="Where artifacts go: a path or fsspec URI (default $SLUICE_HOME/artifacts).",
        ),
    ] = None,
    cache: Annotated[
        bool | None,
        typer.Option(
            "--cache/--no-cache",
            help="Force caching on or off for every task (default: as compiled).",
            show_default=False,
        ),
    ] = None,
    cache_max_age: Annotated[
        str | None,
        typer.Option(
            "--cache-max-age",
            metavar="AGE",
            help="Ignore cache entries older than this (30m, 12h, 7d).",
        ),
    ] = None,
    run_name: Annotated[
        str | None,
        typer.Option(
            "--run-name", metavar="NAME", help="Name of the run (default <pipeline>-<time>)."
        ),
    ] = None,
    allow_unsatisfiable_resources: Annotated[
        bool,
        typer.Option(
            "--allow-unsatisfiable-resources",
            help="Run even if tasks ask for resources (GPUs, CPUs) this machine lacks.",
        ),
    ] = False,
    use_container: Annotated[
        bool,
        typer.Option(
            "--use-container",
            help="Run the tasks in Docker/Podman (--executor docker, or podman if only it is "
            "installed).",
        ),
    ] = False,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            metavar="NAME",
            help="Executor that runs the tasks: local (default, or $SLUICE_EXECUTOR), docker, "
            "podman, or one a package registers.",
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            metavar="ADDR",
            help="Ray cluster of --executor ray: the head's GCS address, e.g. 10.0.0.5:6379 "
            "(default $SLUICE_RAY_ADDRESS, else $RAY_ADDRESS).",
        ),
    ] = None,
    gpus: Annotated[
        str | None,
        typer.Option(
            "--gpus",
            metavar="IDS",
            help="GPUs the tasks get, each exclusively: 0,1,2,3, none, or all (default "
            "$SLUICE_GPUS, else the NVIDIA GPUs detected). A task waits for busy ones.",
        ),
    ] = None,
    max_parallel: Annotated[
        int | None,
        typer.Option("--max-parallel", metavar="N", min=1, help="Task processes running at once."),
    ] = None,
    experiment: Annotated[
        str | None,
        typer.Option("--experiment", metavar="NAME", help="Record the run in this experiment."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only the finished run as one JSON object.")
    ] = False,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            envvar="SLUICE_HOST",
            metavar="URL",
            help="Run on the Sluice server at URL instead of here ($SLUICE_TOKEN is sent).",
        ),
    ] = None,
) -> None:
    """Run a pipeline on this machine (or on a server, with --host) and wait for it to end.

    Exit code: 0 SUCCEEDED, 1 FAILED or canceled, 2 bad input, 130 Ctrl-C or SIGTERM (run
    canceled).
    """
    if ray_address and host:
        raise UserInputError(
            "--ray-address cannot be used with --host (the server's own "
            "--ray-address applies); drop it or run locally"
        )
    if ray_address:
        # Read where the settings are made (and by a run resumed from this process).
        os.environ["SLUICE_RAY_ADDRESS"] = ray_address
    if gpus is not None:
        if host:
            raise UserInputError(
                "--gpus cannot be used with --host (the server's own --gpus applies); "
                "drop it or run locally"
            )
        from sluice.devices import GPUS_VARIABLE, parse_gpus

        parse_gpus(gpus)  # a malformed list: one line, exit 2, before anything is written
        os.environ[GPUS_VARIABLE] = gpus
    with _sigterm_as_ctrl_c():
        try:
            _run(
                pipeline,
                param,
                params_file,
                pipeline_name,
                pipeline_root,
                cache,
                cache_max_age,
                run_name,
                allow_unsatisfiable_resources,
                use_container,
                max_parallel,
                experiment,
                as_json,
                host,
                executor,
            )
        except KeyboardInterrupt:
            # Before the run started (or after it was handled): nothing to cancel.
            typer.echo("interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None


def _run(
    pipeline: str,
    param: list[str] | None,
    params_file: Path | None,
    pipeline_name: str | None,
    pipeline_root: str | None,
    cache: bool | None,
    cache_max_age: str | None,
    run_name: str | None,
    allow_unsatisfiable_resources: bool,
    use_container: bool,
    max_parallel: int | None,
    experiment: str | None,
    as_json: bool,
    host: str | None,
    executor: str | None = None,
) -> None:
    if host:
        from sluice.cli.remote import run_remote

        local_only = {
            "--cache/--no-cache": cache is not None,
            "--cache-max-age": cache_max_age is not None,
            "--allow-unsatisfiable-resources": allow_unsatisfiable_resources,
            "--use-container": use_container,
            "--executor": executor is not None,
            "--max-parallel": max_parallel is not None,
            "--experiment": experiment is not None,
        }
        given = [name for name, used in local_only.items() if used]
        if given:
            raise UserInputError(
                f"{', '.join(given)} cannot be used with --host yet; drop it or run locally"
            )
        code = run_remote(
            host,
            pipeline,
            param or [],
            params_file,
            pipeline_name=pipeline_name,
            pipeline_root=pipeline_root,
            run_name=run_name,
            as_json=as_json,
        )
        raise typer.Exit(code)
    # Heavy imports (kfp, the engine) happen here, not when `sluice --help` runs.
    from sluice.client.local import RunHandle
    from sluice.service.runs import prepare_run
    from sluice.spec.loader import load_pipeline
    from sluice.spec.validate import parse_cli_arguments

    max_age = parse_age(cache_max_age) if cache_max_age is not None else None
    # kfp's warning about a component's default base_image is kept only when that image is
    # used (a container executor); on the host it is noise on every run.
    uses_images = use_container or executor not in (None, "local")
    loaded = load_pipeline(
        pipeline, pipeline_name=pipeline_name, warn_default_base_image=uses_images
    )
    arguments = parse_cli_arguments(loaded, param or [], params_file)
    store, row, settings, warnings = prepare_run(
        loaded,
        arguments,
        pipeline_root=pipeline_root,
        enable_caching=cache,
        run_name=run_name,
        cache_max_age=max_age,
        allow_unsatisfiable_resources=allow_unsatisfiable_resources,
        use_container=use_container,
        max_parallel_tasks=max_parallel,
        experiment=experiment,
        executor=executor,
    )
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)

    console = make_console()
    interrupted = False
    if as_json:
        handle = RunHandle(store, row, settings)
        try:
            run = _wait(handle)
        except KeyboardInterrupt:
            interrupted = True
            run = _cancel(handle)
        typer.echo(json.dumps(run_json(run), ensure_ascii=False, default=str))
    else:
        console.print(
            f"Started run {row.name} ({row.id}) of pipeline {loaded.name}",
            markup=False,
            soft_wrap=True,
        )
        view = make_view(console)
        handle = RunHandle(store, row, settings, on_event=view.on_event)
        try:
            with view:
                run = _wait(handle)
        except KeyboardInterrupt:
            interrupted = True
            run = _cancel(handle)
        print_run_summary(console, run)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(EXIT_OK if run.state == RunState.SUCCEEDED else EXIT_FAILED)
