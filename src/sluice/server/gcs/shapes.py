"""The JSON the Cloud Storage JSON API answers with: errors, buckets, objects, listings.

Only what ``google-cloud-storage`` and ``gcsfs`` read is filled in. Numbers that are int64
in the API (``size``, ``generation``) are strings, as Google sends them; timestamps are
RFC 3339 in UTC with milliseconds and a ``Z`` (gcsfs insists on the ``Z``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi.responses import JSONResponse

from sluice.errors import SluiceError

# The reason Google gives for each status, which the clients show in their messages.
_REASONS = {
    400: "invalid",
    401: "required",
    404: "notFound",
    409: "conflict",
    412: "conditionNotMet",
    416: "requestedRangeNotSatisfiable",
    501: "notImplemented",
}


class GcsError(SluiceError):
    """An error the storage API answers with ``status`` and Google's error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(status: int, message: str) -> dict[str, Any]:
    """``{"error": {"code", "message", "errors": [...]}}``: what ``google.api_core`` parses."""
    reason = _REASONS.get(status, "backendError")
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }


def error_response(error: GcsError) -> JSONResponse:
    """The response of a :class:`GcsError`."""
    return JSONResponse(error_body(error.status, error.message), status_code=error.status)


def timestamp(moment: datetime) -> str:
    """``2026-12-01T11:40:30.123Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def from_timestamp(text: str) -> datetime:
    """The inverse of :func:`timestamp` (any RFC 3339 form ``fromisoformat`` reads)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(kw_only=True)
class BucketInfo:
    """A bucket: its name and the few properties kept for it."""

    name: str
    created: datetime
    location: str = "US"
    storage_class: str = "STANDARD"
    labels: dict[str, str] = field(default_factory=dict)

    def resource(self, base_url: str) -> dict[str, Any]:
        """The ``storage#bucket`` resource."""
        created = timestamp(self.created)
        return {
            "kind": "storage#bucket",
            "id": self.name,
            "selfLink": f"{base_url}/storage/v1/b/{quote(self.name, safe='')}",
            "name": self.name,
            "timeCreated": created,
            "updated": created,
            "metageneration": "1",
            "location": self.location,
            "locationType": "multi-region" if self.location in ("US", "EU", "ASIA") else "region",
            "storageClass": self.storage_class,
            "labels": dict(self.labels),
            "etag": "CAE=",
        }


# Object properties a client may set, kept as given (the rest are computed).
WRITABLE_FIELDS = (
    "contentType",
    "contentEncoding",
    "contentDisposition",
    "contentLanguage",
    "cacheControl",
    "customTime",
    "metadata",
)


@dataclass(kw_only=True)
class ObjectInfo:
    """One object: where it is, its checksums and generation, and the client's properties."""

    bucket: str
    name: str
    size: int
    generation: int
    metageneration: int
    md5: str
    crc32c: str
    created: datetime
    updated: datetime
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        """``contentType`` (``application/octet-stream`` when none was given)."""
        return str(self.fields.get("contentType") or "application/octet-stream")

    def resource(self, base_url: str) -> dict[str, Any]:
        """The ``storage#object`` resource."""
        bucket, name = quote(self.bucket, safe=""), quote(self.name, safe="")
        path = f"/b/{bucket}/o/{name}"
        resource: dict[str, Any] = {
            "kind": "storage#object",
            "id": f"{self.bucket}/{self.name}/{self.generation}",
            "selfLink": f"{base_url}/storage/v1{path}",
            "mediaLink": (
                f"{base_url}/download/storage/v1{path}?generation={self.generation}&alt=media"
            ),
            "name": self.name,
            "bucket": self.bucket,
            "generation": str(self.generation),
            "metageneration": str(self.metageneration),
            "storageClass": "STANDARD",
            "size": str(self.size),
            "md5Hash": self.md5,
            "crc32c": self.crc32c,
            "etag": f"{self.md5[:10]}{self.generation % 1000}",
            "timeCreated": timestamp(self.created),
            "updated": timestamp(self.updated),
            "timeStorageClassUpdated": timestamp(self.created),
        }
        resource.update({k: v for k, v in self.fields.items() if v is not None})
        resource["contentType"] = self.content_type
        return resource


def listing(
    items: list[ObjectInfo], prefixes: list[str], next_token: str | None, base_url: str
) -> dict[str, Any]:
    """The ``storage#objects`` answer of a list call."""
    body: dict[str, Any] = {"kind": "storage#objects"}
    if items:
        body["items"] = [item.resource(base_url) for item in items]
    if prefixes:
        body["prefixes"] = prefixes
    if next_token:
        body["nextPageToken"] = next_token
    return body
