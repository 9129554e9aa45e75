"""Where the emulation is reached: the server's own processes through the in-process
bridge (:mod:`sluice.service.gcs_bridge`), tasks over HTTP (``STORAGE_EMULATOR_HOST``, see
:func:`announce`).
"""

from __future__ import annotations

import os
from urllib.parse import quote

from sluice.service.gcs_bridge import PROTOCOLS, Bridge

__all__ = [
    "ENV_VAR",
    "PROTOCOLS",
    "Bridge",
    "announce",
    "emulator_url",
    "masked",
    "task_environment",
]

ENV_VAR = "STORAGE_EMULATOR_HOST"
# gcsfs 2026.x first asks the Storage Control API over gRPC (TLS) what kind of bucket it is
# talking to; an emulator cannot answer, and each lookup then waits out a 30-60 s retry
# before falling back to the JSON API. Off, gcsfs uses the JSON API at once.
GCSFS_GRPC_LOOKUP = "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT"


def emulator_url(host: str, port: int, *, token: str | None = None) -> str:
    """Where processes on this machine reach a server listening on ``host:port``.

    With a ``token``, the URL carries it as HTTP Basic credentials (``sluice:<token>@``):
    google-cloud-storage and gcsfs talk to an emulator anonymously, so a bearer header is
    not theirs to send, but both HTTP stacks (requests, aiohttp) send a URL's userinfo, and
    the server's token check accepts it (``server.auth.basic_ok``).
    """
    if host in ("", "0.0.0.0", "localhost"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if token:
        where = f"sluice:{quote(token, safe='')}@{where}"
    return f"http://{where}"


def masked(url: str) -> str:
    """``url`` with the token of its userinfo replaced, for a log line."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, where = rest.rpartition("@")
    return f"{scheme}{sep}{userinfo.split(':')[0]}:***@{where}" if at else url


def task_environment(url: str) -> dict[str, str]:
    """What a process needs in its environment to use the emulation at ``url``."""
    return {ENV_VAR: url, GCSFS_GRPC_LOOKUP: os.environ.get(GCSFS_GRPC_LOOKUP, "false")}


def announce(host: str, port: int, *, token: str | None = None) -> str:
    """Put :func:`task_environment` into this process's environment, which every task the
    server launches inherits (google-cloud-storage and gcsfs read it); returns the URL."""
    url = emulator_url(host, port, token=token)
    os.environ.update(task_environment(url))
    return url
