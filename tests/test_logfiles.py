"""Reading the end of a log, or all of it in chunks, with bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sluice.engine.failures import failure_summary
from sluice.logfiles import iter_text_chunks, read_tail, tail_lines

MIB = 1024 * 1024


def test_read_tail(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"0123456789")
    assert read_tail(path, 4) == (b"6789", True)
    assert read_tail(path, 10) == (b"0123456789", False)
    with pytest.raises(FileNotFoundError):
        read_tail(tmp_path / "missing")


def test_tail_lines(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_text("".join(f"line {i}\n" for i in range(50)))
    assert tail_lines(path, 3) == ["line 47", "line 48", "line 49"]
    assert tail_lines(path, None, max_bytes=16) == ["line 48", "line 49"]  # cut line dropped
    assert tail_lines(path, 0) == []
    assert tail_lines(tmp_path / "missing", 3) == []
    path.write_bytes(b"no newline at the end \xff\r")
    assert tail_lines(path, 5) == ["no newline at the end \ufffd\r"]
    path.write_bytes(b"x" * 1000)  # one enormous line: its end is still shown
    assert tail_lines(path, 5, max_bytes=10) == ["x" * 10]


def test_iter_text_chunks_decodes_across_chunk_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "log"
    text = "é" * 1000 + "\n" + "ü" * 7
    path.write_bytes(text.encode() + b"\xff")
    chunks = list(iter_text_chunks(path, chunk_bytes=3))
    assert "".join(chunks) == text + "\ufffd"
    with pytest.raises(FileNotFoundError):
        list(iter_text_chunks(tmp_path / "missing"))


def test_failure_summary_reads_only_the_end(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_text("ValueError: long ago\n" + "x\n" * 300_000 + "KeyError: 'k'\nbye\n")
    assert failure_summary(path, 1) == "KeyError: 'k'"
    path.write_text("ValueError: long ago\n" + "x\n" * 300_000 + "last words\n")
    assert failure_summary(path, 3) == "exit code 3: last words"


MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from sluice.cli.summary import tail_lines
    from sluice.engine.failures import failure_summary

    path = Path(sys.argv[1])
    failure_summary(Path(sys.argv[2]), 1)  # warm up on a small log
    tail_lines(Path(sys.argv[2]))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    summary = failure_summary(path, 1)
    lines = tail_lines(path)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"kib": after - before, "summary": summary, "lines": len(lines)}))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="resource module")
def test_failure_summaries_of_a_large_log_use_little_memory(tmp_path: Path) -> None:
    big, small = tmp_path / "big.log", tmp_path / "small.log"
    line = b"y" * 1023 + b"\n"
    with big.open("wb") as handle:
        for _ in range(50):
            handle.write(line * 1024)  # 50 MiB in all
        handle.write(b"RuntimeError: out of patience\n")
    small.write_bytes(b"hello\n")
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(big), str(small)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    measured = json.loads(result.stdout)
    assert measured["summary"] == "RuntimeError: out of patience"
    assert measured["lines"] == 20
    # Reading the file whole would take at least its 50 MiB, several times over as str.
    assert measured["kib"] < 16 * 1024, measured
