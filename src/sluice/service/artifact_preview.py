"""The head of an artifact's local file or directory, for the web UI's viewers.

Only the head is ever read: a table stops after ``rows`` rows, text after ``TEXT_BYTES``, a
directory listing after ``MAX_ENTRIES`` entries, so a 1 GB dataset previews as fast as a
small one. Which file may be read (inside the run roots) is the caller's check; this module
only reads the path it is given.
"""

from __future__ import annotations

import csv
import io
import json
import math
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sluice.errors import NotFoundError
from sluice.service.tasks import run_artifact_root
from sluice.store.models import ArtifactRow
from sluice.store.repository import Store

PreviewKind = Literal["table", "image", "text", "directory", "binary", "missing"]

# Text viewers (HTML, Markdown, logs written as artifacts) get at most this much.
TEXT_BYTES = 1024 * 1024
MAX_ROWS = 1000
MAX_ENTRIES = 1000
# How much of a file is looked at to tell text from binary, and to sniff a CSV dialect.
_SNIFF_BYTES = 8192
_TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson"}
_INT = re.compile(r"[+-]?\d+")


@dataclass
class DirectoryEntry:
    """A file or directory inside a directory artifact (path relative to it)."""

    path: str
    size: int | None
    is_dir: bool


@dataclass
class Preview:
    """What a viewer shows of an artifact's content.

    ``kind`` says which fields are set: ``table`` (columns, column_types, rows), ``text``
    (text), ``directory`` (entries), ``image`` (the UI loads ``:content``), ``binary`` (only
    the size; download it) or ``missing`` (no file at the uri). ``truncated``: there is more
    than is shown.
    """

    kind: PreviewKind
    content_type: str
    size: int | None = None
    columns: list[str] = field(default_factory=list)
    column_types: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    text: str | None = None
    entries: list[DirectoryEntry] = field(default_factory=list)
    truncated: bool = False
    note: str | None = None


def artifact_with_roots(
    store: Store, artifact_id: int, home: Path
) -> tuple[ArtifactRow, list[Path]]:
    """An artifact and where its file may be: the artifact root of the run that made it.

    Raises:
        NotFoundError: no such artifact.
    """
    artifact = store.get_artifacts([artifact_id]).get(artifact_id)
    if artifact is None:
        raise NotFoundError(f"no artifact {artifact_id}")
    run = store.get_run(artifact.run_id) if artifact.run_id else None
    return artifact, [run_artifact_root(run, home)] if run is not None else []


def content_type_of(path: Path) -> str:
    """The media type a file's name suggests (``application/octet-stream`` if none)."""
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def preview(path: Path, *, rows: int = 100, schema_title: str = "") -> Preview:
    """The head of the file or directory at ``path`` as a viewer shows it."""
    rows = max(1, min(rows, MAX_ROWS))
    if path.is_dir():
        return _directory(path)
    if not path.is_file():
        return Preview(kind="missing", content_type="", note="no file at the artifact's uri")
    size = path.stat().st_size
    content_type = content_type_of(path)
    suffix = path.suffix.lower()
    if content_type.startswith("image/"):
        return Preview(kind="image", content_type=content_type, size=size)
    if suffix == ".parquet":
        return _parquet(path, rows, size)
    with path.open("rb") as handle:
        head = handle.read(TEXT_BYTES + 1)
    if b"\0" in head[:_SNIFF_BYTES]:
        return Preview(kind="binary", content_type=content_type, size=size)
    text = head[:TEXT_BYTES].decode("utf-8", errors="replace")
    truncated = len(head) > TEXT_BYTES
    if suffix in _JSONL_SUFFIXES:
        return _jsonl(text, rows, size, truncated)
    delimiter = _TABLE_SUFFIXES.get(suffix)
    if delimiter is None and schema_title == "system.Dataset" and not suffix:
        delimiter = _sniff_delimiter(text)
    if delimiter is not None:
        return _csv(text, delimiter, rows, size, truncated)
    if content_type == "application/octet-stream":
        content_type = "text/plain"
    return Preview(
        kind="text", content_type=content_type, size=size, text=text, truncated=truncated
    )


def _directory(path: Path) -> Preview:
    entries: list[DirectoryEntry] = []
    truncated = False
    for item in _walk(path):
        if len(entries) == MAX_ENTRIES:
            truncated = True
            break
        # lstat: a symlink's target (perhaps outside the run root) is never looked at.
        info = item.lstat()
        is_dir = item.is_dir() and not item.is_symlink()
        entries.append(
            DirectoryEntry(
                path=item.relative_to(path).as_posix(),
                size=None if is_dir else info.st_size,
                is_dir=is_dir,
            )
        )
    return Preview(
        kind="directory", content_type="inode/directory", entries=entries, truncated=truncated
    )


