"""The list queries every service's ``list`` accepts, and the pages it answers with.

An interface parses its own request shape (KFP's ``filter`` JSON, ``sort_by`` and page
tokens; Vertex's or the UI's later) into a :class:`ListQuery` of neutral
:class:`Predicate`\\ s; the store compiles it against the resource's columns. The types
are the store's own (``sluice.store.listing``), named here so that an interface never
imports a store module.

The run list's metric predicate (``accuracy > 0.5 AND loss <= 0.2``) is parsed here,
into predicates on the store's ``metrics.<name>`` keys.
"""

from __future__ import annotations

import math
import re

from sluice.errors import InvalidFilterError
from sluice.store.listing import OPERATIONS, ListQuery, Page, Predicate
from sluice.store.run_filters import METRIC_PREFIX

__all__ = ["OPERATIONS", "ListQuery", "Page", "Predicate", "metric_key", "metric_predicates"]

# Longest first, so that ">=" is not read as ">" followed by "=".
_COMPARISONS = {
    ">=": "GREATER_THAN_EQUALS",
    "<=": "LESS_THAN_EQUALS",
    "!=": "NOT_EQUALS",
    "==": "EQUALS",
    ">": "GREATER_THAN",
    "<": "LESS_THAN",
    "=": "EQUALS",
}
_CLAUSE = re.compile(
    r"""^\s*(?:"(?P<quoted>[^"]+)"|(?P<name>[A-Za-z_][\w.\-/]*))\s*"""
    r"""(?P<op>>=|<=|!=|==|>|<|=)\s*(?P<value>\S+)\s*$"""
)
_AND = re.compile(r"\s+AND\s+|\s*&&\s*", re.IGNORECASE)
_HINT = "write it as NAME OP NUMBER, e.g. accuracy > 0.5 (OP: > >= < <= = !=), joined by AND"


def metric_key(name: str) -> str:
    """The list key of a run's scalar metric ``name``."""
    return METRIC_PREFIX + name


def metric_predicates(text: str) -> list[Predicate]:
    """``accuracy > 0.5 AND loss <= 0.2`` as predicates on the runs' scalar metrics.

    A name with spaces or operators in it is written in double quotes. A run without the
    metric matches no clause on it (``!=`` included): it logged nothing to compare.

    Raises:
        InvalidFilterError: a clause does not parse; the message quotes it.
    """
    predicates: list[Predicate] = []
    for clause in _AND.split(text.strip()):
        if not clause.strip():
            raise InvalidFilterError(f"metric: empty clause in {text!r}; {_HINT}")
        match = _CLAUSE.match(clause)
        if match is None:
            raise InvalidFilterError(f"metric: cannot read {clause.strip()!r}; {_HINT}")
        try:
            value = float(match["value"])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InvalidFilterError(
                f"metric: {match['value']!r} in {clause.strip()!r} is not a number; {_HINT}"
            )
        name = match["quoted"] or match["name"]
        predicates.append(Predicate(metric_key(name), _COMPARISONS[match["op"]], value))
    return predicates
