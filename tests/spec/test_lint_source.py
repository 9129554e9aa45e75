"""sluice.spec.lint_source: the ast look at a lightweight component's shipped function."""

from __future__ import annotations

import textwrap

from sluice.spec.lint_source import embedded_function, source_problems

HEADER = "import kfp\nfrom kfp import dsl\nfrom kfp.dsl import *\nfrom typing import *\n\n"


def _problems(source: str, *, parameters: list[str], artifacts: list[str]) -> list[str]:
    program = HEADER + textwrap.dedent(source)
    embedded = embedded_function(["sh", "-c", "prelude", program], ["--function_to_execute", "f"])
    assert embedded is not None
    found = source_problems(embedded, output_parameters=parameters, output_artifacts=artifacts)
    return [p.problem for p in found]


def test_a_function_that_writes_what_it_declares_is_clean() -> None:
    source = """
    def f(rows: int, data: Output[Dataset], note: OutputPath(str)) -> int:
        import json
        with open(data.path, "w") as out:
            json.dump([r for r in range(rows)], out)
        with open(note, "w") as out:
            out.write("ok")
        try:
            return rows
        except ValueError as exc:
            raise RuntimeError(str(exc)) from exc
    """
    assert _problems(source, parameters=["note", "Output"], artifacts=["data"]) == []


def test_names_bound_anywhere_in_the_program_count() -> None:
    source = """
    LIMIT = 3

    def f(rows: int) -> None:
        total = 0
        for i in range(rows):
            total += i if (half := i // 2) else half
        print(total, LIMIT, [x for x in range(2)], Dataset)
    """
    assert _problems(source, parameters=[], artifacts=[]) == []


def test_no_function_or_unparsable_source_is_left_alone() -> None:
    assert embedded_function(["echo", "hi"], ["--other"]) is None
    assert embedded_function(["def f(:"], ["--function_to_execute", "f"]) is None
    assert embedded_function(["x = 1"], ["--function_to_execute"]) is None


def test_an_unknown_star_import_disables_the_name_check() -> None:
    source = """
    from some_module_that_is_not_installed import *

    def f() -> None:
        print(anything)
    """
    assert _problems(source, parameters=[], artifacts=[]) == []
