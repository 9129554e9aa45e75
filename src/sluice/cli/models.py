"""``sluice models list|show``: the Model Registry of the store, read back.

Models are registered through the Vertex AI API of ``sluice server``
(``aiplatform.Model.upload``); these commands read the same store, every location at once.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from sluice.cli.common import cli_errors, format_time, make_console

models_app = typer.Typer(help="List and inspect registered models.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _service() -> Any:
    from sluice.config import Settings
    from sluice.service.models import ModelService
    from sluice.service.stores import open_store

    return ModelService(open_store(Settings.from_env()))


def _deployments() -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for d in _service().deployments():
        route = str(d.model.container_spec.get("predictRoute") or "/predict")
        out.setdefault(d.model.id, []).append(
            {
                "endpoint": f"{d.endpoint.location}/endpoints/{d.endpoint.endpoint_id}",
                "deployed_model_id": str(d.deployed.id),
                "traffic": int(d.endpoint.traffic_split.get(str(d.deployed.id), 0)),
                "url": f"http://127.0.0.1:{d.deployed.port}{route}" if d.deployed.port else None,
            }
        )
    return out


def _version_dict(row: Any, deployed: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "name": f"{row.location}/models/{row.model_id}",
        "version_id": str(row.version_id),
        "aliases": list(row.version_aliases),
        "display_name": row.display_name,
        "description": row.description,
        "artifact_uri": row.artifact_uri,
        "image": row.container_spec.get("imageUri"),
        "labels": dict(row.labels),
        "created": format_time(row.created_at),
        "metadata_artifact": row.artifact_id,
        "source_artifact": row.source_artifact_id,
        "deployments": deployed.get(row.id, []),
    }


@models_app.command("list")
@cli_errors
def list_models_command(json_out: JsonOption = False) -> None:
    """List registered models: one line per model, with its default version."""
    rows = _service().everywhere()
    deployed = _deployments()
    by_model: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        by_model.setdefault((row.location, row.model_id), []).append(row)
    entries = []
    for versions in by_model.values():
        default = next((v for v in versions if "default" in v.version_aliases), versions[-1])
        entry = _version_dict(default, deployed)
        entry["versions"] = len(versions)
        entry["deployed"] = sum(len(deployed.get(v.id, [])) for v in versions)
        entries.append(entry)
    console = make_console()
    if json_out:
        console.print_json(json.dumps(entries))
        return
    if not entries:
        console.print("no models registered (aiplatform.Model.upload registers one)")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("MODEL", "DISPLAY NAME", "VERSIONS", "DEFAULT", "DEPLOYED", "ARTIFACT URI"):
        table.add_column(column, no_wrap=True)
    for e in entries:
        table.add_row(
            e["name"],
            e["display_name"],
            str(e["versions"]),
            e["version_id"],
            str(e["deployed"]),
            e["artifact_uri"],
        )
    console.print(table)


@models_app.command("show")
@cli_errors
def show_model_command(
    model: Annotated[
        str, typer.Argument(help="The model: its id or resource name, with @version or @alias.")
    ],
    json_out: JsonOption = False,
) -> None:
    """Show a model's versions, aliases, labels, files and deployments."""
    from sluice.errors import NotFoundError
    from sluice.service.models import split_name

    model_id, version = split_name(model)
    location = model.split("/models/", 1)[0] if "/models/" in model else None
    rows = [
        r
        for r in _service().everywhere()
        if r.model_id == model_id and (location is None or r.location == location)
    ]
    if version is not None:
        rows = [r for r in rows if str(r.version_id) == version or version in r.version_aliases]
    if not rows:
        raise NotFoundError(f"no model {model} is registered (sluice models list shows them)")
    deployed = _deployments()
    entries = [_version_dict(r, deployed) for r in rows]
    console = make_console()
    if json_out:
        console.print_json(json.dumps(entries))
        return
    for e in entries:
        aliases = ", ".join(e["aliases"]) or "-"
        console.print(f"[bold]{e['name']}@{e['version_id']}[/bold]  {e['display_name']}")
        console.print(f"  aliases:   {aliases}")
        console.print(f"  created:   {e['created']}")
        console.print(f"  files:     {e['artifact_uri']}")
        console.print(f"  image:     {e['image'] or '-'}")
        if e["labels"]:
            labels = ", ".join(f"{k}={v}" for k, v in e["labels"].items())
            console.print(f"  labels:    {labels}")
        if e["description"]:
            console.print(f"  about:     {e['description']}")
        if e["source_artifact"] is not None:
            console.print(f"  trained:   artifact {e['source_artifact']} of a pipeline run")
        for d in e["deployments"]:
            console.print(
                f"  deployed:  {d['endpoint']} (deployed model {d['deployed_model_id']}, "
                f"{d['traffic']}% of traffic) at {d['url'] or '-'}"
            )
