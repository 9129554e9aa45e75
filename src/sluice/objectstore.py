"""Copying artifacts to and from object stores (``s3://``, ``gs://``, any fsspec URL).

Both directions stream in bounded pieces, so an artifact of any size moves through a fixed
amount of memory. Used by the engine (staging on the machine that runs the run) and by
executors that stage on the machine that runs the attempt (a Ray node).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sluice.errors import ArtifactTransferError, InvalidArgumentError, SluiceError

__all__ = [
    "DOWNLOAD_BLOCK_BYTES",
    "UPLOAD_PART_BYTES",
    "download",
    "is_remote",
    "transfer",
    "upload",
]


def is_remote(uri: str) -> bool:
    """Whether ``uri`` names something that is not a local path."""
    return "://" in uri and not uri.startswith("file://")


def _filesystem(uri: str) -> tuple[Any, str]:
    import fsspec

    try:
        return fsspec.core.url_to_fs(uri)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as exc:
        scheme = uri.split("://", 1)[0]
        raise InvalidArgumentError(
            f"cannot use {scheme}:// URIs: {exc}; install the fsspec driver for it "
            f"(e.g. `pip install s3fs` or `pip install gcsfs`)"
        ) from exc


#: How much of an artifact is in memory at once while it moves: one part of an upload
#: (S3's multipart minimum is 5 MiB), one ranged read of a download (fewer, larger reads
#: cost less per byte on an object store). A 1 GiB model streams through, never held whole.
UPLOAD_PART_BYTES = 8 << 20
DOWNLOAD_BLOCK_BYTES = 32 << 20


def upload(local: Path, uri: str) -> None:
    """Copy a local file or directory to ``uri``, streamed in :data:`UPLOAD_PART_BYTES` parts."""
    fs, path = _filesystem(uri)
    if local.is_dir():
        base = path.rstrip("/")
        for file in sorted(local.rglob("*")):
            if file.is_file():
                _put(fs, file, f"{base}/{file.relative_to(local).as_posix()}")
    elif local.exists():
        _put(fs, local, path)


def _put(fs: Any, local: Path, path: str) -> None:
    # fsspec's put_file would do: but s3fs's uploads its parts concurrently, holding ten
    # 50 MiB parts at once; a file object writes one part at a time.
    with local.open("rb") as source, fs.open(path, "wb", block_size=UPLOAD_PART_BYTES) as target:
        shutil.copyfileobj(source, target, UPLOAD_PART_BYTES)


def download(uri: str, local: Path) -> None:
    """Copy ``uri`` (file or directory) to a local path, in :data:`DOWNLOAD_BLOCK_BYTES` reads.

    The copy appears at ``local`` only once complete (written beside it, then renamed):
    a process killed mid-download leaves no truncated input that a resumed run would
    take for the artifact.
    """
    fs, path = _filesystem(uri)
    local.parent.mkdir(parents=True, exist_ok=True)
    partial = local.with_name(local.name + ".partial")
    if partial.is_dir():
        shutil.rmtree(partial)
    if fs.isdir(path):
        base = path.rstrip("/")
        partial.mkdir()
        for remote in fs.find(base):
            relative = str(remote)[len(base) :].lstrip("/")
            if relative:  # not the directory's own placeholder object
                _get(fs, str(remote), partial / relative)
    else:
        _get(fs, path, partial)
    if local.is_dir() and not local.is_symlink():
        shutil.rmtree(local)  # an earlier copy (an importer run again): this one replaces it
    partial.replace(local)


def _get(fs: Any, path: str, local: Path) -> None:
    local.parent.mkdir(parents=True, exist_ok=True)
    # No read-ahead cache: each read is one ranged request, copied out at once.
    with (
        fs.open(path, "rb", block_size=DOWNLOAD_BLOCK_BYTES, cache_type="none") as source,
        local.open("wb") as target,
    ):
        shutil.copyfileobj(source, target, DOWNLOAD_BLOCK_BYTES)


def transfer(copy: Callable[[Any, Any], None], first: Any, second: Any, what: str) -> None:
    """``copy(first, second)`` (:func:`upload` or :func:`download`), its failure one line.

    Raises:
        ArtifactTransferError: the store refused or failed; the message starts with ``what``
            and ends with the store's reason.
    """
    try:
        copy(first, second)
    except SluiceError:
        raise
    except Exception as exc:  # the store's own errors: botocore's, aiohttp's, OSError
        text = str(exc).strip()
        reason = text.splitlines()[0] if text else "no reason given"
        raise ArtifactTransferError(f"{what}: {type(exc).__name__}: {reason}") from exc
