"""The warm fork worker process: imports kfp once, then forks one child per attempt.

Loaded by file path (not through the ``sluice`` package, which would import the engine) and
run by :class:`sluice.executors.zygote_client.ForkWorker`. Protocol, one JSON object per line:

* stdin  ``{"op": "run", "id": n, "cwd", "env_set", "env_unset", "log", "source", "source_path",
  "module", "argv", "exception_file"}`` forks a child; ``{"op": "signal", "id": n, "sig": s}``
  signals its process group. The child's environment is the one the worker was started with,
  ``env_unset`` (names) removed and ``env_set`` (name to value) set.
* stdout ``{"id": n, "pid": p}`` once forked, ``{"id": n, "exit": code}`` when it ended
  (negative: killed by that signal), ``{"id": n, "error": text}`` if it could not fork.
  The pid is sent with the exit when the child ends within :data:`PID_DELAY` seconds (one
  write and one wake-up of the orchestrator per attempt, not two), else at that delay.

EOF on stdin or SIGTERM kills every running child and exits. The worker also gets SIGTERM
when the orchestrator dies (a parent-death signal on Linux), and every child gets SIGKILL
when the worker dies, so no attempt outlives either. The worker is a subreaper: a child's
descendants that left its process group (``setsid``) are reparented here when their parent
exits, and the ones carrying the attempt's ``SLUICE_ATTEMPT_ID`` die with the attempt.
This module must stay single-threaded (forking a threaded process is unsafe) and import
nothing heavy itself.

A child runs its module through :mod:`sluice.executors.attempt_main` (loaded by path too),
which records a component's uncaught exception in ``exception_file``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import sys
import time
from types import ModuleType
from typing import Any, NoReturn

# signal's own functions, without the enum wrappers of `signal`: what a freshly forked child
# calls, where every Python object it touches (each enum member looked up) is a page copied.
try:
    import _signal
except ImportError:  # another Python: the wrapped module does the same
    _signal = signal


def _load_sibling(name: str) -> ModuleType:
    """``sluice.executors.<name>``, loaded by path like this module (stdlib only)."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_sluice_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_reaper = _load_sibling("reaper")
_attempt = _load_sibling("attempt_main")


def _preload() -> None:
    """Import what every lightweight task imports, so children start warm."""
    # The same switch the KFP launcher sets: kfp skips its compile-time imports, so the modules
    # preloaded here are the ones a real task imports.
    os.environ["_KFP_RUNTIME"] = "true"
    import argparse  # noqa: F401
    import gettext  # noqa: F401
    import locale  # noqa: F401
    import logging  # noqa: F401
    import runpy  # noqa: F401
    import traceback  # noqa: F401

    import kfp
    import kfp.dsl
    import kfp.dsl.executor_main

    _warm_argparse()
    # The launcher runs executor_main as __main__; runpy warns when the module is already in
    # sys.modules, and that warning would land in users' logs. Keep only its dependencies.
    sys.modules.pop("kfp.dsl.executor_main", None)
    if hasattr(kfp.dsl, "executor_main"):
        delattr(kfp.dsl, "executor_main")
    _attempt.find_ahead("kfp.dsl.executor_main")


def _warm_argparse() -> None:
    """Build and use a parser shaped like kfp's ``executor_main``'s, once.

    Every child builds that parser: argparse compiles its regexes (kept in ``re``'s cache)
    and gettext looks its translations up (importing ``locale``) on first use. Done here,
    children inherit the results instead of paying ~5 ms each and dirtying the pages.
    """
    import argparse

    parser = argparse.ArgumentParser(description="warm-up")
    parser.add_argument("--component_module_path", type=str, help="h")
    parser.add_argument("--function_to_execute", type=str, required=True, help="h")
    parser.add_argument("--executor_input", type=str, help="h")
    parser.parse_known_args(
        ["--component_module_path", "m.py", "--function_to_execute", "f", "--executor_input", "{}"]
    )


#: Seconds a child's pid waits to be sent with its exit. The orchestrator needs the pid only
#: if this worker dies, and then the child dies too (its parent-death signal) and its
#: descendants are found by their marker.
PID_DELAY = 0.05


def _send(fd: int, *messages: dict[str, Any]) -> None:
    _write(fd, "".join(json.dumps(message) + "\n" for message in messages).encode())


