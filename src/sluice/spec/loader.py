"""Turn whatever the user hands us into a strictly parsed ``PipelineSpec``.

Accepted targets: a ``@dsl.pipeline`` function, any kfp component (compiled as a
one-task pipeline), a path to a ``.py`` file defining pipelines, a path to a
compiled IR file (``.yaml``/``.yml``/``.json``, optionally with a second
platform-spec document) or a component YAML, an already-parsed IR ``dict``, or a
``PipelineSpec`` proto. Everything ends up parsed with
``json_format.ParseDict(..., ignore_unknown_fields=False)`` (or its faster equivalent,
:func:`sluice.spec.protojson.parse_dict`) so that a typo in a
hand-edited IR is reported before a run starts instead of silently ignored.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import sys
import uuid
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import InvalidPipelineError, PipelineNotFoundError
from sluice.spec.protojson import message_to_dict, parse_dict, struct_to_dict
from sluice.spec.safe_yaml import JsonTooDeepError, LimitedLoader, check_depth

__all__ = ["LoadedPipeline", "load_pipeline", "one_line"]

_YAML_SUFFIXES = (".yaml", ".yml")
_IR_KEYS = ("root", "components", "pipelineInfo", "pipeline_info", "deploymentSpec")
# kfp warns, when a @dsl.component has no base_image, that the default image will change.
# That concerns the image a cloud run uses; a local run ignores the image, so the warning is
# noise on every `sluice run`. `sluice compile` (which writes the image into the IR) keeps it.
_BASE_IMAGE_WARNING = "The default base_image used by the @dsl.component"


# libyaml's safe loader (a compiled pipeline parses ~10x faster than with the pure-Python
# one), refusing alias bombs, recursive and deeply nested documents before expanding them.
YAML_LOADER: Any = LimitedLoader


def one_line(exc: BaseException) -> str:
    """Render an exception as ``Type: message`` on a single line (whitespace collapsed)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True, kw_only=True)
