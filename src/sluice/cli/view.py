"""Live views of a running pipeline, fed by the store's event bus (:mod:`sluice.events`).

``on_event`` is subscribed to the run's events and called from the run's background
thread, so both views only touch shared state under a lock. They show task state
changes from RUNNING on (a task waiting PENDING is not news) and notices. On a terminal
a ``rich.live.Live`` table is redrawn a few times a second; elsewhere (pipes, CI logs)
one plain line is printed per change.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sluice.cli.common import format_duration
from sluice.cli.summary import state_text
from sluice.events import Event, TaskNotice, TaskStateChanged
from sluice.states import FINAL_TASK_STATES, TaskState

# Rows kept on screen whatever the table's size: what is happening now and what broke.
_URGENT = frozenset({TaskState.RUNNING.value, TaskState.PENDING.value, TaskState.FAILED.value})


def _shown(event: Event) -> TaskStateChanged | TaskNotice | None:
    """The events a view shows: notices, and task state changes but PENDING."""
    if isinstance(event, TaskNotice):
        return event
    if isinstance(event, TaskStateChanged) and event.state is not TaskState.PENDING:
        return event
    return None


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


class RunView(Protocol):
    """What ``sluice run`` needs from a view."""

    def on_event(self, event: Event) -> None:
        """Record one event of the run (called from the run's thread)."""

    def __enter__(self) -> RunView:
        """Start showing."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop showing."""


class PlainView:
    """One line per state change: ``12:00:01 RUNNING   train``."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._lock = threading.Lock()

    def on_event(self, event: Event) -> None:
        """Print the change (or the notice)."""
        shown = _shown(event)
        if isinstance(shown, TaskNotice):
            with self._lock:
                self._write(f"{datetime.now():%H:%M:%S} {'NOTICE':<9} {shown.message}")
            return
        if shown is None:
            return
        state = shown.state.value
        line = f"{datetime.now():%H:%M:%S} {state:<9} {shown.path}"
        if shown.attempt > 1:
            line += f" (attempt {shown.attempt})"
        if shown.state is TaskState.FAILED and shown.message:
            line += f": {_first_line(shown.message)}"
        with self._lock:
            self._write(line)

    def __enter__(self) -> PlainView:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


@dataclass
class _Row:
    path: str
    kind: str
    state: str
    attempt: int
    order: int  # first appearance, for a stable layout
    changed: int  # last change, to keep recently active rows visible
    started: float | None = None
    ended: float | None = None


class LiveView:
    """A ``rich`` table of tasks (path, state, attempt, duration), redrawn while the run goes."""

    def __init__(self, console: Console, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._console = console
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: dict[str, _Row] = {}
        self._changes = 0
        self._live = Live(
            console=console,
            get_renderable=self.render,
            refresh_per_second=4,
            transient=False,
        )

    def on_event(self, event: Event) -> None:
        """Record the change; the next refresh shows it. A notice is printed above the table."""
        shown = _shown(event)
        if isinstance(shown, TaskNotice):
            # rich prints above a running Live display; the line stays when the table moves on.
            self._console.print(Text(f"notice: {shown.message}", style="yellow"), soft_wrap=True)
            return
        if shown is None:
            return
        event = shown
        state = event.state.value
        now = self._clock()
        with self._lock:
            self._changes += 1
            row = self._rows.get(event.path)
            if row is None:
                row = _Row(
                    path=event.path,
                    kind=event.kind,
                    state=state,
                    attempt=event.attempt,
                    order=len(self._rows),
                    changed=self._changes,
                )
                self._rows[event.path] = row
            row.state, row.changed = state, self._changes
            row.attempt = max(row.attempt, event.attempt)
            if state == "RUNNING" and (row.started is None or event.attempt > 1):
                row.started, row.ended = row.started or now, None
            elif state in FINAL_TASK_STATES:
                row.ended = now

    def _duration(self, row: _Row, now: float) -> str:
        if row.started is None:
            return "-"
        return format_duration((row.ended or now) - row.started)

    def _visible(self, rows: list[_Row]) -> list[_Row]:
        limit = max(5, self._console.size.height - 6)
        if len(rows) <= limit:
            return rows
        # Running and failed tasks first, then whatever changed most recently.
        ranked = sorted(rows, key=lambda r: (r.state not in _URGENT, -r.changed))
        return sorted(ranked[:limit], key=lambda r: r.order)

    def render(self) -> RenderableType:
        """The current table (called by ``Live`` from its refresh thread)."""
        now = self._clock()
        with self._lock:
            rows = [_Row(**vars(r)) for r in self._rows.values()]
        shown = self._visible(rows)
        table = Table(box=None, pad_edge=False, header_style="bold")
        table.add_column("TASK", no_wrap=True, overflow="ellipsis")
        table.add_column("STATE", no_wrap=True)
        table.add_column("ATTEMPT", justify="right")
        table.add_column("DURATION", justify="right")
        for row in shown:
            path = Text(row.path, style="dim" if row.kind not in ("container", "importer") else "")
            attempt = str(row.attempt) if row.attempt else ""
            table.add_row(path, state_text(row.state), attempt, self._duration(row, now))
        shown_paths = {r.path for r in shown}
        hidden = [r for r in rows if r.path not in shown_paths]
        if not hidden:
            return table
        counts = Counter(r.state for r in hidden)
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        return Group(table, Text(f"... {len(hidden)} more tasks ({summary})", style="dim"))

    def __enter__(self) -> LiveView:
        self._live.start(refresh=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.stop()


def make_view(console: Console) -> RunView:
    """A live table on a terminal, plain lines otherwise (no ANSI codes in pipes)."""
    if console.is_terminal:
        return LiveView(console)
    return PlainView(lambda line: console.print(Text(line), soft_wrap=True))
