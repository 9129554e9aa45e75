"""YAML loading with limits, for every YAML document a user hands Sluice.

PyYAML's safe loader turns an alias into a second reference to the anchored object, so a
588-byte "billion laughs" document loads instantly, and then explodes in whatever walks the
result (JSON or protobuf conversion): minutes of CPU and gigabytes of memory. A recursive
document (``&a [*a]``) makes the same walkers recurse forever.

:class:`LimitedLoader` therefore checks each composed document before constructing it:
libyaml (or PyYAML) composes the node graph, where an alias is a shared node, and an
iterative walk of that graph counts the nodes the document would have with every alias
expanded, the aliases, and the nesting depth, and refuses cycles. Nothing is expanded
before the check passes, and composing stays in C.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_NODES",
    "JsonTooDeepError",
    "LimitedLoader",
    "YamlLimitError",
    "check_depth",
    "check_node",
    "load_all",
]

# Far beyond what a compiled pipeline needs (a 100-task pipeline has ~20k nodes, no
# aliases, ~15 levels), and small enough that the expanded document stays in the
# hundreds of megabytes at worst.
MAX_NODES = 1_000_000
MAX_ALIASES = 10_000
MAX_DEPTH = 100


class YamlLimitError(yaml.YAMLError):
    """The document is too large once expanded, has too many aliases, or nests too deeply."""


class JsonTooDeepError(ValueError):
    """Data (parsed JSON) nested deeper than :data:`MAX_DEPTH`."""


def check_depth(value: object, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`JsonTooDeepError` when ``value`` nests more than ``limit`` levels.

    For parsed JSON: a deeply nested document would reach recursive code (protobuf's
    parser, the JSON encoder) and end as a ``RecursionError``.
    """
    # Iterative on purpose: the point is to never recurse over user data.
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > limit:
            raise JsonTooDeepError(f"the JSON is nested deeper than {limit} levels")
        stack.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list | tuple)
        )


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_node(root: Node) -> None:
    """Raise :class:`YamlLimitError` when the document of ``root`` breaks a limit.

    Aliases are shared nodes in the graph; each node's expanded size and height is
    computed once (post-order, with an explicit stack: no recursion over user data).
    """
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    on_path: set[int] = set()
    aliases = 0
    stack: list[tuple[Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            children = _children(node)
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > MAX_NODES:
                raise YamlLimitError(
                    f"the YAML has more than {MAX_NODES} nodes once its aliases are expanded "
                    "(a 'billion laughs' document?); refusing to load it"
                )
            sizes[key] = size
            heights[key] = 1 + max((heights[id(child)] for child in children), default=0)
            continue
        if key in sizes:  # a node met again: an alias (or a merge key) expands it here
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlLimitError(
                    f"the YAML has more than {MAX_ALIASES} aliases (*name); expand them or "
                    "simplify the document"
                )
            if depth + heights[key] - 1 > MAX_DEPTH:
                raise YamlLimitError(f"the YAML is nested deeper than {MAX_DEPTH} levels")
            continue
        if key in on_path:
            raise YamlLimitError(
                f"the YAML alias at line {node.start_mark.line + 1} refers to a node that "
                "contains it (a recursive document); remove the cycle"
            )
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"the YAML is nested deeper than {MAX_DEPTH} levels")
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))


# libyaml composes ~10x faster than the pure-Python code and accepts the same documents.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LimitedLoader(_Base):  # type: ignore[misc]
    """A safe YAML loader that refuses alias bombs, recursive and deeply nested documents."""

    def construct_document(self, node: Node) -> Any:
        """The document's data, once :func:`check_node` has passed."""
        check_node(node)
        return super().construct_document(node)


def load_all(text: str | bytes) -> list[Any]:
    """Every document of ``text`` that is not empty, loaded with :class:`LimitedLoader`.

    Raises:
        YamlLimitError: a limit is exceeded (nothing large has been built by then).
        yaml.YAMLError: the text is not YAML.
    """
    return [doc for doc in yaml.load_all(text, Loader=LimitedLoader) if doc is not None]
