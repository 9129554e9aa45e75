"""The part of the app's OpenAPI document the web UI is typed from.

``ui/openapi.json`` holds the ``/apis/sluice/v1`` paths and the schemas they reference, and
``npm run api`` turns it into ``ui/src/api/schema.d.ts``; both are committed, and
``tests/server/ui_api/test_openapi_types.py`` fails when they are stale (run
``make ui-api``). Only the UI's own API is kept, so a change to another API (KFP's,
Vertex's) does not make the UI's types stale.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from sluice.server.ui_api import PREFIX


def _refs(value: Any) -> set[str]:
    """The schema names ``value`` references (``#/components/schemas/<name>``)."""
    if isinstance(value, dict):
        found = set()
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for item in value.values():
            found |= _refs(item)
        return found
    if isinstance(value, list):
        return set().union(*(_refs(item) for item in value)) if value else set()
    return set()


def ui_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` cut down to the UI API's paths and the schemas they need."""
    paths = {path: item for path, item in document["paths"].items() if path.startswith(PREFIX)}
    schemas = document.get("components", {}).get("schemas", {})
    wanted: set[str] = set()
    todo = _refs(paths)
    while todo:
        name = todo.pop()
        if name in wanted or name not in schemas:
            continue
        wanted.add(name)
        todo |= _refs(schemas[name])
    return {
        "openapi": document["openapi"],
        "info": {"title": "Sluice web UI API", "version": "v1"},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {name: schemas[name] for name in sorted(wanted)}},
    }


def render() -> str:
    """The UI's OpenAPI document of an API-only app, as ``ui/openapi.json`` holds it."""
    import tempfile
    from pathlib import Path

    from sluice.config import Settings
    from sluice.server.app import create_app
    from sluice.server.config import ServerConfig

    with tempfile.TemporaryDirectory() as home:
        settings = Settings.from_env(home=Path(home), db_url=None)
        app = create_app(ServerConfig(settings=settings, background=False, token=None))
        return json.dumps(ui_openapi(app.openapi()), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m sluice.server.ui_api.openapi > ui/openapi.json
    sys.stdout.write(render())
