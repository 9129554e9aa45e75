"""CEL evaluation of trigger conditions and parameter selectors (cel-python).

The Go driver (``backend/src/v2/expression``) evaluates two kinds of expressions:

* ``triggerPolicy.condition`` over the DAG task's own resolved inputs, bound as
  ``inputs.parameter_values[...]``;
* ``parameterExpressionSelector`` (e.g. ``parseJson(string_value)["times"]``) over
  one ``google.protobuf.Value``: ``string_value`` is always its text (the string
  itself, or the JSON text / number text of anything else), and the one field of
  the Value that is set (``number_value``, ``bool_value``, ``list_value``,
  ``struct_value``, ``null_value``) is bound too.

Both declare the custom function ``parseJson(string) -> dyn``.

cel-go compares numbers across int/double (``3 == 3.0`` is true; heterogeneous
equality makes ``3 == 'x'`` false) while cel-python 0.5 raises "no such overload".
In Go every parameter number is a double anyway; here NUMBER_INTEGER values are
Python ints, so the comparison operators are overridden to compare any two numbers
by value and to treat ``==`` between unrelated types as false. ``int()`` also
accepts numeric strings such as ``"3.0"`` (truncating, like ``int(3.7)``).
"""

from __future__ import annotations

import base64
import functools
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import celpy
from celpy import celtypes
from celpy.evaluation import CELEvalError, CELFunction, base_functions

from sluice.errors import ExpressionError
from sluice.spec.values import format_for_placeholder, normalize_numbers

__all__ = ["apply_selector", "evaluate_condition", "from_cel", "to_cel"]

_NUMBER_TYPES = (celtypes.IntType, celtypes.UintType, celtypes.DoubleType)


