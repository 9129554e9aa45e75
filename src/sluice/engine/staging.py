"""Artifacts under a remote ``pipeline_root`` (``s3://``, ``gs://``, any fsspec URI).

Components read and write artifacts through local paths (``Artifact.path``). With a
local pipeline root the artifact URI *is* that path. With a remote root, each attempt
writes its outputs into a local staging directory, and Sluice uploads them to
``<pipeline_root>/<run>/<task>/<output>`` once the attempt succeeded; input artifacts
that live remotely are downloaded into the staging area before the task starts.
The store always records the remote URI.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sluice.engine.model import ArtifactRef
from sluice.errors import ArtifactTransferError, InvalidArgumentError, SluiceError
from sluice.names import safe_component


def is_remote(uri: str) -> bool:
    """Whether ``uri`` names something that is not a local path."""
    return "://" in uri and not uri.startswith("file://")


def check_pipeline_root(root: str) -> None:
    """Refuse, before a run starts, a remote root this machine has no fsspec driver for.

    Only the driver's class is imported (no credentials, no network): a missing package
    or an unknown protocol would otherwise surface after the first task ran, when its
    outputs are uploaded.

    Raises:
        InvalidArgumentError: the protocol is unknown to fsspec, or its package is missing.
    """
    if not is_remote(root):
        return
    import fsspec
    from fsspec.registry import known_implementations

    # A chained URL (``simplecache::s3://b/k``) needs a driver for every link.
    for link in root.split("::"):
        protocol = fsspec.core.split_protocol(link)[0]
        if protocol is None:
            continue
        try:
            fsspec.get_filesystem_class(protocol)
        except ValueError:
            raise InvalidArgumentError(
                f"pipeline root {root!r}: unknown storage protocol '{protocol}://'; use a "
                "local path or an fsspec URL (s3://, gs://, abfs://, memory://, ...)"
            ) from None
        except ImportError as exc:
            known = known_implementations.get(protocol, {})
            # fsspec says what the driver needs ("Please install gcsfs to access ...").
            need = str(known.get("err") or exc).rstrip(".")
            package = str(known.get("class", "")).split(".", 1)[0]
            hint = f" (`pip install {package}`)" if package and package != "fsspec" else ""
            if protocol in ("gs", "gcs"):  # no Google account needed: see docs/vertex.md
                hint += ", or serve gs:// offline with `sluice server --emulate-gcs`"
            raise InvalidArgumentError(
                f"pipeline root {root!r}: {need}{hint}, or use a local pipeline root"
            ) from None


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


async def fetch(uri: str, local: Path, *, what: str) -> None:
    """:func:`download`, off the event loop.

    Raises:
        ArtifactTransferError: the store failed (the attempt fails; its retries apply).
    """
    await _transfer(download, uri, local, f"{what}: cannot download it from {uri}")


async def publish(local: Path, uri: str, *, what: str) -> None:
    """:func:`upload`, off the event loop.

    Raises:
        ArtifactTransferError: the store failed (the attempt fails; its retries apply).
    """
    await _transfer(upload, local, uri, f"{what}: cannot upload it to {uri}")


async def _transfer(copy: Callable[[Any, Any], None], first: Any, second: Any, what: str) -> None:
    try:
        await asyncio.to_thread(copy, first, second)
    except SluiceError:
        raise
    except Exception as exc:  # the store's own errors: botocore's, aiohttp's, OSError
        text = str(exc).strip()
        reason = text.splitlines()[0] if text else "no reason given"
        raise ArtifactTransferError(f"{what}: {type(exc).__name__}: {reason}") from exc


async def localize_inputs(
    artifacts: dict[str, list[ArtifactRef]], staging: Path
) -> dict[str, list[ArtifactRef]]:
    """The input artifacts with remote ones replaced by local copies (downloaded once)."""
    localized: dict[str, list[ArtifactRef]] = {}
    for name, refs in artifacts.items():
        items = []
        for ref in refs:
            if not is_remote(ref.uri):
                items.append(ref)
                continue
            local = staging / "inputs" / str(ref.id) / safe_component(ref.name)
            if not local.exists():
                await fetch(ref.uri, local, what=f"input artifact '{name}'")
            items.append(replace(ref, uri=str(local)))
        localized[name] = items
    return localized
