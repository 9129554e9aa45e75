"""The in-process event bus: callbacks and async streams, from any thread."""

from __future__ import annotations

import asyncio
import threading

from sluice.events import EventBus, RunStateChanged, bus_for
from sluice.states import RunState


def _event(seq: int, run_id: str = "r") -> RunStateChanged:
    return RunStateChanged(seq=seq, run_id=run_id, state=RunState.RUNNING)


def test_callbacks_get_their_runs_events_until_closed() -> None:
    bus = EventBus()
    every: list[int] = []
    mine: list[int] = []
    bus.subscribe(lambda e: every.append(e.seq))
    with bus.subscribe(lambda e: mine.append(e.seq), run_id="r"):
        bus.publish(_event(1))
        bus.publish(_event(2, run_id="other"))
    bus.publish(_event(3))
    assert every == [1, 2, 3] and mine == [1]


def test_a_failing_subscriber_does_not_fail_the_publisher_or_the_others() -> None:
    bus = EventBus()
    got: list[int] = []

    def broken(_event: object) -> None:
        raise RuntimeError("view broke")

    bus.subscribe(broken)
    bus.subscribe(lambda e: got.append(e.seq))
    bus.publish(_event(1))
    assert got == [1]


def test_a_stream_receives_events_published_from_other_threads() -> None:
    bus = EventBus()

    async def main() -> list[int]:
        received: list[int] = []
        async with bus.stream(run_id="r") as stream:
            threads = [
                threading.Thread(
                    target=lambda w=w: [bus.publish(_event(w * 100 + i)) for i in range(50)]
                )
                for w in range(4)
            ]
            for t in threads:
                t.start()
            async for event in stream:
                received.append(event.seq)
                if len(received) == 200:
                    break
            for t in threads:
                t.join()
        return received

    received = asyncio.run(asyncio.wait_for(main(), timeout=30))
    assert sorted(received) == sorted(w * 100 + i for w in range(4) for i in range(50))
    # Each publisher's own events arrive in the order it published them.
    for w in range(4):
        own = [s for s in received if s // 100 == w]
        assert own == sorted(own)
    assert not bus.has_subscribers  # the stream unsubscribed when it closed


def test_one_bus_per_database_url() -> None:
    assert bus_for("sqlite:///a.db") is bus_for("sqlite:///a.db")
    assert bus_for("sqlite:///a.db") is not bus_for("sqlite:///b.db")
