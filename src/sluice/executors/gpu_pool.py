"""Exclusive GPUs for the tasks that run on this machine.

A task asking for ``n`` GPUs (``set_accelerator_limit(n)``) gets ``n`` devices of its own
for as long as its attempt runs, named in ``CUDA_VISIBLE_DEVICES`` and
``NVIDIA_VISIBLE_DEVICES`` (and ``ROCR_VISIBLE_DEVICES``/``HIP_VISIBLE_DEVICES`` for an AMD
type). A task whose devices are busy waits for them; the engine keeps it PENDING meanwhile
and records it RUNNING only once it holds them. Requests are served first come, first
served: a task asking for 8 is not passed over forever by a stream of 1-GPU tasks.

One pool serves every run of the process (the server's worker runs many at once, each on
its own event loop or thread): the pool is shared per device list and thread-safe.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sluice.devices import is_amd_type, is_gpu_type
from sluice.executors.base import ExecutionRequest, Resources

__all__ = [
    "NO_GPUS",
    "GpuPool",
    "Reservation",
    "device_environment",
    "gpu_pool_for",
    "reserve_gpus",
    "with_devices",
]


@dataclass(eq=False)
class _Waiter:
    count: int
    future: asyncio.Future[tuple[str, ...]]
    loop: asyncio.AbstractEventLoop


class GpuPool:
    """The devices of this machine, each held by at most one attempt at a time.

    Args:
        devices: the device names (``CUDA_VISIBLE_DEVICES`` names: ``"0"``, ``"GPU-..."``).
    """

    _shared: dict[tuple[str, ...], GpuPool] = {}
    _shared_lock = threading.Lock()

    def __init__(self, devices: Sequence[str]) -> None:
        self.devices = tuple(devices)
        self._free = list(self.devices)
        self._waiters: deque[_Waiter] = deque()
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, devices: Sequence[str]) -> GpuPool:
        """The process's one pool of these devices (every executor of it shares it)."""
        key = tuple(devices)
        with cls._shared_lock:
            pool = cls._shared.get(key)
            if pool is None:
                pool = cls._shared[key] = cls(key)
            return pool

    @property
    def total(self) -> int:
        """How many devices the pool has."""
        return len(self.devices)

    def free(self) -> tuple[str, ...]:
        """The devices nobody holds now."""
        with self._lock:
            return tuple(self._free)

    def available_now(self, count: int) -> bool:
        """Whether :meth:`acquire` of ``count`` would return without waiting."""
        with self._lock:
            return not self._waiters and len(self._free) >= count

    async def acquire(self, count: int) -> tuple[str, ...]:
        """``count`` devices, once they are free (first come, first served).

        A cancelled wait takes nothing. ``count`` must not exceed :attr:`total` (it would
        wait forever): the caller checks.
        """
        if count > self.total:
            raise ValueError(f"{count} GPUs asked of a pool of {self.total}")
        loop = asyncio.get_running_loop()
        with self._lock:
            if not self._waiters and len(self._free) >= count:
                return self._take(count)
            waiter = _Waiter(count, loop.create_future(), loop)
            self._waiters.append(waiter)
        try:
            return await waiter.future
        except asyncio.CancelledError:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            fut = waiter.future
            if fut.done() and not fut.cancelled():
                self.release(fut.result())  # granted just as the wait was cancelled
            else:
                self._grant()  # a smaller request behind this one may fit now
            raise

    def release(self, devices: Sequence[str]) -> None:
        """Give ``devices`` back; the longest waiters that fit get them."""
        if not devices:
            return
        with self._lock:
            self._free.extend(d for d in devices if d not in self._free)
            # Keep the machine's order: the lowest free indexes go first.
            self._free.sort(key=self.devices.index)
        self._grant()

    def _take(self, count: int) -> tuple[str, ...]:
        taken, self._free = tuple(self._free[:count]), self._free[count:]
        return taken

    def _grant(self) -> None:
        with self._lock:
            while self._waiters and self._waiters[0].count <= len(self._free):
                waiter = self._waiters.popleft()
                devices = self._take(waiter.count)
                waiter.loop.call_soon_threadsafe(self._deliver, waiter, devices)

    def _deliver(self, waiter: _Waiter, devices: tuple[str, ...]) -> None:
        if waiter.future.done():  # cancelled before the devices arrived: give them back
            self.release(devices)
        else:
            waiter.future.set_result(devices)


def gpu_pool_for(executor: Any, resources: Resources) -> tuple[GpuPool, int] | None:
    """The executor's pool and how many of its devices the task needs, if it needs any.

    None: the executor hands out no devices of its own (Ray assigns them itself), the task
    asks for none, or for more than the machine has (a run allowed to start anyway runs
    without devices, as before).
    """
    pool = getattr(executor, "gpu_pool", None)
    count = resources.accelerator_count
    if not isinstance(pool, GpuPool) or count <= 0 or not is_gpu_type(resources.accelerator_type):
        return None
    if count > pool.total:
        return None
    return pool, count


def device_environment(devices: Sequence[str], accelerator_type: str | None) -> dict[str, str]:
    """The variables that confine a process to ``devices``."""
    names = ",".join(devices)
    env = {"CUDA_VISIBLE_DEVICES": names, "NVIDIA_VISIBLE_DEVICES": names}
    if is_amd_type(accelerator_type):
        env.update(ROCR_VISIBLE_DEVICES=names, HIP_VISIBLE_DEVICES=names)
    return env


def with_devices(request: ExecutionRequest, devices: Sequence[str]) -> ExecutionRequest:
    """``request`` confined to ``devices`` (over what the component sets: they are its)."""
    env = {**request.env, **device_environment(devices, request.resources.accelerator_type)}
    return replace(request, env=env)


@dataclass(frozen=True)
class Reservation:
    """Devices one attempt holds (none for most tasks); released once, when it ends."""

    pool: GpuPool | None = None
    devices: tuple[str, ...] = ()

    def confine(self, request: ExecutionRequest) -> ExecutionRequest:
        """``request`` with these devices' variables; unchanged without devices."""
        return with_devices(request, self.devices) if self.devices else request

    def release(self) -> None:
        """Give the devices back (an empty reservation has nothing to give)."""
        if self.pool is not None:
            self.pool.release(self.devices)


#: The reservation of an attempt that needs no devices.
NO_GPUS = Reservation()


async def reserve_gpus(
    executor: Any, resources: Resources, *, waiting: Callable[[], object]
) -> Reservation:
    """The devices a task needs, once they are free; ``waiting()`` is called first if they
    are not (the engine shows the task PENDING meanwhile)."""
    found = gpu_pool_for(executor, resources)
    if found is None:
        return NO_GPUS
    pool, count = found
    if not pool.available_now(count):
        waiting()
    return Reservation(pool, await pool.acquire(count))
