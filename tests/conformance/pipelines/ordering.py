"""``.after()`` ordering without a data dependency."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.

from kfp import dsl


@dsl.component
def record(label: str, log: str):
    """Appends ``label`` to the shared log file."""
    import time

    # A short pause makes a wrong order (both started at once) visible in the file.
    time.sleep(0.1)
    with open(log, "a") as f:
        f.write(label + "\n")


@dsl.pipeline(name="after-ordering")
def after_ordering(log: str):
    """third after second after first; ``fan`` after both ``first`` and ``second``."""
    first = record(label="first", log=log)
    second = record(label="second", log=log).after(first)
    third = record(label="third", log=log).after(second)
    record(label="last", log=log).after(third, first)
