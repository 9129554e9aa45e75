"""Moving object bytes: request bodies into local files, and (ranges of) objects out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Request

from sluice.server.gcs.backend import ObjectStore
from sluice.server.gcs.shapes import GcsError, ObjectInfo

_CHUNK = 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


async def write_body(request: Request, target: Path, *, append: bool, skip: int = 0) -> int:
    """Stream the request body into ``target``, leaving out its first ``skip`` bytes
    (a resent chunk overlapping what arrived already); returns the file's new size."""
    with open(target, "ab" if append else "wb") as out:
        async for chunk in request.stream():
            if skip:
                dropped = min(skip, len(chunk))
                chunk, skip = chunk[dropped:], skip - dropped
            if chunk:
                out.write(chunk)
        return out.tell()


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` a ``Range`` header asks for; None: the whole object."""
    if not header or size == 0:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # a form Cloud Storage ignores too (several ranges): the whole object
    first_text, last_text = match.groups()
    if first_text == "":
        first, last = max(0, size - int(last_text)), size - 1
    else:
        first = int(first_text)
        last = min(int(last_text), size - 1) if last_text else size - 1
    if first >= size or first > last:
        raise GcsError(
            416, f"Request range not satisfiable: {header} (the object has {size} bytes)"
        )
    return first, last


def _chunks(handle: Any, remaining: int) -> Iterator[bytes]:
    try:
        while remaining > 0:
            chunk = handle.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def read_range(
    store: ObjectStore, info: ObjectInfo, range_header: str | None
) -> tuple[int, dict[str, str], Iterator[bytes]]:
    """Status, headers and body chunks of a download (206 with ``Content-Range`` for a range)."""
    headers = {
        "X-Goog-Generation": str(info.generation),
        "X-Goog-Metageneration": str(info.metageneration),
        "X-Goog-Stored-Content-Length": str(info.size),
        "X-Goog-Stored-Content-Encoding": "identity",
        "X-Goog-Hash": f"crc32c={info.crc32c},md5={info.md5}",
        "ETag": f'"{info.md5}"',
        "Accept-Ranges": "bytes",
    }
    chosen = _byte_range(range_header, info.size)
    handle = store.open(info.bucket, info.name)
    if handle is None:
        headers["Content-Length"] = "0"
        return 200, headers, iter(())
    if chosen is None:
        headers["Content-Length"] = str(info.size)
        return 200, headers, _chunks(handle, info.size)
    first, last = chosen
    handle.seek(first)
    headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    headers["Content-Length"] = str(last - first + 1)
    return 206, headers, _chunks(handle, last - first + 1)
