"""Reading uploaded pipeline packages: YAML or JSON IR, possibly in a zip or tar.gz."""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from typing import Any

import yaml

from sluice.server.errors import ApiError, bad_request
from sluice.spec.loader import LoadedPipeline, load_pipeline
from sluice.spec.safe_yaml import YamlLimitError, load_all
from sluice.spec.validate import check_pipeline

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def _gunzip(data: bytes, limit: int) -> bytes:
    """``data`` decompressed, refused (413) as soon as it passes ``limit`` bytes."""
    # Streamed with a cap on the output: a few megabytes of gzip can hold gigabytes.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise _too_large(limit)
    return out


def _too_large(limit: int) -> ApiError:
    return ApiError(413, f"the uploaded archive holds more than {limit} bytes uncompressed")


def _unpack(data: bytes, limit: int) -> bytes:
    """The spec file inside a zip or tar.gz package; other bytes are returned as they are."""
    try:
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if info.filename.lower().endswith(_SPEC_SUFFIXES):
                        if info.file_size > limit:
                            raise ApiError(413, "the pipeline file in the archive is too large")
                        # Read at most the limit, whatever the header claims.
                        with archive.open(info) as stream:
                            content = stream.read(limit + 1)
                        if len(content) > limit:
                            raise ApiError(413, "the pipeline file in the archive is too large")
                        return content
            raise bad_request("the zip archive holds no .yaml/.json pipeline file")
        if data[:2] == b"\x1f\x8b":
            with tarfile.open(fileobj=io.BytesIO(_gunzip(data, limit)), mode="r:") as archive:
                for member in archive.getmembers():
                    if member.isfile() and member.name.lower().endswith(_SPEC_SUFFIXES):
                        handle = archive.extractfile(member)
                        if handle is not None:
                            return handle.read()
            raise bad_request("the tar.gz archive holds no .yaml/.json pipeline file")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise bad_request(f"the uploaded archive is corrupt: {exc}") from exc
    return data


def parse_package(data: bytes, limit: int) -> LoadedPipeline:
    """A compiled pipeline from uploaded bytes (YAML or JSON, sniffed, maybe archived).

    CPU-bound: call it from a worker thread, not on the event loop.
    """
    raw = _unpack(data, limit)
    try:
        text = raw.decode("utf-8")
        docs = load_all(text)
    except YamlLimitError as exc:
        raise ApiError(413, f"the uploaded file is too complex: {exc}") from exc
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
