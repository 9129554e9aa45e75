"""``sluice models list|show`` over a store holding registered models."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sluice.cli.main import app
from sluice.config import Settings
from sluice.service.models import ModelService, NewVersion
from sluice.service.stores import open_store

LOCATION = "projects/p/locations/us-central1"


def _version(name: str, **changes: object) -> NewVersion:
    fields: dict[str, object] = {
        "display_name": name,
        "description": None,
        "version_description": None,
        "artifact_uri": "gs://bucket/model",
        "container_spec": {"imageUri": "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3"},
        "labels": {"team": "ml"},
        "aliases": ["default"],
        "is_default": True,
    }
    fields.update(changes)
    return NewVersion(**fields)  # type: ignore[arg-type]


def _register(home: Path) -> str:
    service = ModelService(open_store(Settings.from_env(home=home)))
    first = service.upload(LOCATION, _version("churn"))
    service.upload(
        LOCATION,
        _version("churn", aliases=["candidate"], is_default=False),
        parent_model=first.model_id,
    )
    return first.model_id


def test_list_and_show(sluice_home: Path) -> None:
    model_id = _register(sluice_home)
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{LOCATION}/models/{model_id}" in listed.stdout
    assert "churn" in listed.stdout

    data = json.loads(runner.invoke(app, ["models", "list", "--json"]).stdout)
    assert [(d["display_name"], d["versions"], d["version_id"]) for d in data] == [
        ("churn", 2, "1")
    ]

    shown = runner.invoke(app, ["models", "show", f"{model_id}@candidate"])
    assert shown.exit_code == 0, shown.output
    assert f"models/{model_id}@2" in shown.stdout
    assert "candidate" in shown.stdout
    assert "team=ml" in shown.stdout
    both = json.loads(runner.invoke(app, ["models", "show", model_id, "--json"]).stdout)
    assert [v["version_id"] for v in both] == ["1", "2"]


def test_an_unknown_model_is_one_line_and_exit_2(sluice_home: Path) -> None:
    result = CliRunner().invoke(app, ["models", "show", "nope"])
    assert result.exit_code == 2
    assert "no model nope" in result.output
    assert "Traceback" not in result.output
