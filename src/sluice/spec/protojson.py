"""Faster equivalents of ``json_format.ParseDict`` / ``MessageToDict`` for pipeline specs.

protobuf's ``json_format`` walks every field in pure Python through generic checks (a
regular-expression search on every string, an error path string built for every field).
For the documents Sluice parses on every run (a pipeline spec, its ``deploymentSpec``)
that walk was most of the fixed cost of a run.

:func:`parse_dict` parses the common shapes directly (dicts into messages, strings,
booleans, integers, finite doubles, enum names, lists of these) and hands anything else
(``None``, numbers in strings, bytes, ...) to ``json_format.ParseDict``: whenever the
fast walk meets something it does not handle, or anything fails, the message is cleared
and ``ParseDict`` parses the whole document again, so every error (and its message) is
``ParseDict``'s own. Well-known types inside (``Struct``, ``Value``, ...) are parsed by
``ParseDict`` in place. On success the message is the one ``ParseDict`` would build
(``tests/spec/test_protojson.py`` compares them on real and odd documents).

:func:`message_to_dict` is ``MessageToDict`` with its defaults, by the same rule: it writes
the common shapes itself and hands a message it meets anything else in (bytes, 32-bit
floats, a double that is not finite, an enum number with no name, an extension) to
``json_format.MessageToDict`` whole, whose result, or error, is then the answer. A
well-known type other than ``Struct``, ``Value`` and ``ListValue`` (a retry policy's
``Duration``) is written by ``MessageToDict`` where it stands, as it writes it alone.
:func:`struct_to_dict` is ``MessageToDict`` of a ``Struct``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = ["message_to_dict", "parse_dict", "struct_to_dict"]

# json_format's default, and how it counts: the top message is at depth 1.
_MAX_DEPTH = 100
_UNPAIRED_SURROGATE = re.compile(
    "[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]"
)

_MESSAGE = FieldDescriptor.CPPTYPE_MESSAGE
_STRING = FieldDescriptor.CPPTYPE_STRING
_BOOL = FieldDescriptor.CPPTYPE_BOOL
_ENUM = FieldDescriptor.CPPTYPE_ENUM
_DOUBLE = FieldDescriptor.CPPTYPE_DOUBLE
_INT32S = frozenset((FieldDescriptor.CPPTYPE_INT32, FieldDescriptor.CPPTYPE_UINT32))
_INT64S = frozenset((FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64))
_INTS = _INT32S | _INT64S
# What MessageToDict writes as the value itself (beside strings).
_AS_THEY_ARE = _INT32S | {_BOOL}


class _Fallback(Exception):
    """The fast walk does not handle this document: let ``ParseDict`` parse it."""


def parse_dict(doc: Any, message: Message) -> Message:
    """``json_format.ParseDict(doc, message, ignore_unknown_fields=False)``, faster.

    ``message`` must be empty. Raises exactly what ``ParseDict`` raises.
    """
    try:
        _parse_message(doc, message, 1)
    except Exception:  # _Fallback, or a value protobuf refused: ParseDict says why
        message.Clear()
        json_format.ParseDict(doc, message, ignore_unknown_fields=False)
    return message


# How a field is parsed.
_SCALAR, _MESSAGE_FIELD, _REPEATED_SCALAR, _REPEATED_MESSAGE, _MAP_SCALAR, _MAP_MESSAGE = range(6)


class _Fields:
    """A message type's fields by JSON and proto name, and whether it is a well-known type."""

    __slots__ = ("by_name", "well_known")

    def __init__(self, descriptor: Descriptor) -> None:
        self.well_known = descriptor.file.name.startswith("google/protobuf/")
        by_name: dict[str, tuple[FieldDescriptor, int]] = {}
        for field in descriptor.fields:  # json names first, as ParseDict looks them up
            by_name.setdefault(field.json_name, (field, _kind(field)))
        for field in descriptor.fields:
            by_name.setdefault(field.name, (field, _kind(field)))
        self.by_name = by_name


def _kind(field: FieldDescriptor) -> int:
    message_type = field.message_type if field.cpp_type == _MESSAGE else None
    if message_type is not None and message_type.GetOptions().map_entry:
        key_field = message_type.fields_by_name["key"]
        if key_field.cpp_type != _STRING:
            return -1  # not handled: ParseDict parses it
        if message_type.fields_by_name["value"].cpp_type == _MESSAGE:
            return _MAP_MESSAGE
        return _MAP_SCALAR
    if field.is_repeated:
        return _REPEATED_MESSAGE if message_type is not None else _REPEATED_SCALAR
    return _MESSAGE_FIELD if message_type is not None else _SCALAR