class LoadedPipeline:
    """A pipeline ready to be validated and run.

    Attributes:
        spec: the strictly parsed pipeline IR.
        platform_spec: the platform-specific document (kubernetes settings), if any.
        source: where it came from, for messages: a path or ``<function name>``.
    """

    spec: pipeline_spec_pb2.PipelineSpec
    platform_spec: pipeline_spec_pb2.PlatformSpec | None
    source: str

    @property
    def name(self) -> str:
        """The pipeline's name (``pipelineInfo.name``)."""
        return str(self.spec.pipeline_info.name)

    @property
    def display_name(self) -> str:
        """The pipeline's display name, falling back to its name."""
        return str(self.spec.pipeline_info.display_name or self.spec.pipeline_info.name)

    @functools.cached_property
    def deployment(self) -> pipeline_spec_pb2.PipelineDeploymentConfig:
        """``deploymentSpec`` parsed as a ``PipelineDeploymentConfig``.

        The IR stores it as a free-form ``Struct``; :func:`load_pipeline` has
        already checked that it parses strictly.
        """
        return _parse_deployment(self.spec, self._deployment_document, self.source)

    @functools.cached_property
    def _deployment_document(self) -> dict[str, Any]:
        # deploymentSpec as a dict (most of a spec): the parse above needs it, and so does
        # the first to_dict(), which takes it rather than converting the Struct again.
        return struct_to_dict(self.spec.deployment_spec)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for storing; :meth:`from_dict` is the inverse."""
        # Taken, not shared: a caller may change what it is given.
        deployment = self.__dict__.pop("_deployment_document", None)
        return {
            "pipeline_spec": spec_to_dict(self.spec, deployment=deployment),
            "platform_spec": (
                json_format.MessageToDict(self.platform_spec)
                if self.platform_spec is not None
                else None
            ),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "<stored run>") -> LoadedPipeline:
        """Rebuild a pipeline stored with :meth:`to_dict`."""
        if not isinstance(d, Mapping) or "pipeline_spec" not in d:
            raise InvalidPipelineError(f"{source}: stored pipeline has no 'pipeline_spec'")
        return _from_documents(d["pipeline_spec"], d.get("platform_spec"), source=source)


def load_pipeline(
    target: object, *, pipeline_name: str | None = None, warn_default_base_image: bool = False
) -> LoadedPipeline:
    """Load ``target`` (function, component, path, dict or proto) as a parsed pipeline.

    Args:
        target: what to run; see the module docstring for the accepted kinds.
        pipeline_name: for a ``.py`` file defining several pipelines, which one
            (python attribute name or pipeline name). Ignored for other targets.
        warn_default_base_image: keep kfp's FutureWarning about a component without a
            ``base_image`` while importing a ``.py`` file (for compiling for the cloud,
            where the image matters); by default it is silenced, as the image is unused
            when Sluice runs the component on the host.

    Raises:
        PipelineNotFoundError: the file does not exist or holds no (unique) pipeline.
        InvalidPipelineError: the file/object is not a valid pipeline.
    """
    if isinstance(target, LoadedPipeline):
        return target
    if isinstance(target, pipeline_spec_pb2.PipelineSpec):
        return _from_documents(spec_to_dict(target), None, source="<PipelineSpec>")
    if isinstance(target, Mapping):
        doc = dict(target)
        if "pipeline_spec" in doc and "root" not in doc:
            return _from_documents(doc["pipeline_spec"], doc.get("platform_spec"), source="<dict>")
        return _from_documents(doc, None, source="<dict>")
    if isinstance(target, (str, os.PathLike)):
        return _load_path(Path(os.fspath(target)), pipeline_name, warn_default_base_image)
    from kfp.dsl import base_component

    if isinstance(target, base_component.BaseComponent):
        return _compile(target, source=f"<{_python_name(target)}>")
    raise PipelineNotFoundError(
        f"cannot load a pipeline from a {type(target).__name__}; pass a @dsl.pipeline function, "
        "a component, a .py/.yaml/.json path, an IR dict or a PipelineSpec"
    )


def _load_path(path: Path, pipeline_name: str | None, warn_base_image: bool) -> LoadedPipeline:
    if not path.exists():
        raise PipelineNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise PipelineNotFoundError(f"{path} is a directory; pass a .py, .yaml or .json file")
    suffix = path.suffix.lower()
    if suffix == ".py":
        return _load_python_file(path, pipeline_name, warn_base_image)
    if suffix in (*_YAML_SUFFIXES, ".json"):
        return _load_document_file(path)
    raise PipelineNotFoundError(
        f"cannot load {path}: unsupported file type '{path.suffix or path.name}'; "
        "pass a .py, .yaml, .yml or .json file"
    )


# --- documents -------------------------------------------------------------------------------


def _load_document_file(path: Path) -> LoadedPipeline:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidPipelineError(f"cannot read {source}: {one_line(exc)}") from exc
    docs: list[Any]
    try:
        if path.suffix.lower() == ".json":
            docs = [json.loads(text)]
            check_depth(docs[0])
        else:
            docs = [d for d in yaml.load_all(text, Loader=YAML_LOADER) if d is not None]
    except RecursionError as exc:  # json.loads itself gives up past ~1000 levels
        raise InvalidPipelineError(f"{source} is nested too deeply to be a pipeline") from exc
    except (json.JSONDecodeError, JsonTooDeepError, yaml.YAMLError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise InvalidPipelineError(
            f"{source} is not valid {kind}: {' '.join(str(exc).split())}"
        ) from exc
    if not docs:
        raise InvalidPipelineError(f"{source} is empty; expected a compiled KFP pipeline")
    if len(docs) > 2:
        raise InvalidPipelineError(
            f"{source} holds {len(docs)} YAML documents; expected the pipeline spec and at most "
            "one platform spec"
        )
    first = docs[0]
    if not isinstance(first, dict):
        raise InvalidPipelineError(f"{source} is not a pipeline: expected a mapping at the top")
    if "implementation" in first and "root" not in first:
        # A component YAML (v1 format): let kfp load it, then compile as a one-task pipeline.
        return _load_component_file(path)
    if "pipeline_spec" in first and "root" not in first and len(docs) == 1:
        return _from_documents(first["pipeline_spec"], first.get("platform_spec"), source=source)
    return _from_documents(first, docs[1] if len(docs) == 2 else None, source=source)


def _load_component_file(path: Path) -> LoadedPipeline:
    from kfp import components

    try:
        component = components.load_component_from_file(str(path))
    except Exception as exc:
        raise InvalidPipelineError(f"cannot load component {path}: {one_line(exc)}") from exc
    return _compile(component, source=str(path))


def _from_documents(doc: Any, platform_doc: Any, *, source: str) -> LoadedPipeline:
    if not isinstance(doc, dict):
        raise InvalidPipelineError(f"{source} is not a pipeline: expected a mapping")
    if not any(key in doc for key in _IR_KEYS):
        raise InvalidPipelineError(
            f"{source} is not a pipeline: no 'root', 'components' or 'pipelineInfo'; "
            "pass a pipeline compiled with kfp (kfp.compiler.Compiler().compile) or a component"
        )
    spec = pipeline_spec_pb2.PipelineSpec()
    try:
        parse_dict(doc, spec)
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidPipelineError(
            f"{source} is not a valid pipeline spec: {' '.join(str(exc).split())}"
        ) from exc
    platform: pipeline_spec_pb2.PlatformSpec | None = None
    if platform_doc is not None:
        if not isinstance(platform_doc, dict) or "platforms" not in platform_doc:
            raise InvalidPipelineError(
                f"{source}: the second document is not a platform spec (expected 'platforms')"
            )
        platform = pipeline_spec_pb2.PlatformSpec()
        try:
            parse_dict(platform_doc, platform)
        except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidPipelineError(
                f"{source} has an invalid platform spec: {' '.join(str(exc).split())}"
            ) from exc
    loaded = LoadedPipeline(spec=spec, platform_spec=platform, source=source)
    _ = loaded.deployment  # strict parse of the Struct-typed deploymentSpec, now rather than later
    return loaded


def _parse_deployment(
    spec: pipeline_spec_pb2.PipelineSpec, document: dict[str, Any], source: str
) -> pipeline_spec_pb2.PipelineDeploymentConfig:
    config = pipeline_spec_pb2.PipelineDeploymentConfig()
    if not spec.HasField("deployment_spec"):
        return config
    try:
        parse_dict(document, config)
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidPipelineError(
            f"{source} has an invalid deploymentSpec: {' '.join(str(exc).split())}"
        ) from exc
    return config


def spec_to_dict(
    spec: pipeline_spec_pb2.PipelineSpec, *, deployment: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``json_format.MessageToDict(spec)``: the same dict, keys in the same order
    (:func:`sluice.spec.protojson.message_to_dict`).

    ``deployment``: the ``deploymentSpec`` already converted (``struct_to_dict``), if the
    caller has it: it is most of a spec.
    """
    if deployment is None:
        return message_to_dict(spec)
    return message_to_dict(spec, converted_fields={"deployment_spec": deployment})


