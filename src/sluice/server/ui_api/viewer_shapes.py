"""The JSON shapes of the viewer and compare calls (N7, N8) of ``/apis/sluice/v1``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class DirectoryEntryView(BaseModel):
    """A file or directory inside a directory artifact."""

    path: str = Field(description="Relative to the artifact's directory, '/'-separated.")
    size: int | None = Field(description="Bytes; null for a directory.")
    is_dir: bool


class ArtifactPreview(BaseModel):
    """The head of an artifact's content, as a viewer shows it.

    ``kind`` says which fields are filled: ``table`` (columns, column_types, rows),
    ``text`` (text), ``directory`` (entries), ``image`` (load ``:content``), ``binary``
    (size only: download it), ``missing`` (nothing at the uri yet).
    """

    artifact_id: int
    name: str
    schema_title: str
    uri: str
    metadata: dict[str, Any]
    kind: Literal["table", "image", "text", "directory", "binary", "missing"]
    content_type: str
    size: int | None = Field(description="The file's size in bytes (null for a directory).")
    columns: list[str]
    column_types: list[Literal["number", "boolean", "string"]]
    rows: list[list[Any]]
    text: str | None
    entries: list[DirectoryEntryView]
    truncated: bool = Field(description="The artifact holds more than is shown.")
    note: str | None


class ComparedRunView(BaseModel):
    """A run's column in a comparison."""

    run_id: str
    display_name: str
    pipeline_name: str
    state: str
    created_at: str | None


class CompareRow(BaseModel):
    """One parameter, metric or output across the runs (values in the runs' order; null
    where a run lacks it)."""

    name: str
    values: list[Any]
    differs: bool = Field(description="Some run lacks it, or two runs' values differ.")


class VisualArtifactView(BaseModel):
    """An artifact a viewer shows; the same ``key`` in two runs lines them up."""

    run_id: str
    key: str = Field(description="<task path>.<output name>")
    task_path: str
    output: str
    artifact_id: int | None
    name: str
    schema_title: str
    uri: str
    metadata: dict[str, Any]


class Comparison(BaseModel):
    """Runs side by side: what ``sluice compare`` computes, plus the viewers' artifacts."""

    runs: list[ComparedRunView]
    parameters: list[CompareRow]
    metrics: list[CompareRow]
    outputs: list[CompareRow]
    artifacts: list[VisualArtifactView] = Field(
        description=(
            "Metrics, ClassificationMetrics (KFP's system. and Vertex's google. types), HTML and"
            " Markdown artifacts of the runs."
        )
    )
