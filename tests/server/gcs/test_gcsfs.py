"""The storage emulation driven by the real gcsfs (and pandas on top of it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


def test_ls_open_put_get_rm(gcs_fs: Any, tmp_path: Path) -> None:
    gcs_fs.mkdir("fsbucket")
    with gcs_fs.open("fsbucket/a/b/c.csv", "wb") as handle:
        handle.write(b"x,y\n1,2\n")
    assert gcs_fs.cat("fsbucket/a/b/c.csv") == b"x,y\n1,2\n"
    assert gcs_fs.ls("fsbucket") == ["fsbucket/a"]
    assert gcs_fs.isdir("fsbucket/a") and gcs_fs.info("fsbucket/a/b/c.csv")["size"] == 8
    local = tmp_path / "local.txt"
    local.write_text("local file")
    gcs_fs.put(str(local), "fsbucket/put/local.txt")
    gcs_fs.get("fsbucket/put/local.txt", str(tmp_path / "got.txt"))
    assert (tmp_path / "got.txt").read_text() == "local file"
    gcs_fs.mv("fsbucket/put/local.txt", "fsbucket/put/moved.txt")
    gcs_fs.cp("fsbucket/put/moved.txt", "fsbucket/put/copied.txt")
    assert gcs_fs.find("fsbucket") == [
        "fsbucket/a/b/c.csv",
        "fsbucket/put/copied.txt",
        "fsbucket/put/moved.txt",
    ]
    gcs_fs.rm("fsbucket/a", recursive=True)
    gcs_fs.invalidate_cache()
    assert not gcs_fs.exists("fsbucket/a/b/c.csv")
    with pytest.raises(FileNotFoundError):
        gcs_fs.cat("fsbucket/nothing-here")
    with pytest.raises(FileNotFoundError):
        gcs_fs.ls("no-such-bucket/x")


def test_large_files_go_in_chunks_and_read_in_ranges(gcs_fs: Any) -> None:
    gcs_fs.mkdir("fsbig")
    data = os.urandom(6 * 1024 * 1024)
    with gcs_fs.open("fsbig/blob.bin", "wb", block_size=5 * 1024 * 1024) as handle:
        handle.write(data)  # a resumable upload of two chunks (gcsfs POSTs them)
    assert gcs_fs.cat("fsbig/blob.bin") == data
    assert gcs_fs.cat_file("fsbig/blob.bin", start=10, end=20) == data[10:20]
    with gcs_fs.open("fsbig/blob.bin", "rb") as handle:
        handle.seek(len(data) - 5)
        assert handle.read() == data[-5:]


def test_a_file_dropped_into_the_backing_directory_is_an_object(gcs_fs: Any, backing: Path) -> None:
    import pandas as pd

    (backing / "dropped").mkdir(parents=True)
    (backing / "dropped" / "data.csv").write_text("a,b\n1,2\n3,4\n")
    info = gcs_fs.info("dropped/data.csv")
    assert info["size"] == 12 and info["contentType"] == "text/csv"
    with gcs_fs.open("gs://dropped/data.csv") as handle:
        assert pd.read_csv(handle).shape == (2, 2)
    # Changed behind the emulator's back: a new generation and checksums, not stale ones.
    (backing / "dropped" / "data.csv").write_text("a,b\n5,6\n")
    gcs_fs.invalidate_cache()
    assert gcs_fs.cat("dropped/data.csv") == b"a,b\n5,6\n"
    assert int(gcs_fs.info("dropped/data.csv")["generation"]) > int(info["generation"])
