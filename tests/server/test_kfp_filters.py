"""KFP filter, sort and page parameters, parsed here and compiled by the store, on SQLite
and PostgreSQL."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from sluice.errors import InvalidFilterError
from sluice.server.errors import ApiError
from sluice.server.kfp_filters import list_query, offset_of, page_size_of, parse_sort, token_of
from sluice.store.experiments import ExperimentRepository
from sluice.store.listing import ListQuery
from sluice.store.models import ExperimentRow
from sluice.store.repository import Store

COLUMNS = frozenset({"display_name", "created_at", "storage_state"})
T0 = datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: object) -> Store:
    """A store with five experiments e0..e4, one minute apart; e3 archived."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/f.db"
    else:
        url = request.getfixturevalue("postgres_url")
    store = Store(url)
    with store.session() as session:
        for i in range(5):
            session.add(
                ExperimentRow(
                    id=f"id{i}",
                    display_name=f"e{i}",
                    created_at=T0 + timedelta(minutes=i),
                    storage_state="ARCHIVED" if i == 3 else "AVAILABLE",
                )
            )
    return store


def _names(store: Store, filter_: dict[str, object] | None, sort: str | None = None) -> list[str]:
    query = list_query(
        COLUMNS,
        filter=json.dumps(filter_) if filter_ else None,
        sort_by=sort,
        page_token=None,
        page_size=None,
    )
    page = ExperimentRepository(store).page(query)
    return [r.display_name for r in page.rows]


def pred(**kwargs: object) -> dict[str, object]:
    """A filter with one predicate."""
    return {"predicates": [kwargs]}


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        (pred(operation=1, key="display_name", stringValue="e1"), ["e1"]),
        (
            pred(operation="NOT_EQUALS", key="storage_state", string_value="ARCHIVED"),
            ["e0", "e1", "e2", "e4"],
        ),
        (
            pred(operation="EQUALS", key="storage_state", string_value="STORAGESTATE_ARCHIVED"),
            ["e3"],
        ),
        (
            pred(operation=8, key="display_name", stringValues={"values": ["e0", "e4"]}),
            ["e0", "e4"],
        ),
        (pred(operation="IS_SUBSTRING", key="display_name", string_value="4"), ["e4"]),
        (pred(operation=9, key="display_name", string_value="%"), []),
        (
            pred(
                operation=3,
                key="created_at",
                timestamp_value=int((T0 + timedelta(minutes=2)).timestamp()),
            ),
            ["e3", "e4"],
        ),
        (
            pred(
                operation="LESS_THAN_EQUALS",
                key="created_at",
                timestampValue="2030-01-01T00:01:00Z",
            ),
            ["e0", "e1"],
        ),
    ],
)
def test_predicates(store: Store, filter_: dict[str, object], expected: list[str]) -> None:
    assert _names(store, filter_) == expected


def test_predicates_are_anded(store: Store) -> None:
    both = {
        "predicates": [
            {"operation": 5, "key": "created_at", "timestamp_value": "2030-01-01T00:03:00Z"},
            {"operation": 1, "key": "storage_state", "string_value": "AVAILABLE"},
        ]
    }
    assert _names(store, both) == ["e4"]


def test_sort(store: Store) -> None:
    assert _names(store, None, "created_at desc") == ["e4", "e3", "e2", "e1", "e0"]
    assert _names(store, None, "display_name") == ["e0", "e1", "e2", "e3", "e4"]
    for bad in ("nope", "created_at up", "a b c"):
        with pytest.raises(ApiError):
            parse_sort(bad, COLUMNS)


def test_pages(store: Store) -> None:
    seen: list[str] = []
    token = None
    while True:
        query = list_query(COLUMNS, filter=None, sort_by=None, page_token=token, page_size=2)
        page = ExperimentRepository(store).page(query)
        assert page.total_size == 5
        seen += [r.display_name for r in page.rows]
        token = None if page.next_offset is None else token_of(page.next_offset)
        if token is None:
            break
    assert seen == ["e0", "e1", "e2", "e3", "e4"]


def test_page_size_rules() -> None:
    assert page_size_of(0) == 20
    assert page_size_of(None) == 20
    assert page_size_of(5000) == 200
    with pytest.raises(ApiError):
        page_size_of(-1)


def test_page_tokens_round_trip_and_bad_ones_are_refused() -> None:
    assert offset_of(token_of(40)) == 40
    assert offset_of(None) == 0
    for bad in ("nope", token_of(-1), "eyJvIjogdHJ1ZX0"):
        with pytest.raises(ApiError):
            offset_of(bad)


def test_a_value_that_does_not_fit_its_column_is_refused_by_the_store(store: Store) -> None:
    bad = pred(operation="EQUALS", key="created_at", string_value="not a time")
    query = list_query(
        COLUMNS, filter=json.dumps(bad), sort_by=None, page_token=None, page_size=None
    )
    with pytest.raises(InvalidFilterError, match="invalid time"):
        ExperimentRepository(store).page(query)
    with pytest.raises(InvalidFilterError, match="sort_by"):
        ExperimentRepository(store).page(ListQuery(sort_key="nope"))
