"""Buckets and objects kept in any fsspec filesystem, as plain files.

``gs://bucket/a/b.csv`` is the file ``<root>/bucket/a/b.csv``: a file dropped into the
directory is an object, and what a pipeline writes can be read without the emulator. What
a file cannot hold (generation, checksums, content type, custom metadata) is kept in a
sidecar JSON under ``<root>/.sluice-gcs/`` (bucket names cannot start with a dot, so it is
never a bucket). A file without a sidecar, or one changed behind the emulator's back (its
size or modification time differs from the sidecar's), gets a fresh one on first sight.

Keeping objects as files rules out a few names Cloud Storage accepts: empty, ``.`` or
``..`` path segments, and an object ``a`` next to an object ``a/b``. Those are refused with
a message saying so. An object whose name ends in ``/`` (a folder placeholder, as the Cloud
Console makes) is a directory plus a marker.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import threading
import time
from pathlib import Path
from typing import Any

from sluice.server.gcs.checksums import Hashes, hashes_of_stream
from sluice.server.gcs.rules import (
    BUCKET_NAME,
    NO_CONDITIONS,
    Conditions,
    check_bucket_name,
    check_object_name,
)
from sluice.server.gcs.shapes import (
    BucketInfo,
    GcsError,
    ObjectInfo,
    from_timestamp,
    timestamp,
)
from sluice.server.gcs.sidecars import (
    digest,
    next_generation,
    now,
    object_info,
    sidecar_data,
    stamp,
)
from sluice.service.gcs_bridge import open_backing_store

META_DIR = ".sluice-gcs"
_READ_CHUNK = 1024 * 1024


class ObjectStore:
    """Buckets and objects under ``url`` (a directory or any fsspec URL).

    Args:
        url: the backing store; created when missing.
        scratch: a local directory for files being assembled (uploads, composes).
    """

    def __init__(self, url: str, *, scratch: Path) -> None:
        self.url = url
        # The engine writes through it too (see sluice.service.gcs_bridge).
        self.fs, self.root = open_backing_store(url)
        self.scratch = scratch
        self.fs.makedirs(self.root, exist_ok=True)
        scratch.mkdir(parents=True, exist_ok=True)
        # Serialises read-check-write of the sidecars, so a generation is never reused.
        self._lock = threading.RLock()

    # -- paths --------------------------------------------------------------------------

    def join(self, *parts: str) -> str:
        return "/".join((self.root.rstrip("/"), *parts))

    def bucket_dir(self, bucket: str) -> str:
        """The directory holding ``bucket``'s objects."""
        return self.join(bucket)

    def object_path(self, bucket: str, name: str) -> str:
        """The file holding object ``name`` (a directory for a ``/``-terminated name)."""
        return self.join(bucket, name.rstrip("/"))

    def _sidecar(self, bucket: str, name: str) -> str:
        kind = "folders" if name.endswith("/") else "objects"
        return self.join(META_DIR, kind, bucket, digest(name) + ".json")

    def _bucket_sidecar(self, bucket: str) -> str:
        return self.join(META_DIR, "buckets", bucket + ".json")

    def read_json(self, path: str) -> dict[str, Any] | None:
        try:
            with self.fs.open(path, "rb") as handle:
                data: dict[str, Any] = json.loads(handle.read())
                return data
        except (FileNotFoundError, ValueError):
            return None

    def _write_json(self, path: str, data: dict[str, Any]) -> None:
        self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with self.fs.open(path, "wb") as handle:
            handle.write(json.dumps(data).encode())

    def _remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(path)

    # -- buckets ------------------------------------------------------------------------

    def bucket(self, name: str) -> BucketInfo:
        """The bucket ``name``; 404 when there is none."""
        data = self.read_json(self._bucket_sidecar(name))
        if data is not None:
            return BucketInfo(
                name=name,
                created=from_timestamp(data["timeCreated"]),
                location=data.get("location", "US"),
                storage_class=data.get("storageClass", "STANDARD"),
                labels=data.get("labels", {}),
            )
        if BUCKET_NAME.match(name) and self.fs.isdir(self.bucket_dir(name)):
            return BucketInfo(name=name, created=now())
        raise GcsError(404, f"The specified bucket does not exist: {name}")

    def buckets(self) -> list[BucketInfo]:
        """Every bucket: a directory under the root, or one created through the API."""
        names = {
            str(entry["name"]).rstrip("/").rsplit("/", 1)[-1]
            for entry in self.fs.ls(self.root, detail=True)
            if entry["type"] == "directory"
        }
        sidecars = self.join(META_DIR, "buckets")
        if self.fs.isdir(sidecars):
            listed = self.fs.ls(sidecars, detail=False)
            names |= {str(p).rsplit("/", 1)[-1].removesuffix(".json") for p in listed}
        return [self.bucket(name) for name in sorted(names) if BUCKET_NAME.match(name)]

    def create_bucket(
        self, name: str, *, location: str, storage_class: str, labels: dict[str, str]
    ) -> BucketInfo:
        """Create bucket ``name``; 409 when it exists."""
        check_bucket_name(name)
        with self._lock:
            try:
                self.bucket(name)
            except GcsError:
                pass
            else:
                raise GcsError(
                    409,
                    "Your previous request to create the named bucket succeeded and you "
                    "already own it.",
                )
            self.fs.makedirs(self.bucket_dir(name), exist_ok=True)
            info = BucketInfo(
                name=name,
                created=now(),
                location=location.upper(),
                storage_class=storage_class,
                labels=labels,
            )
            self._write_json(
                self._bucket_sidecar(name),
                {
                    "timeCreated": timestamp(info.created),
                    "location": info.location,
                    "storageClass": storage_class,
                    "labels": labels,
                },
            )
        return info

    def delete_bucket(self, name: str) -> None:
        """Delete a bucket and everything under it; 404 when missing. The API deletes only
        empty buckets: :func:`sluice.server.gcs.listing.delete_empty_bucket` checks first."""
        self.bucket(name)
        with self._lock:
            for path in (
                self.bucket_dir(name),
                self.join(META_DIR, "objects", name),
                self.join(META_DIR, "folders", name),
            ):
                if self.fs.exists(path):
                    self.fs.rm(path, recursive=True)
            self._remove(self._bucket_sidecar(name))

    # -- objects ------------------------------------------------------------------------

    def stat(self, bucket: str, name: str, *, generation: int | None = None) -> ObjectInfo:
        """The object's properties; 404 when it (or that generation of it) does not exist."""
        found = self.stat_or_none(bucket, name)
        if found is None or (generation is not None and generation != found.generation):
            raise GcsError(404, f"No such object: {bucket}/{name}")
        return found

    def stat_or_none(self, bucket: str, name: str) -> ObjectInfo | None:
        self.bucket(bucket)
        check_object_name(name)
        sidecar = self._sidecar(bucket, name)
        if name.endswith("/"):
            data = self.read_json(sidecar)
            return None if data is None else object_info(bucket, name, data)
        path = self.object_path(bucket, name)
        try:
            info = self.fs.info(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if info.get("type") != "file":
            return None
        data = self.read_json(sidecar)
        if data is None or data.get("stamp") != stamp(info):
            data = self._adopt(bucket, name, info, previous=data)
        return object_info(bucket, name, data)

    def _adopt(
        self, bucket: str, name: str, info: dict[str, Any], *, previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        """A sidecar for a file written behind the emulator's back (or changed since)."""
        with self.fs.open(self.object_path(bucket, name), "rb") as handle:
            hashes = hashes_of_stream(handle)
        created = now()
        fields = dict((previous or {}).get("fields") or {})
        guessed = mimetypes.guess_type(name)[0]
        if "contentType" not in fields and guessed:
            fields["contentType"] = guessed
        with self._lock:
            data = sidecar_data(
                name=name,
                hashes=hashes,
                generation=next_generation(previous),
                created=created,
                fields=fields,
                stamp=stamp(info),
            )
            self._write_json(self._sidecar(bucket, name), data)
        return data

    def write(
        self,
        bucket: str,
        name: str,
        *,
        source: Path | None,
        hashes: Hashes,
        fields: dict[str, Any],
        conditions: Conditions = NO_CONDITIONS,
    ) -> ObjectInfo:
        """Store ``source`` (a local file; None: empty) as object ``name``, a new generation."""
        check_object_name(name)
        path = self.object_path(bucket, name)
        with self._lock:
            current = self.stat_or_none(bucket, name)
            conditions.check(current)
            try:
                if name.endswith("/"):
                    if hashes.size:
                        raise GcsError(
                            400,
                            f"object {name!r}: Sluice's storage emulation keeps a name ending "
                            "in '/' as a folder, which cannot hold data",
                        )
                    self.fs.makedirs(path, exist_ok=True)
                    file_stamp = ""
                else:
                    if self.fs.isdir(path):
                        raise IsADirectoryError(path)
                    self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
                    if source is None:
                        self.fs.pipe_file(path, b"")
                    else:
                        self.fs.put_file(str(source), path)
                    file_stamp = stamp(self.fs.info(path))
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                raise GcsError(
                    409,
                    f"cannot store object {name!r} in bucket {bucket!r}: Sluice's storage "
                    "emulation keeps objects as files, and this name clashes with an existing "
                    "object or folder (like 'a' and 'a/b')",
                ) from None
            data = sidecar_data(
                name=name,
                hashes=hashes,
                generation=next_generation(current),
                created=now(),
                fields={k: v for k, v in fields.items() if v is not None},
                stamp=file_stamp,
            )
            self._write_json(self._sidecar(bucket, name), data)
        return object_info(bucket, name, data)

    def update(
        self,
        bucket: str,
        name: str,
        changes: dict[str, Any],
        *,
        conditions: Conditions = NO_CONDITIONS,
    ) -> ObjectInfo:
        """Apply a PATCH: given properties replace the old ones, null removes one."""
        with self._lock:
            current = self.stat_or_none(bucket, name)
            if current is None:
                raise GcsError(404, f"No such object: {bucket}/{name}")
            conditions.check(current)
            sidecar = self._sidecar(bucket, name)
            data = self.read_json(sidecar) or {}
            fields = dict(data.get("fields") or {})
            for key, value in changes.items():
                if key == "metadata" and isinstance(value, dict):
                    merged = {**(fields.get("metadata") or {}), **value}
                    fields["metadata"] = {k: v for k, v in merged.items() if v is not None}
                elif value is None:
                    fields.pop(key, None)
                else:
                    fields[key] = value
            data.update(
                fields=fields,
                metageneration=int(data.get("metageneration", 1)) + 1,
                updated=timestamp(now()),
            )
            self._write_json(sidecar, data)
        return object_info(bucket, name, data)

    def delete(self, bucket: str, name: str, *, conditions: Conditions = NO_CONDITIONS) -> None:
        """Delete the object; 404 when missing. Emptied directories go too."""
        path = self.object_path(bucket, name)
        with self._lock:
            current = self.stat_or_none(bucket, name)
            if current is None:
                raise GcsError(404, f"No such object: {bucket}/{name}")
            conditions.check(current)
            self._remove(self._sidecar(bucket, name))
            if not name.endswith("/"):
                self._remove(path)
            self._prune(bucket, path if name.endswith("/") else path.rsplit("/", 1)[0])

    def _prune(self, bucket: str, directory: str) -> None:
        """Remove empty directories from ``directory`` up to (not including) the bucket's."""
        top = self.bucket_dir(bucket)
        while directory.startswith(top + "/"):
            name = directory[len(top) + 1 :] + "/"
            if self.fs.exists(self._sidecar(bucket, name)):
                return
            try:
                if self.fs.ls(directory, detail=False):
                    return
                self.fs.rmdir(directory)
            except (OSError, NotImplementedError):
                return
            directory = directory.rsplit("/", 1)[0]

    def open(self, bucket: str, name: str) -> Any:
        """The object's content, opened for reading (None for a folder placeholder)."""
        if name.endswith("/"):
            return None
        return self.fs.open(self.object_path(bucket, name), "rb")

    def copy(
        self,
        source: tuple[str, str],
        target: tuple[str, str],
        *,
        overrides: dict[str, Any],
        conditions: Conditions = NO_CONDITIONS,
        source_generation: int | None = None,
    ) -> ObjectInfo:
        """Copy an object (to another bucket too); ``overrides`` are the target's properties."""
        original = self.stat(*source, generation=source_generation)
        local = self.scratch / f"copy-{time.monotonic_ns()}"
        try:
            if not source[1].endswith("/"):
                self.fs.get_file(self.object_path(*source), str(local))
            hashes = Hashes()
            hashes.size = original.size
            fields = {**original.fields, **overrides}
            info = self.write(
                *target,
                source=local if local.exists() else None,
                hashes=hashes,
                fields=fields,
                conditions=conditions,
            )
        finally:
            local.unlink(missing_ok=True)
        # The content is the same, so the checksums are too: no need to read it again.
        return self._set_checksums(info, original)

    def _set_checksums(self, info: ObjectInfo, source: ObjectInfo) -> ObjectInfo:
        with self._lock:
            sidecar = self._sidecar(info.bucket, info.name)
            data = self.read_json(sidecar) or {}
            data.update(md5=source.md5, crc32c=source.crc32c)
            self._write_json(sidecar, data)
        return object_info(info.bucket, info.name, data)
