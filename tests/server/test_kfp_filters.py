"""KFP filter, sort and page parameters compiled to SQL, on SQLite and PostgreSQL."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from sluice.server.errors import ApiError
from sluice.server.kfp_filters import list_page, page_size_of, parse_filter, parse_sort
from sluice.store.models import ExperimentRow
from sluice.store.repository import Store

COLUMNS = {
    "display_name": ExperimentRow.display_name,
    "created_at": ExperimentRow.created_at,
    "storage_state": ExperimentRow.storage_state,
}
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
    query = select(ExperimentRow).where(
        *parse_filter(json.dumps(filter_) if filter_ else None, COLUMNS)
    )
    with store.session() as session:
        page = list_page(
            session,
            query,
            order=parse_sort(sort, COLUMNS),
            tiebreak=ExperimentRow.id,
            page_token=None,
            page_size=None,
        )
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
    with store.session() as session:
        while True:
            page = list_page(
                session,
                select(ExperimentRow),
                order=parse_sort(None, COLUMNS),
                tiebreak=ExperimentRow.id,
                page_token=token,
                page_size=2,
            )
            assert page.total_size == 5
            seen += [r.display_name for r in page.rows]
            token = page.next_page_token
            if token is None:
                break
    assert seen == ["e0", "e1", "e2", "e3", "e4"]


def test_page_size_rules() -> None:
    assert page_size_of(0) == 20
    assert page_size_of(None) == 20
    assert page_size_of(5000) == 200
    with pytest.raises(ApiError):
        page_size_of(-1)
