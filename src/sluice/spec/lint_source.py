"""Static checks of a lightweight Python component's embedded function source.

``@dsl.component`` compiles the function's source into the executor's command. Two mistakes
compile cleanly and fail (or silently produce nothing) at run time:

* an output annotated ``Output[str]`` (or another builtin type): kfp compiles it as an output
  *parameter*, but the function is handed no path to write it to, so the task fails with
  the parameter not produced;
* a declared output artifact or ``OutputPath`` the function never touches: the task
  succeeds and a downstream task reads an empty file;
* a name the function uses but its embedded source does not define (a module-level
  constant, helper or ``NamedTuple`` class of the file the component was written in): only
  the function's own source is shipped, so it fails with a ``NameError``.

We look at the function with :mod:`ast` and never import or run it. Anything we cannot
parse (a container component, a function built dynamically) is left alone.
"""

from __future__ import annotations

import ast
import builtins
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["EmbeddedFunction", "SourceProblem", "embedded_function", "source_problems"]

_BUILTIN_TYPES = {"str", "int", "float", "bool", "list", "dict"}


@dataclass(frozen=True)
class SourceProblem:
    """One mistake found in a component function: what is wrong and how to fix it."""

    problem: str
    fix: str


@dataclass(frozen=True)
class EmbeddedFunction:
    """A component's function and the whole program it is shipped in."""

    function: ast.FunctionDef
    program: ast.Module


def embedded_function(command: Sequence[str], args: Sequence[str]) -> EmbeddedFunction | None:
    """The function a lightweight component runs, parsed from its command, or ``None``.

    The function's name follows ``--function_to_execute`` in the arguments; its source is the
    command element that defines it.
    """
    words = list(args)
    if "--function_to_execute" not in words:
        return None
    at = words.index("--function_to_execute")
    if at + 1 >= len(words):
        return None
    name = words[at + 1]
    for text in command:
        if f"def {name}(" not in text:
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return EmbeddedFunction(node, tree)
    return None


@functools.cache
def _star_imported(module: str) -> frozenset[str]:
    """Names a ``from module import *`` of the program's header binds."""
    import importlib

    try:
        imported = importlib.import_module(module)
    except ImportError:
        return frozenset()
    names = getattr(imported, "__all__", None)
    if names is None:
        names = [n for n in dir(imported) if not n.startswith("_")]
    return frozenset(names)


def _bound_names(program: ast.Module) -> set[str] | None:
    """Every name the program binds anywhere; ``None`` when that cannot be known statically."""
    bound: set[str] = set()
    for node in ast.walk(program):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            names = _star_imported(node.module or "")
            if not names:
                return None  # an unknown star import may bind anything
            bound |= names
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound |= set(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
    return bound


def _undefined_names(embedded: EmbeddedFunction) -> list[str]:
    bound = _bound_names(embedded.program)
    if bound is None:
        return []
    known = bound | set(dir(builtins)) | {"__name__", "__file__", "__builtins__"}
    used = {
        node.id
        for node in ast.walk(embedded.function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return sorted(used - known)


def _subscript_of(annotation: ast.expr | None, wrapper: str) -> ast.expr | None:
    """``X`` for an annotation ``wrapper[X]`` (also ``dsl.wrapper[X]``), else ``None``."""
    if not isinstance(annotation, ast.Subscript):
        return None
    base = annotation.value
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
    return annotation.slice if name == wrapper else None


def _is_call_of(annotation: ast.expr | None, name: str) -> bool:
    if not isinstance(annotation, ast.Call):
        return False
    func = annotation.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return called == name


def _names_used(function: ast.FunctionDef) -> set[str]:
    return {
        node.id
        for statement in function.body
        for node in ast.walk(statement)
        if isinstance(node, ast.Name)
    }


def _all_args(function: ast.FunctionDef) -> Iterator[ast.arg]:
    yield from function.args.posonlyargs
    yield from function.args.args
    yield from function.args.kwonlyargs


def source_problems(
    embedded: EmbeddedFunction,
    *,
    output_parameters: Sequence[str],
    output_artifacts: Sequence[str],
) -> list[SourceProblem]:
    """Mistakes in a component's function given the outputs its component declares.

    Args:
        embedded: the parsed component function and its program.
        output_parameters: the component's declared output parameters.
        output_artifacts: the component's declared output artifacts.
    """
    function = embedded.function
    problems: list[SourceProblem] = []
    undefined = _undefined_names(embedded)
    if undefined:
        names = ", ".join(undefined)
        problems.append(
            SourceProblem(
                f"uses {names}, which its shipped source does not define (only the function "
                "itself runs in the task, so this is a NameError)",
                "import or define it inside the function, or pass it in as an input",
            )
        )
    used = _names_used(function)
    for arg in _all_args(function):
        inner = _subscript_of(arg.annotation, "Output")
        if isinstance(inner, ast.Name) and inner.id in _BUILTIN_TYPES:
            problems.append(
                SourceProblem(
                    f"output '{arg.arg}' is annotated Output[{inner.id}]: kfp compiles it as an "
                    "output parameter that the function has no way to set, so the task fails",
                    f"declare it as {arg.arg}: OutputPath({inner.id}) and write the value to "
                    "that path, or return the value",
                )
            )
            continue
        declared_output = arg.arg in output_artifacts or (
            arg.arg in output_parameters and _is_call_of(arg.annotation, "OutputPath")
        )
        if declared_output and arg.arg not in used:
            noun = "artifact" if arg.arg in output_artifacts else "parameter"
            problems.append(
                SourceProblem(
                    f"never writes its declared output {noun} '{arg.arg}' (the function body "
                    "does not use it)",
                    f"write to {arg.arg}.path (or log to it), or remove the output",
                )
            )
    returns_value = any(
        isinstance(node, ast.Return) and node.value is not None
        for statement in function.body
        for node in ast.walk(statement)
    )
    if function.returns is not None and not returns_value and not _returns_none(function):
        problems.append(
            SourceProblem(
                "declares a return value but no return statement gives one",
                "return the value, or drop the return annotation",
            )
        )
    return problems


def _returns_none(function: ast.FunctionDef) -> bool:
    returns = function.returns
    return isinstance(returns, ast.Constant) and returns.value is None
