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
from dataclasses import replace
from pathlib import Path

from sluice.engine.model import ArtifactRef
from sluice.errors import InvalidArgumentError
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


def _filesystem(uri: str) -> tuple[object, str]:
    import fsspec

    try:
        return fsspec.core.url_to_fs(uri)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as exc:
        scheme = uri.split("://", 1)[0]
        raise InvalidArgumentError(
            f"cannot use {scheme}:// URIs: {exc}; install the fsspec driver for it "
            f"(e.g. `pip install s3fs` or `pip install gcsfs`)"
        ) from exc


def upload(local: Path, uri: str) -> None:
    """Copy a local file or directory to ``uri``."""
    fs, path = _filesystem(uri)
    if local.is_dir():
        fs.put(str(local), path, recursive=True)  # type: ignore[attr-defined]
    elif local.exists():
        fs.put_file(str(local), path)  # type: ignore[attr-defined]


def download(uri: str, local: Path) -> None:
    """Copy ``uri`` (file or directory) to a local path."""
    fs, path = _filesystem(uri)
    local.parent.mkdir(parents=True, exist_ok=True)
    if fs.isdir(path):  # type: ignore[attr-defined]
        fs.get(path, str(local), recursive=True)  # type: ignore[attr-defined]
    else:
        fs.get_file(path, str(local))  # type: ignore[attr-defined]


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
                await asyncio.to_thread(download, ref.uri, local)
            items.append(replace(ref, uri=str(local)))
        localized[name] = items
    return localized
