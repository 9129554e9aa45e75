"""``.after()`` orders tasks without a data dependency."""

from __future__ import annotations

from pathlib import Path

import sluice

from .helpers import lines
from .pipelines import ordering


def test_after_orders_tasks(files: Path) -> None:
    """first -> second -> third -> last, as recorded by the tasks themselves."""
    log = files / "order"
    run = sluice.run(ordering.after_ordering, {"log": str(log)})
    assert run.state == "SUCCEEDED", run.error
    assert lines(log) == ["first", "second", "third", "last"]
    tasks = [t for t in run.tasks if t.kind == "container"]
    assert [t.state for t in tasks] == ["SUCCEEDED"] * 4
    # The recorded task times agree with the order (each starts after its predecessor ends).
    by_label = {t.inputs["label"]: t for t in tasks}
    for before, after in (("first", "second"), ("second", "third"), ("third", "last")):
        assert by_label[before].finished_at <= by_label[after].started_at, (before, after)
