"""The object store on its own, over a non-local fsspec backend (memory://)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sluice.server.gcs.backend import ObjectStore
from sluice.server.gcs.checksums import Hashes, _PythonCrc32c
from sluice.server.gcs.listing import list_objects
from sluice.server.gcs.rules import Conditions, glob_pattern
from sluice.server.gcs.shapes import GcsError


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(f"memory://gcs-{uuid.uuid4().hex}", scratch=tmp_path / "scratch")


def _put(store: ObjectStore, tmp_path: Path, name: str, data: bytes) -> None:
    source = tmp_path / "upload"
    source.write_bytes(data)
    hashes = Hashes()
    hashes.update(data)
    store.write("bkt", name, source=source, hashes=hashes, fields={})


def test_any_fsspec_url_is_a_backing_store(store: ObjectStore, tmp_path: Path) -> None:
    store.create_bucket("bkt", location="eu", storage_class="STANDARD", labels={})
    _put(store, tmp_path, "x/y.txt", b"hello")
    _put(store, tmp_path, "folder/", b"")  # a placeholder, as the Cloud Console makes
    info = store.stat("bkt", "x/y.txt")
    assert (info.size, info.md5) == (5, "XUFAKrxLKna5cZ2REBfFkg==")
    assert info.crc32c == "mnG7TA=="  # Google's CRC32C of b"hello"
    page = list_objects(store, "bkt", delimiter="/")
    assert page.prefixes == ["folder/", "x/"] and page.items == []
    assert [i.name for i in list_objects(store, "bkt", prefix="folder/").items] == ["folder/"]
    assert [b.name for b in store.buckets()] == ["bkt"]
    store.delete("bkt", "x/y.txt")
    assert list_objects(store, "bkt", prefix="x/").items == []


def test_names_a_directory_cannot_hold_are_refused(store: ObjectStore, tmp_path: Path) -> None:
    store.create_bucket("bkt", location="US", storage_class="STANDARD", labels={})
    for bad in ("a//b", "../up", "a/./b"):
        with pytest.raises(GcsError, match="path segments") as caught:
            _put(store, tmp_path, bad, b"x")
        assert caught.value.status == 400
    _put(store, tmp_path, "a", b"x")
    with pytest.raises(GcsError, match="clashes") as clash:
        _put(store, tmp_path, "a/b", b"y")
    assert clash.value.status == 409


def test_preconditions(store: ObjectStore, tmp_path: Path) -> None:
    store.create_bucket("bkt", location="US", storage_class="STANDARD", labels={})
    Conditions(generation_match=0).check(None)
    _put(store, tmp_path, "k", b"1")
    current = store.stat("bkt", "k")
    with pytest.raises(GcsError) as caught:
        Conditions(generation_match=0).check(current)
    assert caught.value.status == 412
    Conditions(generation_match=current.generation, metageneration_match=1).check(current)


def test_the_python_crc32c_matches_the_reference_value() -> None:
    crc = _PythonCrc32c()
    crc.update(b"123456789")
    assert crc.digest().hex() == "e3069283"  # the CRC-32C check value


def test_match_glob() -> None:
    assert glob_pattern("d/**.txt").match("d/e/3.txt")
    assert not glob_pattern("d/*.txt").match("d/e/3.txt")
    assert glob_pattern("*.{csv,txt}").match("a.csv")