def _walk(path: Path) -> Iterator[Path]:
    # Sorted, depth first, never following symlinked directories.
    for item in sorted(path.iterdir()):
        yield item
        if item.is_dir() and not item.is_symlink():
            yield from _walk(item)


def _sniff_delimiter(text: str) -> str | None:
    lines = text[:_SNIFF_BYTES].splitlines()[:5]
    for delimiter in (",", "\t"):
        counts = {line.count(delimiter) for line in lines if line}
        if len(lines) >= 2 and len(counts) == 1 and counts.pop() > 0:
            return delimiter
    return None


def _lines(text: str, truncated: bool) -> list[str]:
    lines = text.splitlines()
    # The last line of a cut head is partial.
    return lines[:-1] if truncated and lines else lines


def _csv(text: str, delimiter: str, rows: int, size: int, truncated: bool) -> Preview:
    reader = csv.reader(io.StringIO("\n".join(_lines(text, truncated))), delimiter=delimiter)
    header = next(reader, [])
    body: list[list[str]] = []
    for record in reader:
        if len(body) == rows:
            truncated = True
            break
        body.append(record)
    width = len(header)
    cells = [[record[i] if i < len(record) else "" for i in range(width)] for record in body]
    types = [_column_type([row[i] for row in cells]) for i in range(width)]
    typed = [[_typed(cell, types[i]) for i, cell in enumerate(row)] for row in cells]
    return Preview(
        kind="table",
        content_type="text/csv" if delimiter == "," else "text/tab-separated-values",
        size=size,
        columns=header,
        column_types=types,
        rows=typed,
        truncated=truncated,
    )


def _column_type(cells: list[str]) -> str:
    filled = [cell.strip() for cell in cells if cell.strip()]
    if filled and all(_number(cell) is not None for cell in filled):
        return "number"
    if filled and all(cell.lower() in ("true", "false") for cell in filled):
        return "boolean"
    return "string"


def _number(cell: str) -> int | float | None:
    if _INT.fullmatch(cell):
        return int(cell)
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _typed(cell: str, column_type: str) -> Any:
    if column_type == "string":
        return cell
    if not cell.strip():
        return None
    if column_type == "boolean":
        return cell.strip().lower() == "true"
    return _number(cell.strip())


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as strings (JSON has no NaN or Infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _jsonl(text: str, rows: int, size: int, truncated: bool) -> Preview:
    records: list[dict[str, Any]] = []
    for line in _lines(text, truncated):
        if not line.strip():
            continue
        if len(records) == rows:
            truncated = True
            break
        try:
            value = json.loads(line)
        except ValueError:
            return Preview(
                kind="text", content_type="text/plain", size=size, text=text, truncated=truncated
            )
        records.append(value if isinstance(value, dict) else {"value": value})
    return _records(records, "application/jsonl", size, truncated)


def _records(
    records: list[dict[str, Any]], content_type: str, size: int, truncated: bool
) -> Preview:
    columns: list[str] = []
    for record in records:
        columns.extend(key for key in record if key not in columns)
    body = [[json_safe(record.get(column)) for column in columns] for record in records]
    types = []
    for i in range(len(columns)):
        present = [row[i] for row in body if row[i] is not None]
        if present and all(isinstance(v, bool) for v in present):
            types.append("boolean")
        elif present and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in present
        ):
            types.append("number")
        else:
            types.append("string")
    return Preview(
        kind="table",
        content_type=content_type,
        size=size,
        columns=columns,
        column_types=types,
        rows=body,
        truncated=truncated,
    )


def _parquet(path: Path, rows: int, size: int) -> Preview:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return Preview(
            kind="binary",
            content_type="application/vnd.apache.parquet",
            size=size,
            note="install pyarrow on the server to preview Parquet files",
        )
    parquet = pq.ParquetFile(path)
    batch = next(parquet.iter_batches(batch_size=rows), None)
    records = [] if batch is None else batch.to_pylist()
    truncated = parquet.metadata.num_rows > len(records)
    shown = [
        {
            k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
            for k, v in r.items()
        }
        for r in records
    ]
    return _records(shown, "application/vnd.apache.parquet", size, truncated)
