"""Hostile and careless requests (issue #7): each is a quick 4xx that writes nothing.

YAML and archive bombs, values that overflow the scheduler's date arithmetic, deeply
nested JSON, oversized and control-character strings, the API docs without the token,
and fifty ``kfp.Client`` first submissions racing to create the "Default" experiment.
"""

import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer, start_server
from tests.server.pipelines import adder, compile_to
from tests.server.server_process import ServerProcess

import sluice.server.routers.pipelines as pipelines_router

API = "/apis/v2beta1"
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    """The classic alias bomb (~600 bytes, ``width ** levels`` strings once expanded),
    placed where the protobuf parser walks it: ``deploymentSpec`` is a free-form Struct."""
    lines = [
        "pipelineInfo: {name: bomb}",
        "root: {dag: {tasks: {}}}",
        "lol0: &l0 [" + ", ".join(['"lol"'] * width) + "]",
    ]
    for level in range(1, levels):
        lines.append(f"lol{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    lines.append(f"deploymentSpec: {{executors: *l{levels - 1}}}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def http(api_server: RunningServer) -> Iterator[httpx.Client]:
    """An HTTP client for the API-only server (uploads limited to 200 kB)."""
    with httpx.Client(base_url=api_server.url + API, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def adder_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The adder pipeline as compiled YAML."""
    return Path(compile_to(adder, str(tmp_path_factory.mktemp("pkg") / "adder.yaml"))).read_text()


@pytest.fixture(scope="module")
def adder_spec(adder_text: str) -> dict[str, Any]:
    """The adder pipeline as the JSON kfp.Client embeds in a request."""
    import yaml

    spec: dict[str, Any] = yaml.safe_load(adder_text)
    return spec


def _total(http: httpx.Client, path: str) -> int:
    response = http.get(path, params={"page_size": 1})
    assert response.status_code == 200, response.text
    return int(response.json().get("total_size", 0))


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "code", "message", "details"}
    return str(body["message"])


# -- uploads ---------------------------------------------------------------------------------


def test_billion_laughs_upload_is_refused_and_the_server_stays_up(tmp_path: Path) -> None:
    bomb = billion_laughs().encode()
    assert len(bomb) < 700
    # A memory ceiling: without the limit the server would need gigabytes and fail (or
    # take minutes) instead of answering 413 at once.
    with ServerProcess(tmp_path / "home", memory_bytes=1024**3) as server:
        response = httpx.post(
            server.api + "/pipelines/upload",
            files={"uploadfile": ("bomb.yaml", bomb)},
            timeout=120,
        )
        assert "aliases are expanded" in _error(response, 413)
        assert server.healthy()
        listed = httpx.get(server.api + "/pipelines", timeout=10).json()
        assert listed.get("total_size", 0) == 0


def test_upload_is_parsed_off_the_event_loop(
    http: httpx.Client, adder_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a package is being parsed, healthz (and every other request) is served."""
    parsing, release = threading.Event(), threading.Event()
    real = pipelines_router.parse_package

    def held_parse(data: bytes, limit: int) -> Any:
        parsing.set()
        release.wait(60)
        return real(data, limit)

    monkeypatch.setattr(pipelines_router, "parse_package", held_parse)
    result: dict[str, httpx.Response] = {}

    def upload() -> None:
        result["upload"] = http.post(
            "/pipelines/upload",
            params={"name": "held"},
            files={"uploadfile": ("adder.yaml", adder_text.encode())},
        )

    uploader = threading.Thread(target=upload)
    uploader.start()
    try:
        assert parsing.wait(30), "the upload never reached the parser"
        # Parsing on the event loop would leave this request unanswered until release.
        assert http.get("/healthz", timeout=10).status_code == 200
    finally:
        release.set()
        uploader.join(60)
    assert result["upload"].status_code == 200, result["upload"].text


def test_tar_gz_decompression_bomb_is_413(http: httpx.Client, adder_text: str) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=9) as archive:
        padding = tarfile.TarInfo("padding.bin")
        padding.size = 20 * 1024 * 1024  # compresses to ~20 kB; the server's limit is 200 kB
        archive.addfile(padding, io.BytesIO(bytes(padding.size)))
        spec = tarfile.TarInfo("pipeline.yaml")
        spec.size = len(adder_text.encode())
        archive.addfile(spec, io.BytesIO(adder_text.encode()))
    data = buffer.getvalue()
    assert len(data) < 200_000
    before = _total(http, "/pipelines")
    response = http.post("/pipelines/upload", files={"uploadfile": ("bomb.tar.gz", data)})
    assert "uncompressed" in _error(response, 413)
    assert _total(http, "/pipelines") == before


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &a [*a]\n", "recursive"),
        ("x: " + "[" * 150 + "]" * 150 + "\n", "nested deeper"),
    ],
    ids=["recursive", "deep"],
)
def test_recursive_and_deep_yaml_uploads_are_refused(
    http: httpx.Client, text: str, words: str
) -> None:
    response = http.post("/pipelines/upload", files={"uploadfile": ("p.yaml", text.encode())})
    assert words in _error(response, 413)


