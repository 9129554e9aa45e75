"""The page size of a Vertex AI ``list`` call, one rule for every resource."""

from __future__ import annotations

from sluice.server.errors import bad_request

MAX_PAGE_SIZE = 1000
"""The largest page a list answers; a larger ``pageSize`` is cut to it, as Vertex does."""


def page_size(size: int | None) -> int:
    """A list's page size: the default 100, at most :data:`MAX_PAGE_SIZE`.

    Raises:
        ApiError: 400 for a negative size.
    """
    if size is not None and size < 0:
        raise bad_request(f"pageSize must not be negative (got {size})")
    return min(size or 100, MAX_PAGE_SIZE)