# --- kfp objects -----------------------------------------------------------------------------


def _python_name(component: Any) -> str:
    func = getattr(component, "pipeline_func", None) or getattr(component, "python_func", None)
    return str(getattr(func, "__name__", None) or component.name)


def _compile(component: Any, *, source: str) -> LoadedPipeline:
    """The IR of a kfp component or pipeline, as kfp's compiler would write it.

    ``Compiler().compile`` writes ``component.pipeline_spec`` (and its platform spec, when
    it has platforms) to a YAML file, unchanged when no name or parameters are overridden;
    reading the same messages directly skips the YAML round trip, which costs more than
    the rest of a small cached run (``tests/spec/test_loader.py`` checks both agree).
    """
    try:
        spec = component.pipeline_spec
        platform = component.platform_spec
    except Exception as exc:
        raise InvalidPipelineError(f"cannot compile {source}: {one_line(exc)}") from exc
    return _from_messages(spec, platform if platform.platforms else None, source=source)


def _from_messages(
    spec: pipeline_spec_pb2.PipelineSpec,
    platform: pipeline_spec_pb2.PlatformSpec | None,
    *,
    source: str,
) -> LoadedPipeline:
    own_spec = pipeline_spec_pb2.PipelineSpec()
    own_spec.CopyFrom(spec)  # the component keeps its own; ours may be read for good
    own_platform: pipeline_spec_pb2.PlatformSpec | None = None
    if platform is not None:
        own_platform = pipeline_spec_pb2.PlatformSpec()
        own_platform.CopyFrom(platform)
    loaded = LoadedPipeline(spec=own_spec, platform_spec=own_platform, source=source)
    _ = loaded.deployment  # strict parse of the Struct-typed deploymentSpec, now rather than later
    return loaded


