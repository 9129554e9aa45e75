"""The one error hierarchy of Sluice.

Every error Sluice raises on purpose is a :class:`SluiceError`. Errors caused by
what the user handed us (a file, a parameter value, a pipeline feature we do not
support) are :class:`UserInputError` subclasses: the CLI prints their message on
one line and exits with code 2, the server answers 4xx. A failure of the user's
own component code never raises out of :func:`sluice.run`; it is recorded on the
run. :meth:`sluice.Run.raise_for_state` (and ``handle.result()``) turn a run that did not
succeed into a :class:`RunError`: a :class:`ComponentError` carrying the component's own
traceback (chained from a :class:`ComponentTraceback`), :class:`RunFailedError` or
:class:`RunCanceledError`. The server maps each error class to an HTTP status in one
table (``sluice.server.errors``).
"""

from __future__ import annotations


class SluiceError(Exception):
    """Base class of every error Sluice raises on purpose."""


class UserInputError(SluiceError):
    """The input given to Sluice is wrong; the message says what and how to fix it."""


class PipelineNotFoundError(UserInputError):
    """The file or object to run does not exist or holds no pipeline."""


class InvalidPipelineError(UserInputError):
    """The pipeline spec is malformed: not a pipeline, fails strict parsing, or has a cycle."""


class UnsupportedFeatureError(UserInputError):
    """The pipeline uses an IR feature Sluice does not support yet (the message names it)."""


class InvalidArgumentError(UserInputError):
    """A pipeline argument is unknown, missing, or of the wrong type."""


class ResourceUnavailableError(UserInputError):
    """A task requests resources (e.g. GPUs) this machine cannot provide."""


class RunNotFoundError(UserInputError):
    """No run (or task) with the given id or name exists in the store."""


class AmbiguousRunError(UserInputError):
    """A run reference (an id prefix or a display name) matches several runs."""


class AlreadyExistsError(UserInputError):
    """A name that must be unique is already taken (the server answers 409)."""


class RunNameTakenError(AlreadyExistsError):
    """Another run already has this run name; Sluice's run names are unique ids."""


class ExpressionError(SluiceError):
    """A CEL condition or parameter selector could not be evaluated."""


class PlaceholderError(SluiceError):
    """A ``{{$...}}`` placeholder could not be resolved."""


class ExecutorError(SluiceError):
    """Sluice could not start or supervise a task's process (not the component's own failure)."""


class ArtifactTransferError(SluiceError):
    """An artifact could not be copied to or from its object store (a failed attempt)."""


class ComponentTraceback(SluiceError):
    """A component's own exception, as recorded where it ran (another process, or a server).

    It is the ``__cause__`` of the :class:`ComponentError` that
    :meth:`sluice.Run.raise_for_state` raises, so Python prints the component's own
    traceback above Sluice's ("The above exception was the direct cause ..."). Its text is
    that traceback; the original exception object cannot cross the process boundary.

    Attributes:
        exception_type: the type of the component's exception (``ValueError``), if known.
        message: the exception's message, or the one-line reason.
        traceback: the component's own traceback text (its frames only), if known.
    """

    def __init__(
        self, message: str, *, exception_type: str | None = None, traceback: str | None = None
    ) -> None:
        self.exception_type = exception_type
        self.message = message
        self.traceback = traceback
        head = f"{exception_type}: {message}" if exception_type else message
        text = traceback.rstrip("\n") if traceback else head
        super().__init__(f"\n{text}" if traceback else text)


class RunError(SluiceError):
    """A run ended in a state other than SUCCEEDED (see :meth:`sluice.Run.raise_for_state`).

    Attributes:
        run_id / run_name: the run.
        state: its final state (``FAILED``, ``CANCELED``, ...).
    """

    def __init__(
        self,
        message: str,
        *,
        run_id: str | None = None,
        run_name: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.run_name = run_name
        self.state = state


class RunCanceledError(RunError):
    """The run was canceled before it ended."""


class RunFailedError(RunError):
    """The run failed; :class:`ComponentError` when a component's failure is to blame."""


class ComponentError(RunFailedError):
    """A component failed; ``traceback`` is the component's own error output.

    Raised by :meth:`sluice.Run.raise_for_state` and ``RunHandle.result()`` for a failed
    run, chained ``from`` a :class:`ComponentTraceback` holding the component's traceback.

    Args:
        task: the failed task's path in the run (``train``, ``for-loop-2[1]/square``).
        message: one-line summary (usually the exception line of the component).
        traceback: the component's own traceback or last log lines, if any.
        exception_type: the type of the component's uncaught exception, if it raised one.
        exit_code: the component's exit code, if it ran to an exit.
        output: the last lines the component printed before it raised, if known.
        attempts: how many times the component was started.
        run_id / run_name / state: the run it failed in, when known.
    """

    def __init__(
        self,
        task: str,
        message: str,
        traceback: str | None = None,
        *,
        exception_type: str | None = None,
        exit_code: int | None = None,
        output: str | None = None,
        attempts: int | None = None,
        run_id: str | None = None,
        run_name: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(
            f"task '{task}' failed: {message}", run_id=run_id, run_name=run_name, state=state
        )
        self.task = task
        self.message = message
        self.traceback = traceback
        self.exception_type = exception_type
        self.exit_code = exit_code
        self.output = output
        self.attempts = attempts


class StoreError(SluiceError):
    """The run store could not be opened, migrated or reached (the server answers 503).

    The store raises its database's errors as the subclasses below (the driver's error is
    the ``__cause__``), so no caller handles SQLAlchemy's own exceptions.
    """


class StoreUnavailableError(StoreError):
    """The store's database could not be reached, or stayed locked too long; try again."""


class StoreUnusableError(StoreError):
    """The store's database answers but cannot be used as it stands: it is read-only or
    full, it is not a Sluice store of this version, or it refuses the URL's credentials.
    Trying again will not help; the message says what to fix."""


class StoreConflictError(StoreError):
    """The database refused a write that conflicts with what it holds (a unique key, a
    reference, a constraint); the server answers 409."""


class StoreValueError(StoreError):
    """The database refused a value (too long for its column, a NUL in PostgreSQL text);
    the server answers 400."""


class MetadataNotFoundError(UserInputError):
    """No artifact, execution or context with the given id, uri or name is in the store."""


class InvalidQueryError(UserInputError):
    """A metadata query's limit, page token, lineage direction or hop count is invalid."""


class InvalidFilterError(UserInputError):
    """A metadata ``filter`` or ``order_by`` is malformed; the message points at the token."""


class InvalidScheduleError(UserInputError):
    """A recurring run's cron expression, interval, time zone or time window is invalid."""


class RemoteServerError(SluiceError):
    """A Sluice server (``--host``) could not be reached or failed to answer a request."""


class StoreBusyError(UserInputError):
    """Another ``sluice server`` is using this store (one server per store, for now)."""


class RunBusyError(UserInputError):
    """The run is being executed by another process (or thread); it cannot be resumed now."""


class NotFoundError(UserInputError):
    """No experiment, pipeline, pipeline version or recurring run has the given id or name."""


class FailedPreconditionError(SluiceError):
    """The request is valid but the resource's state does not allow it now.

    (Retrying a run that is still RUNNING, deleting a pipeline that has versions.) The
    server answers 400 FAILED_PRECONDITION.
    """


class ConcurrencyLimitError(FailedPreconditionError):
    """A recurring run has ``max_concurrency`` runs active: the slot's run is not recorded,
    and the slot waits for a place (the scheduler fires it once a run ends)."""
