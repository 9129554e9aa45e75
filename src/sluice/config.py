"""Settings, read from the environment when they are needed (not at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where Sluice keeps its state.

    Attributes:
        home: ``$SLUICE_HOME`` (default ``~/.sluice``).
        db_url: ``$SLUICE_DB_URL`` (default SQLite at ``home/sluice.db``).
        executor: the executor of runs that do not name one (``$SLUICE_EXECUTOR``, default
            ``local``; ``sluice server --executor``); see :mod:`sluice.executors`.
        ray_address: the Ray cluster of the ``ray`` executor (``$SLUICE_RAY_ADDRESS``,
            ``--ray-address``; None: ``$RAY_ADDRESS``, else a Ray instance of the process's
            own); see docs/scale.md.
        gpus: the GPUs the ``local`` executor hands to tasks (``$SLUICE_GPUS``, ``--gpus``:
            ``0,1,2,3``, ``none``, ``all``; None: detected); see :mod:`sluice.devices`.
    """

    home: Path
    db_url: str
    executor: str = "local"
    ray_address: str | None = None
    gpus: str | None = None

    @classmethod
    def from_env(
        cls,
        *,
        home: str | os.PathLike[str] | None = None,
        db_url: str | None = None,
        executor: str | None = None,
        ray_address: str | None = None,
        gpus: str | None = None,
    ) -> Settings:
        """Settings from arguments, else the environment, else the defaults."""
        home_path = Path(home or os.environ.get("SLUICE_HOME") or Path.home() / ".sluice")
        home_path = home_path.expanduser().resolve()
        url = db_url or os.environ.get("SLUICE_DB_URL") or f"sqlite:///{home_path / 'sluice.db'}"
        name = executor or os.environ.get("SLUICE_EXECUTOR") or "local"
        ray = ray_address or os.environ.get("SLUICE_RAY_ADDRESS") or None
        declared = gpus if gpus is not None else os.environ.get("SLUICE_GPUS")
        return cls(home=home_path, db_url=url, executor=name, ray_address=ray, gpus=declared)

    @property
    def artifacts_dir(self) -> Path:
        """Default pipeline root."""
        return self.home / "artifacts"

    @property
    def runs_dir(self) -> Path:
        """Per-run working files: attempt logs, parameter output files."""
        return self.home / "runs"

    @property
    def venvs_dir(self) -> Path:
        """Cached virtualenvs for ``packages_to_install`` the host lacks."""
        return self.home / "venvs"
