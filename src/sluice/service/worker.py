"""The server's worker process: ``python -m sluice.service.worker``, started by ``sluice server``.

It runs a :class:`~sluice.service.execution.RunWorker` over the server's store until the
server stops it (SIGTERM) or is gone (its wake-up pipe reaches end-of-file), then stops
without marking its runs canceled: they resume when a server starts again. What it is given
and gives back is all here: its command line (:func:`main`), the store URL in
:data:`DB_URL_VARIABLE` (removed from its environment at once, so task processes see the
environment the server had), a byte on the wake-up pipe for each wake-up, and
:data:`READY_LINE` on the ready pipe once it has recovered interrupted runs. The server's
side, which starts, wakes, restarts and cancels through it, is
:mod:`sluice.service.worker_supervisor`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from sluice.config import Settings
from sluice.service.execution import DEFAULT_POLL_SECONDS, RunWorker
from sluice.service.gcs_bridge import install_from_environment as install_gcs_bridge
from sluice.service.run_leases import DEFAULT_HEARTBEAT_SECONDS, DEFAULT_LEASE_SECONDS
from sluice.store.repository import Store

__all__ = ["DB_URL_VARIABLE", "READY_LINE", "main"]

logger = logging.getLogger(__name__)

READY_LINE = b"ready\n"
"""What the worker writes on its ready pipe once it has started."""
# Not on the command line, where `ps` would show a password in it.
DB_URL_VARIABLE = "SLUICE_WORKER_DB_URL"
"""The environment variable the store URL reaches the worker in."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sluice.service.worker",
        description="Execute a sluice server's runs (started by `sluice server`).",
    )
    parser.add_argument("--home", required=True)
    parser.add_argument("--executor", default="local")
    parser.add_argument("--max-concurrent-runs", type=int, required=True)
    parser.add_argument("--poll-seconds", type=float, default=DEFAULT_POLL_SECONDS)
    parser.add_argument("--owner", default=None)
    parser.add_argument("--lease-seconds", type=float, default=DEFAULT_LEASE_SECONDS)
    parser.add_argument("--heartbeat-seconds", type=float, default=DEFAULT_HEARTBEAT_SECONDS)
    parser.add_argument("--wake-fd", type=int, required=True)
    parser.add_argument("--ready-fd", type=int, required=True)
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    settings = Settings(home=Path(args.home), db_url=args.db_url, executor=args.executor)
    worker = RunWorker(
        Store(settings.db_url),
        settings,
        max_concurrent_runs=args.max_concurrent_runs,
        poll_seconds=args.poll_seconds,
        owner=args.owner,
        lease_seconds=args.lease_seconds,
        heartbeat_seconds=args.heartbeat_seconds,
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    wake_fd = args.wake_fd
    os.set_blocking(wake_fd, False)

    def on_wake() -> None:
        try:
            data = os.read(wake_fd, 4096)
        except BlockingIOError:
            return
        if not data:  # end of file: the server is gone, however it died
            loop.remove_reader(wake_fd)
            stop.set()
            return
        worker.wake()

    loop.add_reader(wake_fd, on_wake)
    await worker.start()
    os.write(args.ready_fd, READY_LINE)
    os.close(args.ready_fd)
    await stop.wait()
    logger.info("run worker stopping; its runs resume when a server starts again")
    await worker.stop()


def main(argv: list[str] | None = None) -> int:
    """The worker process: execute the server's runs until SIGTERM or the server is gone."""
    args = _arguments(argv)
    args.db_url = os.environ.pop(DB_URL_VARIABLE, None)
    if not args.db_url:
        sys.exit(f"{DB_URL_VARIABLE} is not set: the worker is started by `sluice server`")
    # A terminal's Ctrl-C reaches the whole group; the server stops the worker itself
    # (SIGTERM) once it has stopped taking requests, so the worker never stops first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # With --emulate-gcs, the runs' own gs:// traffic goes to the emulation's store.
    install_gcs_bridge()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s sluice worker[%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
