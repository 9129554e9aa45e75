"""How a server is configured, and the state its routers share."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.requests import Request

from sluice.config import Settings
from sluice.errors import UserInputError
from sluice.service.run_leases import DEFAULT_HEARTBEAT_SECONDS, DEFAULT_LEASE_SECONDS
from sluice.service.stores import Store
from sluice.store.models import utcnow

if TYPE_CHECKING:
    from sluice.server.manager import RunManager
    from sluice.server.scheduler import Scheduler
    from sluice.serving.supervisor import ServingSupervisor

DEFAULT_MAX_UPLOAD_BYTES = 32 * 1024 * 1024


def seconds_from_env(name: str, default: float) -> float:
    """A duration in seconds from the environment variable ``name``, else ``default``.

    Raises:
        UserInputError: the variable is set to something that is not a number.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise UserInputError(
            f"{name}={raw!r} is not a number of seconds; set it to e.g. 15"
        ) from None


def _lease_seconds() -> float:
    return seconds_from_env("SLUICE_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)


def _heartbeat_seconds() -> float:
    return seconds_from_env("SLUICE_HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS)


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    """Options of ``sluice server``.

    Attributes:
        settings: where the store and artifacts are (``--db`` overrides the store URL), and
            the executor of the runs the server creates (``settings.executor``, ``--executor``).
        token: when set, every endpoint but healthz requires ``Authorization: Bearer <token>``.
        max_concurrent_runs: runs executing at once; the rest wait PENDING in order.
        max_upload_bytes: largest pipeline package accepted by the upload endpoints (also
            the largest request body of the JSON endpoints, and of an archive uncompressed).
        background: start the run manager and the scheduler (tests of the API alone may not).
        clock: the scheduler's idea of now (tests pass one they move by hand).
        events_heartbeat: seconds of silence after which the event stream sends a
            ``: keepalive`` comment.
        events_poll: how often, in seconds, the event stream reads the state history for
            changes of runs another process executes.
        emulate_gcs: serve the Cloud Storage JSON API over this backing store (a directory
            or fsspec URL; '' for ``$SLUICE_HOME/gcs``); None: no emulation
            (``sluice server --emulate-gcs``, :mod:`sluice.server.gcs`).
        lease_seconds: how long the lease on a run this server executes lasts unless
            renewed; another server on the same PostgreSQL takes the run over once it
            expired (``--lease-seconds``, ``$SLUICE_LEASE_SECONDS``; docs/scale.md).
        heartbeat_seconds: how often the leases are renewed (``--heartbeat-seconds``,
            ``$SLUICE_HEARTBEAT_SECONDS``).
    """

    settings: Settings
    token: str | None = None
    max_concurrent_runs: int = 4
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    background: bool = True
    clock: Callable[[], datetime] = utcnow
    events_heartbeat: float = 15.0
    events_poll: float = 0.5
    emulate_gcs: str | None = None
    lease_seconds: float = field(default_factory=_lease_seconds)
    heartbeat_seconds: float = field(default_factory=_heartbeat_seconds)

    @property
    def executor(self) -> str:
        """The name of the executor that runs the server's runs (``sluice server --executor``)."""
        return self.settings.executor


@dataclass(kw_only=True)
class ServerState:
    """What every request handler can reach (``request.app.state.sluice``)."""

    config: ServerConfig
    store: Store
    manager: RunManager | None = None
    scheduler: Scheduler | None = None
    serving: ServingSupervisor | None = None
    extras: dict[str, object] = field(default_factory=dict)


def state_of(request: Request) -> ServerState:
    """The :class:`ServerState` of the app serving ``request``."""
    state: ServerState = request.app.state.sluice
    return state
