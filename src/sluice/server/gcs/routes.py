"""The HTTP side of the storage emulation: ``/storage/v1``, ``/upload/...``, ``/download/...``.

Object names travel URL-encoded (``a%2Fb.csv``), and a name may end in what looks like a
verb (``.../o/x/compose``), so routes are matched on the raw, still-encoded path, one
segment at a time, instead of by FastAPI's decoded path parameters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sluice.server.gcs import params
from sluice.server.gcs.backend import ObjectStore
from sluice.server.gcs.checksums import Hashes
from sluice.server.gcs.listing import delete_empty_bucket, list_objects
from sluice.server.gcs.media import read_range
from sluice.server.gcs.shapes import BucketInfo, GcsError, error_response, listing
from sluice.server.gcs.upload_routes import upload_api

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

Handler = Callable[[Request, list[str]], Awaitable[Response]]


def _guarded(handler: Handler, prefix: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request, params.segments(request, prefix))
        except GcsError as error:
            return error_response(error)

    endpoint.__doc__ = handler.__doc__
    return endpoint


# -- /storage/v1 ---------------------------------------------------------------------------


async def json_api(request: Request, parts: list[str]) -> Response:
    """Buckets, object metadata, listing, deletes, copies, composes."""
    store, base, method = params.store(request), params.base(request), request.method
    if parts == ["b"]:
        if method == "GET":
            buckets = await run_in_threadpool(store.buckets)
            prefix = request.query_params.get("prefix", "")
            chosen = [b.resource(base) for b in buckets if b.name.startswith(prefix)]
            return JSONResponse({"kind": "storage#buckets", "items": chosen})
        if method == "POST":
            return await _create_bucket(request, store, base)
    if len(parts) == 2 and parts[0] == "b":
        if method == "GET":
            bucket: BucketInfo = await run_in_threadpool(store.bucket, parts[1])
            return JSONResponse(bucket.resource(base))
        if method == "DELETE":
            await run_in_threadpool(delete_empty_bucket, store, parts[1])
            return Response(status_code=204)
    if len(parts) >= 3 and parts[0] == "b" and parts[2] == "iam":
        return await _iam(request, store, parts)
    if len(parts) == 3 and parts[0] == "b" and parts[2] == "o" and method == "GET":
        return await _list(request, store, parts[1], base)
    if len(parts) == 4 and parts[0] == "b" and parts[2] == "o":
        return await _object(request, store, parts[1], parts[3], base)
    if len(parts) >= 5 and parts[0] == "b" and parts[2] == "o" and method == "POST":
        return await _object_verb(request, store, parts, base)
    raise params.unsupported(request)


async def _create_bucket(request: Request, store: ObjectStore, base: str) -> Response:
    body = await params.json_body(request)
    name = str(body.get("name") or request.query_params.get("name") or "")
    info = await run_in_threadpool(
        lambda: store.create_bucket(
            name,
            location=str(body.get("location") or "US"),
            storage_class=str(body.get("storageClass") or "STANDARD"),
            labels=dict(body.get("labels") or {}),
        )
    )
    return JSONResponse(info.resource(base))


async def _iam(request: Request, store: ObjectStore, parts: list[str]) -> Response:
    """IAM has no meaning here: an empty policy, and every permission asked about granted."""
    await run_in_threadpool(store.bucket, parts[1])
    resource = f"projects/_/buckets/{parts[1]}"
    if parts[3:] == ["testPermissions"]:
        asked = request.query_params.getlist("permissions")
        return JSONResponse({"kind": "storage#testIamPermissionsResponse", "permissions": asked})
    if len(parts) == 3 and request.method == "GET":
        return JSONResponse(
            {
                "kind": "storage#policy",
                "resourceId": resource,
                "version": 1,
                "etag": "CAE=",
                "bindings": [],
            }
        )
    if len(parts) == 3 and request.method == "PUT":
        body = await params.json_body(request)
        return JSONResponse(
            {**body, "kind": "storage#policy", "resourceId": resource, "etag": "CAE="}
        )
    raise params.unsupported(request)


async def _list(request: Request, store: ObjectStore, bucket: str, base: str) -> Response:
    query = request.query_params
    max_results = params.query_int(request, "maxResults") or 1000
    page = await run_in_threadpool(
        lambda: list_objects(
            store,
            bucket,
            prefix=query.get("prefix", ""),
            delimiter=query.get("delimiter", ""),
            page_token=query.get("pageToken") or None,
            max_results=max(1, min(max_results, 1000)),
            start_offset=query.get("startOffset", ""),
            end_offset=query.get("endOffset", ""),
            include_trailing_delimiter=query.get("includeTrailingDelimiter") == "true",
            match_glob=query.get("matchGlob", ""),
        )
    )
    return JSONResponse(listing(page.items, page.prefixes, page.next_token, base))


async def _object(
    request: Request, store: ObjectStore, bucket: str, name: str, base: str
) -> Response:
    method = request.method
    if method == "GET":
        if request.query_params.get("alt") == "media":
            return await _download(request, store, bucket, name)
        info = await run_in_threadpool(
            lambda: store.stat(bucket, name, generation=params.query_int(request, "generation"))
        )
        params.conditions(request).check(info)
        return JSONResponse(info.resource(base))
    if method in ("PATCH", "PUT"):
        body = params.writable(await params.json_body(request))
        info = await run_in_threadpool(
            lambda: store.update(bucket, name, body, conditions=params.conditions(request))
        )
        return JSONResponse(info.resource(base))
    if method == "DELETE":
        await run_in_threadpool(
            lambda: store.delete(bucket, name, conditions=params.conditions(request))
        )
        return Response(status_code=204)
    raise params.unsupported(request)


async def _object_verb(
    request: Request, store: ObjectStore, parts: list[str], base: str
) -> Response:
    """``rewriteTo``/``copyTo`` (another bucket too), ``moveTo`` (same bucket), ``compose``."""
    bucket, name, verb = parts[1], parts[3], parts[4]
    body = await params.json_body(request)
    conditions = params.conditions(request)
    source_generation = params.query_int(request, "sourceGeneration")
    if verb in ("rewriteTo", "copyTo") and len(parts) == 9 and parts[5] == "b" and parts[7] == "o":
        info = await run_in_threadpool(
            lambda: store.copy(
                (bucket, name),
                (parts[6], parts[8]),
                overrides=params.writable(body),
                conditions=conditions,
                source_generation=source_generation,
            )
        )
        if verb == "copyTo":
            return JSONResponse(info.resource(base))
        size = str(info.size)
        return JSONResponse(
            {
                "kind": "storage#rewriteResponse",
                "totalBytesRewritten": size,
                "objectSize": size,
                "done": True,
                "resource": info.resource(base),
            }
        )
    if verb == "moveTo" and len(parts) == 7 and parts[5] == "o":

        def move() -> Any:
            moved = store.copy(
                (bucket, name), (bucket, parts[6]), overrides={}, conditions=conditions
            )
            store.delete(bucket, name)
            return moved

        return JSONResponse((await run_in_threadpool(move)).resource(base))
    if verb == "compose" and len(parts) == 5:
        return await _compose(request, store, bucket, name, body, base)
    raise params.unsupported(request)


async def _compose(
    request: Request, store: ObjectStore, bucket: str, name: str, body: dict[str, Any], base: str
) -> Response:
    sources = [
        str(s.get("name", "")) for s in body.get("sourceObjects") or [] if isinstance(s, dict)
    ]
    if not sources or len(sources) > 32:
        raise GcsError(400, "compose takes between 1 and 32 source objects")
    target = store.scratch / f"compose-{id(request)}"
    fields = params.writable(body.get("destination") or {})

    def compose() -> Any:
        hashes = Hashes()
        try:
            with open(target, "wb") as out:
                for source in sources:
                    store.stat(bucket, source)
                    handle = store.open(bucket, source)
                    if handle is None:
                        continue
                    with handle:
                        while chunk := handle.read(1024 * 1024):
                            out.write(chunk)
                            hashes.update(chunk)
            return store.write(
                bucket,
                name,
                source=target,
                hashes=hashes,
                fields=fields,
                conditions=params.conditions(request),
            )
        finally:
            target.unlink(missing_ok=True)

    return JSONResponse((await run_in_threadpool(compose)).resource(base))


async def _download(request: Request, store: ObjectStore, bucket: str, name: str) -> Response:
    info = await run_in_threadpool(
        lambda: store.stat(bucket, name, generation=params.query_int(request, "generation"))
    )
    params.conditions(request).check(info)
    status, headers, chunks = await run_in_threadpool(
        lambda: read_range(store, info, request.headers.get("range"))
    )
    return StreamingResponse(
        chunks, status_code=status, headers=headers, media_type=info.content_type
    )


async def download_api(request: Request, parts: list[str]) -> Response:
    """``GET /download/storage/v1/b/{bucket}/o/{name}?alt=media``."""
    if len(parts) == 4 and parts[0] == "b" and parts[2] == "o" and request.method == "GET":
        return await _download(request, params.store(request), parts[1], parts[3])
    raise params.unsupported(request)


def build_router() -> APIRouter:
    """The storage emulation's routes (kept out of the OpenAPI schema: they are Google's)."""
    router = APIRouter()
    for prefix, handler in (
        ("/storage/v1", json_api),
        ("/upload/storage/v1", upload_api),
        ("/download/storage/v1", download_api),
    ):
        router.add_api_route(
            prefix + "/{rest:path}",
            _guarded(handler, prefix),
            methods=_METHODS,
            include_in_schema=False,
        )
    return router
