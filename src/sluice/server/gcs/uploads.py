"""The three upload protocols: simple media, multipart/related, and resumable sessions.

A multipart body is one JSON part (the object's properties) and one media part. gcsfs
writes it with bare ``\\n`` line ends, google-cloud-storage with ``\\r\\n``: both are read.
A resumable session is a local file the chunks are appended to, plus a JSON record, under
the scratch directory, so a session survives a server restart as it does on Google's side.
Chunks arrive with ``Content-Range: bytes START-END/TOTAL`` (``*`` while the total is
unknown); ``bytes */TOTAL`` asks how much has arrived. The answer is 308 with a ``Range``
header until the last byte is in, then the object.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sluice.server.gcs.shapes import GcsError

_CONTENT_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _part(raw: bytes) -> tuple[dict[str, str], bytes]:
    """A MIME part's headers (lower-case names) and content, line ends either way."""
    if raw.startswith(b"\r\n"):
        raw = raw[2:]
    elif raw.startswith(b"\n"):
        raw = raw[1:]
    ends = [(raw.find(sep), sep) for sep in (b"\r\n\r\n", b"\n\n") if raw.find(sep) >= 0]
    if not ends:
        raise GcsError(400, "Invalid multipart request: a part has no header block")
    cut, sep = min(ends)
    headers = {}
    for line in raw[:cut].decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    content = raw[cut + len(sep) :]
    if content.endswith(b"\r\n"):
        content = content[:-2]
    elif content.endswith(b"\n"):
        content = content[:-1]
    return headers, content


def boundary_of(content_type: str) -> bytes:
    """The ``boundary`` parameter of a ``multipart/related`` content type."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/") or not match:
        raise GcsError(400, "Invalid multipart request: expected multipart/related with a boundary")
    return match.group(1).encode()


def split_multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], bytes, str | None]:
    """The object properties, the media and its content type of a multipart upload."""
    delimiter = b"--" + boundary_of(content_type)
    first = body.find(delimiter)
    second = body.find(delimiter, first + len(delimiter)) if first >= 0 else -1
    close = body.rfind(delimiter + b"--")
    if first < 0 or second < 0 or close < second:
        raise GcsError(400, "Invalid multipart request: expected a metadata part and a media part")
    _, metadata = _part(body[first + len(delimiter) : second])
    media_headers, media = _part(body[second + len(delimiter) : close])
    try:
        properties = json.loads(metadata or b"{}")
    except ValueError:
        raise GcsError(400, "Invalid multipart request: the first part is not JSON") from None
    if not isinstance(properties, dict):
        raise GcsError(400, "Invalid multipart request: the first part is not a JSON object")
    return properties, media, media_headers.get("content-type")


@dataclass(frozen=True)
class ContentRange:
    """A chunk's ``Content-Range``: ``first``/``last`` byte (None: a status query), ``total``."""

    first: int | None
    last: int | None
    total: int | None


def parse_content_range(header: str | None, *, length: int) -> ContentRange:
    """``bytes 0-99/200``, ``bytes 0-99/*``, ``bytes */200``; none: the whole object."""
    if not header:
        return ContentRange(0 if length else None, length - 1 if length else None, length)
    match = _CONTENT_RANGE.match(header.strip())
    if not match:
        raise GcsError(400, f"Invalid Content-Range header: {header!r}")
    first, last, total = match.groups()
    return ContentRange(
        int(first) if first is not None else None,
        int(last) if last is not None else None,
        None if total == "*" else int(total),
    )


@dataclass(kw_only=True)
class Session:
    """A resumable upload in progress (or finished: ``done`` holds the object's generation)."""

    id: str
    bucket: str
    name: str
    fields: dict[str, Any]
    conditions: dict[str, int | None]
    total: int | None = None
    done: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Sessions:
    """Resumable upload sessions under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def data_path(self, session: Session) -> Path:
        """The file the session's chunks are appended to."""
        return self.directory / f"{session.id}.data"

    def _record(self, session_id: str) -> Path:
        return self.directory / f"{session_id}.json"

    def start(self, session: Session) -> Session:
        """Record a new session (its id is made here) with no bytes received."""
        session.id = secrets.token_urlsafe(24)
        self.save(session)
        self.data_path(session).write_bytes(b"")
        return session

    def save(self, session: Session) -> None:
        """Write the session's record."""
        self._record(session.id).write_text(json.dumps(asdict(session)))

    def get(self, session_id: str) -> Session:
        """The session ``session_id``; 404 when there is none."""
        path = self._record(session_id) if _SESSION_ID.match(session_id) else None
        if path is None or not path.exists():
            raise GcsError(404, f"No such upload session: {session_id}")
        return Session(**json.loads(path.read_text()))

    def received(self, session: Session) -> int:
        """How many bytes have arrived."""
        path = self.data_path(session)
        return path.stat().st_size if path.exists() else 0

    def discard(self, session: Session) -> None:
        """Forget a cancelled session."""
        self.data_path(session).unlink(missing_ok=True)
        self._record(session.id).unlink(missing_ok=True)
