"""Build hook: the wheel and the sdist carry the built web UI (``src/sluice/server/ui_dist``).

Everything else about the package is in ``pyproject.toml``. Building from a checkout (``pip
install .``, ``pip wheel .``, ``python -m build``) first builds ``ui/`` with npm when the build is
missing or older than its sources, exactly as ``make ui`` does; without npm it warns and the
package still serves the API (``/`` then says how to build the UI). An sdist has no ``ui/``:
it carries the built app instead, so building a wheel from it needs no Node.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
UI = ROOT / "ui"
DIST_INDEX = ROOT / "src" / "sluice" / "server" / "ui_dist" / "index.html"
# The same inputs as the Makefile's UI_SOURCES (and its lockfile): a change to any of them
# rebuilds the UI here too.
UI_INPUTS = (
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
)


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in UI_INPUTS:
        path = UI / name
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                newest = max(newest, file.stat().st_mtime)
    return newest


def build_ui() -> None:
    """Build ``ui/`` into the package unless the build is already current."""
    if not (UI / "package.json").is_file():
        return  # an sdist: the built app came with it
    if DIST_INDEX.is_file() and DIST_INDEX.stat().st_mtime >= _newest_source_mtime():
        return
    npm = shutil.which("npm")
    if npm is None:
        print(
            "warning: npm not found, so this package has no web UI; install Node.js >= 20.19 "
            "and rebuild (the API works without it)",
            file=sys.stderr,
        )
        return
    lock = UI / "node_modules" / ".package-lock.json"
    if not lock.is_file() or lock.stat().st_mtime < (UI / "package-lock.json").stat().st_mtime:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=UI, check=True
        )
    subprocess.run([npm, "run", "build", "--silent"], cwd=UI, check=True)


class BuildPyWithUI(build_py):
    """``build_py`` that builds the web UI first, so the wheel's package data holds it."""

    def run(self) -> None:
        build_ui()
        super().run()


class SdistWithUI(sdist):
    """``sdist`` that builds the web UI first, so the archive carries it (MANIFEST.in)."""

    def run(self) -> None:
        build_ui()
        super().run()


setup(cmdclass={"build_py": BuildPyWithUI, "sdist": SdistWithUI})
