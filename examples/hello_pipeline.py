"""The smallest useful pipeline: two tasks, one feeding the other.

sluice run examples/hello_pipeline.py -p name=Ada
"""

from kfp import dsl


@dsl.component(base_image="python:3.11")
def greet(name: str) -> str:
    """Build a greeting for ``name``."""
    message = f"Hello, {name}!"
    print(message)
    return message


@dsl.component(base_image="python:3.11")
def shout(message: str, times: int) -> str:
    """Upper-case the message and repeat it ``times`` times."""
    loud = " ".join([message.upper()] * times)
    print(loud)
    return loud


@dsl.pipeline(name="hello-pipeline", description="Greet someone, then shout it.")
def hello_pipeline(name: str = "World", times: int = 2) -> str:
    """greet -> shout; returns the shouted greeting."""
    hello = greet(name=name)
    return shout(message=hello.output, times=times).output
