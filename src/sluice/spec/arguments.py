"""Run arguments, checked and typed by the pipeline's declared inputs before a run starts.

* :func:`resolve_arguments` — arguments given as values (the Python API, the REST API):
  checked, cast by declared type, defaults filled.
* :func:`parse_cli_arguments` — ``-p name=value`` text and a parameters file (the CLI),
  parsed by declared type.

Nothing is written to the store if they fail: each error is one ``InvalidArgumentError``.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import InvalidArgumentError
from sluice.spec.loader import LoadedPipeline
from sluice.spec.proto_values import value_from_proto
from sluice.spec.safe_yaml import MAX_DEPTH, JsonTooDeepError, LimitedLoader, check_depth
from sluice.spec.values import (
    cast_parameter,
    check_portable,
    parse_cli_value,
    type_name,
)

__all__ = ["parameter_type_name", "parse_cli_arguments", "resolve_arguments"]

_ParameterSpec: TypeAlias = pipeline_spec_pb2.ComponentInputsSpec.ParameterSpec
_ArtifactSpec: TypeAlias = pipeline_spec_pb2.ComponentInputsSpec.ArtifactSpec
# Filled in by the backend, never by the user.
_BACKEND_FILLED = ("TASK_FINAL_STATUS", "TASK_CONFIG")


def parameter_type_name(param: _ParameterSpec) -> str:
    """The declared type of a parameter, e.g. ``"NUMBER_INTEGER"`` (legacy ``type`` mapped)."""
    if param.parameter_type or not param.type:
        return type_name(int(param.parameter_type))
    # Schema 2.0.0 IR declared INT / DOUBLE / STRING in the old ``type`` field.
    return type_name(str(pipeline_spec_pb2.PrimitiveType.PrimitiveTypeEnum.Name(param.type)))


def _inputs(loaded: LoadedPipeline) -> tuple[dict[str, _ParameterSpec], dict[str, _ArtifactSpec]]:
    definitions = loaded.spec.root.input_definitions
    params = {
        name: definitions.parameters[name]
        for name in sorted(definitions.parameters)
        if parameter_type_name(definitions.parameters[name]) not in _BACKEND_FILLED
    }
    artifacts = {name: definitions.artifacts[name] for name in sorted(definitions.artifacts)}
    return params, artifacts


def _check_known(loaded: LoadedPipeline, name: str) -> None:
    params, artifacts = _inputs(loaded)
    if name in params or name in artifacts:
        return
    declared = loaded.spec.root.input_definitions.parameters
    if name in declared:
        kind = parameter_type_name(declared[name])
        raise InvalidArgumentError(f"parameter '{name}' ({kind}) is filled in by Sluice; omit it")
    known = [*params, *artifacts]
    if not known:
        raise InvalidArgumentError(
            f"unknown parameter '{name}': pipeline '{loaded.name}' takes no parameters"
        )
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise InvalidArgumentError(
        f"unknown parameter '{name}' for pipeline '{loaded.name}'; {hint}"
        f"known parameters: {', '.join(known)}"
    )


def _check_artifact(name: str, spec: _ArtifactSpec, value: Any) -> None:
    items = value if spec.is_artifact_list and isinstance(value, (list, tuple)) else [value]
    for item in items:
        ok = isinstance(item, str) and bool(item)
        if isinstance(item, Mapping):
            ok = (
                isinstance(item.get("uri"), str)
                and set(item) <= {"uri", "metadata"}
                and isinstance(item.get("metadata", {}), Mapping)
            )
        if not ok:
            shape = "a list of those" if spec.is_artifact_list else "a URI string"
            raise InvalidArgumentError(
                f"input artifact '{name}' must be a URI string or "
                f"{{'uri': ..., 'metadata': {{...}}}} ({shape}), got {item!r}"
            )


def resolve_arguments(
    loaded: LoadedPipeline, arguments: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Validate run arguments against the pipeline inputs, cast them, and fill defaults.

    Parameters are cast by their declared type; optional ones without a default
    and not given are left out. Input artifacts are kept as given (URI string or
    ``{"uri": ..., "metadata": {...}}``).

    Raises:
        InvalidArgumentError: unknown name, missing required input, wrong type, or a
            value outside the declared ``literals``.
    """
    given = dict(arguments or {})
    for name in given:
        _check_known(loaded, name)
    params, artifacts = _inputs(loaded)
    resolved: dict[str, Any] = {}
    missing: list[tuple[str, str, str]] = []  # (name, type, what to pass)
    for name, param in params.items():
        kind = parameter_type_name(param)
        if given.get(name) is not None:
            value = cast_parameter(given[name], kind, name=name)
            check_portable(value, kind, name=name)
        elif param.HasField("default_value") and value_from_proto(param.default_value) is not None:
            value = cast_parameter(value_from_proto(param.default_value), kind, name=name)
        elif param.is_optional:
            continue
        else:
            missing.append((name, kind, "VALUE"))
            continue
        if len(param.literals):
            allowed = [cast_parameter(value_from_proto(v), kind, name=name) for v in param.literals]
            if value not in allowed:
                raise InvalidArgumentError(
                    f"parameter '{name}' must be one of {allowed!r}, got {value!r}"
                )
        resolved[name] = value
    for name, art in artifacts.items():
        if given.get(name) is not None:
            _check_artifact(name, art, given[name])
            resolved[name] = given[name]
        elif not art.is_optional:
            missing.append((name, art.artifact_type.schema_title or "artifact", "URI"))
    if missing:
        raise _missing_error(missing)
    return resolved


