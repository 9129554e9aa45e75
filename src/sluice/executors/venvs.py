"""A cache of virtualenvs, one per set of ``packages_to_install`` that the host lacks.

Each venv sees the host's site-packages (``--system-site-packages``), so kfp and everything
already installed stay importable and only the missing packages get installed. A venv is keyed
by a hash of the sorted requirements, the package indexes and the interpreter; it is built once,
under a file lock shared by concurrent tasks and concurrent runs, and marked ready only when the
install succeeded.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import site
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sluice.executors.processes import run_logged

__all__ = ["VenvCache", "VenvSpec", "find_uv"]

_READY = ".sluice-ready"


@dataclass(frozen=True)
class VenvSpec:
    """What goes into one cached venv.

    Attributes:
        requirements: pip requirement strings to install.
        index_url: primary package index, if not the default.
        extra_index_urls: additional package indexes.
        trusted_hosts: hosts allowed over plain HTTP / bad TLS.
        find_links: extra wheel locations.
    """

    requirements: tuple[str, ...]
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()

    def key(self) -> str:
        """Hex digest identifying the venv: requirements (sorted), indexes, the interpreter."""
        payload = {
            "requirements": sorted(self.requirements),
            "index_url": self.index_url,
            "extra_index_urls": list(self.extra_index_urls),
            "trusted_hosts": sorted(self.trusted_hosts),
            "find_links": list(self.find_links),
            "python": [sys.implementation.name, list(sys.version_info[:3]), sys.executable],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def find_uv() -> str | None:
    """The ``uv`` binary of the ``uv`` PyPI package (or on PATH), or None."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


@dataclass(frozen=True)
class VenvResult:
    """The outcome of :meth:`VenvCache.ensure`.

    Attributes:
        python: the venv's interpreter, or None when the build failed.
        exit_code: 0, or the exit code of the failed venv/install command.
    """

    python: Path | None
    exit_code: int


class VenvCache:
    """Builds and reuses venvs under ``root`` (``$SLUICE_HOME/venvs``).

    Args:
        root: directory holding one subdirectory per venv.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    def path_for(self, spec: VenvSpec) -> Path:
        """The directory of ``spec``'s venv (it may not exist yet)."""
        return self.root / spec.key()[:16]

    @staticmethod
    def python_of(venv: Path) -> Path:
        """The interpreter inside a venv."""
        return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

    async def ensure(self, spec: VenvSpec, *, log_path: Path, env: dict[str, str]) -> VenvResult:
        """Return the ready venv for ``spec``, building it first if needed.

        Output of a build goes to ``log_path``. Concurrent callers, in this process or others,
        wait for one build. A failed build is removed, so the next attempt tries again.
        """
        venv = self.path_for(spec)
        if (venv / _READY).exists():
            return VenvResult(self.python_of(venv), 0)
        key = (id(asyncio.get_running_loop()), venv.name)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock, _file_lock(self.root / f"{venv.name}.lock"):
            if (venv / _READY).exists():
                return VenvResult(self.python_of(venv), 0)
            return await self._build(spec, venv, log_path=log_path, env=env)

    async def _build(
        self, spec: VenvSpec, venv: Path, *, log_path: Path, env: dict[str, str]
    ) -> VenvResult:
        if venv.exists():
            shutil.rmtree(venv)  # leftovers of an interrupted or failed build
        uv = find_uv()
        python = self.python_of(venv)
        if uv is not None:
            create = [uv, "venv", "--quiet", "--system-site-packages"]
            create += ["--python", sys.executable, str(venv)]
            install = [uv, "pip", "install", "--python", str(python), *_uv_index_options(spec)]
        else:
            create = [sys.executable, "-m", "venv", "--system-site-packages", str(venv)]
            install = [str(python), "-m", "pip", "install", "--quiet", "--no-warn-script-location"]
            install += _pip_index_options(spec)
        install += list(spec.requirements)
        build_env = dict(env)
        build_env.pop("VIRTUAL_ENV", None)  # uv would otherwise prefer an activated venv
        build_env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        ok = False
        try:
            code = await run_logged(create, cwd=self.root, env=build_env, log_path=log_path)
            if code != 0:
                return VenvResult(None, code)
            _see_outer_venv(venv)
            code = await run_logged(install, cwd=self.root, env=build_env, log_path=log_path)
            if code != 0:
                return VenvResult(None, code)
            (venv / _READY).write_text(json.dumps({"requirements": list(spec.requirements)}))
            ok = True
            return VenvResult(python, 0)
        finally:
            if not ok:
                shutil.rmtree(venv, ignore_errors=True)


def _see_outer_venv(venv: Path) -> None:
    """Make the packages of the venv Sluice itself runs in visible in ``venv``.

    ``--system-site-packages`` only reaches the *base* interpreter's site-packages; when Sluice
    runs from a virtualenv, kfp and the user's packages live in that venv instead. A ``.pth``
    file adds them after the new venv's own packages (``site.addsitedir`` so their ``.pth``
    files, e.g. editable installs, are honoured too).
    """
    if sys.prefix == sys.base_prefix:
        return
    base = Path(sys.base_prefix).resolve()
    outer = [d for d in site.getsitepackages() if not Path(d).resolve().is_relative_to(base)]
    for site_packages in venv.glob("lib/python*/site-packages"):
        lines = [f"import site; site.addsitedir({d!r})\n" for d in outer]
        (site_packages / "_sluice_outer_venv.pth").write_text("".join(lines))


def _uv_index_options(spec: VenvSpec) -> list[str]:
    options: list[str] = []
    if spec.index_url:
        options += ["--index-url", spec.index_url]
    for url in spec.extra_index_urls:
        options += ["--extra-index-url", url]
    if spec.extra_index_urls:
        # pip picks the best version across all indexes; uv's default stops at the first one.
        options += ["--index-strategy", "unsafe-best-match"]
    for host in spec.trusted_hosts:
        options += ["--allow-insecure-host", host]
    for link in spec.find_links:
        options += ["--find-links", link]
    return options


def _pip_index_options(spec: VenvSpec) -> list[str]:
    options: list[str] = []
    if spec.index_url:
        options += ["--index-url", spec.index_url]
    for url in spec.extra_index_urls:
        options += ["--extra-index-url", url]
    for host in spec.trusted_hosts:
        options += ["--trusted-host", host]
    for link in spec.find_links:
        options += ["--find-links", link]
    return options


@contextlib.asynccontextmanager
async def _file_lock(path: Path) -> AsyncIterator[None]:
    """An exclusive ``flock`` on ``path``, polled so the event loop is never blocked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the fd releases the lock
