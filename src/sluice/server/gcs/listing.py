"""Listing a bucket: prefixes, delimiters, offsets, globs and pages, in name order.

Names are gathered by walking the directory the prefix points into (plus the folder
markers), then filtered and rolled up as Cloud Storage does; the page token is the last
name of the page. Fine for the buckets of a pipeline, not for millions of objects.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

from sluice.server.gcs.backend import META_DIR, ObjectStore
from sluice.server.gcs.rules import Page, glob_pattern
from sluice.server.gcs.shapes import GcsError


def list_objects(
    store: ObjectStore,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str = "",
    page_token: str | None = None,
    max_results: int = 1000,
    start_offset: str = "",
    end_offset: str = "",
    include_trailing_delimiter: bool = False,
    match_glob: str = "",
) -> Page:
    """One page of the objects whose names start with ``prefix``, in name order.

    With a ``delimiter``, names that have it after the prefix are rolled up into
    ``prefixes`` (each counted once, like an item, against ``max_results``).
    """
    store.bucket(bucket)
    pattern = glob_pattern(match_glob) if match_glob else None
    after = base64.urlsafe_b64decode(page_token.encode()).decode() if page_token else ""
    entries: dict[str, bool] = {}  # name -> is a prefix
    for name in _names(store, bucket, prefix):
        if (start_offset and name < start_offset) or (end_offset and name >= end_offset):
            continue
        if pattern is not None and not pattern.match(name):
            continue
        rest = name[len(prefix) :]
        cut = rest.find(delimiter) if delimiter else -1
        if cut >= 0:
            rolled = prefix + rest[: cut + len(delimiter)]
            entries[rolled] = True
            if not (include_trailing_delimiter and rolled == name):
                continue
        entries.setdefault(name, False)
    ordered = sorted(n for n in entries if n > after)
    page = ordered[:max_results]
    items, prefixes = [], []
    for name in page:
        if entries[name]:
            prefixes.append(name)
        if not entries[name] or (include_trailing_delimiter and name.endswith(delimiter)):
            info = store.stat_or_none(bucket, name)
            if info is not None:
                items.append(info)
    more = len(ordered) > max_results
    token = base64.urlsafe_b64encode(page[-1].encode()).decode() if more else None
    return Page(items=items, prefixes=prefixes, next_token=token)


def _names(store: ObjectStore, bucket: str, prefix: str) -> Iterator[str]:
    """Names of the objects under the directory ``prefix`` is in (a superset)."""
    top = store.bucket_dir(bucket)
    base = prefix.rpartition("/")[0]
    start = f"{top}/{base}" if base else top
    if store.fs.isdir(start):
        for path in store.fs.find(start):
            name = str(path)[len(top) + 1 :]
            if name.startswith(prefix):
                yield name
    folders = store.join(META_DIR, "folders", bucket)
    if store.fs.isdir(folders):
        for path in store.fs.ls(folders, detail=False):
            data = store.read_json(str(path))
            if data and str(data.get("name", "")).startswith(prefix):
                yield str(data["name"])


def delete_empty_bucket(store: ObjectStore, name: str) -> None:
    """Delete a bucket that holds no object; 404 when missing, 409 when it holds some."""
    store.bucket(name)
    if list_objects(store, name, max_results=1).items:
        raise GcsError(409, "The bucket you tried to delete is not empty.")
    store.delete_bucket(name)
