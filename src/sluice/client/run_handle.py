"""A run executing in a background thread of this process: the handle ``submit`` returns.

Its own module so that :class:`sluice.Client` (which makes these handles) and the
module-level functions on a default client (``sluice.client.local``) import it one way.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

from sluice.client.convert import run_from_record
from sluice.client.handle import BaseRunHandle
from sluice.client.models import Run
from sluice.config import Settings
from sluice.events import EventCallback, Subscription
from sluice.service.local_runs import LocalRunService
from sluice.service.stores import Store
from sluice.store.models import RunRow

__all__ = ["RunHandle", "live_handle"]


# Runs executing in this process, by id: how `cancel` finds the thread that runs one.
_live: weakref.WeakValueDictionary[str, RunHandle] = weakref.WeakValueDictionary()
_live_lock = threading.Lock()


def live_handle(run_id: str) -> RunHandle | None:
    """The handle of the run ``run_id`` if this process is executing it now."""
    with _live_lock:
        handle = _live.get(run_id)
    return handle if handle is not None and not handle.done() else None


class RunHandle(BaseRunHandle):
    """A run executing in a background thread of this process (what ``submit`` returns).

    Attributes:
        id: the run's id.
        name: the run's name.

    ``on_event`` is subscribed to the store's event bus (:mod:`sluice.events`) for this
    run before it starts, and called from the run's thread with each event until the run
    ends.
    """

    def __init__(
        self, store: Store, row: RunRow, settings: Settings, on_event: EventCallback | None = None
    ) -> None:
        self.id = row.id
        self.name = row.name
        self._runs = LocalRunService(store, settings)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[Any] | None = None
        self._ready = threading.Event()
        self._ended = threading.Event()
        self._error: BaseException | None = None
        self._subscription: Subscription | None = (
            None if on_event is None else self._runs.subscribe(row.id, on_event)
        )
        self._thread = threading.Thread(
            target=self._target, name=f"sluice-run-{row.name}", daemon=True
        )
        with _live_lock:
            _live[self.id] = self
        self._thread.start()

    def _target(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._main = asyncio.current_task()
            self._ready.set()
            # The executor the run's options name (a resumed run: the one it started with).
            await self._runs.execute(self.id)

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            self._error = exc
        finally:
            if self._subscription is not None:
                self._subscription.close()
            self._ready.set()
            self._ended.set()

    def done(self) -> bool:
        """Whether the run has ended."""
        return self._ended.is_set()

    def wait_ended(self, timeout: float | None = None) -> bool:
        """Block until the run's thread ends (or ``timeout`` seconds pass); whether it did.

        Wakes as soon as the run ends; a short timeout keeps a waiting main thread able
        to take Ctrl-C.
        """
        return self._ended.wait(timeout)

    def cancel(self) -> None:
        """Stop the run's tasks and mark it CANCELED."""
        self._ready.wait()
        if self._loop is not None and self._main is not None and not self.done():
            self._loop.call_soon_threadsafe(self._main.cancel)

    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run ends (or ``timeout`` seconds pass) and return it."""
        self._thread.join(timeout)
        if self._error is not None:
            raise self._error
        return self.get()

    def get(self) -> Run:
        """The run as it is in the store now."""
        return run_from_record(self._runs.get(self.id, pipeline_spec=False))
