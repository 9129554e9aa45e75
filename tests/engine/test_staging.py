"""A remote (fsspec) pipeline root: outputs are uploaded there, inputs come back from it."""

from pathlib import Path

import fsspec
import pytest
from kfp import dsl

import sluice
from sluice.errors import UserInputError


@dsl.component
def write(text: str, out: dsl.Output[dsl.Dataset]) -> None:
    with open(out.path, "w") as f:
        f.write(text)
    out.metadata["chars"] = len(text)


@dsl.component
def read(data: dsl.Input[dsl.Dataset]) -> str:
    with open(data.path) as f:
        return f.read().upper()


@dsl.pipeline
def remote_io(text: str = "hello") -> str:
    produced = write(text=text)
    return read(data=produced.outputs["out"]).output


def test_memory_pipeline_root_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    run = sluice.run(remote_io, pipeline_root="memory://bucket/root", enable_caching=False)

    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": "HELLO"}
    artifact = run.task("write").outputs["out"]
    assert artifact.uri.startswith("memory://bucket/root/")
    assert artifact.metadata == {"chars": 5}
    with fsspec.open(artifact.uri, "r") as f:
        assert f.read() == "hello"


@dsl.pipeline
def imports_remote() -> str:
    imported = dsl.importer(artifact_uri="memory://inbox/data.txt", artifact_class=dsl.Dataset)
    return read(data=imported.output).output


def test_importer_copies_an_fsspec_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    with fsspec.open("memory://inbox/data.txt", "w") as f:
        f.write("from memory")
    run = sluice.run(imports_remote, enable_caching=False)
    assert run.state == "SUCCEEDED", run.error
    assert run.outputs == {"Output": "FROM MEMORY"}
    artifact = run.task("importer").outputs["artifact"]
    assert artifact.metadata["source_uri"] == "memory://inbox/data.txt"


def _missing(package: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(package) is None


# fsspec knows these protocols but needs a package this venv does not have. (gcsfs is a
# dev dependency: tests/server/gcs/test_pipeline.py hides it to check gs:// the same way.)
MISSING_DRIVERS = [
    pytest.param(
        "abfs://container/root",
        "adlfs",
        marks=pytest.mark.skipif(not _missing("adlfs"), reason="adlfs is installed"),
    ),
]


@pytest.mark.parametrize(("root", "package"), MISSING_DRIVERS)
def test_root_without_its_driver_fails_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: str, package: str
) -> None:
    """A remote root whose fsspec driver is missing is refused up front: nothing runs."""
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    marker = tmp_path / "ran"
    with pytest.raises(UserInputError, match=rf"pip install {package}") as caught:
        sluice.run(touches, {"marker": str(marker)}, pipeline_root=root)
    message = str(caught.value)
    assert root in message and "\n" not in message
    assert not marker.exists()
    assert sluice.list_runs() == []


def test_unknown_protocol_fails_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    marker = tmp_path / "ran"
    with pytest.raises(UserInputError, match=r"unknown storage protocol 'foo://'"):
        sluice.run(touches, {"marker": str(marker)}, pipeline_root="foo://x")
    assert not marker.exists()
    assert sluice.list_runs() == []


@dsl.component
def touch(marker: str) -> str:
    with open(marker, "w") as f:
        f.write("ran")
    return marker


@dsl.pipeline
def touches(marker: str) -> str:
    return touch(marker=marker).output


@dsl.component
def write_many(out: dsl.Output[dsl.Dataset]) -> None:
    import os

    os.makedirs(out.path)
    for i in range(300):
        with open(os.path.join(out.path, f"part-{i}.txt"), "w") as f:
            f.write(str(i))


@dsl.component
def count(data: dsl.Input[dsl.Dataset], shard: int) -> int:
    import os

    return len(os.listdir(data.path)) + 0 * shard


@dsl.pipeline
def many_readers() -> None:
    produced = write_many()
    with dsl.ParallelFor([0, 1, 2, 3, 4, 5]) as shard:
        count(data=produced.outputs["out"], shard=shard)


def test_iterations_that_read_one_remote_artifact_download_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Iterations of a loop start together; each used to download the same input into the
    same staging path at once, and one failed renaming a partial copy another had moved."""
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    run = sluice.run(many_readers, pipeline_root="memory://bucket/readers", enable_caching=False)

    assert run.state == "SUCCEEDED", run.error
    counts = [t for t in run.tasks if t.name == "count"]
    assert len(counts) == 6
    assert all(t.outputs["Output"] == 300 for t in counts)
    staged = list((tmp_path / "home" / "staging").glob("*/inputs/*"))
    assert len(staged) == 1  # one copy of the one input artifact
    assert not list(staged[0].glob("*.partial"))
