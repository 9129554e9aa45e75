"""Tests for sluice.spec.proto_values: parameter values as google.protobuf.Value."""

import pytest
from google.protobuf import json_format, struct_pb2

from sluice.errors import InvalidArgumentError
from sluice.spec.proto_values import value_from_proto, value_to_proto


def test_value_proto_round_trip_normalizes_numbers() -> None:
    value = {"a": [1, 2.5, None, True], "b": {"c": "x"}, "d": [], "e": {}}
    proto = value_to_proto(value)
    assert proto.struct_value.fields["a"].list_value.values[0].number_value == 1.0
    assert proto.struct_value.fields["d"].WhichOneof("kind") == "list_value"
    assert proto.struct_value.fields["e"].WhichOneof("kind") == "struct_value"
    back = value_from_proto(proto)
    assert back == value
    assert type(back["a"][0]) is int


def test_value_from_proto_reads_every_kind() -> None:
    assert value_from_proto(struct_pb2.Value()) is None
    assert value_from_proto(struct_pb2.Value(null_value=struct_pb2.NULL_VALUE)) is None
    assert value_from_proto(struct_pb2.Value(number_value=7.0)) == 7
    assert value_from_proto(struct_pb2.Value(number_value=0.5)) == 0.5
    assert value_from_proto(struct_pb2.Value(string_value="s")) == "s"
    assert value_from_proto(struct_pb2.Value(bool_value=False)) is False
    parsed = json_format.ParseDict({"x": [1.0, {"y": 2.0}]}, struct_pb2.Value())
    assert value_from_proto(parsed) == {"x": [1, {"y": 2}]}


def test_value_to_proto_rejects_non_json_values() -> None:
    with pytest.raises(InvalidArgumentError, match="not JSON-compatible"):
        value_to_proto({"a": object()})
    with pytest.raises(InvalidArgumentError, match="struct keys must be strings"):
        value_to_proto({1: "a"})
