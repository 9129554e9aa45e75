"""KFP components compiled by the executor tests (kept in a module: kfp needs their source)."""

# No `from __future__ import annotations`: kfp reads the real annotation objects.

import warnings

from kfp import dsl

warnings.filterwarnings("ignore", category=FutureWarning, module="kfp")

IMAGE = "python:3.11"


@dsl.component(base_image=IMAGE)
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image=IMAGE)
def fail(message: str) -> str:
    raise ValueError(message)


@dsl.component(base_image=IMAGE)
def fail_chained(message: str) -> str:
    """Prints a fake traceback, then raises inside an except block, chained twice."""
    print("Traceback (most recent call last):\n  File 'fake.py', line 1\nFakeError: printed")

    def parse(text: str) -> int:
        return int(text)

    try:
        try:
            parse(message)
        except ValueError as exc:
            raise KeyError("lookup") from exc
    except KeyError:
        raise RuntimeError(f"chained: {message}")  # noqa: B904 (an implicit chain on purpose)


@dsl.component(base_image=IMAGE)
def chatty(text: str) -> str:
    print("stdout says", text)  # no flush: exit must flush it
    import sys

    print("stderr says", text, file=sys.stderr)
    return text


@dsl.component(base_image=IMAGE)
def read_env(name: str) -> str:
    import os

    return os.environ[name] + "|" + os.environ.get("_KFP_RUNTIME", "")


@dsl.component(base_image=IMAGE)
def sleeper(pid_file: str, seconds: float) -> str:
    import os
    import time

    with open(pid_file, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(seconds)
    return "woke"


@dsl.component(base_image=IMAGE)
def exits(code: int):
    import sys

    sys.exit(code)


@dsl.component(base_image=IMAGE)
def imports_module(name: str) -> bool:
    import importlib
    import sys

    before = name in sys.modules
    importlib.import_module(name)
    return before


@dsl.component(base_image=IMAGE)
def leaks_open_file(path: str) -> str:
    global leaked
    leaked = open(path, "w")  # noqa: SIM115 - never closed: shutdown must still flush it
    leaked.write("flushed at exit")
    return "ok"


@dsl.component(base_image=IMAGE)
def writes_dataset(rows: int, data: dsl.Output[dsl.Dataset]):
    with open(data.path, "w") as f:
        f.write("x\n" * rows)
    data.metadata["rows"] = rows


@dsl.component(base_image=IMAGE, packages_to_install=["six"])
def uses_six() -> str:
    import six

    return six.__name__


@dsl.component(
    base_image=IMAGE,
    packages_to_install=["inflection==0.5.1"],
    pip_index_urls=["https://pypi.org/simple"],
)
def uses_inflection(word: str) -> str:
    import inflection

    return inflection.camelize(word) + "|" + inflection.__file__


@dsl.component(base_image=IMAGE, packages_to_install=["sluice-no-such-package-kq7z==1.0"])
def needs_missing_package() -> str:
    return "unreachable"


@dsl.component(
    base_image="python:3.12",
    packages_to_install=["six", "termcolor>=2"],
    pip_index_urls=["https://pypi.org/simple", "https://example.com/simple"],
)
def with_indexes(a: int) -> int:
    return a


@dsl.component(base_image=IMAGE, packages_to_install=["git+https://github.com/x/y.git"])
def git_package(a: int) -> int:
    return a


@dsl.component(base_image=IMAGE, install_kfp_package=False)
def no_kfp_install(a: int) -> int:
    return a


@dsl.component(
    base_image=IMAGE,
    kfp_package_path="git+https://github.com/kubeflow/pipelines#subdirectory=sdk/python",
)
def kfp_from_git(a: int) -> int:
    return a


@dsl.component(base_image=IMAGE, use_venv=True, packages_to_install=["six"])
def in_venv(a: int) -> int:
    return a


@dsl.container_component
def echo(message: str):
    return dsl.ContainerSpec(image="alpine", command=["echo"], args=[message])


@dsl.container_component
def write_file(text: str, out: dsl.OutputPath(str)):
    return dsl.ContainerSpec(
        image=IMAGE,
        command=["sh", "-c", 'mkdir -p "$(dirname "$1")" && echo "$0" > "$1"'],
        args=[text, out],
    )


@dsl.container_component
def missing_program():
    return dsl.ContainerSpec(
        image="example.com/tool:1", command=["sluice-no-such-tool"], args=["x"]
    )
