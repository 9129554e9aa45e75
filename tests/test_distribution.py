"""The sdist and the wheel carry the built web UI (setup.py's hook, MANIFEST.in).

``make setup`` builds ``ui/`` into ``src/sluice/server/ui_dist``; a user who installs the
package from an sdist or a wheel has no Node.js and must still get the app at ``/``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILT_INDEX = ROOT / "src" / "sluice" / "server" / "ui_dist" / "index.html"
SKIP = shutil.ignore_patterns(".git", ".venv", "node_modules", "*.egg-info", "build", "dist")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not BUILT_INDEX.is_file():
        pytest.fail("the web UI is not built: run `make setup` first")
    tree = tmp_path_factory.mktemp("tree") / "sluice"
    shutil.copytree(ROOT, tree, ignore=SKIP)  # copy2 keeps mtimes: the build stays current
    out = tree / "dist"
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from setuptools import build_meta; build_meta.build_sdist({str(out)!r})",
        ],
        cwd=tree,
        check=True,
        capture_output=True,
    )
    (archive,) = out.glob("sluice-*.tar.gz")
    return archive


def test_the_sdist_carries_the_built_ui_and_not_its_sources(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(n.endswith("src/sluice/server/ui_dist/index.html") for n in names), names[:20]
    assert any("/src/sluice/server/ui_dist/assets/" in n and n.endswith(".js") for n in names)
    assert not any("/ui/node_modules/" in n for n in names)


def test_a_wheel_built_from_the_sdist_serves_the_ui(sdist: Path, tmp_path: Path) -> None:
    # From the sdist there is no ui/ to build and no npm is needed: the built app travels.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(sdist),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("sluice-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        index = archive.read("sluice/server/ui_dist/index.html").decode()
    assert "sluice/server/ui_static.py" in names
    assets = [n for n in names if n.startswith("sluice/server/ui_dist/assets/")]
    assert any(n.endswith(".js") for n in assets)
    # index.html names the hashed entry bundle that ships beside it.
    assert any(Path(n).name in index for n in assets if n.endswith(".js"))
