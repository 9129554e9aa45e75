"""``sluice logs``: print the log of one task of a run."""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.common import cli_errors
from sluice.errors import RunNotFoundError
from sluice.logfiles import iter_text_chunks


@cli_errors
def logs_command(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="Run id, id prefix or name.", show_default=False)
    ],
    task: Annotated[
        str,
        typer.Argument(
            metavar="TASK", help="Task path (for-loop-2[1]/square) or name.", show_default=False
        ),
    ],
    attempt: Annotated[
        int | None,
        typer.Option(
            "--attempt", metavar="N", min=1, help="Which attempt (default: the last one)."
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", envvar="SLUICE_HOST", metavar="URL", help="A Sluice server."),
    ] = None,
) -> None:
    """Print a task's log: its stdout and stderr."""
    from sluice.client.local import get_run
    from sluice.service.logs import attempt_log, attempts_with_log

    if host:
        from sluice.client.remote import RemoteClient

        with RemoteClient(host) as client:
            run_id = client.resolve_run(run)
            for text in client.stream_logs(run_id, task, attempt=attempt):
                typer.echo(text, nl=False)
        return

    found = get_run(run).task(task)
    if found.log_path is None:
        reason = "it came from the cache" if found.state == "CACHED" else "it did not run"
        raise RunNotFoundError(f"task '{found.path}' has no log: {reason} (state {found.state})")
    path = found.log_path
    if attempt is not None:
        path = attempt_log(path, attempt)
        if not path.exists():
            have = ", ".join(str(n) for n in attempts_with_log(found.log_path)) or "none"
            raise RunNotFoundError(
                f"task '{found.path}' has no attempt {attempt} (attempts with a log: {have})"
            )
    # In chunks: a log may be far larger than the memory we want to use.
    try:
        for text in iter_text_chunks(path):
            typer.echo(text, nl=False)
    except FileNotFoundError:
        raise RunNotFoundError(f"the log of task '{found.path}' is gone: {path}") from None
