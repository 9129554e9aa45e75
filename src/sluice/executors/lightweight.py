"""Recognising the KFP lightweight-Python launcher so its pip prelude can be skipped.

A ``@dsl.component`` compiles to ``sh -c <prelude> sh -ec <launcher> <source> <args...>``: the
prelude pip-installs ``packages_to_install`` and ``kfp==X --no-deps`` (about 0.4 s even when
everything is present), then ``exec``s the launcher, which writes ``<source>`` to
``ephemeral_component.py`` and runs ``python3 -m kfp.dsl.executor_main`` on it. We parse both
scripts with a shell tokenizer (so whitespace and quoting variants do not matter) and accept only
the commands the KFP SDK generates; anything else is left alone and runs verbatim, which is
always correct, just slower.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

__all__ = [
    "LightweightCommand",
    "host_kfp_available",
    "is_kfp_requirement",
    "strip_lightweight_prelude",
    "unsatisfied_requirements",
]

_PUNCTUATION = ";&|\n"
_SHELLS = {"sh", "bash", "dash", "ash", "zsh"}
# pip options that take a value, in long and short spelling. Options outside these two sets make
# the prelude unrecognised (we cannot know whether they consume the next word).
_VALUE_OPTIONS = {
    "--index-url": "index",
    "-i": "index",
    "--extra-index-url": "extra",
    "--trusted-host": "trusted",
    "--find-links": "links",
    "-f": "links",
    "--progress-bar": None,
    "--timeout": None,
    "--retries": None,
    "--cache-dir": None,
    "--log": None,
}
_FLAG_OPTIONS = {
    "--quiet",
    "-q",
    "-qq",
    "--verbose",
    "-v",
    "--no-warn-script-location",
    "--no-deps",
    "--upgrade",
    "-U",
    "--pre",
    "--no-cache-dir",
    "--disable-pip-version-check",
    "--no-input",
    "--force-reinstall",
    "--ignore-installed",
    "--user",
    "--break-system-packages",
    "--prefer-binary",
    "--no-color",
}
_EXECUTOR_MODULE_RE = re.compile(r"^kfp(\.[A-Za-z_]\w*)*\.executor_main$")
_ENSUREPIP_BLOCK_RE = re.compile(
    r"\bif\s+!\s*\[\s+-x\s+\"\$\(command -v pip\)\"\s*\]\s*;\s*then\b.*?\bfi\b", re.S
)
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_]\w*=")
_MKTEMP_RE = re.compile(r"\$\(\s*mktemp\s+-d\s*\)")


@dataclass(frozen=True)
class LightweightCommand:
    """A recognised lightweight-Python component command, prelude taken apart.

    Attributes:
        packages: the ``packages_to_install`` requirement strings (kfp's own install excluded).
        kfp_packages: what the prelude installs to get kfp (``kfp==X``, or a kfp source URL).
        index_url: ``--index-url`` of the pip commands, if any.
        extra_index_urls: ``--extra-index-url`` values, in order.
        trusted_hosts: ``--trusted-host`` values.
        find_links: ``--find-links`` values.
        source: the component's Python source (written to ``ephemeral_component.py``).
        module: the executor module the launcher runs (``kfp.dsl.executor_main``).
        args: the arguments after the source: ``--executor_input <json> --function_to_execute f``.
    """

    packages: tuple[str, ...]
    kfp_packages: tuple[str, ...]
    index_url: str | None
    extra_index_urls: tuple[str, ...]
    trusted_hosts: tuple[str, ...]
    find_links: tuple[str, ...]
    source: str
    module: str
    args: tuple[str, ...]

    @property
    def index_urls(self) -> tuple[str, ...]:
        """All package indexes, the primary one first."""
        return ((self.index_url,) if self.index_url else ()) + self.extra_index_urls

    @property
    def function_name(self) -> str | None:
        """The value of ``--function_to_execute``, if present."""
        for i, arg in enumerate(self.args[:-1]):
            if arg == "--function_to_execute":
                return self.args[i + 1]
        return None


@dataclass
class _PipInstall:
    requirements: list[str]
    no_deps: bool
    index_url: str | None
    extra_index_urls: list[str]
    trusted_hosts: list[str]
    find_links: list[str]


def _simple_commands(script: str) -> list[list[str]] | None:
    """Split a shell script into simple commands (word lists); None if it does not tokenize."""
    # `dir=$(mktemp -d)` is the only command substitution the SDK emits outside quotes; make it
    # one word so the assignment is recognised as such.
    script = _MKTEMP_RE.sub("__mktemp__", script)
    lexer = shlex.shlex(script, posix=True, punctuation_chars=_PUNCTUATION)
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    try:
        for token in lexer:
            if token and all(c in _PUNCTUATION for c in token):
                commands.append([])
            else:
                commands[-1].append(token)
    except ValueError:  # unbalanced quotes
        return None
    return [c for c in commands if c]


def _strip_assignments(words: list[str]) -> list[str]:
    """Drop leading ``VAR=value`` words (``PIP_DISABLE_PIP_VERSION_CHECK=1 python3 ...``)."""
    i = 0
    while i < len(words) and _ASSIGNMENT_RE.match(words[i]):
        i += 1
    return words[i:]


def _parse_pip_install(words: list[str]) -> _PipInstall | None:
    """Parse the words after ``pip install``; None on an option we do not understand."""
    result = _PipInstall([], False, None, [], [], [])
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, inline = word.partition("=")
        if word.startswith("-") and (name in _VALUE_OPTIONS or word in _VALUE_OPTIONS):
            key = name if eq else word
            if eq:
                value = inline
            elif i + 1 < len(words):
                value = words[i + 1]
                i += 1
            else:
                return None
            kind = _VALUE_OPTIONS[key]
            if kind == "index":
                result.index_url = value
            elif kind == "extra":
                result.extra_index_urls.append(value)
            elif kind == "trusted":
                result.trusted_hosts.append(value)
            elif kind == "links":
                result.find_links.append(value)
        elif word in _FLAG_OPTIONS:
            result.no_deps = result.no_deps or word == "--no-deps"
        elif word.startswith("-"):
            return None  # -r, -e, -c, --target ... change what gets installed or where
        else:
            result.requirements.append(word)
        i += 1
    return result


def _pip_install_words(words: list[str]) -> list[str] | None:
    """The words after ``pip install`` if this simple command is a pip install, else None."""
    for i in range(len(words) - 1):
        if re.fullmatch(r"pip(3(\.\d+)?)?", os.path.basename(words[i])) and (
            words[i + 1] == "install"
        ):
            return words[i + 2 :]
    return None


def _is_benign(words: list[str]) -> bool:
    """Prelude commands that do not change what the component sees on our host."""
    if not words:
        return True
    if words[0] == "export" and all(_ASSIGNMENT_RE.match(w) for w in words[1:]):
        return True
    if words[0] in (".", "source") and len(words) == 2 and words[1].endswith("/bin/activate"):
        return True  # kfp's use_venv: activates a throwaway venv with system site packages
    return "-m" in words and words[words.index("-m") + 1 :][:1] == ["venv"]


@functools.lru_cache(maxsize=256)
def is_kfp_requirement(requirement: str) -> bool:
    """Whether a requirement names kfp itself (``kfp==X``, or a URL/path of kfp's source).

    Cached: every task of a component asks about the same requirement, and parsing it is
    most of what a task's prelude check costs.
    """
    try:
        return canonicalize_name(Requirement(requirement).name) == "kfp"
    except InvalidRequirement:
        lowered = requirement.lower()
        return "kubeflow/pipelines" in lowered or "kfp" in os.path.basename(lowered)


# Every task of a component carries the same prelude and launcher scripts (only the arguments
# after them differ), and tokenizing them costs about 0.3 ms a task: parse each script once.
# The cached results are tuples of parses nobody mutates.
_PARSE_CACHE_SIZE = 256


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse_prelude(prelude: str) -> tuple[_PipInstall, ...] | None:
    """The pip installs of a KFP prelude, or None if it contains anything else."""
    commands = _simple_commands(_ENSUREPIP_BLOCK_RE.sub("\n", prelude))
    if commands is None or not commands:
        return None
    if commands[-1] != ["$0", "$@"]:
        return None
    installs: list[_PipInstall] = []
    for words in commands[:-1]:
        words = _strip_assignments(words)
        pip_words = _pip_install_words(words)
        if pip_words is not None:
            parsed = _parse_pip_install(pip_words)
            if parsed is None:
                return None
            installs.append(parsed)
        elif not _is_benign(words):
            return None
    return tuple(installs)


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse_launcher(launcher: str) -> str | None:
    """The executor module a KFP launcher script runs, or None if it is not one."""
    commands = _simple_commands(launcher)
    if commands is None:
        return None
    module: str | None = None
    wrote_source = False
    for words in commands:
        words = _strip_assignments(words)
        if not words:
            continue
        if words[0] == "printf" and words[1:3] == ["%s", "$0"]:
            target = "".join(words[3:])  # `> file` or `>file`
            wrote_source = target.startswith(">") and target.endswith(".py")
        elif "-m" in words and words[-1] == "$@":
            candidate = words[words.index("-m") + 1 : words.index("-m") + 2]
            if not candidate or not _EXECUTOR_MODULE_RE.match(candidate[0]):
                return None
            module = candidate[0]
        else:
            return None
    return module if wrote_source else None


def _split_shell_call(command: list[str], start: int) -> tuple[str, int] | None:
    """For ``sh -ec <script> ...`` at ``start``, the script and the index of its ``$0``."""
    if len(command) < start + 3 or os.path.basename(command[start]) not in _SHELLS:
        return None
    flags = command[start + 1]
    if not (flags.startswith("-") and flags.endswith("c") and set(flags[1:]) <= set("ecxu")):
        return None
    return command[start + 2], start + 3


def strip_lightweight_prelude(command: list[str]) -> LightweightCommand | None:
    """Take a resolved lightweight-component command apart; None if it is not one.

    Accepts ``sh -c <pip prelude> sh -ec <launcher> <source> <args...>`` and, for
    ``install_kfp_package=False`` without packages, ``sh -ec <launcher> <source> <args...>``.
    """
    outer = _split_shell_call(command, 0)
    if outer is None:
        return None
    installs: list[_PipInstall] = []
    launcher_at = 0
    if "executor_main" not in outer[0]:
        parsed = _parse_prelude(outer[0])
        if parsed is None:
            return None
        installs = list(parsed)
        launcher_at = outer[1]
    inner = _split_shell_call(command, launcher_at)
    if inner is None or len(command) <= inner[1]:
        return None
    module = _parse_launcher(inner[0])
    if module is None:
        return None
    # The SDK installs packages_to_install first and kfp last, in separate pip commands; a lone
    # install is kfp's when it is `kfp==X --no-deps` or a kfp source URL (kfp_package_path).
    kfp_install: _PipInstall | None = None
    if len(installs) >= 2 or (
        len(installs) == 1
        and installs[0].requirements
        and is_kfp_requirement(installs[0].requirements[0])
        and (installs[0].no_deps or len(installs[0].requirements) == 1)
    ):
        kfp_install = installs.pop()
    everything = [*installs, *([kfp_install] if kfp_install else [])]
    return LightweightCommand(
        packages=tuple(r for i in installs for r in i.requirements),
        kfp_packages=tuple(kfp_install.requirements) if kfp_install else (),
        index_url=next((i.index_url for i in everything if i.index_url), None),
        extra_index_urls=_unique(u for i in everything for u in i.extra_index_urls),
        trusted_hosts=_unique(h for i in everything for h in i.trusted_hosts),
        find_links=_unique(f for i in everything for f in i.find_links),
        source=command[inner[1]],
        module=module,
        args=tuple(command[inner[1] + 1 :]),
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """``values`` without repeats, first occurrence kept."""
    return tuple(dict.fromkeys(values))


@functools.cache
def host_kfp_available() -> bool:
    """Whether this interpreter can import a kfp 2.x (any 2.x runs any 2.x component)."""
    if importlib.util.find_spec("kfp") is None:
        return False
    try:
        return importlib.metadata.version("kfp").startswith("2.")
    except importlib.metadata.PackageNotFoundError:
        return False


def _satisfied(requirement: str, kfp_ok: bool) -> bool:
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return False  # git+https://..., a local path: we cannot tell what it would install
    if req.url:
        return False
    if req.marker is not None and not req.marker.evaluate():
        return True  # e.g. typing-extensions; python_version<"3.9": pip would skip it too
    name = canonicalize_name(req.name)
    if name == "kfp":
        return kfp_ok
    try:
        dist = importlib.metadata.distribution(req.name)
    except importlib.metadata.PackageNotFoundError:
        return False
    if not req.specifier.contains(dist.version, prereleases=True):
        return False
    # An extra is satisfied when the distributions it pulls in are (one level deep).
    for extra in req.extras:
        for dep in dist.requires or []:
            dep_req = Requirement(dep)
            if dep_req.marker is not None and dep_req.marker.evaluate({"extra": extra}):
                dep_req.marker = None
                if not _satisfied(str(dep_req), kfp_ok):
                    return False
    return True


def unsatisfied_requirements(requirements: tuple[str, ...] | list[str]) -> list[str]:
    """The requirements the current environment does not satisfy (name, version, extras).

    A ``kfp`` requirement counts as satisfied by any importable kfp 2.x; URL and path
    requirements never count as satisfied.
    """
    kfp_ok = host_kfp_available()
    return [r for r in requirements if not _satisfied(r, kfp_ok)]
