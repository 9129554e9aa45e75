"""Reading uploaded pipeline packages: YAML or JSON IR, possibly in a zip or tar.gz."""

from __future__ import annotations

import io
import tarfile
import zipfile
from typing import Any

import yaml

from sluice.server.errors import ApiError, bad_request
from sluice.spec.loader import YAML_LOADER, LoadedPipeline, load_pipeline
from sluice.spec.validate import check_pipeline

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def _unpack(data: bytes, limit: int) -> bytes:
    """The spec file inside a zip or tar.gz package; other bytes are returned as they are."""
    try:
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if info.filename.lower().endswith(_SPEC_SUFFIXES):
                        if info.file_size > limit:
                            raise ApiError(413, "the pipeline file in the archive is too large")
                        return archive.read(info)
            raise bad_request("the zip archive holds no .yaml/.json pipeline file")
        if data[:2] == b"\x1f\x8b":
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                for member in archive.getmembers():
                    if member.isfile() and member.name.lower().endswith(_SPEC_SUFFIXES):
                        if member.size > limit:
                            raise ApiError(413, "the pipeline file in the archive is too large")
                        handle = archive.extractfile(member)
                        if handle is not None:
                            return handle.read()
            raise bad_request("the tar.gz archive holds no .yaml/.json pipeline file")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise bad_request(f"the uploaded archive is corrupt: {exc}") from exc
    return data


def parse_package(data: bytes, limit: int) -> LoadedPipeline:
    """A compiled pipeline from uploaded bytes (YAML or JSON, sniffed, maybe archived)."""
    raw = _unpack(data, limit)
    try:
        text = raw.decode("utf-8")
        docs = [d for d in yaml.load_all(text, Loader=YAML_LOADER) if d is not None]
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise bad_request(
            f"the uploaded file is not YAML or JSON: {' '.join(str(exc).split())[:300]}"
        ) from exc
    if not docs or not isinstance(docs[0], dict):
        raise bad_request("the uploaded file is not a pipeline; upload a kfp-compiled YAML")
    target: dict[str, Any] = docs[0]
    if len(docs) > 1 and "pipeline_spec" not in target:
        target = {"pipeline_spec": docs[0], "platform_spec": docs[1]}
    return load_spec(target)


def load_spec(target: object) -> LoadedPipeline:
    """Load and check a pipeline given as an IR dict or ``{pipeline_spec, platform_spec}``."""
    if not isinstance(target, dict) or not target:
        raise bad_request("pipeline_spec must be a compiled pipeline (a JSON object)")
    loaded = load_pipeline(target)
    check_pipeline(loaded)
    return loaded
