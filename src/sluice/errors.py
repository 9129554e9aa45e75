"""The one error hierarchy of Sluice.

Every error Sluice raises on purpose is a :class:`SluiceError`. Errors caused by
what the user handed us (a file, a parameter value, a pipeline feature we do not
support) are :class:`UserInputError` subclasses: the CLI prints their message on
one line and exits with code 2, the server answers 4xx. A failure of the user's
own component code never raises out of :func:`sluice.run`; it is recorded on the
run, and :class:`ComponentError` carries the component's own traceback text.
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


class ComponentError(SluiceError):
    """A component failed; ``traceback`` is the component's own error output.

    Args:
        task: the task name in the pipeline.
        message: one-line summary (usually the exception line of the component).
        traceback: the component's own traceback or last log lines, if any.
    """

    def __init__(self, task: str, message: str, traceback: str | None = None) -> None:
        super().__init__(f"task '{task}' failed: {message}")
        self.task = task
        self.message = message
        self.traceback = traceback


class StoreError(SluiceError):
    """The run store could not be opened or migrated."""


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