def _missing_error(missing: list[tuple[str, str, str]]) -> InvalidArgumentError:
    if len(missing) == 1:
        name, kind, what = missing[0]
        if what == "URI":
            return InvalidArgumentError(
                f"missing required input artifact '{name}' ({kind}); "
                f"pass its URI with -p {name}=URI"
            )
        return InvalidArgumentError(
            f"missing required parameter '{name}' ({kind}); pass it with -p {name}=VALUE"
        )
    listing = ", ".join(f"'{name}' ({kind})" for name, kind, _ in missing)
    flags = " ".join(f"-p {name}={what}" for name, _, what in missing)
    return InvalidArgumentError(f"missing required parameters {listing}; pass them with {flags}")


def _params_too_deep(path: Path) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"parameters file {path} nests lists or mappings too deeply (nested deeper than "
        f"{MAX_DEPTH} levels): flatten its values"
    )


def _read_params_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InvalidArgumentError(f"no such parameters file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"cannot read parameters file {path}: {exc}") from exc
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
            check_depth(data)
        else:
            data = yaml.load(text, Loader=LimitedLoader)
    except (RecursionError, JsonTooDeepError):  # json.loads recurses once per level
        raise _params_too_deep(path) from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        # libyaml's scanner has a nesting limit of its own (1000 flow levels).
        if isinstance(exc, yaml.YAMLError) and "nesting depth" in str(exc):
            raise _params_too_deep(path) from None
        raise InvalidArgumentError(
            f"parameters file {path} is not valid JSON/YAML: {' '.join(str(exc).split())}"
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InvalidArgumentError(
            f"parameters file {path} must hold a mapping of parameter name to value"
        )
    return data


def parse_cli_arguments(
    loaded: LoadedPipeline, pairs: Sequence[str], params_file: Path | None = None
) -> dict[str, Any]:
    """Parse ``-p name=value`` strings (typed by the declared inputs) and a params file.

    A ``-p`` value wins over the same name in the file. Artifact inputs take a URI,
    or a JSON object ``{"uri": ..., "metadata": {...}}``.

    Raises:
        InvalidArgumentError: a pair without ``=``, an unknown name, an unparsable value,
            or a bad parameters file.
    """
    result: dict[str, Any] = _read_params_file(params_file) if params_file is not None else {}
    for name in result:
        _check_known(loaded, name)
    params, artifacts = _inputs(loaded)
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidArgumentError(f"bad parameter '{pair}': expected NAME=VALUE")
        _check_known(loaded, name)
        if name in params:
            result[name] = parse_cli_value(text, parameter_type_name(params[name]), name=name)
        elif text.lstrip().startswith(("{", "[")):
            try:
                result[name] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InvalidArgumentError(
                    f"input artifact '{name}': invalid JSON: {exc.msg} ({text!r})"
                ) from exc
            except RecursionError:
                raise InvalidArgumentError(
                    f"input artifact '{name}': its JSON nests too deeply; pass "
                    '{"uri": ..., "metadata": {...}}'
                ) from None
        else:
            list_input = artifacts[name].is_artifact_list
            result[name] = [u for u in text.split(",") if u] if list_input else text
    return result
