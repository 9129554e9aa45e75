"""What changed between two compiled pipelines (two versions of one pipeline, usually): a
unified diff of their IR as YAML, and a summary a reader takes in at a glance: the tasks
added, removed and changed (by their path through the sub-DAGs) and the pipeline inputs
added, removed or given another default or type.

It is computed here, not in the browser, because the summary needs the IR's structure
(tasks, their components and executors, nested DAGs), which the UI never parses itself,
and because ``difflib`` is a tested diff the UI would otherwise have to re-implement.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Nested DAGs deeper than this are not walked (a compiled pipeline has no cycles, but a
# hand-written one could).
_MAX_DEPTH = 64
# A diff longer than this is cut (with a last line saying so): a page cannot show more.
MAX_DIFF_LINES = 20_000


@dataclass(frozen=True)
class InputChange:
    """A pipeline input present in both versions whose default or type differs."""

    name: str
    base_default: Any
    head_default: Any
    base_type: str | None
    head_type: str | None


@dataclass
class SpecDifference:
    """The unified diff of two specs' YAML and its summary (every list sorted)."""

    diff: str
    identical: bool
    tasks_added: list[str] = field(default_factory=list)
    tasks_removed: list[str] = field(default_factory=list)
    tasks_changed: list[str] = field(default_factory=list)
    inputs_added: list[str] = field(default_factory=list)
    inputs_removed: list[str] = field(default_factory=list)
    inputs_changed: list[InputChange] = field(default_factory=list)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


_PLAIN = re.compile(r"[A-Za-z_./][\w ./-]*")
_RESERVED = re.compile(r"(true|false|null|yes|no|on|off|~)", re.IGNORECASE)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    # Plain when YAML reads it back as the same string; else quoted (JSON is valid YAML).
    plain = _PLAIN.fullmatch(text) and not _RESERVED.fullmatch(text) and not text.endswith(" ")
    return text if plain else json.dumps(text)


def _block(text: str, indent: str) -> list[str] | None:
    """A multi-line string as a literal block (``|``), so a change to a component's code
    diffs line by line; None when a block cannot hold it exactly."""
    if "\n" not in text or any(c in text for c in "\r\t\x85\u2028\u2029") or text.strip() == "":
        return None
    body = text[:-1] if text.endswith("\n") else text
    chomp = "-" if not text.endswith("\n") else ("+" if body.endswith("\n") else "")
    lines = body.split("\n")
    if any(line != line.rstrip(" ") and line.strip() == "" for line in lines):
        return None  # lines of spaces only would read back as empty
    first = next(line for line in lines if line)
    marker = "2" if first.startswith(" ") else ""
    return [f"|{marker}{chomp}", *(f"{indent}  {line}" if line else "" for line in lines)]


