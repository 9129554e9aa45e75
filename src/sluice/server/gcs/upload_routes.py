"""``/upload/storage/v1``: simple media, multipart and resumable uploads."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from sluice.server.gcs import params
from sluice.server.gcs.backend import ObjectStore
from sluice.server.gcs.checksums import hashes_of_file
from sluice.server.gcs.media import write_body
from sluice.server.gcs.rules import Conditions
from sluice.server.gcs.shapes import GcsError
from sluice.server.gcs.uploads import Session, parse_content_range, split_multipart

MULTIPART_LIMIT = 64 * 1024 * 1024


async def upload_api(request: Request, parts: list[str]) -> Response:
    """Simple media, multipart and resumable uploads (and the chunks of the latter)."""
    if len(parts) != 3 or parts[0] != "b" or parts[2] != "o":
        raise params.unsupported(request)
    bucket, query = parts[1], request.query_params
    store, base = params.store(request), params.base(request)
    if "upload_id" in query:
        return await _resumable_chunk(request, store, query["upload_id"], base)
    kind = query.get("uploadType", "media")
    if request.method != "POST":
        raise params.unsupported(request)
    await run_in_threadpool(store.bucket, bucket)
    if kind == "resumable":
        return await _resumable_start(request, bucket, base)
    if kind == "multipart":
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MULTIPART_LIMIT:
            raise GcsError(
                413,
                f"multipart uploads are limited to {MULTIPART_LIMIT} bytes here; "
                "use a resumable upload",
            )
        properties, media, media_type = split_multipart(
            await request.body(), request.headers.get("content-type", "")
        )
        name = str(properties.get("name") or query.get("name") or "")
        fields = params.writable(properties)
        if media_type and "contentType" not in fields:
            fields["contentType"] = media_type
        target = store.scratch / f"multipart-{id(request)}"
        target.write_bytes(media)
        return await _store_file(request, store, bucket, name, target, fields, base)
    if kind == "media":
        target = store.scratch / f"media-{id(request)}"
        await write_body(request, target, append=False)
        fields = {"contentType": request.headers.get("content-type") or None}
        return await _store_file(
            request, store, bucket, query.get("name", ""), target, fields, base
        )
    raise GcsError(400, f"Invalid uploadType: {kind!r}")


async def _store_file(
    request: Request,
    store: ObjectStore,
    bucket: str,
    name: str,
    source: Any,
    fields: dict[str, Any],
    base: str,
    conditions: Conditions | None = None,
) -> Response:
    if not name:
        raise GcsError(400, "Required parameter: name")

    def put() -> Any:
        try:
            hashes = hashes_of_file(source)
            return store.write(
                bucket,
                name,
                source=source,
                hashes=hashes,
                fields=fields,
                conditions=conditions or params.conditions(request),
            )
        finally:
            source.unlink(missing_ok=True)

    return JSONResponse((await run_in_threadpool(put)).resource(base))


async def _resumable_start(request: Request, bucket: str, base: str) -> Response:
    properties = await params.json_body(request)
    name = str(properties.get("name") or request.query_params.get("name") or "")
    if not name:
        raise GcsError(400, "Required parameter: name")
    fields = params.writable(properties)
    upload_type = request.headers.get("x-upload-content-type")
    if upload_type and "contentType" not in fields:
        fields["contentType"] = upload_type
    total = request.headers.get("x-upload-content-length", "")
    conditions = params.conditions(request)
    session = params.sessions(request).start(
        Session(
            id="",
            bucket=bucket,
            name=name,
            fields=fields,
            conditions=conditions.__dict__.copy(),
            total=int(total) if total.isdigit() else None,
        )
    )
    location = f"{base}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={session.id}"
    return Response(
        status_code=200, headers={"Location": location, "X-GUploader-UploadID": session.id}
    )


async def _resumable_chunk(
    request: Request, store: ObjectStore, session_id: str, base: str
) -> Response:
    sessions = params.sessions(request)
    session = sessions.get(session_id)
    if request.method == "DELETE":
        sessions.discard(session)
        return Response(status_code=499)
    if session.done is not None:
        info = await run_in_threadpool(lambda: store.stat(session.bucket, session.name))
        return JSONResponse(info.resource(base))
    length = request.headers.get("content-length", "")
    chunk = parse_content_range(
        request.headers.get("content-range"), length=int(length) if length.isdigit() else 0
    )
    received = sessions.received(session)
    if chunk.first is not None:
        if chunk.first > received:
            raise GcsError(
                400,
                f"the chunk starts at byte {chunk.first}, but only {received} bytes have arrived",
            )
        received = await write_body(
            request, sessions.data_path(session), append=True, skip=received - chunk.first
        )
    if chunk.total is not None:
        session.total = chunk.total
        sessions.save(session)
    if session.total is not None and received >= session.total:
        response = await _store_file(
            request,
            store,
            session.bucket,
            session.name,
            sessions.data_path(session),
            session.fields,
            base,
            Conditions(**session.conditions),
        )
        session.done = int(json.loads(bytes(response.body))["generation"])
        sessions.save(session)
        return response
    headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
    return Response(status_code=308, headers=headers)
