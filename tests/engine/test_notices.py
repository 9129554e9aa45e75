"""Which tasks get the notice that their image is not used on the host."""

# No `from __future__ import annotations`: kfp reads the annotations of components defined in
# functions here, and cannot resolve them as strings.

from types import SimpleNamespace
from typing import Any

import pytest
from google.protobuf import json_format
from kfp import dsl
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.notices import unused_image_notice


def _container(component: Any) -> Any:
    """The IR container spec of a compiled component (the IR keeps it in a Struct)."""
    deployment = json_format.ParseDict(
        json_format.MessageToDict(component.pipeline_spec.deployment_spec),
        pipeline_spec_pb2.PipelineDeploymentConfig(),
    )
    (executor,) = deployment.executors.values()
    return executor.container


def _image_component(image: str) -> Any:
    @dsl.component(base_image=image)
    def lightweight(x: int) -> int:
        return x

    return lightweight


@dsl.container_component
def shell():  # kfp refuses a return annotation on a container component
    return dsl.ContainerSpec(image="python:3.11", command=["python", "train.py"])


def _ctx(use_container: bool = False) -> Any:
    executor = SimpleNamespace(uses_images=use_container)
    return SimpleNamespace(executor=executor, noticed_images=set())


@pytest.mark.parametrize(
    "image", ["python:3.11", "python:3.9-slim", "python", "docker.io/library/python:3.12"]
)
def test_lightweight_components_on_python_images_get_none(image: str) -> None:
    assert unused_image_notice(_ctx(), "t", _container(_image_component(image))) is None


def test_lightweight_component_on_another_image_gets_one() -> None:
    ctx = _ctx()
    container = _container(_image_component("pytorch/pytorch:2.1.0"))
    notice = unused_image_notice(ctx, "train", container)
    assert notice == (
        "task train: image pytorch/pytorch:2.1.0 is not used; running on the host's Python — "
        "--use-container runs it in Docker/Podman"
    )
    assert unused_image_notice(ctx, "train-2", container) is None  # once per image per run


def test_container_component_gets_one_even_on_a_python_image() -> None:
    notice = unused_image_notice(_ctx(), "shell", _container(shell))
    assert notice is not None and notice.startswith("task shell: image python:3.11 is not used")


def test_none_when_running_in_containers() -> None:
    assert unused_image_notice(_ctx(use_container=True), "shell", _container(shell)) is None
