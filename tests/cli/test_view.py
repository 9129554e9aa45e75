"""Live views: plain lines off a terminal, a thread-safe rich table on one."""

from __future__ import annotations

import re
import threading

from rich.console import Console

from sluice.cli.view import LiveView, PlainView, make_view
from sluice.engine.states import TaskState
from sluice.events import TaskNotice, TaskStateChanged


def _event(
    path: str, state: TaskState, attempt: int = 0, error: str | None = None, kind: str = "container"
) -> TaskStateChanged:
    return TaskStateChanged(
        seq=1,
        run_id="r",
        task_id="t",
        path=path,
        display_name=path,
        kind=kind,
        state=state,
        attempt=attempt,
        message=error,
    )


def test_plain_view_prints_one_line_per_change() -> None:
    lines: list[str] = []
    view = PlainView(lines.append)
    with view:
        view.on_event(_event("train", TaskState.RUNNING, attempt=1))
        view.on_event(_event("train", TaskState.RUNNING, attempt=2))
        view.on_event(
            _event("train", TaskState.FAILED, attempt=2, error="ValueError: boom\nmore detail")
        )

    assert re.fullmatch(r"\d\d:\d\d:\d\d RUNNING   train", lines[0])
    assert lines[1].endswith("RUNNING   train (attempt 2)")
    assert lines[2].endswith("FAILED    train (attempt 2): ValueError: boom")


def test_make_view_depends_on_terminal() -> None:
    assert isinstance(make_view(Console(force_terminal=False)), PlainView)
    assert isinstance(make_view(Console(force_terminal=True)), LiveView)


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _render(view: LiveView, width: int = 100) -> str:
    console = Console(width=width, record=True, force_terminal=False)
    console.print(view.render())
    return console.export_text()


def test_live_table_shows_state_attempt_and_duration() -> None:
    clock = _Clock()
    console = Console(width=100, height=40, force_terminal=False)
    view = LiveView(console, clock=clock)
    view.on_event(_event("prep", TaskState.CACHED))
    view.on_event(_event("train", TaskState.RUNNING, attempt=1))
    clock.now += 3.0
    rows = {ln.split()[0]: ln.split() for ln in _render(view).splitlines()[1:]}
    assert rows["prep"] == ["prep", "CACHED", "-"]
    assert rows["train"] == ["train", "RUNNING", "1", "3.0s"]

    view.on_event(_event("train", TaskState.SUCCEEDED, attempt=1))
    clock.now += 10.0  # a finished task's duration stops growing
    rows = {ln.split()[0]: ln.split() for ln in _render(view).splitlines()[1:]}
    assert rows["train"] == ["train", "SUCCEEDED", "1", "3.0s"]


def test_live_table_keeps_running_and_failed_rows_when_long() -> None:
    console = Console(width=100, height=16, force_terminal=False)
    view = LiveView(console, clock=_Clock())
    for i in range(50):
        view.on_event(_event(f"loop[{i}]/work", TaskState.SUCCEEDED, attempt=1))
    view.on_event(_event("loop[7]/work", TaskState.FAILED, attempt=1))
    view.on_event(_event("last", TaskState.RUNNING, attempt=1))

    text = _render(view)
    assert "loop[7]/work" in text and "FAILED" in text
    assert "last" in text
    assert "more tasks (" in text and "SUCCEEDED" in text.splitlines()[-1]
    assert len(text.splitlines()) <= 16


def test_live_view_takes_events_from_many_threads_while_rendering() -> None:
    view = LiveView(Console(width=100, height=30, force_terminal=False), clock=_Clock())

    def emit(worker: int) -> None:
        for i in range(200):
            view.on_event(_event(f"w{worker}/t{i % 20}", TaskState.RUNNING, attempt=1))

    threads = [threading.Thread(target=emit, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        _render(view)
    for t in threads:
        t.join()
    # 80 tasks, 24 rows fit (height 30 minus header room): the rest are counted.
    last = _render(view).splitlines()[-1]
    assert last == "... 56 more tasks (56 RUNNING)"


def test_plain_view_prints_a_notice_once_without_a_state() -> None:
    lines: list[str] = []
    view = PlainView(lines.append)
    notice = "task shell: image alpine:3.19 is not used; running on the host"
    with view:
        view.on_event(
            TaskNotice(
                seq=1,
                run_id="r",
                task_id="t",
                path="shell",
                display_name="shell",
                kind="container",
                message=notice,
            )
        )
    assert len(lines) == 1
    assert re.fullmatch(r"\d\d:\d\d:\d\d NOTICE    " + re.escape(notice), lines[0])


def test_live_view_prints_a_notice_above_the_table() -> None:
    console = Console(width=200, record=True, force_terminal=False)
    view = LiveView(console, clock=_Clock())
    view.on_event(
        TaskNotice(
            seq=1,
            run_id="r",
            task_id="t",
            path="shell",
            display_name="shell",
            kind="container",
            message="task shell: image alpine:3.19 is not used",
        )
    )
    assert "notice: task shell: image alpine:3.19 is not used" in console.export_text()
    assert "shell" not in _render(view)  # not a row: no state changed


def test_views_leave_out_pending_tasks() -> None:
    lines: list[str] = []
    view = PlainView(lines.append)
    with view:
        view.on_event(_event("train", TaskState.PENDING))
        view.on_event(_event("train", TaskState.RUNNING, attempt=1))
    assert len(lines) == 1 and lines[0].endswith("RUNNING   train")
