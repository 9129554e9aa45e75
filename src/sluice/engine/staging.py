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
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sluice.engine.model import ArtifactRef
from sluice.errors import InvalidArgumentError
from sluice.names import safe_component, under
from sluice.objectstore import download, is_remote, transfer, upload

__all__ = [
    "check_pipeline_root",
    "download",
    "fetch_artifact",
    "is_remote",
    "localize_inputs",
    "publish_artifact",
    "staged_outputs",
    "upload",
]


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


async def fetch_artifact(uri: str, local: Path, *, what: str) -> None:
    """:func:`download`, off the event loop.

    Raises:
        ArtifactTransferError: the store failed (the attempt fails; its retries apply).
    """
    await _transfer(download, uri, local, f"{what}: cannot download it from {uri}")


async def publish_artifact(local: Path, uri: str, *, what: str) -> None:
    """:func:`upload`, off the event loop.

    Raises:
        ArtifactTransferError: the store failed (the attempt fails; its retries apply).
    """
    await _transfer(upload, local, uri, f"{what}: cannot upload it to {uri}")


async def _transfer(copy: Callable[[Any, Any], None], first: Any, second: Any, what: str) -> None:
    await asyncio.to_thread(transfer, copy, first, second, what)


async def localize_inputs(
    artifacts: dict[str, list[ArtifactRef]], staging: Path, *, fetch: bool = True
) -> tuple[dict[str, list[ArtifactRef]], tuple[tuple[str, Path], ...]]:
    """The input artifacts with remote ones replaced by local copies (downloaded once),
    and the ``(uri, local path)`` of each of those.

    ``fetch=False`` only names the local paths: the executor downloads them where the
    attempt runs (see :class:`~sluice.executors.base.ArtifactStaging`).
    """
    localized: dict[str, list[ArtifactRef]] = {}
    staged: list[tuple[str, Path]] = []
    for name, refs in artifacts.items():
        items = []
        for ref in refs:
            if not is_remote(ref.uri):
                items.append(ref)
                continue
            local = staging / "inputs" / str(ref.id) / safe_component(ref.name)
            staged.append((ref.uri, local))
            if fetch and not local.exists():
                await _fetch_once(ref.uri, local, what=f"input artifact '{name}'")
            items.append(replace(ref, uri=str(local)))
        localized[name] = items
    return localized, tuple(staged)


def staged_outputs(executor_input: dict[str, Any], task_root: str) -> tuple[tuple[Path, str], ...]:
    """``(local path, uri)`` of each output artifact of an attempt under a remote root."""
    outputs = (executor_input.get("outputs") or {}).get("artifacts") or {}
    return tuple(
        (Path(spec["artifacts"][0]["uri"]), under(task_root, safe_component(name)))
        for name, spec in outputs.items()
    )


# Downloads under way, by event loop and local path. The iterations of a loop that read one
# artifact start together, and each would otherwise download it into the same staging
# path at once (one then fails to rename a partial copy another has moved into place).
_fetching: dict[tuple[int, Path], asyncio.Future[None]] = {}


async def _fetch_once(uri: str, local: Path, *, what: str) -> None:
    """:func:`fetch_artifact`, shared by every task of this event loop that asks for the
    same ``local`` copy while it is being made.

    A waiter that is cancelled leaves the download to the others; a failed download fails
    every waiter (each attempt's retries apply, and a retry downloads afresh).
    """
    key = (id(asyncio.get_running_loop()), local)
    pending = _fetching.get(key)
    if pending is None:
        pending = asyncio.ensure_future(fetch_artifact(uri, local, what=what))
        _fetching[key] = pending
        pending.add_done_callback(lambda done: _forget(key, done))
    await asyncio.shield(pending)


def _forget(key: tuple[int, Path], done: asyncio.Future[None]) -> None:
    _fetching.pop(key, None)
    if not done.cancelled():
        done.exception()  # seen, should every waiter have been cancelled meanwhile
