"""Inside an attempt's process: run a module as ``__main__`` and record how it failed.

Both ways a lightweight component runs use this file: a child forked by the warm fork worker
(:mod:`sluice.executors.zygote` calls :func:`run_module`), and an attempt started as a plain
subprocess (a venv's Python, ``PYTHON*`` variables), whose interpreter loads this file by path
and calls :func:`run_main`. Like the worker, it is loaded by path and imports nothing but the
standard library: importing the ``sluice`` package would drag the engine, the store and
SQLAlchemy into every task's interpreter.

A component that raises gets its full traceback in its log, as under the KFP launcher, and its
exception recorded as JSON in ``exception_file`` (see :func:`_record_exception`): type, message
and the traceback cut down to the component's own frames.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from typing import Any

__all__ = ["component_traceback", "run_main", "run_module"]

# The fork worker's frames start every forked attempt; they are cut like this file's.
_ZYGOTE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zygote.py")


# Modules found ahead of time by the fork worker (name -> runpy's spec and code object):
# its children run them without searching sys.path and unmarshalling the .pyc again.
_FOUND: dict[str, tuple[Any, Any]] = {}


def find_ahead(module: str) -> None:
    """Find ``module`` (not importing it) for :func:`run_module` in forked children.

    Only what ``runpy.run_module`` itself does first, in the worker instead of in every
    child; a module runpy cannot find this way is simply found by each child as before.
    """
    import runpy

    details = getattr(runpy, "_get_module_details", None)
    if details is None or not hasattr(runpy, "_run_module_code"):
        return  # another Python's runpy: children use run_module
    try:
        _, spec, code = details(module)
    except BaseException:
        return
    _FOUND[module] = (spec, code)


def run_module(module: str, argv: list[str], exception_file: str | None) -> int:
    """Run ``module`` as ``__main__`` like ``python3 -m module argv``; the exit code."""
    import runpy

    sys.argv = ["-m", *argv]  # runpy replaces argv[0] with the module's file
    watch = _OutputStart() if exception_file else None
    found = _FOUND.get(module)
    try:
        if found is None:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:  # what run_module does once it has found the module
            runpy._run_module_code(found[1], None, "__main__", found[0])  # type: ignore[attr-defined]
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
    code = run_module(module, argv, exception_file or None)
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
    """Frames that only start the attempt: the fork worker's, this file's and runpy's."""
    import runpy

    return filename in (__file__, _ZYGOTE_FILE, runpy.__file__, "<frozen runpy>")


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
