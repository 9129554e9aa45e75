"""The sidecar record of an object (what a plain file cannot hold), and its reading."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone
from typing import Any

from sluice.server.gcs.checksums import Hashes
from sluice.server.gcs.shapes import ObjectInfo, from_timestamp, timestamp


def now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(timezone.utc)


def digest(name: str) -> str:
    """The file name of an object's sidecar: its name hashed (any name fits)."""
    return hashlib.sha256(name.encode()).hexdigest()


def stamp(info: dict[str, Any]) -> str:
    """What changes when a file's content is replaced: its size and modification time."""
    for key in ("mtime", "LastModified", "updated", "created"):
        if info.get(key) is not None:
            return f"{info.get('size')}:{info[key]}"
    return str(info.get("size"))


def next_generation(previous: ObjectInfo | dict[str, Any] | None) -> int:
    """Microseconds since the epoch, as Cloud Storage does, but always above the last one."""
    now = time.time_ns() // 1000
    if isinstance(previous, ObjectInfo):
        return max(now, previous.generation + 1)
    if previous:
        return max(now, int(previous.get("generation", 0)) + 1)
    return now


def sidecar_data(
    *,
    name: str,
    hashes: Hashes,
    generation: int,
    created: datetime,
    fields: dict[str, Any],
    stamp: str,
) -> dict[str, Any]:
    """A new object's sidecar."""
    return {
        "name": name,
        "size": hashes.size,
        "generation": generation,
        "metageneration": 1,
        "md5": hashes.md5,
        "crc32c": hashes.crc32c,
        "created": timestamp(created),
        "updated": timestamp(created),
        "fields": fields,
        "stamp": stamp,
    }


def object_info(bucket: str, name: str, data: dict[str, Any]) -> ObjectInfo:
    """The object a sidecar describes."""
    return ObjectInfo(
        bucket=bucket,
        name=name,
        size=int(data.get("size", 0)),
        generation=int(data["generation"]),
        metageneration=int(data.get("metageneration", 1)),
        md5=str(data["md5"]),
        crc32c=str(data["crc32c"]),
        created=from_timestamp(data["created"]),
        updated=from_timestamp(data.get("updated", data["created"])),
        fields=dict(data.get("fields") or {}),
    )
