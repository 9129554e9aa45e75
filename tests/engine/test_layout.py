"""Where a run's files live: one RunLayout for the engine that writes and the service that reads."""

import os
from pathlib import Path

import pytest

from sluice.config import Settings
from sluice.engine.layout import RunLayout, attempt_log, attempts_with_log


def _layout(tmp_path: Path, pipeline_root: str) -> RunLayout:
    settings = Settings(home=tmp_path / "home", db_url="sqlite://")
    return RunLayout(
        settings=settings, run_id="r-1", run_name="my-run", pipeline_root=pipeline_root
    )


def test_an_attempts_files_are_under_the_runs_directory(tmp_path: Path) -> None:
    layout = _layout(tmp_path, str(tmp_path / "artifacts"))
    files = layout.attempt("for-loop-2[1]/square", 3)
    assert layout.run_dir == tmp_path / "home" / "runs" / "r-1"
    assert files.directory == layout.run_dir / "for-loop-2-1" / "square" / "attempt-3"
    assert files.log == files.directory / "log.txt"
    assert files.work == files.directory / "work"
    assert files.outputs == files.directory / "outputs"
    assert files.exception == files.directory / "exception.json"
    assert layout.holds(files.log)
    assert not layout.holds(tmp_path / "elsewhere" / "log.txt")


def test_a_task_named_dot_dot_stays_inside(tmp_path: Path) -> None:
    layout = _layout(tmp_path, str(tmp_path / "artifacts"))
    assert layout.holds(layout.attempt("../../x", 1).log)
    assert layout.task_root("../../x").startswith(str(tmp_path / "artifacts" / "my-run") + "/")


def test_local_and_remote_task_roots(tmp_path: Path) -> None:
    local = _layout(tmp_path, str(tmp_path / "artifacts"))
    assert local.task_root("") == f"{tmp_path}/artifacts/my-run/"
    assert local.local_task_root("train") == tmp_path / "artifacts" / "my-run" / "train"
    assert local.executor_output("train") == local.local_task_root("train") / (
        "executor_output.json"
    )
    assert local.local_pipeline_root == tmp_path / "artifacts"
    assert not local.remote_root

    remote = _layout(tmp_path, "s3://bucket/root")
    assert remote.remote_root
    assert remote.task_root("train") == "s3://bucket/root/my-run/train"
    # A task of a remote-rooted run writes into the staging area, uploaded after it.
    assert remote.local_task_root("train") == tmp_path / "home" / "staging" / "r-1" / "train"


def test_other_attempts_of_a_log(tmp_path: Path) -> None:
    layout = _layout(tmp_path, str(tmp_path / "artifacts"))
    for number in (1, 2, 4):
        log = layout.attempt("t", number).log
        log.parent.mkdir(parents=True)
        log.write_text(f"attempt {number}\n")
    layout.attempt("t", 3).directory.mkdir()  # an attempt that wrote no log
    last = layout.attempt("t", 4).log
    assert attempt_log(last, 2) == layout.attempt("t", 2).log
    assert attempts_with_log(last) == [1, 2, 4]


def test_an_attempts_directories_are_made_with_their_missing_parents(tmp_path: Path) -> None:
    layout = _layout(tmp_path, str(tmp_path / "artifacts"))
    files = layout.attempt("for-loop-2[1]/square", 1)
    files.create(layout.made)
    assert files.work.is_dir() and files.outputs.is_dir()
    again = layout.attempt("for-loop-2[1]/square", 2)
    again.create(layout.made)  # the task's directory is known by now
    assert again.work.is_dir()
    root = str(layout.local_task_root("for-loop-2[1]/square"))
    assert layout.made.ensure(root)  # made now: nothing in it to clear
    assert not layout.made.ensure(root)
    resumed = _layout(tmp_path, str(tmp_path / "artifacts"))  # another process, a resume
    assert not resumed.made.ensure(root)


def test_a_new_iterations_directory_is_made_without_a_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = _layout(tmp_path, str(tmp_path / "artifacts"))
    layout.attempt("for-loop-2[0]/square", 1).create(layout.made)  # the loop's parents known
    calls: list[str] = []
    real_mkdir, real_isdir = os.mkdir, os.path.isdir
    monkeypatch.setattr(os, "mkdir", lambda p, *a: calls.append(f"mkdir {p}") or real_mkdir(p))
    monkeypatch.setattr(os.path, "isdir", lambda p: calls.append(f"isdir {p}") or real_isdir(p))
    files = layout.attempt("for-loop-2[1]/square", 1)
    files.create(layout.made)
    assert files.work.is_dir() and files.outputs.is_dir()
    # The iteration's and the task's directories, the attempt's three: one mkdir each.
    assert [c.split()[0] for c in calls] == ["mkdir"] * 5
    # An existing directory is still found (a resume), and a file in the way refused.
    assert not _layout(tmp_path, str(tmp_path / "artifacts")).made.ensure(
        str(files.directory.parent)
    )
    (tmp_path / "a-file").write_text("")
    with pytest.raises(FileExistsError):
        layout.made.ensure(str(tmp_path / "a-file"))
