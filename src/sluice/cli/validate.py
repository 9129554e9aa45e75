"""``sluice validate``: check a pipeline without running it (for CI and pre-commit hooks).

Exit codes: 0 clean, 1 findings (one ``path: task: problem — fix`` line each, on standard
output), 2 the pipeline cannot be loaded at all (one ``error:`` line on standard error).
"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.common import EXIT_FAILED, cli_errors


@cli_errors
def validate_command(
    pipeline: Annotated[
        str,
        typer.Argument(
            metavar="PIPELINE",
            help="A .py file defining a pipeline, or its compiled .yaml/.json IR.",
            show_default=False,
        ),
    ],
    pipeline_name: Annotated[
        str | None,
        typer.Option(
            "--pipeline", metavar="NAME", help="Which pipeline of a .py file that defines several."
        ),
    ] = None,
    cpus: Annotated[
        int | None,
        typer.Option(
            "--cpus", min=1, help="CPUs of the machine that will run it (default: this one's)."
        ),
    ] = None,
    memory: Annotated[
        str | None,
        typer.Option(
            "--memory", metavar="SIZE", help="Its memory, e.g. 16Gi (default: this machine's)."
        ),
    ] = None,
    gpus: Annotated[
        int | None,
        typer.Option("--gpus", min=0, help="Its NVIDIA GPUs (default: this machine's)."),
    ] = None,
) -> None:
    """Check a pipeline without running it: IR, graph, argument types, placeholders,
    unsupported features, resources, and component mistakes that fail only at run time."""
    from dataclasses import replace

    from sluice.errors import UserInputError
    from sluice.spec.lint import lint_pipeline
    from sluice.spec.loader import load_pipeline
    from sluice.spec.resources import machine_resources, parse_quantity

    loaded = load_pipeline(pipeline, pipeline_name=pipeline_name)
    machine = machine_resources()
    if cpus is not None:
        machine = replace(machine, cpus=cpus)
    if memory is not None:
        try:
            size = parse_quantity(memory, memory=True, label="--memory", field="size")
        except UserInputError:
            raise UserInputError(
                f"--memory {memory!r} is not a size; write it as 512M, 16Gi or 64G"
            ) from None
        machine = replace(machine, memory_bytes=round(size))
    if gpus is not None:
        machine = replace(machine, nvidia_gpus=gpus)
    findings = lint_pipeline(loaded, machine=machine)
    for finding in findings:
        typer.echo(finding.line(pipeline))
    if findings:
        noun = "finding" if len(findings) == 1 else "findings"
        typer.echo(f"{len(findings)} {noun} in {pipeline}", err=True)
        raise typer.Exit(EXIT_FAILED)
    typer.echo(f"{pipeline}: ok (pipeline {loaded.name})", err=True)
