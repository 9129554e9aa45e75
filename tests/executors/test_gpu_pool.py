"""The GPU pool: exclusive devices, waits served first come first served, cancels take nothing."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from sluice.devices import machine_gpus, parse_gpus
from sluice.errors import UserInputError
from sluice.executors.base import Resources
from sluice.executors.gpu_pool import GpuPool, device_environment, gpu_pool_for
from sluice.executors.local import LocalExecutor


def test_devices_are_exclusive_and_waiters_are_served_in_order() -> None:
    async def main() -> list[tuple[str, tuple[str, ...]]]:
        pool = GpuPool(["0", "1", "2", "3"])
        held = await pool.acquire(3)
        served: list[tuple[str, tuple[str, ...]]] = []

        async def want(name: str, count: int) -> None:
            devices = await pool.acquire(count)
            served.append((name, devices))

        big = asyncio.create_task(want("big", 4))
        await asyncio.sleep(0)
        small = asyncio.create_task(want("small", 1))
        await asyncio.sleep(0)
        # One device is free, but "big" came first: "small" does not pass it.
        assert served == [] and not pool.available_now(1)
        pool.release(held)
        await big
        assert served == [("big", ("0", "1", "2", "3"))]
        pool.release(served[0][1])
        await small
        return served

    served = asyncio.run(main())
    assert served[1] == ("small", ("0",))


def test_a_cancelled_wait_takes_nothing_and_lets_the_next_one_through() -> None:
    async def main() -> tuple[str, ...]:
        pool = GpuPool(["0", "1"])
        held = await pool.acquire(1)
        big = asyncio.create_task(pool.acquire(2))
        await asyncio.sleep(0)
        small = asyncio.create_task(pool.acquire(1))
        await asyncio.sleep(0)
        big.cancel()
        with pytest.raises(asyncio.CancelledError):
            await big
        got = await small
        pool.release(held)
        pool.release(got)
        assert pool.free() == ("0", "1")
        return got

    assert asyncio.run(main()) == ("1",)


def test_one_pool_serves_event_loops_on_several_threads() -> None:
    pool = GpuPool.shared(("t0", "t1"))
    holders: list[tuple[str, ...]] = []
    lock = threading.Lock()

    def worker() -> None:
        async def body() -> None:
            for _ in range(20):
                devices = await pool.acquire(2)
                with lock:
                    holders.append(devices)
                    assert pool.free() == ()
                await asyncio.sleep(0)
                pool.release(devices)

        asyncio.run(body())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(holders) == 60
    assert pool.free() == ("t0", "t1")


def test_the_local_executor_shares_the_process_pool(tmp_path: Path) -> None:
    a = LocalExecutor(venv_root=tmp_path, gpus=("0", "1"))
    b = LocalExecutor(venv_root=tmp_path, gpus=("0", "1"))
    assert a.gpu_pool is not None and a.gpu_pool is b.gpu_pool
    assert LocalExecutor(venv_root=tmp_path).gpu_pool is None
    gpu = Resources(accelerator_type="nvidia.com/gpu", accelerator_count=2)
    assert gpu_pool_for(a, gpu) == (a.gpu_pool, 2)
    assert gpu_pool_for(a, Resources(accelerator_type="TPU_V4", accelerator_count=1)) is None
    # More than the machine has: a run allowed to start anyway runs without devices.
    assert gpu_pool_for(a, Resources(accelerator_type="gpu", accelerator_count=3)) is None


def test_device_variables() -> None:
    assert device_environment(["2", "3"], "nvidia.com/gpu") == {
        "CUDA_VISIBLE_DEVICES": "2,3",
        "NVIDIA_VISIBLE_DEVICES": "2,3",
    }
    amd = device_environment(["1"], "amd.com/gpu")
    assert amd["ROCR_VISIBLE_DEVICES"] == amd["HIP_VISIBLE_DEVICES"] == "1"


def test_declarations(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_gpus("0, 1,2") == ("0", "1", "2")
    assert parse_gpus("none") == ()
    assert parse_gpus("all") is None
    with pytest.raises(UserInputError, match="names a GPU twice"):
        parse_gpus("0,0")
    with pytest.raises(UserInputError, match="'x y' is not a GPU index or UUID"):
        parse_gpus("0,x y")
    monkeypatch.setenv("SLUICE_GPUS", "GPU-aa,GPU-bb")
    gpus = machine_gpus()
    assert gpus.devices == ("GPU-aa", "GPU-bb")
    assert gpus.describe() == "2 GPUs (GPU-aa,GPU-bb, from --gpus/$SLUICE_GPUS)"
