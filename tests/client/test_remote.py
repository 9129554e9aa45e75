"""The CLI as a client of a real server (``--host``), and :class:`RemoteClient` itself."""

import json
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from sluice.cli.main import app
from sluice.client.remote import RemoteClient
from sluice.config import Settings
from sluice.errors import RemoteServerError, RunNotFoundError, UserInputError
from sluice.server.app import create_app
from sluice.server.config import ServerConfig

PIPELINES = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def double(n: int) -> int:
    return n * 2


@dsl.component(base_image="python:3.11")
def boom(n: int):
    raise ValueError(f"bad n: {n}")


@dsl.pipeline(name="good")
def good(n: int = 3) -> int:
    return double(n=double(n=n).output).output


@dsl.pipeline(name="bad")
def bad(n: int = 3):
    boom(n=double(n=n).output)
"""

TOKEN = "s3cret-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real server (uvicorn in a thread) with a token, over a fresh SLUICE_HOME."""
    home = tmp_path / "server-home"
    home.mkdir()
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.delenv("SLUICE_HOST", raising=False)
    monkeypatch.setenv("SLUICE_TOKEN", TOKEN)
    config = ServerConfig(settings=Settings.from_env(), token=TOKEN, max_concurrent_runs=2)
    port = _free_port()
    uv = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(20)


@pytest.fixture
def pipelines(tmp_path: Path) -> Path:
    path = tmp_path / "pipelines.py"
    path.write_text(textwrap.dedent(PIPELINES))
    return path


def test_run_on_server_then_list_and_show(server: str, pipelines: Path) -> None:
    """`sluice run --host` follows the run to SUCCEEDED; `runs list/show --host` read it back."""
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["run", "--host", server, str(pipelines), "--pipeline", "good", "-p", "n=5"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Submitted run ")
    assert any(ln.endswith(": SUCCEEDED") and ln.startswith("run ") for ln in lines)
    assert any(ln.startswith("task double: ") for ln in lines)

    listed = runner.invoke(app, ["runs", "list", "--json"], env={"SLUICE_HOST": server})
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.stdout)
    assert [r["state"] for r in runs] == ["SUCCEEDED"]
    run_id = runs[0]["run_id"]

    shown = runner.invoke(app, ["runs", "show", "--host", server, run_id, "--json"])
    assert shown.exit_code == 0, shown.output
    run = json.loads(shown.stdout)
    assert run["runtime_config"]["parameters"] == {"n": 5}
    assert len(run["run_details"]["task_details"]) >= 2

    table = runner.invoke(app, ["runs", "list", "--host", server])
    assert table.exit_code == 0 and run_id[:8] in table.stdout


def test_failed_run_exits_1_and_bad_input_exits_2(server: str, pipelines: Path) -> None:
    """Exit codes as locally: 1 for a failed run, 2 for bad input; logs come from the server."""
    runner = CliRunner()
    failed = runner.invoke(
        app, ["run", "--host", server, str(pipelines), "--pipeline", "bad", "--json"]
    )
    assert failed.exit_code == 1, failed.output
    run = json.loads(failed.stdout)
    assert run["state"] == "FAILED" and "bad n: 6" in json.dumps(run)

    typo = runner.invoke(
        app, ["run", "--host", server, str(pipelines), "--pipeline", "good", "-p", "m=1"]
    )
    assert typo.exit_code == 2
    local_only = runner.invoke(
        app, ["run", "--host", server, str(pipelines), "--pipeline", "good", "--no-cache"]
    )
    assert local_only.exit_code == 2 and "--host" in local_only.output
    logs = runner.invoke(app, ["logs", "--host", server, run["run_id"], "boom"])
    assert logs.exit_code == 0, logs.output
    assert "bad n: 6" in logs.output and "Traceback" in logs.output  # the component's own
    missing = runner.invoke(app, ["logs", "--host", server, "no-such-run", "boom"])
    assert missing.exit_code == 2


def test_remote_client_errors(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """404, 400, a missing token and an unreachable server become Sluice errors."""
    with RemoteClient(server) as client:
        with pytest.raises(RunNotFoundError):
            client.get_run("no-such-run")
        with pytest.raises(UserInputError, match="pipeline_spec"):
            client.create_run({}, {})
    monkeypatch.delenv("SLUICE_TOKEN")
    with RemoteClient(server) as client, pytest.raises(UserInputError, match="SLUICE_TOKEN"):
        client.list_runs()
    with RemoteClient(f"127.0.0.1:{_free_port()}") as client, pytest.raises(RemoteServerError):
        client.list_runs()


def test_host_mode_resolves_runs_as_locally_and_shows_cached(server: str, pipelines: Path) -> None:
    """Id prefixes and names work with --host as locally; cache hits show as CACHED."""
    runner = CliRunner()
    base = ["run", "--host", server, str(pipelines), "--pipeline", "good", "-p", "n=7"]
    first = runner.invoke(app, [*base, "--run-name", "twice", "--json"])
    second = runner.invoke(app, [*base, "--run-name", "twice", "--json"])
    assert first.exit_code == second.exit_code == 0, second.output
    first_id, second_id = json.loads(first.stdout)["run_id"], json.loads(second.stdout)["run_id"]

    # More runs than one page of a listing (20): resolution is the server's, not a scan.
    from sluice.config import Settings
    from sluice.store.repository import Store

    store = Store(Settings.from_env().db_url)
    from tests.states import move_run
    from tests.store_rows import new_run

    for i in range(25):
        filler = new_run(store, name=f"filler-{i}", pipeline_name="filler")
        move_run(store, filler.id, "CANCELED")

    shown = runner.invoke(app, ["runs", "show", "--host", server, first_id[:8]])
    assert shown.exit_code == 0, shown.output
    assert first_id in shown.stdout and "SUCCEEDED" in shown.stdout

    cached = runner.invoke(app, ["runs", "show", "--host", server, second_id[:8]])
    assert cached.exit_code == 0, cached.output
    task_lines = [ln for ln in cached.stdout.splitlines() if ln.startswith("double")]
    assert task_lines and all("CACHED" in ln and "SKIPPED" not in ln for ln in task_lines)

    logs = runner.invoke(app, ["logs", "--host", server, first_id[:8], "double"])
    assert logs.exit_code == 0, logs.output

    # The run's own name (generated by the server) and a display name only one run has.
    with RemoteClient(server) as client:
        assert client.resolve_run("filler-3") == store.resolve_run("filler-3").id
        assert client.resolve_run(first_id) == first_id
    by_name = runner.invoke(app, ["runs", "show", "--host", server, "filler-3", "--json"])
    assert by_name.exit_code == 0, by_name.output
    assert json.loads(by_name.stdout)["display_name"] == "filler-3"

    # Two runs share the display name "twice": one line naming both, exit 2.
    ambiguous = runner.invoke(app, ["runs", "show", "--host", server, "twice"])
    assert ambiguous.exit_code == 2, ambiguous.output
    assert "ambiguous" in ambiguous.stderr
    assert first_id[:12] in ambiguous.stderr and second_id[:12] in ambiguous.stderr
    assert len(ambiguous.stderr.strip().splitlines()) == 1
    missing = runner.invoke(app, ["runs", "show", "--host", server, "no-such-run"])
    assert missing.exit_code == 2 and "no run 'no-such-run'" in missing.stderr