# -- recurring runs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "trigger",
    [
        {"cron_schedule": {"cron": "0 0 * * * *", "start_time": "9999-12-31T23:59:59Z"}},
        {"cron_schedule": {"cron": "0 0 0 1 1 *", "start_time": "9999-12-31T00:00:00Z"}},
        {"periodic_schedule": {"interval_second": 3600, "start_time": "9999-12-31T23:00:00Z"}},
        {"periodic_schedule": {"interval_second": 1e20}},
        {"periodic_schedule": {"interval_second": 10**20}},
        {"periodic_schedule": {"interval_second": "100000000000000000000"}},
        {"periodic_schedule": {"interval_second": True}},
        {"periodic_schedule": {"interval_second": 1.5}},
        {"cron_schedule": {"cron": "@every 99999999999999999999h"}},
        {"cron_schedule": {"cron": "@every 1e400h"}},
        {"cron_schedule": {"cron": "0 0 * * * *", "time_zone": 5}},
        {"cron_schedule": {"cron": "0 0 * * * *", "time_zone": ["Europe/Paris"]}},
        {"cron_schedule": {"cron": "0 0 * * * *", "start_time": 12}},
        {"cron_schedule": {"cron": "0 0 * * * *", "start_time": "0001-01-01T00:00:00+01:00"}},
        {"cron_schedule": {"cron": "0 0 * * * * " + "x" * 5000}},
    ],
)
def test_bad_triggers_are_400_and_write_nothing(
    http: httpx.Client, adder_spec: dict[str, Any], trigger: dict[str, Any]
) -> None:
    before = _total(http, "/recurringruns")
    body = {
        "display_name": "bad-trigger",
        "pipeline_spec": adder_spec,
        "runtime_config": {"parameters": {"a": 1, "b": 2}},
        "trigger": trigger,
    }
    _error(http.post("/recurringruns", json=body), 400)
    # Listing still works (it used to answer 500 for good after one such create).
    assert _total(http, "/recurringruns") == before


@pytest.mark.parametrize(
    "fields",
    [
        {"max_run_count": 10**30},
        {"max_run_count": "1" * 40},
        {"max_concurrency": 10**30},
    ],
)
def test_huge_counts_are_400(
    http: httpx.Client, adder_spec: dict[str, Any], fields: dict[str, Any]
) -> None:
    before = _total(http, "/recurringruns")
    body = {
        "display_name": "huge",
        "pipeline_spec": adder_spec,
        "runtime_config": {"parameters": {"a": 1, "b": 2}},
        "trigger": {"periodic_schedule": {"interval_second": 60}},
        **fields,
    }
    _error(http.post("/recurringruns", json=body), 400)
    assert _total(http, "/recurringruns") == before


