"""Parameter values as ``google.protobuf.Value``, the form the IR keeps them in.

Defaults, constants and literals arrive as ``Value`` messages, whose numbers are all
doubles; they are read back as plain Python values with integral doubles as ints
(:func:`sluice.spec.values.normalize_numbers`).
"""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2

from sluice.errors import InvalidArgumentError
from sluice.spec.values import normalize_numbers, show_value

__all__ = ["value_from_proto", "value_to_proto"]


def value_from_proto(value: struct_pb2.Value) -> Any:
    """Convert a ``google.protobuf.Value`` to a plain Python value (integral doubles as ints).

    An unset Value (no kind) reads as ``None``.
    """
    kind = value.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "number_value":
        return normalize_numbers(value.number_value)
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "list_value":
        return [value_from_proto(v) for v in value.list_value.values]
    return {k: value_from_proto(v) for k, v in value.struct_value.fields.items()}


def _fill_proto(target: struct_pb2.Value, value: Any) -> None:
    if value is None:
        target.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int | float):
        target.number_value = float(value)
    elif isinstance(value, str):
        target.string_value = value
    elif isinstance(value, list | tuple):
        target.list_value.SetInParent()  # an empty list must still be a list
        for item in value:
            _fill_proto(target.list_value.values.add(), item)
    elif isinstance(value, dict):
        target.struct_value.SetInParent()
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidArgumentError(f"struct keys must be strings, got {show_value(key)}")
            _fill_proto(target.struct_value.fields[key], item)
    else:
        raise InvalidArgumentError(
            f"value {show_value(value)} of type {type(value).__name__} is not JSON-compatible"
        )


def value_to_proto(value: Any) -> struct_pb2.Value:
    """Convert a plain Python (JSON-compatible) value to a ``google.protobuf.Value``.

    Raises:
        InvalidArgumentError: the value (or something inside it) is not JSON-compatible.
    """
    result = struct_pb2.Value()
    _fill_proto(result, value)
    return result