def to_cel(value: Any) -> Any:
    """Convert a plain Python value (str, int, float, bool, list, dict, None) to CEL types.

    Raises:
        ExpressionError: the value (or something inside it) has no CEL counterpart.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, list | tuple):
        return celtypes.ListType([to_cel(v) for v in value])
    if isinstance(value, dict):
        return celtypes.MapType({to_cel(k): to_cel(v) for k, v in value.items()})
    raise ExpressionError(f"cannot pass a {type(value).__name__} value to CEL: {value!r}")


def from_cel(value: Any) -> Any:
    """Convert a CEL result back to plain Python values, recursively.

    Bytes become base64 text (as Go's ``structpb.NewValue`` does); timestamps and
    durations become their CEL string form.
    """
    if value is None:
        return None
    if isinstance(value, celtypes.BoolType | bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, list):
        return [from_cel(v) for v in value]
    if isinstance(value, dict):
        return {str(from_cel(k)): from_cel(v) for k, v in value.items()}
    return str(value)


# --- extension functions -------------------------------------------------------


def _parse_json(text: Any) -> Any:
    if not isinstance(text, str):
        # TypeError makes cel-python report "no matching overload", like cel-go.
        raise TypeError(f"parseJson expects a string, got {type(text).__name__}")
    try:
        return to_cel(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"parseJson: invalid JSON: {exc}") from None


def _to_int(value: Any) -> Any:
    if isinstance(value, celtypes.StringType):
        text = value.strip()
        try:
            return celtypes.IntType(int(text))
        except ValueError:
            pass
        try:
            # "3.0" is a common text form of an integer (a double upstream).
            return celtypes.IntType(celtypes.DoubleType(float(text)))
        except (ValueError, OverflowError):
            raise ValueError(f"int() cannot convert string {str(value)!r}") from None
    return celtypes.IntType(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER_TYPES)


def _plain_number(value: Any) -> int | float:
    return float(value) if isinstance(value, celtypes.DoubleType) else int(value)


def _ordering(op: Callable[[Any, Any], bool], fallback: CELFunction) -> Callable[[Any, Any], Any]:
    def compare(a: Any, b: Any) -> Any:
        if _is_number(a) and _is_number(b):
            # Python compares int with float exactly, which is what CEL specifies.
            return celtypes.BoolType(op(_plain_number(a), _plain_number(b)))
        return fallback(a, b)

    return compare


def _canonical(value: Any) -> Any:
    """A Python value whose ``==`` is CEL equality: numbers by value, bools apart from ints."""
    if isinstance(value, celtypes.BoolType | bool):
        return ("bool", bool(value))
    if _is_number(value):
        return _plain_number(value)
    if isinstance(value, list):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, dict):
        return {_canonical(k): _canonical(v) for k, v in value.items()}
    return value


def _equality(negate: bool) -> Callable[[Any, Any], Any]:
    fallback = base_functions["_!=_" if negate else "_==_"]

    def compare(a: Any, b: Any) -> Any:
        if isinstance(a, CELEvalError):
            return a
        if isinstance(b, CELEvalError):
            return b
        # Overriding int() hid the type name `int`; keep `type(x) == int` working.
        a = celtypes.IntType if a is _to_int else a
        b = celtypes.IntType if b is _to_int else b
        if (_is_number(a) and _is_number(b)) or (
            isinstance(a, list | dict) and isinstance(b, list | dict)
        ):
            return celtypes.BoolType((_canonical(a) == _canonical(b)) != negate)
        try:
            return fallback(a, b)
        except TypeError:
            # Heterogeneous equality (cel-go): values of unrelated types are unequal.
            return celtypes.BoolType(negate)

    return compare


_FUNCTIONS: dict[str, CELFunction] = {
    "parseJson": _parse_json,
    "int": _to_int,
    "_==_": _equality(negate=False),
    "_!=_": _equality(negate=True),
    "_<_": _ordering(lambda a, b: a < b, base_functions["_<_"]),
    "_<=_": _ordering(lambda a, b: a <= b, base_functions["_<=_"]),
    "_>_": _ordering(lambda a, b: a > b, base_functions["_>_"]),
    "_>=_": _ordering(lambda a, b: a >= b, base_functions["_>=_"]),
}

# --- compilation cache ------------------------------------------------------------

# cel-python's parser and Environment.program() keep per-call state on shared
# objects, so compilation is serialized; evaluation builds a fresh evaluator per call.
_COMPILE_LOCK = threading.Lock()
_ENVIRONMENT: celpy.Environment | None = None


@functools.lru_cache(maxsize=1024)
def _program(expression: str) -> celpy.Runner:
    """Parse and bind one expression; cached because loops re-evaluate the same text."""
    global _ENVIRONMENT
    with _COMPILE_LOCK:
        if _ENVIRONMENT is None:
            _ENVIRONMENT = celpy.Environment()
        try:
            ast = _ENVIRONMENT.compile(expression)
        except celpy.CELParseError as exc:
            detail = " ".join(str(exc).split())
            raise ExpressionError(f"invalid CEL expression {expression!r}: {detail}") from None
        return _ENVIRONMENT.program(ast, functions=_FUNCTIONS)


def _describe(error: CELEvalError) -> str:
    """One line out of cel-python's error tuple ``(message, exception class, exception args)``."""
    args = error.args
    message = str(args[0]) if args else "evaluation error"
    cause = args[2] if len(args) > 2 and isinstance(args[2], tuple) else ()
    if len(args) > 1 and args[1] is KeyError and cause:
        return f"no such key: {from_cel(cause[0])!r}"
    if len(args) > 1 and args[1] is ValueError and cause:
        # cel-python labels every ValueError of a function "return error for overflow".
        return str(cause[0])
    return message


def _run(expression: str, context: dict[str, Any], what: str) -> Any:
    program = _program(expression)
    try:
        return program.evaluate(context)
    except CELEvalError as exc:
        raise ExpressionError(f"cannot evaluate {what} {expression!r}: {_describe(exc)}") from None
    except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as exc:
        # cel-python lets some Python errors escape; they are still evaluation errors.
        raise ExpressionError(f"cannot evaluate {what} {expression!r}: {exc}") from None


def evaluate_condition(expression: str, parameter_values: Mapping[str, Any]) -> bool:
    """Evaluate a ``triggerPolicy.condition`` over a DAG task's resolved input parameters.

    ``parameter_values`` are plain Python values keyed by input name; the
    expression sees them as ``inputs.parameter_values['name']``.

    Raises:
        ExpressionError: the expression is malformed, fails to evaluate, or does
            not yield a boolean; the message names the expression.
    """
    values = celtypes.MapType(
        {celtypes.StringType(k): to_cel(v) for k, v in parameter_values.items()}
    )
    inputs = celtypes.MapType({celtypes.StringType("parameter_values"): values})
    result = _run(expression, {"inputs": inputs}, "condition")
    if not isinstance(result, celtypes.BoolType | bool):
        raise ExpressionError(
            f"condition {expression!r} must yield a boolean, got {from_cel(result)!r}"
        )
    return bool(result)


def _selector_context(value: Any) -> dict[str, Any]:
    # Go binds the one Value field that is set, plus string_value as the text form.
    context: dict[str, Any] = {}
    if value is None:
        context["null_value"] = None
    elif isinstance(value, bool):
        context["bool_value"] = celtypes.BoolType(value)
    elif isinstance(value, int | float):
        context["number_value"] = to_cel(value)
    elif isinstance(value, list | tuple):
        context["list_value"] = to_cel(value)
    elif isinstance(value, dict):
        context["struct_value"] = to_cel(value)
    elif not isinstance(value, str):
        raise ExpressionError(f"cannot apply a selector to a {type(value).__name__} value")
    context["string_value"] = celtypes.StringType(format_for_placeholder(value))
    return context


def apply_selector(expression: str, value: Any) -> Any:
    """Apply a ``parameterExpressionSelector`` (e.g. ``parseJson(string_value)["times"]``).

    Returns a plain Python value, integral floats as ints.

    Raises:
        ExpressionError: the expression is malformed or fails on this value.
    """
    result = _run(expression, _selector_context(value), "selector")
    return normalize_numbers(from_cel(result))