def test_good_trigger_still_works(http: httpx.Client, adder_spec: dict[str, Any]) -> None:
    body = {
        "display_name": "fine",
        "pipeline_spec": adder_spec,
        "runtime_config": {"parameters": {"a": 1, "b": 2}},
        "trigger": {
            "periodic_schedule": {"interval_second": "3600", "start_time": "8999-01-01T00:00:00Z"}
        },
    }
    response = http.post("/recurringruns", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["trigger"]["periodic_schedule"]["interval_second"] == "3600"
    assert http.get("/recurringruns").status_code == 200


# -- nested JSON -----------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [150, 900, 1500, 3000])
def test_deep_filters_are_400(http: httpx.Client, depth: int) -> None:
    for text in ('{"predicates":[' + _nested(depth) + "]}", "[" * depth + "]" * depth):
        assert "nested deeper" in _error(http.get("/runs", params={"filter": text}), 400)


@pytest.mark.parametrize("depth", [150, 900, 1500])
@pytest.mark.parametrize("path", ["/runs", "/recurringruns", "/pipelines/create"])
def test_deep_bodies_are_400(http: httpx.Client, path: str, depth: int) -> None:
    inner = '{"pipelineInfo":{"name":"x"},"root":{"dag":{"tasks":{}}},"deploymentSpec":'
    spec = inner + _nested(depth) + "}"
    body = {
        "/runs": '{"display_name":"deep","pipeline_spec":' + spec + "}",
        "/recurringruns": '{"display_name":"deep","trigger":{"periodic_schedule":'
        '{"interval_second":60}},"pipeline_spec":' + spec + "}",
        "/pipelines/create": '{"pipeline":{"name":"deep"},"pipeline_version":'
        '{"pipeline_spec":' + spec + "}}",
    }[path]
    response = http.post(path, content=body, headers={"content-type": "application/json"})
    assert "nested deeper" in _error(response, 400)


def test_deep_page_token_is_400(http: httpx.Client) -> None:
    import base64

    token = base64.urlsafe_b64encode(("[" * 5000 + "]" * 5000).encode()).decode()
    _error(http.get("/runs", params={"page_token": token}), 400)


# -- strings and sizes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/experiments", {"display_name": "a\x00b"}),
        ("/experiments", {"display_name": "line\nbreak"}),
        ("/experiments", {"display_name": "x" * 257}),
        ("/experiments", {"display_name": "ok", "namespace": "n" * 257}),
        ("/experiments", {"display_name": "d", "description": "x" * (64 * 1024 + 1)}),
        ("/experiments", {"display_name": "d", "description": "nul\x00"}),
        ("/pipelines", {"name": "p" * 1000}),
        ("/pipelines", {"name": "p\x00"}),
        ("/pipelines", {"name": "tagged", "tags": {"k" * 300: "v"}}),
        ("/pipelines", {"name": "tagged", "tags": {str(i): "v" for i in range(21)}}),
        ("/runs", {"display_name": "r\x07"}),
        ("/runs", {"display_name": "r", "service_account": "s" * 300}),
        ("/recurringruns", {"display_name": "r" * 300}),
    ],
)
def test_bad_strings_are_400_and_write_nothing(
    http: httpx.Client, adder_spec: dict[str, Any], path: str, body: dict[str, Any]
) -> None:
    if path in ("/runs", "/recurringruns"):
        # Everything else valid, so that only the string is wrong.
        body = {
            "pipeline_spec": adder_spec,
            "runtime_config": {"parameters": {"a": 1, "b": 2}},
            "trigger": {"periodic_schedule": {"interval_second": 60}},
            "display_name": "fine",
            **body,
        }
    before = _total(http, path)
    _error(http.post(path, json=body), 400)
    assert _total(http, path) == before


def test_fine_strings_are_kept(http: httpx.Client) -> None:
    description = "multi-line\ndescription\twith tabs " + "é" * 1000
    created = http.post(
        "/experiments", json={"display_name": "ünïcode ok", "description": description}
    )
    assert created.status_code == 200, created.text
    got = http.get(f"/experiments/{created.json()['experiment_id']}").json()
    assert got["description"] == description


@pytest.mark.parametrize(
    "params",
    [
        {"name": "n" * 300},
        {"name": "bad\x00name"},
        {"namespace": "n" * 300},
        {"name": "tagged", "tags": json.dumps({"k": "v" * 300})},
    ],
)
def test_bad_upload_parameters_are_400(
    http: httpx.Client, adder_text: str, params: dict[str, str]
) -> None:
    before = _total(http, "/pipelines")
    response = http.post(
        "/pipelines/upload", params=params, files={"uploadfile": ("a.yaml", adder_text.encode())}
    )
    _error(response, 400)
    assert _total(http, "/pipelines") == before


def test_long_file_name_and_pipeline_name_are_checked(http: httpx.Client, adder_text: str) -> None:
    response = http.post(
        "/pipelines/upload", files={"uploadfile": ("x" * 300 + ".yaml", adder_text.encode())}
    )
    assert "pipeline name" in _error(response, 400)


