"""The declarative base of every store model, and the store's clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime
from sqlalchemy.orm import DeclarativeBase, configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """A row's time as timezone-aware UTC (SQLite returns naive datetimes; all are UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    """Base of every store model."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


_Row = TypeVar("_Row", bound=Base)


def detached_row(model: type[_Row], values: Mapping[str, Any]) -> _Row:
    """A ``model`` row of ``values`` (columns by key, as a Core query reads them), attached
    to no session.

    Built as the ORM builds a row it loads (the columns set in its ``__dict__``), without
    a session: ``model(**values)`` fires an attribute event per column, and a session's
    load costs several times the query on a small read. A column left out of ``values``
    is unloaded, as in a loaded row: reading it raises ``DetachedInstanceError`` (it
    would read ``None`` otherwise).
    """
    if not model.__mapper__.configured:  # the first read may come before any ORM use
        configure_mappers()
    row: _Row = manager_of_class(model).new_instance()
    row.__dict__.update(values)
    if len(values) < len(model.__table__.columns):
        make_transient_to_detached(row)  # an identity, the missing columns expired
    return row
