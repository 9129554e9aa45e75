"""``sluice server``: serve the KFP v2beta1 REST API (kfp.Client works against it)."""

from __future__ import annotations

from typing import Annotated

import typer

from sluice.cli.common import cli_errors


@cli_errors
def server_command(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8888,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Store URL (overrides $SLUICE_DB_URL), e.g. postgresql://..."),
    ] = None,
    max_concurrent_runs: Annotated[
        int,
        typer.Option("--max-concurrent-runs", min=1, help="Runs executing at once; others wait."),
    ] = 4,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="SLUICE_TOKEN",
            help="Require 'Authorization: Bearer TOKEN' on every endpoint but healthz.",
        ),
    ] = None,
) -> None:
    """Serve the Kubeflow Pipelines REST API: point kfp.Client(host="http://HOST:PORT") here."""
    # Imported here: the web stack is only needed by this command, and `sluice --help`
    # should stay fast.
    import uvicorn

    from sluice.config import Settings
    from sluice.server.app import create_app
    from sluice.server.config import ServerConfig

    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        typer.secho(
            f"warning: serving on {host} without --token; anyone who can reach it can run code",
            fg="yellow",
            err=True,
        )
    from sluice.store.locks import lock_store_for_server
    from sluice.store.repository import Store

    config = ServerConfig(
        settings=Settings.from_env(db_url=db),
        token=token,
        max_concurrent_runs=max_concurrent_runs,
    )
    # Taken before uvicorn starts, so a second server on this store exits with one line
    # (exit 2) instead of a failed-startup traceback; held until this process ends.
    lock = lock_store_for_server(Store(config.settings.db_url).engine)
    try:
        uvicorn.run(create_app(config, store_lock=lock), host=host, port=port, log_level="info")
    finally:
        lock.release()
