"""The pipeline page's version diff (``GET /pipelines/{id}/versions:diff``): how long the
server takes to write two specs as YAML, diff them and summarise the change, for synthetic
pipelines of ``--tasks`` tasks (each with its own component, and an executor whose program
is a 12-line Python string, as ``kfp compile`` writes a lightweight component), one task in
``--every`` given other code.

It calls ``sluice.service.spec_diff`` directly (the endpoint adds two indexed reads), and
with ``--pyyaml`` also times PyYAML's dumper on the same spec, which it replaced. Times are
printed (medians of ``--repeat``), never asserted.

    python benchmarks/spec_diff.py                    # 500 and 2,000 tasks
    python benchmarks/spec_diff.py --tasks 20 --repeat 1 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from sluice.service.spec_diff import diff_specs, spec_yaml

PROGRAM = "\n".join(
    [
        "",
        "import kfp",
        "from kfp import dsl",
        "from kfp.dsl import *",
        "from typing import *",
        "",
        "def step(x: int) -> int:",
        '    """One step."""',
        "    total = x",
        "    for _ in range(3):",
        "        total = total * {factor}",
        "    return total",
        "",
    ]
)


def synthetic_spec(tasks: int, changed_every: int, changed: bool) -> dict[str, Any]:
    """A pipeline spec of ``tasks`` tasks; with ``changed``, every ``changed_every``-th
    task's program differs."""
    spec: dict[str, Any] = {
        "pipelineInfo": {"name": "synthetic"},
        "root": {
            "dag": {"tasks": {}},
            "inputDefinitions": {"parameters": {"n": {"parameterType": "NUMBER_INTEGER"}}},
        },
        "components": {},
        "deploymentSpec": {"executors": {}},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.14.0",
    }
    for i in range(tasks):
        factor = 3 if changed and i % changed_every == 0 else 2
        spec["root"]["dag"]["tasks"][f"step-{i}"] = {
            "cachingOptions": {"enableCache": True},
            "componentRef": {"name": f"comp-step-{i}"},
            "inputs": {"parameters": {"x": {"componentInputParameter": "n"}}},
            "taskInfo": {"name": f"step-{i}"},
        }
        spec["components"][f"comp-step-{i}"] = {
            "executorLabel": f"exec-step-{i}",
            "inputDefinitions": {"parameters": {"x": {"parameterType": "NUMBER_INTEGER"}}},
            "outputDefinitions": {"parameters": {"Output": {"parameterType": "NUMBER_INTEGER"}}},
        }
        spec["deploymentSpec"]["executors"][f"exec-step-{i}"] = {
            "container": {
                "image": "python:3.11",
                "command": [
                    "sh",
                    "-c",
                    "python3 -m kfp.dsl.executor_main",
                    PROGRAM.format(factor=factor),
                ],
                "args": ["--executor_input", "{{$}}", "--function_to_execute", "step"],
            }
        }
    return spec


def _median_ms(repeat: int, work: Any) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def measure(tasks: int, every: int, repeat: int, pyyaml: bool) -> dict[str, Any]:
    base = synthetic_spec(tasks, every, changed=False)
    head = synthetic_spec(tasks, every, changed=True)
    found = diff_specs(base, head, "base", "head")
    result: dict[str, Any] = {
        "tasks": tasks,
        "yaml_lines": spec_yaml(base).count("\n"),
        "tasks_changed": len(found.tasks_changed),
        "diff_lines": found.diff.count("\n") + 1,
        "yaml_ms": _median_ms(repeat, lambda: spec_yaml(base)),
        "diff_specs_ms": _median_ms(repeat, lambda: diff_specs(base, head, "base", "head")),
    }
    if pyyaml:
        import yaml

        result["pyyaml_dump_ms"] = _median_ms(
            repeat, lambda: yaml.safe_dump(base, sort_keys=False, default_flow_style=False)
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--every", type=int, default=50, help="one task in N changes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pyyaml", action="store_true", help="also time PyYAML's dumper")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args()
    for tasks in args.tasks:
        result = measure(tasks, args.every, args.repeat, args.pyyaml)
        if args.json:
            print(json.dumps(result))
        else:
            print("  ".join(f"{key}={value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
