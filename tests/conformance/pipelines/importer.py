"""dsl.importer: local paths, file:// URIs, reimport, static metadata."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.

from kfp import dsl
from kfp.dsl import Dataset, Input


@dsl.component
def read_imported(data: Input[Dataset]) -> dict:
    """Reads an imported artifact and echoes its metadata."""
    path = data.path
    # An engine may hand a file:// URI through unchanged; both forms name the same file.
    if path.startswith("file://"):
        path = path[len("file://") :]
    with open(path) as f:
        content = f.read()
    return {"content": content, "metadata": dict(data.metadata), "uri": data.uri}


@dsl.pipeline(name="import-reuse")
def import_reuse(uri: str) -> dict:
    """Importer with the default ``reimport=False`` and static metadata."""
    imp = dsl.importer(
        artifact_uri=uri,
        artifact_class=Dataset,
        reimport=False,
        metadata={"source": "conformance", "version": 2},
    )
    return read_imported(data=imp.output).output


@dsl.pipeline(name="import-always")
def import_always(uri: str) -> dict:
    """Importer with ``reimport=True``."""
    imp = dsl.importer(artifact_uri=uri, artifact_class=Dataset, reimport=True)
    return read_imported(data=imp.output).output


def make_constant_import(uri: str) -> dsl.base_component.BaseComponent:
    """A pipeline whose importer URI is a compile-time constant (``artifactUri.constant``)."""

    @dsl.pipeline(name="import-constant")
    def import_constant() -> dict:
        imp = dsl.importer(artifact_uri=uri, artifact_class=Dataset, metadata={"k": "v"})
        return read_imported(data=imp.output).output

    return import_constant
