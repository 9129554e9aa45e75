"""Resource requests: recorded cpu/memory, unsatisfiable accelerators."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.

from kfp import dsl


@dsl.component
def light(x: int) -> int:
    """Trivial work."""
    return x + 1


@dsl.pipeline(name="cpu-memory")
def cpu_memory(x: int = 1) -> int:
    """cpu/memory limits and requests are recorded on the task."""
    t = light(x=x)
    t.set_cpu_limit("1").set_memory_limit("1G").set_cpu_request("500m").set_memory_request("256M")
    return t.output


@dsl.pipeline(name="needs-gpu")
def needs_gpu(x: int = 1) -> int:
    """An accelerator this machine does not have."""
    t = light(x=x)
    t.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1)
    return t.output


@dsl.component
def pick_cpu() -> str:
    """A resource value computed at run time."""
    return "2"


@dsl.pipeline(name="cpu-from-output")
def cpu_from_output(x: int = 1) -> int:
    """set_cpu_limit(task.output): an edge that only exists through the resource input.

    kfp-ir.md: the compiler emits a taskOutputParameter input but no dependentTasks entry,
    so the engine must derive the dependency from the producer reference.
    """
    cpu = pick_cpu()
    t = light(x=x)
    t.set_cpu_limit(cpu.output)
    return t.output
