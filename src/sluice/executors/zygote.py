"""The warm fork worker process: imports kfp once, then forks one child per attempt.

Loaded by file path (not through the ``sluice`` package, which would import the engine) and
run by :class:`sluice.executors.forkserver.ForkWorker`. Protocol, one JSON object per line:

* stdin  ``{"op": "run", "id": n, "cwd", "env", "log", "source", "source_path", "module", "argv",
  "exception_file"}`` forks a child; ``{"op": "signal", "id": n, "sig": s}`` signals its process
  group.
* stdout ``{"id": n, "pid": p}`` once forked, ``{"id": n, "exit": code}`` when it ended
  (negative: killed by that signal), ``{"id": n, "error": text}`` if it could not fork.

EOF on stdin or SIGTERM kills every running child and exits. The worker also gets SIGTERM
when the orchestrator dies (a parent-death signal on Linux), and every child gets SIGKILL
when the worker dies, so no attempt outlives either. The worker is a subreaper: a child's
descendants that left its process group (``setsid``) are reparented here when their parent
exits, and the ones carrying the attempt's ``SLUICE_ATTEMPT_ID`` die with the attempt.
This module must stay single-threaded (forking a threaded process is unsafe) and import
nothing heavy itself.

A component that raises gets its full traceback in its log, as under the KFP launcher, and its
exception recorded as JSON in ``exception_file`` (see :func:`_record_exception`): type, message
and the traceback cut down to the component's own frames.
:func:`run_main` does the same for an attempt that runs as a plain subprocess.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import signal
import sys
import traceback
from types import ModuleType
from typing import Any


def _load_reaper() -> ModuleType:
    """``sluice.executors.reaper``, loaded by path like this module (stdlib only)."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reaper.py")
    spec = importlib.util.spec_from_file_location("_sluice_reaper", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_reaper = _load_reaper()


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


def _send(fd: int, message: dict[str, Any]) -> None:
    data = (json.dumps(message) + "\n").encode()
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
        self.buffer = b""

    def serve(self) -> dict[str, Any] | None:
        """Serve until told to stop (None) or, in a freshly forked child, return its request."""
        signal.set_wakeup_fd(self.wake_w)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, lambda *_: None)  # the wakeup fd does the work
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the orchestrator's business
        selector = selectors.DefaultSelector()
        selector.register(self.cmd_fd, selectors.EVENT_READ)
        selector.register(self.wake_r, selectors.EVENT_READ)
        try:
            while True:
                for key, _ in selector.select():
                    if key.fd == self.wake_r:
                        signals = os.read(self.wake_r, 4096)
                        self._reap()
                        if signal.SIGTERM in signals:
                            self._shutdown()
                            return None
                        continue
                    data = os.read(self.cmd_fd, 1 << 20)
                    if not data:
                        self._shutdown()
                        return None
                    self.buffer += data
                    while b"\n" in self.buffer:
                        line, self.buffer = self.buffer.split(b"\n", 1)
                        request = self._handle(json.loads(line))
                        if request is not None:
                            return request  # we are the child now
        except BrokenPipeError:  # the orchestrator is gone: nobody wants the results
            self._shutdown()
            return None
        finally:
            selector.close()

    def _handle(self, message: dict[str, Any]) -> dict[str, Any] | None:
        if message["op"] == "signal":
            pid = self.pids.get(message["id"])
            if pid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, message["sig"])
            return None
        try:
            pid = os.fork()
        except OSError as exc:
            _send(self.out_fd, {"id": message["id"], "error": f"fork failed: {exc}"})
            return None
        if pid == 0:
            return message
        self.children[pid] = message["id"]
        self.pids[message["id"]] = pid
        marker = message["env"].get(_reaper.MARKER_VAR)
        if marker:
            self.markers[pid] = marker
        _send(self.out_fd, {"id": message["id"], "pid": pid})
        return None

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
            _send(self.out_fd, {"id": request_id, "exit": os.waitstatus_to_exitcode(status)})

    def _sweep(self, marker: str) -> None:
        """Kill the attempt's descendants that left its group and were reparented here."""
        me = os.getpid()
        for _ in range(100):  # each round reaches one more generation; bounded all the same
            marked = [
                pid
                for pid in _reaper.children_of(me)
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
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in (self.cmd_fd, self.out_fd, self.wake_r, self.wake_w):
            os.close(fd)


def _run_child(request: dict[str, Any], worker_pid: int) -> int:
    """Become the attempt: like ``python3 -m <module> <argv>`` started in ``cwd``."""
    os.setsid()  # own process group, so the attempt can be killed as a whole
    # The worker is single-threaded, so the signal fires exactly when the worker dies.
    _reaper.set_parent_death_signal(signal.SIGKILL, worker_pid)
    try:
        log_fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        with open(request["source_path"], "w", encoding="utf-8") as f:
            f.write(request["source"])
    except OSError as exc:  # reported like the launcher's shell would, then a failed attempt
        print(f"sluice: could not prepare the task: {exc}", file=sys.stderr, flush=True)
        return 1
    sys.path.insert(0, os.getcwd())  # what `python3 -m` puts first
    return _run_module(request["module"], request["argv"], request.get("exception_file"))


def _run_module(module: str, argv: list[str], exception_file: str | None) -> int:
    """Run ``module`` as ``__main__`` like ``python3 -m module argv``; the exit code."""
    import runpy

    sys.argv = ["-m", *argv]  # runpy replaces argv[0] with the module's file
    watch = _OutputStart() if exception_file else None
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return _exit_code(exc)
    except BaseException as exc:
        if exception_file:
            _record_exception(exception_file, exc, watch.offset if watch else None)
        sys.excepthook(*sys.exc_info())
        return 1
    return 0


def _log_size() -> int | None:
    """How many bytes the attempt's log (our stdout and stderr) holds, buffers flushed."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        return os.fstat(2).st_size
    except OSError:
        return None


class _OutputStart:
    """Finds where in the log the component's own output starts.

    kfp's executor logs ``Got executor_input: ...`` just before it calls the component's
    function, so its output starts right after that record. A filter on the root logger sees the
    record before the handler writes it; it formats it as the handler will (the one stream
    handler ``logging.basicConfig`` installed) to know how many bytes will land in the log. No
    hook runs on the component's own calls. ``offset`` stays None if the record never came or
    the logging setup is not the one kfp makes.
    """

    def __init__(self) -> None:
        import logging

        self.offset: int | None = None
        self._logging = logging
        logging.getLogger().addFilter(self._filter)

    def _filter(self, record: Any) -> bool:
        if self.offset is None and str(record.msg).startswith("Got executor_input"):
            with contextlib.suppress(Exception):
                self.offset = self._end_of(record)
        return True

    def _end_of(self, record: Any) -> int | None:
        handlers = self._logging.getLogger().handlers
        if len(handlers) != 1 or type(handlers[0]) is not self._logging.StreamHandler:
            return None
        handler = handlers[0]
        stream = handler.stream
        if stream is not sys.stderr and stream is not sys.stdout:
            return None
        size = _log_size()
        if size is None:
            return None
        text = handler.format(record) + handler.terminator
        return size + len(text.encode(stream.encoding or "utf-8", stream.errors or "strict"))


def run_main() -> None:
    """Entry point of an attempt run as a subprocess: ``<bootstrap> EXCEPTION_FILE MODULE ARGS``.

    The same as ``python3 -m MODULE ARGS``, plus the exception record the fork children write.
    """
    exception_file, module, *argv = sys.argv[1:]
    # `-c` put '' first on sys.path; `python3 -m` puts the working directory there.
    if sys.path and sys.path[0] == "":
        sys.path[0] = os.getcwd()
    code = _run_module(module, argv, exception_file or None)
    sys.stdout.flush()
    sys.stderr.flush()
    raise SystemExit(code)


def _record_exception(path: str, exc: BaseException, output_start: int | None) -> None:
    """Write what the orchestrator shows of an uncaught exception to ``path`` (JSON).

    Keys: ``type`` (as a traceback names it), ``message``, ``traceback`` (the chain as Python
    prints it, each exception's stack cut to the component's frames) and ``output``: the byte
    range ``[start, end]`` of the log that the component's function printed before it raised
    (None if unknown). Never raises: a failure here must not hide the component's own error.
    """
    with contextlib.suppress(BaseException):
        end = _log_size()
        cls = type(exc)
        name = cls.__qualname__
        if cls.__module__ not in ("builtins", "__main__"):
            name = f"{cls.__module__}.{name}"
        try:
            message = str(exc)
        except Exception:
            message = "<exception str() failed>"
        record = {
            "type": name,
            "message": message,
            "traceback": component_traceback(exc),
            "output": [output_start, end] if output_start is not None and end is not None else None,
        }
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)


def component_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` as Python prints it, minus the frames that run the component.

    Every exception of the chain (``__cause__``, ``__context__``, exception groups) keeps its
    place and its "During handling ..." line; only the frames leading into the component are cut:
    this worker's, runpy's, importlib's and kfp's executor, up to the first frame of the
    component's own code (its function, or the module it imports). A stack that never reaches
    the component's code (kfp failing to read an input, say) keeps its kfp frames.
    """
    root = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    pending, seen = [root], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.stack = _own_frames(current.stack)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        pending.extend(getattr(current, "exceptions", None) or ())
    return "".join(root.format())


def _own_frames(stack: traceback.StackSummary) -> traceback.StackSummary:
    frames = list(stack)
    start = 0
    while start < len(frames) and _is_launcher(frames[start].filename):
        start += 1
    first_own = next(
        (i for i in range(start, len(frames)) if not _is_framework(frames[i].filename)), None
    )
    if first_own is not None:
        start = first_own
    return traceback.StackSummary.from_list(frames[start:])


def _is_launcher(filename: str) -> bool:
    """Frames that only start the attempt: this file's and runpy's."""
    import runpy

    return filename in (__file__, runpy.__file__, "<frozen runpy>")


def _is_framework(filename: str) -> bool:
    """Frames between the launcher and the component: importlib's and kfp's."""
    if _is_launcher(filename) or filename.startswith("<frozen importlib"):
        return True
    kfp = sys.modules.get("kfp")
    kfp_file = getattr(kfp, "__file__", None)
    return bool(kfp_file) and filename.startswith(os.path.dirname(str(kfp_file)) + os.sep)


def _exit_code(exc: SystemExit) -> int:
    """The process exit code the interpreter would derive from an uncaught SystemExit."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


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
    _preload()
    # The loaded modules are shared copy-on-write by every child; keep the GC off those pages.
    gc.collect()
    gc.freeze()
    worker_pid = os.getpid()
    zygote = _Zygote(cmd_fd, out_fd)
    request = zygote.serve()
    if request is None:
        sys.exit(0)
    zygote.close_in_child()
    del zygote
    _exit(_run_child(request, worker_pid))


def _exit(code: int) -> None:
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
