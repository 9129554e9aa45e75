"""``gs://`` in a Sluice process, straight to the Cloud Storage emulation's backing store.

With ``sluice server --emulate-gcs`` on, the engine's own ``gs://`` traffic (uploading task
outputs under a ``gs://`` pipeline root, downloading inputs, importers) opens the backing
store directly instead of calling the server over HTTP through gcsfs: so gcsfs is not
needed, and no request waits for another on the same server. fsspec's ``gs``/``gcs``
protocols are pointed at a directory view of the backing store (with fsspec's own
``register_implementation``) for as long as the process serves. The server's API process
and its worker process (which executes the runs) both install it: the server names the
store in :data:`STORE_VARIABLE`, which the worker inherits. Tasks are separate processes:
they reach the emulation over HTTP (``STORAGE_EMULATOR_HOST``).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

__all__ = [
    "PROTOCOLS",
    "STORE_VARIABLE",
    "Bridge",
    "install_from_environment",
    "open_backing_store",
]

# The backing store's URL, for processes the server starts (its worker).
STORE_VARIABLE = "SLUICE_GCS_EMULATION_STORE"
PROTOCOLS = ("gs", "gcs")


def _strip(path: str) -> str:
    for protocol in PROTOCOLS:
        if path.startswith(protocol + "://"):
            return path[len(protocol) + 3 :].rstrip("/")
    return path.rstrip("/")


def _bridge_class(fs: Any, root: str) -> type:
    from fsspec.implementations.dirfs import DirFileSystem

    class EmulatedGcsFileSystem(DirFileSystem):  # type: ignore[misc]
        """``gs://bucket/key`` as ``<backing root>/bucket/key``; storage options are ignored
        (``token``, ``project``, ``endpoint_url`` mean nothing here)."""

        protocol: ClassVar[tuple[str, ...]] = PROTOCOLS
        cachable = False

        def __init__(self, *_args: Any, **_options: Any) -> None:
            super().__init__(path=root, fs=fs)

        @classmethod
        def _strip_protocol(cls, path: Any) -> Any:
            if isinstance(path, list):
                return [_strip(str(p)) for p in path]
            return _strip(str(path))

    return EmulatedGcsFileSystem


class Bridge:
    """Points fsspec's ``gs://`` at the backing store (``install``) and back (``remove``)."""

    def __init__(self, fs: Any, root: str) -> None:
        self._cls = _bridge_class(fs, root)
        self._previous: dict[str, type | None] = {}

    def install(self) -> None:
        """From now on ``fsspec`` opens ``gs://`` and ``gcs://`` in the backing store."""
        from fsspec.registry import _registry, register_implementation

        for protocol in PROTOCOLS:
            self._previous[protocol] = _registry.get(protocol)
            register_implementation(protocol, self._cls, clobber=True)

    def remove(self) -> None:
        """Give ``gs://`` back to whatever served it before (gcsfs, when installed)."""
        from fsspec.registry import _registry

        for protocol, previous in self._previous.items():
            if previous is None:
                _registry.pop(protocol, None)
            else:
                _registry[protocol] = previous
        self._previous.clear()


def open_backing_store(url: str) -> tuple[Any, str]:
    """The fsspec filesystem and root path of the backing store at ``url``.

    A local store makes parent directories as it writes, as object stores need none (a
    separate instance from the process's shared LocalFileSystem, which keeps its own
    setting).
    """
    import fsspec

    local = (fsspec.core.split_protocol(url)[0] or "file") in ("file", "local")
    fs, root = fsspec.core.url_to_fs(url, **({"auto_mkdir": True} if local else {}))
    return fs, str(root).rstrip("/") or "/"


def install_from_environment() -> Bridge | None:
    """Install the bridge to the store :data:`STORE_VARIABLE` names, if it names one."""
    url = os.environ.get(STORE_VARIABLE)
    if not url:
        return None
    fs, root = open_backing_store(url)
    bridge = Bridge(fs, root)
    bridge.install()
    return bridge