_FIELDS: dict[str, _Fields] = {}


def _fields_of(descriptor: Descriptor) -> _Fields:
    found = _FIELDS.get(descriptor.full_name)
    if found is None:
        found = _FIELDS[descriptor.full_name] = _Fields(descriptor)
    return found


def _check_str(value: Any) -> str:
    if type(value) is not str or (not value.isascii() and _UNPAIRED_SURROGATE.search(value)):
        raise _Fallback
    return value


def _scalar(value: Any, field: FieldDescriptor) -> Any:
    cpp = field.cpp_type
    kind = type(value)
    if cpp == _STRING and field.type != FieldDescriptor.TYPE_BYTES:
        return _check_str(value)
    if cpp == _BOOL and kind is bool:
        return value
    if cpp in _INTS and kind is int:
        return value
    if cpp == _DOUBLE and kind is float and math.isfinite(value):
        return value
    if cpp == _ENUM and kind is str:
        found = field.enum_type.values_by_name.get(value)
        if found is not None:
            return found.number
    raise _Fallback


def _parse_message(doc: Any, message: Message, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise _Fallback
    fields = _fields_of(message.DESCRIPTOR)
    if fields.well_known:  # Struct, Value, ...: as ParseDict would, at this depth
        json_format.ParseDict(
            doc, message, ignore_unknown_fields=False, max_recursion_depth=_MAX_DEPTH - depth + 1
        )
        return
    if type(doc) is not dict:
        raise _Fallback
    by_name = fields.by_name
    names: set[str] = set()  # keys and oneofs seen, as ParseDict tracks them
    seen: set[str] = set()  # fields set: two spellings of one field merge in ParseDict
    for key, value in doc.items():
        found = by_name.get(key)
        if found is None or value is None or key in names:
            raise _Fallback
        field, kind = found
        name = field.name
        if name in seen:
            raise _Fallback
        names.add(key)
        seen.add(name)
        oneof = field.containing_oneof
        if oneof is not None:
            if oneof.name in names:
                raise _Fallback
            names.add(oneof.name)
        if kind == _SCALAR:
            setattr(message, name, _scalar(value, field))
        elif kind == _MESSAGE_FIELD:
            target = getattr(message, name)
            target.SetInParent()
            _parse_message(value, target, depth + 1)
        elif kind == _REPEATED_SCALAR:
            if type(value) is not list:
                raise _Fallback
            getattr(message, name).extend([_scalar(item, field) for item in value])
        elif kind == _REPEATED_MESSAGE:
            if type(value) is not list:
                raise _Fallback
            target = getattr(message, name)
            for item in value:
                if item is None:
                    raise _Fallback
                _parse_message(item, target.add(), depth + 1)
        elif kind == _MAP_MESSAGE:
            if type(value) is not dict:
                raise _Fallback
            target = getattr(message, name)
            for map_key, item in value.items():
                _parse_message(item, target[_check_str(map_key)], depth + 1)
        elif kind == _MAP_SCALAR:
            if type(value) is not dict:
                raise _Fallback
            target = getattr(message, name)
            value_field = field.message_type.fields_by_name["value"]
            for map_key, item in value.items():
                target[_check_str(map_key)] = _scalar(item, value_field)
        else:
            raise _Fallback


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    """``json_format.MessageToDict(struct)`` for a ``Struct``: the same dict, same order."""
    fields = struct.fields
    return {key: _value(fields[key]) for key in fields}


def _value(value: struct_pb2.Value) -> Any:
    which = value.WhichOneof("kind")
    if which == "string_value":
        return value.string_value
    if which == "struct_value":
        return struct_to_dict(value.struct_value)
    if which == "list_value":
        return [_value(item) for item in value.list_value.values]
    if which == "bool_value":
        return value.bool_value
    if which == "number_value":
        number = value.number_value
        if not math.isfinite(number):
            return json_format.MessageToDict(value)  # raises ParseDict's ValueError
        return number
    return None


# -- message_to_dict --------------------------------------------------------------------------

# How a field's value is written (a field repeated or a map applies it to each item).
_AS_IS, _AS_STR, _AS_ENUM, _AS_MESSAGE, _AS_DOUBLE = range(5)


class _Printer:
    """How :func:`message_to_dict` writes one field: its JSON name, shape and conversion."""

    __slots__ = ("convert", "name", "shape", "value_field")

    def __init__(self, field: FieldDescriptor) -> None:
        self.name = field.json_name
        self.value_field = field  # the field itself, or a map's value field
        self.shape = "list" if field.is_repeated else "one"
        if field.is_extension:
            raise _Fallback
        message_type = field.message_type if field.cpp_type == _MESSAGE else None
        if message_type is not None and message_type.GetOptions().map_entry:
            if message_type.fields_by_name["key"].cpp_type == _BOOL:
                raise _Fallback  # json_format writes "true", not str(True)
            self.value_field = message_type.fields_by_name["value"]
            self.shape = "map"
        self.convert = _conversion(self.value_field)


def _conversion(field: FieldDescriptor) -> int:
    cpp = field.cpp_type
    if cpp == _MESSAGE:
        return _AS_MESSAGE
    if cpp == _ENUM:
        return _AS_ENUM
    if cpp in _INT64S:
        return _AS_STR
    if (cpp == _STRING and field.type != FieldDescriptor.TYPE_BYTES) or cpp in _AS_THEY_ARE:
        return _AS_IS
    if cpp == _DOUBLE:
        return _AS_DOUBLE
    raise _Fallback  # bytes and 32-bit floats: json_format's own rules


_PRINTERS: dict[FieldDescriptor, _Printer | None] = {}


def _printer(field: FieldDescriptor) -> _Printer:
    try:
        found = _PRINTERS[field]
    except KeyError:
        try:
            found = _Printer(field)
        except _Fallback:
            found = None
        _PRINTERS[field] = found
    if found is None:
        raise _Fallback
    return found


def message_to_dict(
    message: Message, *, converted_fields: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``json_format.MessageToDict(message)`` (its defaults), faster: the same dict, keys in
    the same order, or the same error.

    ``converted_fields``: top-level fields, by proto name, that the caller has already
    converted (a spec's ``deployment_spec`` from its parse); they are used as they are.
    """
    try:
        converted = _message(message, converted_fields)
    except Exception:  # _Fallback, or anything odd: json_format says what it is
        converted = None
    if type(converted) is not dict:  # that, or a Value or a ListValue at the top
        whole: dict[str, Any] = json_format.MessageToDict(message)
        return whole
    return converted


def _message(message: Message, converted_fields: Mapping[str, Any] | None = None) -> Any:
    full_name = message.DESCRIPTOR.full_name
    if full_name.startswith("google.protobuf."):
        if full_name == "google.protobuf.Struct":
            return struct_to_dict(message)
        if full_name == "google.protobuf.Value":
            return _value(message)
        if full_name == "google.protobuf.ListValue":
            return [_value(item) for item in message.values]
        # Duration, Timestamp, wrappers...: json_format writes each the same inside a
        # message as alone.
        return json_format.MessageToDict(message)
    converted: dict[str, Any] = {}
    for field, value in message.ListFields():
        printer = _printer(field)
        if converted_fields is not None and field.name in converted_fields:
            converted[printer.name] = converted_fields[field.name]
        elif printer.shape == "one":
            converted[printer.name] = _write(printer, value)
        elif printer.shape == "list":
            converted[printer.name] = [_write(printer, item) for item in value]
        else:
            converted[printer.name] = {str(key): _write(printer, value[key]) for key in value}
    return converted


def _write(printer: _Printer, value: Any) -> Any:
    convert = printer.convert
    if convert == _AS_IS:
        return value
    if convert == _AS_MESSAGE:
        return _message(value)
    if convert == _AS_STR:
        return str(value)
    if convert == _AS_DOUBLE:
        if not math.isfinite(value):
            raise _Fallback  # json_format writes "NaN", "Infinity", "-Infinity"
        return value
    enum_type = printer.value_field.enum_type
    if enum_type.full_name == "google.protobuf.NullValue":
        return None
    found = enum_type.values_by_number.get(value)
    if found is None:
        raise _Fallback  # a number with no name: json_format writes it or refuses it
    return found.name
