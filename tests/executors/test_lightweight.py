"""strip_lightweight_prelude on real compiled commands, and the requirement checks."""

from __future__ import annotations

import kfp

from sluice.executors.lightweight import (
    is_kfp_requirement,
    strip_lightweight_prelude,
    unsatisfied_requirements,
)

from . import components as c
from .support import raw_command

KFP_PIN = f"kfp=={kfp.__version__}"


def test_plain_component_is_recognised() -> None:
    command = raw_command(c.add)
    parsed = strip_lightweight_prelude(command)
    assert parsed is not None
    assert parsed.packages == ()
    assert parsed.kfp_packages[0] == KFP_PIN
    assert parsed.index_urls == ()
    assert parsed.module == "kfp.dsl.executor_main"
    assert parsed.args == ("--executor_input", "{{$}}", "--function_to_execute", "add")
    assert parsed.function_name == "add"
    assert "def add(a: int, b: int) -> int:" in parsed.source
    assert parsed.source == command[6]


def test_packages_and_index_urls() -> None:
    parsed = strip_lightweight_prelude(raw_command(c.with_indexes))
    assert parsed is not None
    assert parsed.packages == ("six", "termcolor>=2")
    assert parsed.kfp_packages[0] == KFP_PIN
    assert parsed.index_url == "https://pypi.org/simple"
    assert parsed.extra_index_urls == ("https://example.com/simple",)
    assert parsed.index_urls == ("https://pypi.org/simple", "https://example.com/simple")
    assert parsed.trusted_hosts == ("https://pypi.org/simple", "https://example.com/simple")
    assert parsed.function_name == "with_indexes"


def test_git_package_no_kfp_install_and_kfp_package_path() -> None:
    git = strip_lightweight_prelude(raw_command(c.git_package))
    assert git is not None
    assert git.packages == ("git+https://github.com/x/y.git",)
    assert git.kfp_packages[0] == KFP_PIN

    bare = strip_lightweight_prelude(raw_command(c.no_kfp_install))
    assert bare is not None
    assert (bare.packages, bare.kfp_packages) == ((), ())
    assert bare.function_name == "no_kfp_install"

    from_git = strip_lightweight_prelude(raw_command(c.kfp_from_git))
    assert from_git is not None
    assert from_git.packages == ()
    assert from_git.kfp_packages == (
        "git+https://github.com/kubeflow/pipelines#subdirectory=sdk/python",
    )


def test_use_venv_prelude() -> None:
    parsed = strip_lightweight_prelude(raw_command(c.in_venv))
    assert parsed is not None
    assert parsed.packages == ("six",)
    assert parsed.kfp_packages[0] == KFP_PIN


def test_whitespace_and_quoting_do_not_matter() -> None:
    command = raw_command(c.with_indexes)
    prelude = command[2]
    reformatted = (
        prelude.replace("  &&  ", " &&\n   ")
        .replace(" --quiet", "   --quiet")
        .replace("'six'", '"six"')
        .replace("--index-url https://pypi.org/simple", "--index-url=https://pypi.org/simple")
    )
    launcher = command[5].replace("                         ", " ")
    variant = [*command[:2], reformatted, command[3], command[4], launcher, *command[6:]]
    assert strip_lightweight_prelude(variant) == strip_lightweight_prelude(command)


def test_other_commands_are_not_recognised() -> None:
    assert strip_lightweight_prelude(raw_command(c.echo)) is None
    assert strip_lightweight_prelude(["sh", "-c", "echo hi > $0", "/tmp/x"]) is None
    assert strip_lightweight_prelude([]) is None
    command = raw_command(c.with_indexes)
    # A prelude doing more than pip installs must run verbatim.
    extra = command[2].replace("PIP_DISABLE", "apt-get install -y libgomp1 && PIP_DISABLE")
    assert strip_lightweight_prelude([*command[:2], extra, *command[3:]]) is None
    # pip options that change what gets installed are not understood either.
    with_r = command[2].replace("'six'", "-r requirements.txt")
    assert strip_lightweight_prelude([*command[:2], with_r, *command[3:]]) is None
    # A launcher that is not KFP's.
    other = command[5].replace("kfp.dsl.executor_main", "mytool.main")
    assert strip_lightweight_prelude([*command[:5], other, *command[6:]]) is None


def test_unsatisfied_requirements() -> None:
    assert unsatisfied_requirements(["six", "six>=1.0", "packaging"]) == []
    assert unsatisfied_requirements(["six>=999"]) == ["six>=999"]
    assert unsatisfied_requirements(["sluice-no-such-package-kq7z"]) == [
        "sluice-no-such-package-kq7z"
    ]
    assert unsatisfied_requirements(["git+https://github.com/x/y.git"]) == [
        "git+https://github.com/x/y.git"
    ]
    assert unsatisfied_requirements(["six @ https://example.com/six.whl"]) == [
        "six @ https://example.com/six.whl"
    ]
    # Markers that do not apply are skipped, as pip would.
    assert unsatisfied_requirements(['nothing-here-kq7z; python_version<"3"']) == []
    # Any kfp 2.x runs any kfp 2.x component.
    assert unsatisfied_requirements(["kfp==2.0.1", KFP_PIN]) == []


def test_is_kfp_requirement() -> None:
    assert is_kfp_requirement("kfp==2.7.0")
    assert is_kfp_requirement("kfp[kubernetes]>=2")
    assert is_kfp_requirement("git+https://github.com/kubeflow/pipelines#subdirectory=sdk/python")
    assert not is_kfp_requirement("kfp-kubernetes")
    assert not is_kfp_requirement("six")
