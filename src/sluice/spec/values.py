"""Typed parameter values, following the semantics of the KFP Go backend.

In the IR (and in every ``google.protobuf.Value``) a number is a double, so an
integer default arrives as ``3.0``. Sluice keeps parameter values as plain Python
values (``str``, ``int``, ``float``, ``bool``, ``list``, ``dict``, ``None``) and
casts them by the declared ``parameterType``. Integral doubles nested in lists and
structs become ints (:func:`normalize_numbers`) because Go prints them as ``1``,
not ``1.0``, and a ``List[int]`` consumer would crash on floats.

Text forms (:func:`format_for_placeholder`) follow the Go launcher: strings raw,
booleans ``true``/``false``, numbers like ``strconv.FormatFloat(f, 'f', -1, 64)``
and lists/structs as *compact* JSON (``{"a":1,"b":[1,2]}``). Go's protojson output
varies its whitespace on purpose, so any JSON is equivalent; compact is stable.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from sluice.errors import InvalidArgumentError, InvalidPipelineError
from sluice.spec.safe_yaml import JsonTooDeepError, check_depth

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_NESTING",
    "PARAMETER_TYPES",
    "cast_parameter",
    "check_portable",
    "format_for_placeholder",
    "normalize_numbers",
    "parse_cli_value",
    "to_json_text",
    "type_name",
]

# Names and values of ``pipeline_spec_pb2.ParameterType.ParameterTypeEnum``. Kept as
# a literal table so this module does not need kfp-pipeline-spec to import.
PARAMETER_TYPES: dict[int, str] = {
    0: "PARAMETER_TYPE_ENUM_UNSPECIFIED",
    1: "NUMBER_DOUBLE",
    2: "NUMBER_INTEGER",
    3: "STRING",
    4: "BOOLEAN",
    5: "LIST",
    6: "STRUCT",
    7: "TASK_FINAL_STATUS",
    8: "TASK_CONFIG",
}
_NAMES = frozenset(PARAMETER_TYPES.values())
# Schema 2.0.0 IR (and v1 YAML) used the old PrimitiveType names.
_ALIASES = {"INT": "NUMBER_INTEGER", "DOUBLE": "NUMBER_DOUBLE"}

# Only integral floats that fit an int64 become ints: beyond that the "integer"
# is an artefact of float precision, and Go's JSON prints those with an exponent.
_INT_LIMIT = 2.0**63

# KFP's NUMBER_INTEGER is a Go int64 in the backend (the driver and launcher read it so).
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Lists and structs nested deeper than this are rejected: nothing real nests that deep, and
# every layer that walks a value (JSON, protobuf, the executor input) recurses on it, so an
# unbounded depth ends in a RecursionError somewhere instead of a clear message.
MAX_NESTING = 100

_EXPECTS = {
    "NUMBER_INTEGER": "an integer",
    "NUMBER_DOUBLE": "a number",
    "BOOLEAN": "a boolean (true or false)",
    "STRING": "a string",
    "LIST": "a list (JSON array)",
    "STRUCT": "a struct (JSON object)",
    "TASK_FINAL_STATUS": "a task final status (JSON object)",
    "TASK_CONFIG": "a task config (JSON object)",
}


def type_name(parameter_type: str | int) -> str:
    """Return the ``ParameterTypeEnum`` name for a name or an enum number.

    Raises:
        InvalidPipelineError: the type is neither a known name nor a known number.
    """
    if isinstance(parameter_type, bool):  # bool is an int; never a valid type
        raise InvalidPipelineError(f"unknown parameter type {parameter_type!r}")
    if isinstance(parameter_type, int):
        if parameter_type in PARAMETER_TYPES:
            return PARAMETER_TYPES[parameter_type]
    elif isinstance(parameter_type, str):
        upper = parameter_type.strip().upper()
        if upper in _NAMES:
            return upper
        if upper in _ALIASES:
            return _ALIASES[upper]
    raise InvalidPipelineError(f"unknown parameter type {parameter_type!r}")


def _integral(value: float) -> bool:
    return math.isfinite(value) and value == int(value) and abs(value) < _INT_LIMIT


def normalize_numbers(value: Any) -> Any:
    """Turn integral floats (``3.0``) into ints, recursively through lists and dicts.

    Booleans, NaN, infinities and non-integral floats are left alone. Tuples come
    back as lists (they are JSON arrays). Other values are returned unchanged.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return int(value) if _integral(value) else value
    if isinstance(value, dict):
        return {k: normalize_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize_numbers(v) for v in value]
    return value


