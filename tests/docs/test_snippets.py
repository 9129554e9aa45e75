"""Every ```python and ```sh block in README.md and docs/*.md runs as written.

Blocks run in document order, as a reader would run them, in a working directory that has
``examples/`` and a fresh ``SLUICE_HOME`` per document. A document whose snippets need an
earlier run says so with ``<!-- snippet: setup (sluice run ...) -->``; the test runs that
first. Shell blocks may hold only ``sluice ...`` command lines (with ``VAR=value`` prefixes
and comments).

A block that cannot run as written (it starts a server, installs, is a synopsis) is preceded
by ``<!-- snippet: skip (reason) -->``, so that skipping is visible in the document itself.

Shell blocks may use these placeholders, filled in from the store just before the block
runs: ``<run>``, ``RUN`` and ``RUN_A`` (the newest run's id), ``RUN_B`` (the one before),
``ID_OR_URI`` (the newest model artifact's id); ``/tmp/scratch`` becomes a directory of the
test's own.

The README's command synopsis is checked separately: it must name every command and option
of the ``sluice`` CLI.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = {"python", "sh", "bash"}
# $SLUICE_HOME entries that exist only in some environments: venvs/ appears only when a
# component's packages are missing from the environment (the dev environment has them).
SOMETIMES = {"venvs"}
_FENCE = re.compile(r"^```(\w*)\s*$")
_SKIP = re.compile(r"^<!--\s*snippet:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->$")


@dataclass(frozen=True)
class Snippet:
    """One fenced block of a markdown file."""

    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    skip: str | None  # the reason given in a skip marker

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def snippets(path: Path) -> list[Snippet]:
    """The fenced blocks of ``path``, with the skip marker (if any) just above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Snippet] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        assert end < len(lines), f"{path}:{index + 1}: unclosed code block"
        above = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = _SKIP.match(above)
        found.append(
            Snippet(
                path=path,
                line=index + 1,
                language=fence.group(1),
                code="\n".join(lines[index + 1 : end]) + "\n",
                skip=marker.group("reason") if marker else None,
            )
        )
        index = end + 1
    return found


def _runnable(path: Path) -> list[Snippet]:
    return [s for s in snippets(path) if s.language in RUNNABLE and s.skip is None]


# --- the environment the snippets run in -----------------------------------------------------
#
# Blocks run in this process (CliRunner for `sluice ...` lines, exec for Python), not in
# subprocesses: each new interpreter would pay for importing kfp again, and the whole test
# must stay well under a minute.

_runner = CliRunner()


@dataclass
class Reader:
    """A reader's session: a working directory with examples/ and a fresh SLUICE_HOME."""

    cwd: Path
    home: Path

    def sh(self, snippet: Snippet) -> None:
        """Run each command line of a shell block; only `sluice ...` commands are allowed."""
        from sluice.cli.main import app

        for raw in snippet.code.splitlines():
            words = shlex.split(_fill_placeholders(raw, self), comments=True)
            if not words:
                continue
            env = {}
            while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            assert words and words[0] == "sluice", (
                f"{snippet.where}: {raw.strip()!r} is not a `sluice` command; mark the block "
                "with <!-- snippet: skip (reason) --> if it cannot run here"
            )
            with pytest.MonkeyPatch.context() as local:
                for name, value in env.items():
                    local.setenv(name, value)
                result = _runner.invoke(app, words[1:], catch_exceptions=True)
            assert result.exit_code == 0, (
                f"{snippet.where}: {raw.strip()!r} exited with {result.exit_code}\n"
                f"{result.output}\n{result.exception!r}"
            )

    def python(self, snippet: Snippet) -> None:
        """Run a Python block as a script in the working directory."""
        code = compile(snippet.code, snippet.where, "exec")
        try:
            exec(code, {"__name__": "__main__"})
        except Exception as exc:
            pytest.fail(f"{snippet.where} raised {exc!r}\n{snippet.code}")


