"""A new SQLite store file written whole, from a schema this process has already migrated.

A store's first connection replays the migrated DDL in a migration transaction (connect
twice, take the migration lock, ~40 statements): ~20-30 ms, the largest fixed cost of a
short run in a fresh ``SLUICE_HOME``. Once this process knows the schema (it migrated one
new store), a later new store file is written from a database image of it instead.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import tempfile
from contextlib import suppress
from pathlib import Path

__all__ = ["write_fresh_sqlite"]

# The same schema as a database file image, made once per process from those statements
# (in WAL mode, as _sqlite_pragmas would switch it). A new store file whose database does
# not exist yet is written whole from it: writing ~0.3 MB and linking it into place costs
# a few ms, against ~20-30 ms to connect twice, take the migration lock and replay the
# DDL in a transaction (a short run's largest fixed cost).
_images: dict[str, bytes] = {}


def _image(statements: list[str], revision: str) -> bytes:
    """A database holding ``statements``' schema at ``revision``, as file bytes."""
    image = _images.get(revision)
    if image is None:
        # Through a file (Connection.serialize is Python 3.11+), in its default rollback
        # journal mode, so that the closed file is the whole database.
        with tempfile.TemporaryDirectory(prefix="sluice-schema-") as scratch:
            built = Path(scratch) / "schema.db"
            connection = sqlite3.connect(built, isolation_level=None)
            try:
                connection.execute("BEGIN")
                for statement in statements:
                    connection.execute(statement)
                connection.execute(
                    "INSERT INTO alembic_version (version_num) VALUES (?)", (revision,)
                )
                connection.execute("COMMIT")
            finally:
                connection.close()
            data = bytearray(built.read_bytes())
        # The header's file format write/read versions: 2 is WAL (what `PRAGMA
        # journal_mode=WAL` writes there; https://www.sqlite.org/fileformat2.html).
        data[18:20] = b"\x02\x02"
        image = _images[revision] = bytes(data)
    return image


def write_fresh_sqlite(path: Path, statements: list[str] | None, revision: str) -> bool:
    """Create the store file ``path`` migrated, if it does not exist; whether it did.

    Only when this process has migrated a new store already (so the schema is known), and
    no database, WAL or journal file is there. The image goes to a temporary file, synced,
    then hard-linked into place, which fails if another process created ``path``
    meanwhile: a store file either does not exist or is complete. Anything unusual
    (no hard links on this file system, say) leaves the ordinary path to it.
    """
    if statements is None:
        return False
    names = (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-journal"))
    if any(os.path.lexists(name) for name in names):
        return False
    temporary = path.with_name(f".{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(temporary, "xb") as out:
            out.write(_image(statements, revision))
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, path)
    except OSError:
        return False
    finally:
        with suppress(OSError):
            os.unlink(temporary)
    return True
