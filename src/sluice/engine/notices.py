"""One-off notices for the user about how a run's tasks are run."""

from __future__ import annotations

import re

from sluice.engine.context import RunContext
from sluice.engine.executor_input import ContainerSpec

# The official Python images (kfp's default base image is one): `python`, `python:3.11-slim`,
# `docker.io/library/python:3.11@sha256:...`.
_PYTHON_IMAGE = re.compile(r"(?:docker\.io/)?(?:library/)?python(?::[\w.-]+)?(?:@[\w:]+)?")


def unused_image_notice(ctx: RunContext, path: str, container: ContainerSpec) -> str | None:
    """The notice that a task's image is not used (running on the host), once per image per run.

    A lightweight Python component whose image is an official ``python`` image gets none: on
    the host it runs on this Python with its ``packages_to_install``, which is all such an image
    would give it. Any other image (a container component's, or a lightweight component's
    custom ``base_image``) may hold programs, packages or files the host lacks.
    """
    image = str(container.image)
    # An executor that does not say is taken to use images (no notice rather than a wrong one).
    if getattr(ctx.executor, "uses_images", True) or not image or image in ctx.noticed_images:
        return None
    # kfp's launcher passes the function's name to its executor; a container component that
    # happens to run kfp's executor is a lightweight component in all but name.
    # (Asked for every task of such a component: the cheap test first, no copy of the args.)
    flag = "--function_to_execute"
    lightweight = flag in container.args or flag in container.command
    if lightweight and _PYTHON_IMAGE.fullmatch(image):
        return None
    ctx.noticed_images.add(image)
    where = "on the host's Python" if lightweight else "on the host"
    return (
        f"task {path}: image {image} is not used; running {where} — --use-container runs it "
        f"in Docker/Podman"
    )
