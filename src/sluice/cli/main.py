"""The ``sluice`` command: the typer app, its subcommands and the entry point.

Exit codes: 0 success, 1 a run failed or was canceled (or Sluice failed), 2 bad input
(including usage errors), 130 interrupted.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.artifacts import artifacts_app, executions_app
from sluice.cli.cache import cache_app
from sluice.cli.compare import compare_command
from sluice.cli.compile import compile_command
from sluice.cli.lineage import lineage_command
from sluice.cli.logs import logs_command
from sluice.cli.models import models_app
from sluice.cli.run import run_command
from sluice.cli.runs import runs_app
from sluice.cli.server import bare_emulate_gcs, server_command
from sluice.cli.validate import validate_command

app = typer.Typer(
    name="sluice",
    help="Run Kubeflow Pipelines v2 pipelines on this machine: no Kubernetes, no Docker.",
    no_args_is_help=True,
    add_completion=False,
    # Unexpected exceptions are bugs: show the plain traceback, not a decorated one.
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("run")(run_command)
app.command("compile")(compile_command)
app.command("validate")(validate_command)
app.command("logs")(logs_command)
app.add_typer(runs_app, name="runs")
app.add_typer(artifacts_app, name="artifacts")
app.add_typer(executions_app, name="executions")
app.add_typer(models_app, name="models")
app.command("lineage")(lineage_command)
app.command("compare")(compare_command)
app.add_typer(cache_app, name="cache")
app.command("server")(server_command)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sluice")
    except PackageNotFoundError:  # running from a source tree that is not installed
        from sluice import __version__

        return __version__


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"sluice {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Run Kubeflow Pipelines v2 pipelines on this machine: no Kubernetes, no Docker.

    State (runs, logs, artifacts) lives in $SLUICE_HOME (default ~/.sluice).
    """


def main() -> None:
    """Entry point of the ``sluice`` console script and ``python -m sluice``."""
    import sys

    app(prog_name="sluice", args=bare_emulate_gcs(sys.argv[1:]))