def test_json_body_over_the_limit_is_413(http: httpx.Client) -> None:
    # The api_server's limit is 200 kB; one JSON string of 300 kB.
    body = json.dumps({"display_name": "big", "description": "x" * 300_000})
    response = http.post("/experiments", content=body, headers={"content-type": "application/json"})
    assert "larger than" in _error(response, 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"display_name": "big", "description": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'"}'

    response = http.post(
        "/experiments", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "larger than" in _error(response, 413)


# -- docs --------------------------------------------------------------------------------------


def test_docs_need_the_token_and_load_nothing_from_a_cdn(tmp_path: Path) -> None:
    running, stop = start_server(tmp_path / "home", background=False, token="tok")
    try:
        assert httpx.get(running.url + "/openapi.json").status_code == 401
        schema = httpx.get(running.url + "/openapi.json", headers={"Authorization": "Bearer tok"})
        assert schema.status_code == 200
        assert f"{API}/runs" in schema.json()["paths"]
        # FastAPI's pages load swagger-ui/redoc from a CDN: they are not served at all.
        for page in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            response = httpx.get(running.url + page, headers={"Authorization": "Bearer tok"})
            assert response.status_code == 404
            assert "cdn" not in response.text.lower()
    finally:
        stop()


# -- experiments -----------------------------------------------------------------------------


def test_fifty_concurrent_first_submissions_share_one_default_experiment(
    tmp_path: Path, adder_text: str
) -> None:
    package = tmp_path / "adder.yaml"
    package.write_text(adder_text)
    clients = 50
    start = threading.Barrier(clients)
    errors: list[BaseException] = []
    run_ids: list[str] = []

    with ServerProcess(tmp_path / "home") as server:

        def submit() -> None:
            try:
                client = kfp.Client(host=server.url)
                start.wait(60)
                run = client.create_run_from_pipeline_package(
                    str(package), arguments={"a": 1, "b": 2}
                )
                run_ids.append(run.run_id)
            except BaseException as exc:  # collected: a thread's exception would be lost
                errors.append(exc)

        threads = [threading.Thread(target=submit) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert not errors, errors[:3]
        assert len(set(run_ids)) == clients
        experiments = httpx.get(server.api + "/experiments", timeout=30).json()["experiments"]
        assert [e["display_name"] for e in experiments] == ["Default"]
        runs = httpx.get(server.api + "/runs", params={"page_size": 100}, timeout=30).json()
        assert runs["total_size"] == clients
        assert {r["experiment_id"] for r in runs["runs"]} == {experiments[0]["experiment_id"]}


def test_concurrent_creates_of_one_experiment_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    running, stop = start_server(tmp_path / "home", db_url=postgres_url, background=False)
    clients = 30
    start = threading.Barrier(clients)
    answers: list[httpx.Response] = []

    def create() -> None:
        start.wait(60)
        answers.append(
            httpx.post(
                running.url + API + "/experiments", json={"display_name": "racy"}, timeout=60
            )
        )

    try:
        threads = [threading.Thread(target=create) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert [a.status_code for a in answers] == [200] * clients, [a.text for a in answers][:3]
        assert len({a.json()["experiment_id"] for a in answers}) == 1
        listed = httpx.get(running.url + API + "/experiments", timeout=30).json()
        assert listed["total_size"] == 1
    finally:
        stop()


def test_a_stored_overflowing_trigger_breaks_neither_lists_nor_the_scheduler(
    http: httpx.Client,
    api_server: RunningServer,
    adder_spec: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A row an older version accepted (start_time 9999-12-31) is listed, never fired."""
    from sluice.server.scheduler import Scheduler
    from sluice.store.models import RecurringRunRow
    from sluice.store.repository import new_id

    state = api_server.state
    row = RecurringRunRow(
        id=new_id(),
        display_name="from-an-older-version",
        pipeline_spec={"pipeline_spec": adder_spec, "platform_spec": None},
        runtime_config={"parameters": {"a": 1, "b": 2}},
        trigger={"cron_schedule": {"cron": "0 0 * * * *", "start_time": "9999-12-31T23:59:59Z"}},
    )
    with state.store.session() as session:
        session.add(row)
    listed = http.get("/recurringruns", params={"page_size": 200})
    assert listed.status_code == 200, listed.text
    mine = [r for r in listed.json()["recurringRuns"] if r["recurring_run_id"] == row.id]
    assert mine and "next_run_time" not in mine[0]
    fired: list[object] = []
    scheduler = Scheduler(
        state.store, state.config.settings, submit=lambda r, slot: fired.append(slot)
    )
    with caplog.at_level("WARNING", logger="sluice.server.scheduler"):
        scheduler.tick()
        scheduler.tick()
    assert fired == []
    warnings = [r for r in caplog.records if row.id in r.getMessage()]
    assert len(warnings) == 1  # once, not on every pass
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_large_json_bodies_are_parsed_and_checked_too(tmp_path: Path) -> None:
    """Bodies past a few hundred kilobytes are parsed in a worker thread, same checks."""
    running, stop = start_server(tmp_path / "home", background=False)
    try:
        url = running.url + API + "/experiments"
        padding = "y" * 400_000  # an unknown field: ignored, as KFP ignores them
        ok = httpx.post(url, json={"display_name": "large", "padding": padding}, timeout=30)
        assert ok.status_code == 200, ok.text
        deep = '{"display_name": "deep", "padding": "' + padding + '", "x": ' + _nested(200) + "}"
        response = httpx.post(
            url, content=deep, headers={"content-type": "application/json"}, timeout=30
        )
        assert "nested deeper" in _error(response, 400)
        assert httpx.get(url, timeout=30).json()["total_size"] == 1
    finally:
        stop()
