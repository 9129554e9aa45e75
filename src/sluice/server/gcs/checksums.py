"""The two checksums Cloud Storage reports for every object: MD5 and CRC32C (Castagnoli).

``google-cloud-storage`` checks the one it computed itself against the object resource an
upload returns, and fails the upload when the field is missing, so both are always given.
CRC32C is not in the standard library: the C implementation of ``google-crc32c`` is used
when it is installed (it comes with ``google-cloud-storage``; the ``gcs`` extra), else a
table-driven one in Python (a few MB/s: fine for the artifacts of a pipeline).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Protocol

_CHUNK = 1024 * 1024
_POLYNOMIAL = 0x82F63B78  # Castagnoli, bit-reflected


def _table() -> tuple[int, ...]:
    entries = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLYNOMIAL if crc & 1 else crc >> 1
        entries.append(crc)
    return tuple(entries)


_TABLE = _table()


class _Crc(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _PythonCrc32c:
    """CRC32C of the bytes passed to :meth:`update`, computed in Python."""

    def __init__(self) -> None:
        self._crc = 0xFFFFFFFF

    def update(self, data: bytes) -> None:
        crc, table = self._crc, _TABLE
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self._crc = crc

    def digest(self) -> bytes:
        return (self._crc ^ 0xFFFFFFFF).to_bytes(4, "big")


def _new_crc32c() -> _Crc:
    try:
        import google_crc32c
    except ImportError:
        return _PythonCrc32c()
    checksum: _Crc = google_crc32c.Checksum()  # type: ignore[no-untyped-call]
    return checksum


class Hashes:
    """MD5 and CRC32C of a stream of bytes, base64-encoded as the JSON API gives them."""

    def __init__(self) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._crc = _new_crc32c()
        self.size = 0

    def update(self, data: bytes) -> None:
        """Add ``data`` to both checksums."""
        self._md5.update(data)
        self._crc.update(data)
        self.size += len(data)

    @property
    def md5(self) -> str:
        """``md5Hash``: the MD5 digest, base64."""
        return base64.b64encode(self._md5.digest()).decode()

    @property
    def crc32c(self) -> str:
        """``crc32c``: the big-endian CRC32C, base64."""
        return base64.b64encode(self._crc.digest()).decode()


def hashes_of_file(path: Path) -> Hashes:
    """The checksums of a local file, read in chunks."""
    hashes = Hashes()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            hashes.update(chunk)
    return hashes


def hashes_of_stream(handle: object) -> Hashes:
    """The checksums of what an open binary file (any fsspec file) holds from here on."""
    hashes = Hashes()
    read = handle.read  # type: ignore[attr-defined]
    while chunk := read(_CHUNK):
        hashes.update(chunk)
    return hashes
