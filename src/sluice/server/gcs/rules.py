"""Preconditions, name rules and ``matchGlob`` of the storage API."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sluice.server.gcs.shapes import GcsError, ObjectInfo

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


@dataclass(frozen=True, kw_only=True)
class Conditions:
    """The ``if*Match`` preconditions of a request (None: not given)."""

    generation_match: int | None = None
    generation_not_match: int | None = None
    metageneration_match: int | None = None
    metageneration_not_match: int | None = None

    def check(self, current: ObjectInfo | None) -> None:
        """Raise 412 unless ``current`` (None: no such object) meets every condition."""
        generation = current.generation if current else 0
        failed = (
            (self.generation_match is not None and self.generation_match != generation)
            or (self.generation_not_match is not None and self.generation_not_match == generation)
            or (
                self.metageneration_match is not None
                and (current is None or self.metageneration_match != current.metageneration)
            )
            or (
                self.metageneration_not_match is not None
                and current is not None
                and self.metageneration_not_match == current.metageneration
            )
        )
        if failed:
            raise GcsError(412, "At least one of the pre-conditions you specified did not hold.")


@dataclass(frozen=True, kw_only=True)
class Page:
    """One page of a listing."""

    items: list[ObjectInfo]
    prefixes: list[str]
    next_token: str | None


def check_bucket_name(name: str) -> None:
    """Refuse (400) a name Cloud Storage would refuse."""
    if not BUCKET_NAME.match(name) or ".." in name:
        raise GcsError(400, f"Invalid bucket name: '{name}'")


def check_object_name(name: str) -> None:
    """Refuse (400) a name that cannot be a path under the bucket's directory."""
    body = name[:-1] if name.endswith("/") else name
    segments = body.split("/")
    if not name or len(name.encode()) > 1024 or "\0" in name or "\n" in name or "\r" in name:
        raise GcsError(400, f"Invalid object name: {name!r}")
    if any(segment in ("", ".", "..") for segment in segments):
        raise GcsError(
            400,
            f"object name {name!r} is not supported by Sluice's storage emulation: objects "
            "are kept as files, so a name cannot have empty, '.' or '..' path segments",
        )


def glob_pattern(glob: str) -> re.Pattern[str]:
    """``matchGlob``: ``**`` crosses ``/``, ``*`` and ``?`` do not, ``[...]`` and ``{a,b}``."""
    out, i = [], 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = glob.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                out.append("[" + glob[i + 1 : end].replace("!", "^", 1) + "]")
                i = end
        elif char == "{":
            end = glob.find("}", i + 1)
            options = glob[i + 1 : end].split(",") if end > 0 else []
            out.append("(?:" + "|".join(re.escape(o) for o in options) + ")" if options else "\\{")
            i = end if end > 0 else i
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


NO_CONDITIONS = Conditions()