def _write(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


class _Zygote:
    """The worker's state: protocol fds, running children, the select loop."""

    def __init__(self, cmd_fd: int, out_fd: int) -> None:
        self.cmd_fd = cmd_fd
        self.out_fd = out_fd
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.children: dict[int, int] = {}  # pid -> request id
        self.pids: dict[int, int] = {}  # request id -> pid
        self.markers: dict[int, str] = {}  # pid -> the attempt's SLUICE_ATTEMPT_ID
        self.unsent_pids: dict[int, dict[str, Any]] = {}  # request id -> its pid message
        self.pids_due: float | None = None  # when the oldest unsent pid must go
        self.buffer = b""
        self.worker_pid = os.getpid()
        self.selector_fd = -1  # the select loop's own fd (epoll), closed in a child
        # Single-threaded: its thread's file lists every child. Kept open and read again
        # from its start at each reap (-1 where there is none: children_of scans instead).
        self.children_fd = _reaper.open_children(os.getpid())

    def serve(self) -> None:
        """Serve until told to stop. A forked child never returns from here: it runs its
        attempt and exits where it was forked (see :meth:`_become`)."""
        signal.set_wakeup_fd(self.wake_w)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, lambda *_: None)  # the wakeup fd does the work
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the orchestrator's business
        selector = selectors.DefaultSelector()
        selector.register(self.cmd_fd, selectors.EVENT_READ)
        selector.register(self.wake_r, selectors.EVENT_READ)
        self.selector_fd = getattr(selector, "fileno", lambda: -1)()
        try:
            while True:
                timeout = None
                if self.pids_due is not None:
                    timeout = max(0.0, self.pids_due - time.monotonic())
                events = selector.select(timeout)
                if not events:
                    self._send_pids()
                for key, _ in events:
                    if key.fd == self.wake_r:
                        signals = os.read(self.wake_r, 4096)
                        self._reap()
                        if signal.SIGTERM in signals:
                            self._shutdown()
                            return
                        continue
                    data = os.read(self.cmd_fd, 1 << 20)
                    if not data:
                        self._shutdown()
                        return
                    self.buffer += data
                    while b"\n" in self.buffer:
                        line, self.buffer = self.buffer.split(b"\n", 1)
                        self._handle(json.loads(line))
        except BrokenPipeError:  # the orchestrator is gone: nobody wants the results
            self._shutdown()
        finally:
            selector.close()

    def _handle(self, message: dict[str, Any]) -> None:
        if message["op"] == "signal":
            pid = self.pids.get(message["id"])
            if pid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, message["sig"])
            return
        try:
            pid = os.fork()
        except OSError as exc:
            _send(self.out_fd, {"id": message["id"], "error": f"fork failed: {exc}"})
            return
        if pid == 0:
            self._become(message)
        self.children[pid] = message["id"]
        self.pids[message["id"]] = pid
        marker = message["env_set"].get(_reaper.MARKER_VAR)
        if marker:
            self.markers[pid] = marker
        self.unsent_pids[message["id"]] = {"id": message["id"], "pid": pid}
        if self.pids_due is None:
            self.pids_due = time.monotonic() + PID_DELAY

    def _become(self, request: dict[str, Any]) -> NoReturn:
        """In a freshly forked child: run the attempt and exit, right here.

        The child never unwinds the worker's frames (the select loop, its ``finally``): every
        object of the worker it touches on the way is a page copied, so it drops only the
        worker's fds and signal handlers, and leaves with :func:`_exit` or ``os._exit``.
        """
        code = 1
        try:
            self.close_in_child()
            code = _run_child(request, self.worker_pid)
        except BaseException:
            _print_exception()
        finally:
            try:
                _exit(code)
            finally:  # whatever happens, a child never returns into the worker's loop
                os._exit(code)

    def _send_pids(self) -> None:
        """Send the pids not sent yet (their children run longer than the delay)."""
        unsent, self.unsent_pids, self.pids_due = self.unsent_pids, {}, None
        if unsent:
            _send(self.out_fd, *unsent.values())

    def _reap(self) -> None:
        # Orphans reparented here (we are a subreaper) are reaped too, and otherwise ignored.
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            request_id = self.children.pop(pid, None)
            if request_id is None:
                continue
            del self.pids[request_id]
            # Stragglers left in the attempt's group die with it, like a container's.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            marker = self.markers.pop(pid, None)
            if marker:
                self._sweep(marker)
            code = os.waitstatus_to_exitcode(status)
            started = self.unsent_pids.pop(request_id, None)
            if not self.unsent_pids:
                self.pids_due = None
            # What json.dumps writes for these two, formatted directly (ints only).
            exited = f'{{"id": {request_id}, "exit": {code}}}\n'
            if started:
                exited = f'{{"id": {request_id}, "pid": {pid}}}\n' + exited
            _write(self.out_fd, exited.encode())

    def _sweep(self, marker: str) -> None:
        """Kill the attempt's descendants that left its group and were reparented here."""
        for _ in range(100):  # each round reaches one more generation; bounded all the same
            found = _reaper.read_children(self.children_fd)
            marked = [
                pid
                for pid in (found if found is not None else _reaper.children_of(os.getpid()))
                if pid not in self.children and _reaper.has_marker(pid, marker)
            ]
            if not marked:
                return
            for pid in marked:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            for pid in marked:
                # Their children are reparented here as each one exits.
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)

    def _shutdown(self) -> None:
        # Every process below the worker goes: attempts, their groups, and orphans.
        _reaper.kill_everything(list(self.children))

    def close_in_child(self) -> None:
        """Drop everything of the worker a forked child must not keep."""
        _signal.set_wakeup_fd(-1)
        _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        fds = (self.cmd_fd, self.out_fd, self.wake_r, self.wake_w, self.selector_fd)
        for fd in (*fds, self.children_fd):
            if fd >= 0:
                os.close(fd)


