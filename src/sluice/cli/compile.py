"""``sluice compile``: write a pipeline's IR exactly as ``kfp.compiler`` does."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from sluice.cli.common import cli_errors
from sluice.errors import UserInputError


@cli_errors
def compile_command(
    pipeline: Annotated[
        str,
        typer.Argument(
            metavar="PIPELINE",
            help="A .py file defining a pipeline (or a compiled pipeline / component YAML).",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to write the YAML (default: standard output).",
        ),
    ] = None,
    pipeline_name: Annotated[
        str | None,
        typer.Option(
            "--pipeline", metavar="NAME", help="Which pipeline of a .py file that defines several."
        ),
    ] = None,
) -> None:
    """Compile a pipeline to KFP IR YAML that Vertex AI and Kubeflow accept."""
    # kfp's own writer, so the bytes are what `kfp.compiler.Compiler().compile` produces
    # (header comment, key order, the platform spec as a second document).
    from kfp.compiler import pipeline_spec_builder
    from kfp.pipeline_spec import pipeline_spec_pb2

    from sluice.spec.loader import load_pipeline

    # The warning about a component's default base_image matters here: the IR written
    # names that image, and Vertex or Kubeflow will run it.
    loaded = load_pipeline(pipeline, pipeline_name=pipeline_name, warn_default_base_image=True)
    platform = loaded.platform_spec or pipeline_spec_pb2.PlatformSpec()
    description = loaded.spec.pipeline_info.description or None
    if output is None:
        with tempfile.TemporaryDirectory(prefix="sluice-compile-") as tmp:
            target = Path(tmp) / "pipeline.yaml"
            pipeline_spec_builder.write_pipeline_spec_to_file(
                loaded.spec, description, platform, str(target)
            )
            sys.stdout.write(target.read_text(encoding="utf-8"))
        return
    if output.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise UserInputError(f"cannot write {output}: the output must end in .yaml or .yml")
    if output.parent and not output.parent.is_dir():
        raise UserInputError(f"cannot write {output}: no directory {output.parent}")
    pipeline_spec_builder.write_pipeline_spec_to_file(
        loaded.spec, description, platform, str(output)
    )
    typer.echo(f"wrote {output} (pipeline {loaded.name})", err=True)
