"""Leases on server runs: which server's worker executes a run, and until when.

Several ``sluice server`` processes on one PostgreSQL database share the server runs
(``executed_by == "server"``). A worker *claims* a run by setting its lease (an owner id
and an expiry) in one conditional ``UPDATE``: only a run whose lease is free, expired or
its own can be claimed, so two workers never both win the same run. On PostgreSQL the
candidates are picked ``FOR UPDATE SKIP LOCKED``, so concurrent claimers take different
runs instead of queueing behind one another. The holder renews its leases on a heartbeat;
when a server dies its leases expire and another server's claim takes the runs over.

On PostgreSQL the expiry is computed with the database's clock, so the servers' clocks
need not agree; SQLite (one server per store) uses the process's clock.

A lease says who *should* execute a run; the run's lock (:mod:`sluice.store.locks`) stays
what keeps two processes from executing one at the same moment.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Float, Table, and_, func, literal, or_, select, update

from sluice.store.models import EXECUTED_BY_SERVER, RunRow, utcnow
from sluice.store.repository import Store

__all__ = ["Lease", "RunLeases"]

_RUNS = cast(Table, RunRow.__table__)


@dataclass(frozen=True)
class Lease:
    """A run's live lease: who holds it and when it expires."""

    owner: str
    expires_at: datetime


class RunLeases:
    """Claiming, renewing and releasing the leases of a store's server runs."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._postgres = store.engine.dialect.name == "postgresql"

    # -- the clock: the database's on PostgreSQL ---------------------------------------------

    def _now(self) -> ColumnElement[Any]:
        if self._postgres:
            return func.statement_timestamp()
        return literal(utcnow(), type_=_RUNS.c.lease_expires_at.type)

    def _expiry(self, seconds: float) -> ColumnElement[Any]:
        if self._postgres:
            return func.statement_timestamp() + func.make_interval(
                0, 0, 0, 0, 0, 0, literal(float(seconds), Float)
            )
        return literal(utcnow() + timedelta(seconds=seconds), type_=_RUNS.c.lease_expires_at.type)

    def _claimable(self, owner: str, steal: bool) -> ColumnElement[bool]:
        """A lease ``owner`` may take: free, expired, its own (or any, with ``steal``)."""
        if steal:
            return literal(True)
        return or_(
            _RUNS.c.lease_owner.is_(None),
            _RUNS.c.lease_owner == owner,
            _RUNS.c.lease_expires_at < self._now(),
        )

    # -- claims -------------------------------------------------------------------------------

    def claim(
        self,
        owner: str,
        states: Sequence[str],
        *,
        seconds: float,
        limit: int,
        exclude: Collection[str] = (),
        steal: bool = False,
    ) -> list[tuple[str, str]]:
        """Claim up to ``limit`` server runs in ``states``; ``(id, state)`` of those won.

        Runs already active (RUNNING, CANCELING) come first, then by submission order.
        ``exclude`` are runs ``owner`` executes already; ``steal`` takes runs whatever
        their lease (SQLite, where the server's store lock proves every other holder dead).
        """
        if limit <= 0:
            return []
        pending_last = (_RUNS.c.state == "PENDING").label("pending_last")
        where = [
            _RUNS.c.executed_by == EXECUTED_BY_SERVER,
            _RUNS.c.state.in_(states),
            self._claimable(owner, steal),
        ]
        if exclude:
            where.append(_RUNS.c.id.notin_(list(exclude)))
        candidates = (
            select(_RUNS.c.id)
            .where(*where)
            .order_by(pending_last, _RUNS.c.created_at, _RUNS.c.id)
            .limit(limit)
            # Ignored by SQLite, whose writers take turns anyway.
            .with_for_update(skip_locked=True)
            # A CTE, not ``IN (subquery)``: PostgreSQL may run a subquery again per row,
            # and its LIMIT would no longer bound the claim.
            .cte("claimable")
        )
        statement = (
            update(_RUNS)
            .where(_RUNS.c.id == candidates.c.id, *where)
            .values(
                lease_owner=owner,
                lease_expires_at=self._expiry(seconds),
                # A lease is not a change of the run: keep its update time.
                updated_at=_RUNS.c.updated_at,
            )
            .returning(_RUNS.c.id, _RUNS.c.state, _RUNS.c.created_at)
        )
        with self.store.session() as session:
            rows = session.execute(statement).all()
        ordered = sorted(rows, key=lambda r: (r[1] == "PENDING", r[2], r[0]))
        return [(str(run_id), str(state)) for run_id, state, _created in ordered]

    def renew(self, owner: str, run_ids: Collection[str], *, seconds: float) -> set[str]:
        """Extend ``owner``'s leases of ``run_ids``; the ids it still holds.

        A run missing from the answer was taken over by another server (its lease had
        expired): ``owner`` must stop executing it.
        """
        if not run_ids:
            return set()
        statement = (
            update(_RUNS)
            .where(_RUNS.c.id.in_(list(run_ids)), _RUNS.c.lease_owner == owner)
            .values(lease_expires_at=self._expiry(seconds), updated_at=_RUNS.c.updated_at)
            .returning(_RUNS.c.id)
        )
        with self.store.session() as session:
            return {str(run_id) for run_id in session.scalars(statement).all()}

    def release(self, owner: str, run_ids: Collection[str]) -> None:
        """Give up ``owner``'s leases of ``run_ids`` (another server may claim them at once)."""
        if not run_ids:
            return
        statement = (
            update(_RUNS)
            .where(_RUNS.c.id.in_(list(run_ids)), _RUNS.c.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None, updated_at=_RUNS.c.updated_at)
        )
        with self.store.session() as session:
            session.execute(statement)

    def holder(self, run_id: str) -> Lease | None:
        """The run's live lease, or None when nobody holds one that has not expired."""
        query = select(_RUNS.c.lease_owner, _RUNS.c.lease_expires_at).where(
            and_(
                _RUNS.c.id == run_id,
                _RUNS.c.lease_owner.is_not(None),
                _RUNS.c.lease_expires_at >= self._now(),
            )
        )
        with self.store.session() as session:
            row = session.execute(query).first()
        return None if row is None else Lease(owner=str(row[0]), expires_at=row[1])
