"""``sluice server``: serve the KFP v2beta1 REST API (kfp.Client works against it)."""

from __future__ import annotations

import dataclasses
import os
from typing import Annotated, Any

import typer

from sluice.cli.common import cli_errors


def masked_url(url: str) -> str:
    """``url`` for a log line: a password in it (``user:secret@`` or ``?password=``) as ***."""
    # Imported here: SQLAlchemy stays off the path of every other CLI call.
    from sluice.service.stores import masked_url as masked

    return masked(url)


def _started_line(db_url: str, host: str, port: int) -> str:
    """What ``sluice server`` prints once it listens: the store, the API, the docs."""
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    return (
        f"sluice server: store {masked_url(db_url)}; KFP API {base}/apis/v2beta1, "
        f"OpenAPI {base}/openapi.json"
    )


def bare_emulate_gcs(args: list[str]) -> list[str]:
    """``--emulate-gcs`` without a value as ``--emulate-gcs=`` (the default store): typer
    has no options whose value is optional."""
    out = list(args)
    for i, arg in enumerate(out):
        if arg == "--":
            break
        if arg == "--emulate-gcs" and (i + 1 == len(out) or out[i + 1].startswith("-")):
            out[i] = "--emulate-gcs="
    return out


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
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            metavar="NAME",
            help="Executor of the runs this server creates: local (default, or "
            "$SLUICE_EXECUTOR), docker, podman, or one a package registers.",
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
    lease_seconds: Annotated[
        float | None,
        typer.Option(
            "--lease-seconds",
            metavar="S",
            help="How long this server's lease on a run lasts unless renewed; on a shared "
            "PostgreSQL another server takes a dead server's runs over once it expired "
            "(default 15, or $SLUICE_LEASE_SECONDS).",
        ),
    ] = None,
    heartbeat_seconds: Annotated[
        float | None,
        typer.Option(
            "--heartbeat-seconds",
            metavar="S",
            help="How often the leases are renewed; shorter than the lease "
            "(default 5, or $SLUICE_HEARTBEAT_SECONDS).",
        ),
    ] = None,
    gpus: Annotated[
        str | None,
        typer.Option(
            "--gpus",
            metavar="IDS",
            help="GPUs the local executor's tasks get, each exclusively: 0,1,2,3, none, or all "
            "(default $SLUICE_GPUS, else the NVIDIA GPUs detected).",
        ),
    ] = None,
    emulate_gcs: Annotated[
        str | None,
        typer.Option(
            "--emulate-gcs",
            metavar="[DIR_OR_URL]",
            help="Also serve the Cloud Storage JSON API (gs:// offline) over DIR_OR_URL "
            "(default $SLUICE_HOME/gcs); tasks get STORAGE_EMULATOR_HOST.",
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
    from sluice.service.run_leases import check_lease_settings
    from sluice.service.stores import claim_store_for_server

    if gpus is not None:
        from sluice.devices import GPUS_VARIABLE, parse_gpus

        parse_gpus(gpus)  # a malformed list: one line, exit 2, before the server starts
        # The API process checks new runs against it; its worker process inherits it.
        os.environ[GPUS_VARIABLE] = gpus
    settings = Settings.from_env(db_url=db, executor=executor, ray_address=ray_address, gpus=gpus)
    config = ServerConfig(
        settings=settings,
        token=token,
        max_concurrent_runs=max_concurrent_runs,
        emulate_gcs=emulate_gcs,
    )
    # The flags win over the environment, which ServerConfig reads for its defaults.
    config = dataclasses.replace(
        config,
        lease_seconds=config.lease_seconds if lease_seconds is None else lease_seconds,
        heartbeat_seconds=(
            config.heartbeat_seconds if heartbeat_seconds is None else heartbeat_seconds
        ),
    )
    check_lease_settings(config.lease_seconds, config.heartbeat_seconds)
    from sluice.server.auth import configured_token

    # What the API will require (--token, else $SLUICE_TOKEN): tasks reach the storage
    # emulation with it.
    required_token = configured_token(token)
    if emulate_gcs is not None and port:  # port 0: announced once bound, below
        from sluice.server.gcs import announce

        announce(host, port, token=required_token)

    class _Server(uvicorn.Server):
        """uvicorn's server, saying once it listens which store it serves and where."""

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:  # the port is bound: report the real one (--port 0 too)
                bound = self.servers[0].sockets[0].getsockname()[1] if self.servers else port
                if emulate_gcs is not None:
                    from sluice.server.gcs import announce, masked, store_url

                    url = announce(host, int(bound), token=required_token)
                    typer.echo(
                        f"sluice server: Cloud Storage emulation over "
                        f"{store_url(settings, emulate_gcs)}; STORAGE_EMULATOR_HOST={masked(url)}",
                        err=True,
                    )
                typer.echo(_started_line(settings.db_url, host, int(bound)), err=True)

    # Taken before uvicorn starts, so an unknown executor or a second server on this store
    # exits with one line (exit 2) instead of a failed-startup traceback; held until this
    # process ends.
    lock = claim_store_for_server(settings)
    try:
        app = create_app(config, store_lock=lock)
        server = _Server(uvicorn.Config(app, host=host, port=port, log_level="info"))
        server.run()
    finally:
        lock.release()
    if not server.started:
        raise typer.Exit(3)  # what uvicorn.run exits with when start-up fails
