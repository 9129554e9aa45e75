"""Reading task logs without holding them in memory: their end, or a stream of chunks.

A task may print hundreds of megabytes. What explains a failure is at the end, so summaries
read a bounded tail (seeking from the end); whole logs are copied in chunks.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

__all__ = ["CHUNK_BYTES", "TAIL_BYTES", "iter_text_chunks", "read_tail", "tail_lines"]

#: How much of the end of a log failure summaries look at.
TAIL_BYTES = 256 * 1024

#: The unit in which whole logs are copied.
CHUNK_BYTES = 1024 * 1024


def read_tail(path: Path, max_bytes: int = TAIL_BYTES) -> tuple[bytes, bool]:
    """The last ``max_bytes`` bytes of ``path``, and whether the file has more before them.

    Raises:
        OSError: the file cannot be read.
    """
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        start = max(0, size - max_bytes)
        handle.seek(start)
        return handle.read(max_bytes), start > 0


def tail_lines(path: Path, count: int | None, *, max_bytes: int = TAIL_BYTES) -> list[str]:
    """The last ``count`` lines (None: all) of a text file, from at most its last ``max_bytes``.

    A line cut by the ``max_bytes`` boundary is dropped (unless it is the only one), so a
    log of one enormous line still yields its end. Lines end at ``\n``, which is stripped;
    undecodable bytes are replaced. ``[]`` if the file cannot be read.
    """
    if count is not None and count <= 0:
        return []
    try:
        # One byte more than asked: it tells whether the window starts at a line's start.
        data, cut = read_tail(path, max_bytes + 1)
    except OSError:
        return []
    if cut:
        newline = data.find(b"\n")
        rest = data[newline + 1 :] if newline != -1 else b""
        data = rest or data[1:]
    lines = data.decode("utf-8", errors="replace").split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return lines if count is None else lines[-count:]


def iter_text_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """``path`` decoded as UTF-8 (bad bytes replaced), ``chunk_bytes`` at a time.

    Raises:
        OSError: the file cannot be opened.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_bytes):
            text = decoder.decode(chunk)
            if text:
                yield text
    rest = decoder.decode(b"", final=True)
    if rest:
        yield rest