@pytest.fixture
def reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Reader:
    """A fresh store and a working directory where ``examples/`` is (as in a clone)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    for name in ("SLUICE_DB_URL", "SLUICE_HOST", "COLUMNS", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))  # `from examples.train_pipeline import ...`
    return Reader(cwd=work, home=tmp_path / "home")


def _fill_placeholders(code: str, reader: Reader) -> str:
    values: dict[str, str] = {"/tmp/scratch": str(reader.cwd / "scratch")}
    if re.search(r"<run>|\bRUN(_A|_B)?\b", code):
        import sluice

        runs = sluice.list_runs(limit=2)
        assert runs, f"no run yet for the placeholder in {code!r}"
        values |= {"<run>": runs[0].id, "RUN_A": runs[0].id, "RUN": runs[0].id}
        values["RUN_B"] = runs[-1].id
    if "ID_OR_URI" in code:
        import sluice.metadata as md

        models = md.Artifact.list(filter='schema_title="system.Model"', order_by="create_time desc")
        assert models, f"no model artifact yet for the placeholder in {code!r}"
        values["ID_OR_URI"] = str(models[0].id)
    for placeholder, value in values.items():
        boundary = r"(?<![\w-])" if placeholder[0].isalnum() else ""
        code = re.sub(boundary + re.escape(placeholder) + r"(?![\w-])", value, code)
    return code


def _setup(path: Path) -> list[str]:
    """Commands a document says must have run before its snippets (its setup markers)."""
    text = path.read_text(encoding="utf-8")
    return [
        m.group(1).strip() for m in re.finditer(r"<!--\s*snippet:\s*setup\s*\((.+?)\)\s*-->", text)
    ]


# --- the tests -------------------------------------------------------------------------------


def test_markers_belong_to_blocks() -> None:
    """A skip marker stands right above a runnable block, and the scanner finds blocks."""
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        marked = sum(1 for s in snippets(path) if s.skip is not None)
        assert marked + len(_setup(path)) == len(re.findall(r"<!--\s*snippet:", text)), (
            f"{path.relative_to(ROOT)}: a '<!-- snippet: skip (reason) -->' marker is not "
            "directly above a code block, or a marker is misspelt"
        )
        for snippet in snippets(path):
            assert snippet.skip is None or snippet.language in RUNNABLE, snippet.where
    assert len(_runnable(ROOT / "README.md")) >= 4


@pytest.mark.slow
@pytest.mark.parametrize(
    "document",
    [d for d in DOCUMENTS if _runnable(d)],
    ids=lambda d: str(d.relative_to(ROOT)),
)
def test_document_snippets_run_as_written(document: Path, reader: Reader) -> None:
    for command in _setup(document):
        reader.sh(Snippet(document, 0, "sh", command + "\n", None))
    for snippet in _runnable(document):
        if snippet.language == "python":
            reader.python(snippet)
        else:
            reader.sh(snippet)
    # The paths the prose points at exist once its snippets ran (`$SLUICE_HOME/logs` did not).
    for mentioned in re.findall(r"`\$SLUICE_HOME/([^`]+)`", document.read_text("utf-8")):
        if mentioned.split("/")[0] in SOMETIMES:
            continue
        pattern = re.sub(r"<[^>]+>", "*", mentioned).replace("attempt-N", "attempt-*")
        assert list(reader.home.glob(pattern)), (
            f"{document.relative_to(ROOT)} mentions $SLUICE_HOME/{mentioned}, which the "
            "snippets did not create"
        )


def _synopsis() -> str:
    readme = snippets(ROOT / "README.md")
    blocks = [s for s in readme if s.skip and "synopsis" in s.skip]
    assert len(blocks) == 1, "README.md: expected one synopsis block under 'Command line'"
    return blocks[0].code


def _commands() -> dict[str, list[list[str]]]:
    """Every leaf command of the CLI ("runs list") and the spellings of each of its options."""
    from sluice.cli.main import app

    found: dict[str, list[list[str]]] = {}

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, [*path, name])
            return
        options = [
            [*param.opts, *param.secondary_opts]
            for param in getattr(command, "params", [])
            if param.param_type_name == "option" and "--help" not in param.opts
        ]
        found[" ".join(path)] = options

    walk(typer.main.get_command(app), [])
    return found


def test_readme_synopsis_lists_every_command_and_option() -> None:
    commands = _commands()
    assert "run" in commands and "runs list" in commands
    # Lines starting with `sluice <command>`; an indented line continues the one above.
    text_of: dict[str, str] = {}
    current = None
    for line in _synopsis().splitlines():
        if line.startswith("sluice "):
            words = line.split()[1:]
            current = next(
                (" ".join(words[:n]) for n in (2, 1) if " ".join(words[:n]) in commands), None
            )
            assert current is not None, f"README synopsis names no known command: {line!r}"
        assert current is not None, f"README synopsis line outside a command: {line!r}"
        text_of[current] = text_of.get(current, "") + " " + line
    problems = [f"`sluice {c}` is not in the synopsis" for c in commands if c not in text_of]
    for command, options in commands.items():
        for spellings in options:
            if command in text_of and not any(
                re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text_of[command])
                for s in spellings
            ):
                problems.append(f"`sluice {command}` synopsis lacks {' / '.join(spellings)}")
    assert not problems, "README.md's Command line synopsis:\n" + "\n".join(problems)
