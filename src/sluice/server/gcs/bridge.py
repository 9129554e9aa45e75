"""``gs://`` inside the server process itself, straight to the emulation's backing store.

With the emulation on, the engine's own ``gs://`` traffic (uploading task outputs under a
``gs://`` pipeline root, downloading inputs, importers) opens the backing store directly
instead of calling this server over HTTP through gcsfs: so gcsfs is not needed on the
server, and no request waits for another on the same server. The ``gs``/``gcs`` protocols of
fsspec are pointed at a directory view of the backing store for the server's lifetime, and
given back at shutdown. Tasks are separate processes: they reach the emulation over HTTP
(``STORAGE_EMULATOR_HOST``, see :func:`announce`).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

PROTOCOLS = ("gs", "gcs")
ENV_VAR = "STORAGE_EMULATOR_HOST"
# gcsfs 2026.x first asks the Storage Control API over gRPC (TLS) what kind of bucket it is
# talking to; an emulator cannot answer, and each lookup then waits out a 30-60 s retry
# before falling back to the JSON API. Off, gcsfs uses the JSON API at once.
GCSFS_GRPC_LOOKUP = "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"


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


def emulator_url(host: str, port: int) -> str:
    """Where processes on this machine reach a server listening on ``host:port``."""
    if host in ("", "0.0.0.0", "localhost"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def task_environment(url: str) -> dict[str, str]:
    """What a process needs in its environment to use the emulation at ``url``."""
    return {ENV_VAR: url, GCSFS_GRPC_LOOKUP: os.environ.get(GCSFS_GRPC_LOOKUP, "false")}


def announce(host: str, port: int) -> str:
    """Put :func:`task_environment` into this process's environment, which every task the
    server launches inherits (google-cloud-storage and gcsfs read it); returns the URL."""
    url = emulator_url(host, port)
    os.environ.update(task_environment(url))
    return url