@contextlib.contextmanager
def _importable_from(directory: Path) -> Iterator[None]:
    # A pipeline file usually imports its sibling modules, as `python file.py` would allow.
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def _load_python_file(
    path: Path, pipeline_name: str | None, warn_base_image: bool = False
) -> LoadedPipeline:
    from kfp.dsl import base_component, graph_component

    module_name = f"_sluice_pipeline_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PipelineNotFoundError(f"cannot import {path}: not a python module")
    module = importlib.util.module_from_spec(spec)
    # Registered while executing: dataclasses and typing resolve names through sys.modules.
    sys.modules[module_name] = module
    try:
        with _importable_from(path.resolve().parent), warnings.catch_warnings():
            if not warn_base_image:
                warnings.filterwarnings("ignore", _BASE_IMAGE_WARNING, FutureWarning)
            try:
                spec.loader.exec_module(module)
            except (Exception, SystemExit) as exc:
                raise InvalidPipelineError(f"cannot import {path}: {one_line(exc)}") from exc
        found: dict[str, Any] = {}
        for attr, value in vars(module).items():
            is_ours = isinstance(value, base_component.BaseComponent) and _defined_in(
                value, module_name
            )
            # The same object bound to two names counts once.
            if is_ours and all(value is not other for other in found.values()):
                found[attr] = value
        pipelines = {
            k: v for k, v in found.items() if isinstance(v, graph_component.GraphComponent)
        }
        attr, chosen = _choose(path, pipelines or found, pipeline_name, bool(pipelines))
        return _compile(chosen, source=f"{path}:{attr}")
    finally:
        sys.modules.pop(module_name, None)


def _defined_in(component: Any, module_name: str) -> bool:
    func = getattr(component, "pipeline_func", None) or getattr(component, "python_func", None)
    if func is None:
        return True  # e.g. a component loaded from YAML inside the file
    return getattr(func, "__module__", None) == module_name


def _choose(
    path: Path, candidates: dict[str, Any], wanted: str | None, are_pipelines: bool
) -> tuple[str, Any]:
    kind = "pipelines" if are_pipelines else "components"
    if not candidates:
        raise PipelineNotFoundError(
            f"{path} defines no @dsl.pipeline or component; define one with kfp.dsl"
        )
    listing = ", ".join(f"{attr} ({c.name})" for attr, c in candidates.items())
    if wanted is not None:
        for attr, component in candidates.items():
            if wanted in (attr, component.name):
                return attr, component
        raise PipelineNotFoundError(f"{path} has no pipeline named '{wanted}'; it has: {listing}")
    if len(candidates) == 1:
        return next(iter(candidates.items()))
    if are_pipelines:
        # Pipelines used as a sub-DAG of another one in the same file are not candidates.
        top = {a: c for a, c in candidates.items() if not _nested_in_others(c, candidates)}
        if len(top) == 1:
            return next(iter(top.items()))
    raise PipelineNotFoundError(
        f"{path} defines several {kind}: {listing}; "
        "choose one with pipeline_name= / --pipeline NAME"
    )


def _nested_in_others(inner: Any, candidates: dict[str, Any]) -> bool:
    from kfp.dsl import utils

    key = utils.sanitize_component_name(inner.name)
    for outer in candidates.values():
        if outer is inner:
            continue
        for comp_name, comp in outer.pipeline_spec.components.items():
            base, _, suffix = comp_name.rpartition("-")
            same = comp_name == key or (base == key and suffix.isdigit())
            if same and comp.HasField("dag"):
                return True
    return False