def _yaml_lines(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                start = len(out)
                _yaml_lines(item, indent + "  ", out)
                out[start] = f"{indent}- {out[start].lstrip()}"
            elif isinstance(item, str) and (block := _block(item, indent)) is not None:
                out.append(f"{indent}- {block[0]}")
                out.extend(block[1:])
            else:
                empty = isinstance(item, dict | list)
                out.append(f"{indent}- {json.dumps(item) if empty else _scalar(item)}")
        return
    for key, item in value.items():
        if isinstance(item, dict | list) and item:
            out.append(f"{indent}{_scalar(key)}:")
            _yaml_lines(item, indent + "  ", out)
        elif isinstance(item, str) and (block := _block(item, indent)) is not None:
            out.append(f"{indent}{_scalar(key)}: {block[0]}")
            out.extend(block[1:])
        else:
            shown = json.dumps(item) if isinstance(item, dict | list) else _scalar(item)
            out.append(f"{indent}{_scalar(key)}: {shown}")


def spec_yaml(spec: dict[str, Any]) -> str:
    """The spec as block YAML in its stored key order (as ``kfp compile`` writes it, and as
    the UI's Spec view shows it). Display only: PyYAML's dumper took seconds for a
    500-task spec; this takes milliseconds."""
    if not spec:
        return "{}\n"
    out: list[str] = []
    _yaml_lines(spec, "", out)
    return "\n".join(out) + "\n"


def package_yaml(package: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A stored package (``{"pipeline_spec", "platform_spec"}``, or a bare IR) as its IR and
    its YAML: the IR, then the platform spec as a second document, as ``kfp compile``
    writes a package that has one."""
    ir = _mapping(package.get("pipeline_spec")) if "pipeline_spec" in package else package
    text = spec_yaml(ir)
    platform = package.get("platform_spec")
    if isinstance(platform, dict) and platform:
        text += "---\n" + spec_yaml(platform)
    return ir, text


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _task_fingerprints(spec: dict[str, Any]) -> dict[str, str]:
    """Every task of every level by its path (``outer/inner``), with what defines it: its
    own entry, its component (without the nested DAG, whose tasks count on their own) and
    its executor. Two versions' tasks differ when these differ."""
    components = _mapping(spec.get("components"))
    executors = _mapping(_mapping(spec.get("deploymentSpec")).get("executors"))
    found: dict[str, str] = {}

    def walk(dag: dict[str, Any], prefix: str, depth: int) -> None:
        for name, task in sorted(_mapping(dag.get("tasks")).items()):
            path = f"{prefix}{name}"
            ref = _mapping(_mapping(task).get("componentRef")).get("name")
            component = _mapping(components.get(ref)) if isinstance(ref, str) else {}
            executor = executors.get(component.get("executorLabel", ""))
            shape = {k: v for k, v in component.items() if k != "dag"}
            found[path] = _canonical([task, shape, executor])
            nested = _mapping(component.get("dag"))
            if nested and depth < _MAX_DEPTH:
                walk(nested, f"{path}/", depth + 1)

    walk(_mapping(_mapping(spec.get("root")).get("dag")), "", 0)
    return found


def _inputs(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pipeline's inputs (parameters and artifacts) by name."""
    definitions = _mapping(_mapping(spec.get("root")).get("inputDefinitions"))
    inputs = {
        name: _mapping(item) for name, item in _mapping(definitions.get("parameters")).items()
    }
    for name, item in _mapping(definitions.get("artifacts")).items():
        inputs[name] = {"artifactType": _mapping(_mapping(item).get("artifactType"))}
    return inputs


def _type_of(definition: dict[str, Any]) -> str | None:
    kind = definition.get("parameterType")
    if isinstance(kind, str):
        return kind
    artifact = _mapping(definition.get("artifactType")).get("schemaTitle")
    return str(artifact) if artifact is not None else None


def unified_diff(base_text: str, head_text: str, base_label: str, head_label: str) -> str:
    """``diff -u`` of two texts (3 lines of context), cut at :data:`MAX_DIFF_LINES`."""
    lines = list(
        difflib.unified_diff(
            base_text.splitlines(),
            head_text.splitlines(),
            fromfile=base_label,
            tofile=head_label,
            lineterm="",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        cut = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... {cut} more lines of the diff not shown"]
    return "\n".join(lines)


def diff_specs(
    base: dict[str, Any], head: dict[str, Any], base_label: str, head_label: str
) -> SpecDifference:
    """What changed from ``base`` to ``head`` (two stored packages or bare IR specs)."""
    base, base_text = package_yaml(base)
    head, head_text = package_yaml(head)
    diff = unified_diff(base_text, head_text, base_label, head_label)
    base_tasks, head_tasks = _task_fingerprints(base), _task_fingerprints(head)
    base_inputs, head_inputs = _inputs(base), _inputs(head)
    changed_inputs = []
    for name in sorted(base_inputs.keys() & head_inputs.keys()):
        old, new = base_inputs[name], head_inputs[name]
        old_default, new_default = old.get("defaultValue"), new.get("defaultValue")
        if _canonical(old_default) != _canonical(new_default) or _type_of(old) != _type_of(new):
            changed_inputs.append(
                InputChange(name, old_default, new_default, _type_of(old), _type_of(new))
            )
    return SpecDifference(
        diff=diff,
        identical=diff == "",
        tasks_added=sorted(head_tasks.keys() - base_tasks.keys()),
        tasks_removed=sorted(base_tasks.keys() - head_tasks.keys()),
        tasks_changed=sorted(
            path
            for path in base_tasks.keys() & head_tasks.keys()
            if base_tasks[path] != head_tasks[path]
        ),
        inputs_added=sorted(head_inputs.keys() - base_inputs.keys()),
        inputs_removed=sorted(base_inputs.keys() - head_inputs.keys()),
        inputs_changed=changed_inputs,
    )