# The worker's environment as a plain dict, taken once it is warm: what ``os.environ`` holds
# in every freshly forked child (nothing in the worker changes it afterwards).
_WORKER_ENV: dict[str, str] = {}
# What turns _WORKER_ENV back into the environment the worker was started with (None:
# remove), should warming up have changed it; requests are relative to that one.
_UNDO_WARM_UP: dict[str, str | None] = {}


def _set_environ(env_set: dict[str, str], env_unset: list[str]) -> None:
    """Make ``os.environ`` the worker's start environment with ``env_unset`` removed and
    ``env_set`` set, changing only what differs from it now.

    An attempt's environment is mostly the worker's own (the orchestrator's, plus the
    task's variables): the request carries only the difference, and only that is applied,
    in a child that has just been forked and pays for every page it touches. The comparison
    is with :data:`_WORKER_ENV`, not ``os.environ``, whose every read decodes bytes.
    """
    environ, before = os.environ, _WORKER_ENV
    changes: dict[str, str | None] = dict(_UNDO_WARM_UP)
    changes.update(dict.fromkeys(env_unset))
    changes.update(env_set)
    for key, value in changes.items():
        if value is None:
            if key in before:
                del environ[key]
        elif before.get(key) != value:
            environ[key] = value


def _write_source(path: str, source: str) -> None:
    """Write the component's source as ``open(path, "w", encoding="utf-8")`` would, without
    a text file object (a few hundred microseconds in a freshly forked child)."""
    data = source.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def _run_child(request: dict[str, Any], worker_pid: int) -> int:
    """Become the attempt: like ``python3 -m <module> <argv>`` started in ``cwd``."""
    os.setsid()  # own process group, so the attempt can be killed as a whole
    # The worker is single-threaded, so the signal fires exactly when the worker dies.
    _reaper.set_parent_death_signal(_signal.SIGKILL, worker_pid)
    try:
        log_fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.chdir(request["cwd"])
        _set_environ(request["env_set"], request["env_unset"])
        _write_source(request["source_path"], request["source"])
    except OSError as exc:  # reported like the launcher's shell would, then a failed attempt
        print(f"sluice: could not prepare the task: {exc}", file=sys.stderr, flush=True)
        return 1
    sys.path.insert(0, os.getcwd())  # what `python3 -m` puts first
    code: int = _attempt.run_module(
        request["module"], request["argv"], request.get("exception_file")
    )
    return code


def main() -> None:
    """Entry point of the worker process."""
    # Keep the protocol pipes away from fds 0-2, which children turn into /dev/null and the log.
    cmd_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # a stray print in the worker must not corrupt the protocol
    os.close(devnull)
    # `-c` put the worker's cwd ('') first on sys.path; a child puts its own cwd there instead.
    if sys.path and sys.path[0] == "":
        del sys.path[0]
    # Die with the orchestrator (SIGTERM: our handler kills the children first) even if it is
    # killed before it could close our stdin; and adopt the attempts' setsid'd descendants.
    # The signal comes when the *thread* that started us ends: that is the event loop's
    # thread, which the ForkWorker is bound to anyway (a worker that stops early is simply
    # restarted by the next attempt). EOF on stdin remains the main way out.
    if len(sys.argv) > 1 and sys.argv[1].isdigit():
        _reaper.set_parent_death_signal(signal.SIGTERM, int(sys.argv[1]))
    _reaper.set_subreaper()
    started_with = dict(os.environ)
    _preload()
    _WORKER_ENV.update(os.environ)
    _UNDO_WARM_UP.update({k: v for k, v in started_with.items() if _WORKER_ENV.get(k) != v})
    _UNDO_WARM_UP.update({k: None for k in _WORKER_ENV if k not in started_with})
    # The loaded modules are shared copy-on-write by every child; keep the GC off those pages.
    gc.collect()
    gc.freeze()
    _Zygote(cmd_fd, out_fd).serve()  # a forked child exits in there
    sys.exit(0)


def _exit(code: int) -> NoReturn:
    """Leave the child like interpreter shutdown would, minus tearing down every module.

    A full shutdown writes to every object inherited from the worker, copying all its shared
    pages: that alone took ~7 ms per task. What user code can observe of shutdown is kept:
    non-daemon threads are joined, atexit handlers run, cyclic garbage is finalized and every
    buffered file the attempt opened is flushed.
    """
    import atexit
    import io
    import threading

    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        gc.collect()  # only the attempt's own objects: the inherited ones are frozen
    except BaseException:
        _print_exception()
    # Exact types, not isinstance(IOBase): an ABC check on every object costs a millisecond.
    buffered = (io.TextIOWrapper, io.BufferedWriter, io.BufferedRandom)
    for generation in range(3):
        for obj in gc.get_objects(generation):
            if type(obj) in buffered and obj is not sys.stdout and obj is not sys.stderr:
                with contextlib.suppress(Exception):
                    if not obj.closed:
                        obj.flush()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _print_exception() -> None:
    """Print the exception being handled to stderr, never raising."""
    with contextlib.suppress(BaseException):
        sys.excepthook(*sys.exc_info())
