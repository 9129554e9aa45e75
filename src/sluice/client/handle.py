"""What ``submit`` returns: a handle on a run that is executing, here or on a server."""

from __future__ import annotations

from abc import ABC, abstractmethod

from sluice.client.models import Run


class BaseRunHandle(ABC):
    """A run that was submitted: wait for it, read it, cancel it, or take its result.

    :class:`sluice.RunHandle` executes the run in a thread of this process; a
    ``Client(host=...)`` hands out one that follows the run on the server.

    Attributes:
        id: the run's id.
        name: the run's name.
    """

    id: str
    name: str

    @abstractmethod
    def done(self) -> bool:
        """Whether the run has ended."""

    @abstractmethod
    def cancel(self) -> None:
        """Stop the run's tasks and mark it CANCELED (returns at once; ``wait`` for the end)."""

    @abstractmethod
    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run ends (or ``timeout`` seconds pass) and return it as it is."""

    @abstractmethod
    def get(self) -> Run:
        """The run as it is in the store now."""

    def result(self, timeout: float | None = None) -> Run:
        """Wait for the run to end; return it if it SUCCEEDED, raise otherwise.

        Raises:
            ComponentError: a component failed; ``__cause__`` holds its own traceback.
            RunFailedError: the run failed with no component to blame.
            RunCanceledError: the run was canceled.
            TimeoutError: ``timeout`` seconds passed before the run ended.
        """
        run = self.wait(timeout)
        if not self.done():
            raise TimeoutError(f"run {self.name} did not end within {timeout} seconds")
        return run.raise_for_state()
