"""The head of artifact files for the viewers: tables typed, text cut, directories listed
without following symlinks, binary files left alone."""

import json
import os
from pathlib import Path

import pytest

from sluice.service import artifact_preview
from sluice.service.artifact_preview import TEXT_BYTES, json_safe, preview


def test_tsv_and_jsonl_tables(tmp_path: Path) -> None:
    tsv = tmp_path / "data.tsv"
    tsv.write_text("a\tb\n1\tx\n2.5\t\n")
    shown = preview(tsv)
    assert (shown.kind, shown.columns, shown.column_types) == (
        "table",
        ["a", "b"],
        ["number", "string"],
    )
    assert shown.rows == [[1, "x"], [2.5, ""]] and not shown.truncated
    lines = tmp_path / "data.jsonl"
    lines.write_text(
        "\n".join(json.dumps({"n": i, "ok": i % 2 == 0}) for i in range(5)) + '\n{"x": NaN}\n'
    )
    shown = preview(lines, rows=3)
    assert shown.columns == ["n", "ok"] and shown.column_types == ["number", "boolean"]
    assert shown.rows == [[0, True], [1, False], [2, True]] and shown.truncated
    assert json_safe({"x": float("nan"), "y": [float("inf")]}) == {"x": "nan", "y": ["inf"]}


def test_a_dataset_without_suffix_is_sniffed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.write_text("x,y\n1,2\n3,4\n")
    assert preview(data, schema_title="system.Dataset").kind == "table"
    assert preview(data, schema_title="system.Artifact").kind == "text"


def test_text_is_cut_and_binary_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "notes.md"
    big.write_bytes(b"a" * (TEXT_BYTES + 10))
    shown = preview(big)
    assert shown.kind == "text" and shown.truncated and len(shown.text or "") == TEXT_BYTES
    blob = tmp_path / "model.bin"
    blob.write_bytes(b"\0\1\2" * 10)
    assert (preview(blob).kind, preview(blob).size) == ("binary", 30)
    image = tmp_path / "plot.png"
    image.write_bytes(b"\x89PNG\r\n")
    assert (preview(image).kind, preview(image).content_type) == ("image", "image/png")
    assert preview(tmp_path / "absent").kind == "missing"


def test_directories_list_without_following_links(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "f.txt").write_text("abc")
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    os.symlink(outside, folder / "link")
    shown = preview(folder)
    assert [(e.path, e.is_dir, e.size) for e in shown.entries][:2] == [
        ("link", False, shown.entries[0].size),
        ("sub", True, None),
    ]
    assert "link/deep" not in {e.path for e in shown.entries}


def test_directory_listing_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.txt").write_text("")
    monkeypatch.setattr(artifact_preview, "MAX_ENTRIES", 3)
    shown = preview(folder)
    assert len(shown.entries) == 3 and shown.truncated


def test_parquet_head_only(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")  # a dev dependency; the `parquet` extra
    import pyarrow as pa

    table = pa.table({"n": list(range(250)), "name": [f"row {i}" for i in range(250)]})
    path = tmp_path / "data.parquet"
    pq.write_table(table, path, row_group_size=50)
    shown = preview(path, rows=100)
    assert shown.kind == "table" and shown.columns == ["n", "name"]
    assert shown.column_types == ["number", "string"]
    assert len(shown.rows) == 100 and shown.rows[99] == [99, "row 99"] and shown.truncated
