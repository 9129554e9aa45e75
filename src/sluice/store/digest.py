"""Content digests of local artifacts (``sha256:<hex>``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

# Hashing costs ~1 ms per MiB; below this size the engine hashes outputs as they are
# produced, larger ones are hashed on demand (``sluice.metadata.Artifact.compute_digest``).
CHEAP_DIGEST_BYTES = 8 * 1024 * 1024


def sha256_of(path: Path) -> str:
    """Digest of a file, or of a directory (its files' relative paths and contents, sorted)."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def cheap_digest(local_path: str) -> str | None:
    """The digest of a local file small enough to hash right away, else None."""
    path = Path(local_path)
    try:
        if path.is_file() and path.stat().st_size <= CHEAP_DIGEST_BYTES:
            return sha256_of(path)
    except OSError:
        return None
    return None
