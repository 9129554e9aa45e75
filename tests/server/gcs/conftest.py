"""One real ``sluice server --emulate-gcs`` process per test module, and clients for it.

The clients are the real ``google-cloud-storage`` and ``gcsfs`` with anonymous credentials,
pointed at the server by ``STORAGE_EMULATOR_HOST`` as a user would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.server.server_process import ServerProcess


@pytest.fixture(scope="module")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The real CLI server with the emulation over ``$SLUICE_HOME/gcs`` (the default)."""
    with ServerProcess(tmp_path_factory.mktemp("gcs-home"), cli_args=["--emulate-gcs"]) as server:
        saved = {k: os.environ.get(k) for k in ("STORAGE_EMULATOR_HOST",)}
        os.environ["STORAGE_EMULATOR_HOST"] = server.url
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture
def backing(gcs_server: ServerProcess) -> Path:
    """The directory the server keeps its buckets in."""
    return gcs_server.home / "gcs"


@pytest.fixture
def storage_client(gcs_server: ServerProcess) -> Any:
    """``google.cloud.storage.Client`` as the docs show it for an emulator."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project="test-project", credentials=AnonymousCredentials())


@pytest.fixture
def gcs_fs(gcs_server: ServerProcess) -> Any:
    """A ``gcsfs`` filesystem on the emulation (the JSON-API class: see docs/vertex.md on
    ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT``)."""
    from gcsfs.core import GCSFileSystem

    return GCSFileSystem(
        endpoint_url=gcs_server.url, token="anon", project="test-project", skip_instance_cache=True
    )
