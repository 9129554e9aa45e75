"""Names that become paths: run names, and pipeline, task and output names from specs.

A run's name, its pipeline's name, its tasks' names and their outputs' names all end up
in file paths (``<pipeline root>/<run name>/<task path>/<output>``, ``runs/<id>/<task
path>/attempt-N``). Run names are ids the user chooses, so they are checked at input and
bad ones are refused. Names that come from a pipeline spec must be accepted as KFP
accepts them, so they are turned into safe path components instead; a name that is
already safe (everything the KFP compiler produces) stays as it is.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

from sluice.errors import InvalidArgumentError, UserInputError

# Letters, digits, '.', '_' and '-', starting with a letter or digit; at most 128
# characters, like a Vertex job id (which also allows only lowercase letters).
RUN_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
RUN_NAME_RULE = (
    "a run name is an id: 1 to 128 letters, digits, '.', '_' or '-', starting with a "
    "letter or digit"
)

_SAFE_COMPONENT = re.compile(r"[A-Za-z0-9._-]{1,128}")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_PREFIX_MAX = 100  # room for "-<stamp>-<suffix>" within the 128 characters of a run name


def check_run_name(name: str) -> str:
    """``name`` if it is a valid run name.

    Raises:
        InvalidArgumentError: it is not (the message gives the rule).
    """
    if not RUN_NAME_PATTERN.fullmatch(name):
        raise InvalidArgumentError(
            f"invalid run name {name!r}: {RUN_NAME_RULE}; choose another --run-name / "
            "run_name= (the display name of a server run may be any text)"
        )
    return name


def run_name_prefix(pipeline_name: str) -> str:
    """The pipeline part of a generated run name: the pipeline name, made a valid run name.

    KFP pipeline names (``[a-z0-9-]``, at most 128) only lose characters beyond 100.
    """
    cleaned = _UNSAFE_CHARS.sub("-", pipeline_name)[:_PREFIX_MAX].strip("._-")
    return cleaned or "run"


def safe_component(name: str) -> str:
    """``name`` as one path component that cannot leave its directory.

    A safe name (letters, digits, ``.``, ``_``, ``-``; not ``.`` or ``..``; at most 128
    characters) is returned unchanged. Any other gets its unsafe characters replaced
    and a hash of the original appended, so two different names never share a directory.
    """
    if _SAFE_COMPONENT.fullmatch(name) and name not in (".", ".."):
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    cleaned = _UNSAFE_CHARS.sub("-", name)[:96].strip(".-") or "name"
    return f"{cleaned}-{digest}"


def safe_task_path(path: str) -> str:
    """A task path (``for-loop-2[1]/square``) as a relative path of safe components.

    Loop iterations ``loop[3]`` become ``loop-3`` as they always have; every component is
    then made safe with :func:`safe_component`, so ``..`` or ``/x`` in a task name stays
    inside the run's directory.
    """
    if not path:
        return ""
    flat = path.replace("[", "-").replace("]", "")
    return "/".join(safe_component(part) for part in flat.split("/"))


def under(root: str, *parts: str) -> str:
    """``root/part/...`` after checking, lexically, that it stays under ``root``.

    Works for local paths and URIs alike (no file system access, symlinks are not
    followed): the parts are expected to be safe already, and this is the last guard.

    Raises:
        UserInputError: the joined path would leave ``root``.
    """
    base = root.rstrip("/")
    joined = "/".join([base, *(p for p in parts if p)])
    normal_base = posixpath.normpath(base or "/")
    normal = posixpath.normpath(joined)
    if normal != normal_base and not normal.startswith(normal_base.rstrip("/") + "/"):
        raise UserInputError(f"the name {'/'.join(parts)!r} would make a path outside {root}")
    return joined