def show_value(value: Any) -> str:
    """A short rendering of a bad value for a one-line error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _bad(name: str, type_: str, value: Any) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"parameter '{name}' expects {_EXPECTS.get(type_, type_)}, got {show_value(value)}"
    )


def _too_deep(name: str) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"parameter '{name}' nests lists or structs more than {MAX_NESTING} levels deep: "
        f"flatten it to at most {MAX_NESTING} levels"
    )


def _loads(text: str, name: str, type_: str) -> Any:
    """``json.loads`` with a one-line error for bad JSON and for JSON nested too deep."""
    try:
        return json.loads(text)
    except RecursionError:  # Python's JSON decoder recurses once per level
        raise _too_deep(name) from None
    except ValueError:
        raise _bad(name, type_, text) from None


def _check_nesting(value: Any, name: str) -> None:
    """Reject values nested deeper than :data:`MAX_NESTING` (walked without recursion)."""
    try:
        check_depth(value, MAX_NESTING)
    except JsonTooDeepError:
        raise _too_deep(name) from None


def check_portable(value: Any, parameter_type: str | int, *, name: str) -> None:
    """Reject a run argument that the Kubeflow backend could not carry as given.

    Run arguments travel as ``google.protobuf.Value`` (``runtime_config.parameters``),
    whose JSON form has no NaN or infinity (protobuf refuses to serialize them), and a
    NUMBER_INTEGER is a 64-bit integer there. Accepting such a value locally would give a
    run that cannot be submitted elsewhere, or stored in PostgreSQL (no NaN in JSON), so
    the run is refused before anything is written.

    Raises:
        InvalidArgumentError: a NaN or infinite number anywhere in the value, an integer
            parameter outside the int64 range, or lists/structs nested too deep.
    """
    _check_nesting(value, name)
    if (
        type_name(parameter_type) == "NUMBER_INTEGER"
        and isinstance(value, int)
        and not INT64_MIN <= value <= INT64_MAX
    ):
        raise InvalidArgumentError(
            f"parameter '{name}' is {show_value(value)}, outside the 64-bit integer range of KFP "
            f"integers ({INT64_MIN} to {INT64_MAX}); pass an integer in that range, or declare "
            "the input as str"
        )
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            where = "is" if item is value else "holds"
            raise InvalidArgumentError(
                f"parameter '{name}' {where} {item}: KFP parameters cannot carry NaN or "
                "infinity (protobuf's JSON has no form for them); pass a finite number, or "
                "declare the input as str to pass the text"
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def _to_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise _bad(name, "NUMBER_INTEGER", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return int(value)
        raise _bad(name, "NUMBER_INTEGER", value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        # "3.0" is what a double-typed upstream prints; accept it when integral.
        try:
            as_float = float(text)
        except ValueError:
            raise _bad(name, "NUMBER_INTEGER", value) from None
        if math.isfinite(as_float) and as_float == int(as_float):
            return int(as_float)
    raise _bad(name, "NUMBER_INTEGER", value)


def _to_float(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise _bad(name, "NUMBER_DOUBLE", value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _bad(name, "NUMBER_DOUBLE", value)


def _to_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
    raise _bad(name, "BOOLEAN", value)


def _to_json_container(value: Any, name: str, type_: str, kind: type) -> Any:
    parsed = _loads(value, name, type_) if isinstance(value, str) else value
    _check_nesting(parsed, name)  # before normalize_numbers recurses into it
    if isinstance(parsed, tuple) and kind is list:
        parsed = list(parsed)
    if not isinstance(parsed, kind):
        raise _bad(name, type_, value)
    return normalize_numbers(parsed)


def cast_parameter(value: Any, parameter_type: str | int, *, name: str) -> Any:
    """Cast a value from the IR, a protobuf or a user to the declared parameter type.

    ``None`` stays ``None``: whether a missing value is allowed is the caller's call.

    Raises:
        InvalidArgumentError: the value cannot be read as the declared type; the
            message names the parameter, the expected type and the value.
        InvalidPipelineError: ``parameter_type`` is not a known type.
    """
    if value is None:
        return None
    type_ = type_name(parameter_type)
    if type_ == "NUMBER_INTEGER":
        return _to_int(value, name)
    if type_ == "NUMBER_DOUBLE":
        return _to_float(value, name)
    if type_ == "BOOLEAN":
        return _to_bool(value, name)
    if type_ == "STRING":
        # Go's driver hands any non-string to a STRING input as its text form.
        return value if isinstance(value, str) else format_for_placeholder(value)
    if type_ == "LIST":
        return _to_json_container(value, name, type_, list)
    if type_ in ("STRUCT", "TASK_FINAL_STATUS", "TASK_CONFIG"):
        return _to_json_container(value, name, type_, dict)
    # PARAMETER_TYPE_ENUM_UNSPECIFIED: nothing to check against.
    _check_nesting(value, name)
    return normalize_numbers(value)


def parse_cli_value(text: str, parameter_type: str | int, *, name: str) -> Any:
    """Read the text of a CLI ``-p name=value`` as a value of the declared type.

    STRING keeps the raw text; numbers and booleans are parsed from the text;
    LIST/STRUCT (and the JSON-object types) must be JSON.

    Raises:
        InvalidArgumentError: the text cannot be read as the declared type.
    """
    type_ = type_name(parameter_type)
    if type_ == "STRING":
        return text
    if type_ in ("LIST", "STRUCT", "TASK_FINAL_STATUS", "TASK_CONFIG"):
        return cast_parameter(_loads(text, name, type_), type_, name=name)
    if type_ == "PARAMETER_TYPE_ENUM_UNSPECIFIED":
        try:
            parsed = json.loads(text)
        except RecursionError:
            raise _too_deep(name) from None
        except ValueError:
            return text
        return cast_parameter(parsed, type_, name=name)
    # Numbers and booleans: cast_parameter already parses their text strictly.
    return cast_parameter(text, type_, name=name)


def _format_number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if _integral(value):
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        # Go's 'f' format never uses an exponent (1e-07 -> 0.0000001, 1e+300 -> 1000...),
        # and keeps the shortest round-trip digits, which repr() also gives.
        text = format(Decimal(text), "f")
    return text


def to_json_text(value: Any) -> str:
    """Compact JSON text of a value, integral floats written as ints."""
    return json.dumps(normalize_numbers(value), separators=(",", ":"), ensure_ascii=False)


def format_for_placeholder(value: Any) -> str:
    """The text of a parameter value inside a command line (Go launcher semantics).

    ``str`` raw; ``bool`` ``true``/``false``; numbers without a trailing ``.0`` and
    without exponents (``3.0`` -> ``3``, ``0.1`` -> ``0.1``); ``None`` -> ``""``;
    lists and dicts as compact JSON (see :func:`to_json_text`).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _format_number(value)
    return to_json_text(value)
