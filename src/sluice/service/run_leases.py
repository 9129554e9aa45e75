"""A run worker's leases: claiming server runs, the heartbeat that keeps them, fencing.

Several ``sluice server`` processes can share one PostgreSQL store: each server's worker
claims runs with a lease (:mod:`sluice.store.leases`) and renews it every
``heartbeat_seconds``. A worker that cannot renew a lease (another server took the run
over, or the database was unreachable for longer than the lease) stops executing that run
and leaves it RUNNING, as a stopping server does (the attempt whose process it killed
ends CANCELED), since another server may be taking it over. The run's lock keeps that
server from starting it before this one has finished writing.

On SQLite the server's store lock (:func:`sluice.store.locks.lock_store_for_server`) keeps
a second server away, so a worker there takes over any lease at once: its holder is dead.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Collection

from sluice.errors import UserInputError
from sluice.states import RunState
from sluice.store.leases import RunLeases
from sluice.store.locks import store_is_shared
from sluice.store.repository import Store

__all__ = [
    "DEFAULT_HEARTBEAT_SECONDS",
    "DEFAULT_LEASE_SECONDS",
    "WorkerLeases",
    "check_lease_settings",
    "new_owner_id",
]

logger = logging.getLogger(__name__)

# A dead server's runs wait this long for another server; a live one renews three times
# within it, so one slow database round trip does not lose a lease.
DEFAULT_LEASE_SECONDS = 15.0
DEFAULT_HEARTBEAT_SECONDS = 5.0

_CLAIMED_STATES = (RunState.RUNNING.value, RunState.CANCELING.value, RunState.PENDING.value)


def new_owner_id() -> str:
    """A lease owner id for one server: its host, its pid and a random part (pids recur)."""
    return f"{socket.gethostname()[:80]}/{os.getpid()}/{secrets.token_hex(4)}"


def check_lease_settings(lease_seconds: float, heartbeat_seconds: float) -> None:
    """Refuse a lease the heartbeat cannot keep.

    Raises:
        UserInputError: a duration is not positive, or the heartbeat is not shorter.
    """
    if heartbeat_seconds <= 0 or lease_seconds <= 0:
        raise UserInputError(
            f"the lease ({lease_seconds} s) and heartbeat ({heartbeat_seconds} s) must be "
            "positive; give --lease-seconds and --heartbeat-seconds above 0"
        )
    if heartbeat_seconds >= lease_seconds:
        raise UserInputError(
            f"the heartbeat ({heartbeat_seconds} s) must be shorter than the lease "
            f"({lease_seconds} s), or runs are lost between beats; lower --heartbeat-seconds "
            "or raise --lease-seconds"
        )


class WorkerLeases:
    """The leases one worker holds on the runs it executes.

    Args:
        store: the worker's store.
        owner: this server's lease owner id (kept when its worker is restarted, so the
            new worker resumes the old one's runs without waiting for their leases).
        lease_seconds: how long a lease lasts unless renewed.
        heartbeat_seconds: how often leases are renewed.
    """

    def __init__(
        self,
        store: Store,
        *,
        owner: str,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    ) -> None:
        check_lease_settings(lease_seconds, heartbeat_seconds)
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self._leases = RunLeases(store)
        self._steal = not store_is_shared(store.engine)
        self._last_beat = time.monotonic()
        self._last_renewed = self._last_beat

    def claim(self, limit: int, exclude: Collection[str]) -> list[tuple[str, RunState]]:
        """Claim up to ``limit`` runs to execute: interrupted ones first, then PENDING."""
        won = self._leases.claim(
            self.owner,
            _CLAIMED_STATES,
            seconds=self.lease_seconds,
            limit=limit,
            exclude=exclude,
            steal=self._steal,
        )
        return [(run_id, RunState(state)) for run_id, state in won]

    def beat(self, running: Collection[str]) -> set[str]:
        """Renew the leases of ``running`` when a beat is due; the runs this worker lost.

        Lost: taken over by another server, or every run when no renewal succeeded for a
        whole lease (the database unreachable), since another server may have them now.
        """
        now = time.monotonic()
        if now - self._last_beat < self.heartbeat_seconds:
            return set()
        self._last_beat = now
        held = set(running)
        try:
            kept = self._leases.renew(self.owner, held, seconds=self.lease_seconds)
        except Exception:
            if now - self._last_renewed < self.lease_seconds:
                logger.warning("could not renew run leases; retrying", exc_info=True)
                return set()
            logger.exception("run leases not renewed for %.0f s", now - self._last_renewed)
            return held
        self._last_renewed = now
        return held - kept

    def release(self, run_ids: Collection[str]) -> None:
        """Give the leases up: another server may claim the runs at once."""
        self._leases.release(self.owner, run_ids)

    def held_by_another(self, run_id: str) -> bool:
        """Whether a live lease of another owner is on the run."""
        lease = self._leases.holder(run_id)
        return lease is not None and lease.owner != self.owner
