"""ARR-COC: texture arrays, three relevance scorers, a quality adapter, register and deploy.

The seed's training pipeline at CPU scale, written for Vertex AI Pipelines and unchanged for
Sluice. Images are synthesised (nothing is downloaded); the task is to tell, for each 8x8
patch of an image, whether it shows the query object (a striped disk of one colour among
smooth distractor disks). The stages:

1. ``prepare_texture_arrays``: a 13-channel texture array per image (RGB, CIE LAB, Sobel x/y,
   spatial x/y, eccentricity, two placeholder channels kept for the seed's later channels),
   reduced to one 13-value feature row per patch.
2. ``train_relevance_scorer`` in a ``ParallelFor`` over the three ways of knowing, each a
   logistic regression (numpy gradient descent) over the channels that way of knowing reads:
   propositional (texture content: Sobel), perspectival (salience: LAB and eccentricity),
   participatory (coupling to the query: RGB and LAB). ``dsl.Collected`` gathers them.
3. ``train_quality_adapter``: a small neural net (scikit-learn MLP) over the features and the
   three scorers' logits, saved as a ``model.joblib`` that Vertex's prebuilt scikit-learn
   serving image loads. With ``num_gpus > 0`` it asks for accelerators
   (``set_accelerator_type``/``set_accelerator_limit``).
4. ``evaluate_adapter``: ``Metrics`` and ``ClassificationMetrics`` on held-out images.
5. ``register_model``: ``aiplatform.Model.upload``; then, under
   ``dsl.If(accuracy > accuracy_threshold)``, ``deploy_model`` (``Endpoint.create``,
   ``model.deploy``) and ``predict_from_endpoint`` (``endpoint.predict``).

``training`` (stages 1-4) is a pipeline of its own, so it can be run and tested in-process with
``sluice.run`` without any server (see ``tests/examples/test_arr_coc.py``).

Compile for Vertex: ``python examples/arr_coc/pipeline.py`` writes ``arr_coc.yaml``.
"""

from typing import NamedTuple

from kfp import compiler, dsl
from kfp.dsl import ClassificationMetrics, Dataset, Input, Metrics, Model, Output

BASE_IMAGE = "python:3.11"
# On Vertex every component starts from a bare image, so each names what it imports. Sluice
# installs nothing when the environment running the tasks already has them.
ML_PACKAGES = ["numpy", "scikit-learn", "joblib"]
VERTEX_PACKAGES = ["google-cloud-aiplatform", "numpy"]
SCORERS = ["propositional", "perspectival", "participatory"]
# Vertex's prebuilt scikit-learn serving image. Match its version to the scikit-learn the
# adapter was trained with (docs: "Prebuilt containers for prediction").
SKLEARN_SERVING_IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-5:latest"


@dsl.component(base_image=BASE_IMAGE, packages_to_install=ML_PACKAGES)
def prepare_texture_arrays(
    num_images: int, image_size: int, seed: int, textures: Output[Dataset]
) -> int:
    """Synthesise images, build their 13-channel texture arrays, write per-patch features.

    Returns the number of patches.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    size, patch = image_size, 8
    query_colour = np.array([0.85, 0.25, 0.2])
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)

    def disk(image, mask_out, colour, striped):
        radius = rng.uniform(0.12, 0.22)
        cy, cx = rng.uniform(radius, 1 - radius, size=2)
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < radius**2
        shade = 0.75 + 0.25 * np.sign(np.sin(xx * size * 1.6)) if striped else 1.0
        image[mask] = (colour * np.broadcast_to(shade, (size, size))[..., None])[mask]
        if mask_out is not None:
            mask_out |= mask

    def lab(rgb):
        linear = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
        xyz = (
            linear
            @ np.array(
                [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
            ).T
        )
        xyz /= np.array([0.9505, 1.0, 1.089])
        f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
        return np.stack(
            [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
            axis=-1,
        ) / np.array([100.0, 128.0, 128.0])

    def sobel(gray):
        padded = np.pad(gray, 1, mode="edge")
        gx = (
            padded[:-2, 2:] + 2 * padded[1:-1, 2:] + padded[2:, 2:]
            - padded[:-2, :-2] - 2 * padded[1:-1, :-2] - padded[2:, :-2]
        )  # fmt: skip
        gy = (
            padded[2:, :-2] + 2 * padded[2:, 1:-1] + padded[2:, 2:]
            - padded[:-2, :-2] - 2 * padded[:-2, 1:-1] - padded[:-2, 2:]
        )  # fmt: skip
        return gx, gy

    rows, labels, image_ids = [], [], []
    for index in range(num_images):
        image = rng.uniform(0.3, 0.5, size=(size, size, 3)) + rng.normal(0, 0.02, (size, size, 3))
        target = np.zeros((size, size), dtype=bool)
        for _ in range(rng.integers(1, 3)):  # distractors: other colours, smooth
            disk(image, None, rng.uniform(0.1, 0.9, size=3) * np.array([0.5, 1, 1]), False)
        if rng.random() < 0.8:
            disk(image, target, query_colour, True)
        image = np.clip(image, 0, 1)
        gx, gy = sobel(image.mean(axis=-1))
        eccentricity = np.hypot(yy - 0.5, xx - 0.5) / np.sqrt(0.5)
        channels = np.concatenate(
            [
                image,  # 0-2 RGB
                lab(image),  # 3-5 LAB
                np.abs(np.stack([gx, gy], axis=-1)),  # 6-7 Sobel x/y magnitude
                np.stack([xx, yy], axis=-1),  # 8-9 spatial coordinates
                eccentricity[..., None],  # 10 eccentricity
                np.zeros((size, size, 2)),  # 11-12 placeholders (the seed's later channels)
            ],
            axis=-1,
        )
        for top in range(0, size, patch):
            for left in range(0, size, patch):
                window = channels[top : top + patch, left : left + patch]
                rows.append(window.reshape(-1, 13).mean(axis=0))
                labels.append(target[top : top + patch, left : left + patch].mean() > 0.3)
                image_ids.append(index)
    features = np.asarray(rows, dtype=np.float32)
    test = np.asarray(image_ids) >= int(num_images * 0.75)
    with open(textures.path, "wb") as out:
        np.savez(out, features=features, labels=np.asarray(labels, dtype=np.int64), test=test)
    textures.metadata.update(
        {"channels": 13, "images": num_images, "patches": len(rows), "format": "npz"}
    )
    return len(rows)


@dsl.component(base_image=BASE_IMAGE, packages_to_install=ML_PACKAGES)
def train_relevance_scorer(
    textures: Input[Dataset], scorer: str, epochs: int, scorer_model: Output[Model]
) -> float:
    """One way of knowing: logistic regression over its channels. Returns train accuracy."""
    import json

    import numpy as np

    channels = {
        "propositional": [6, 7],
        "perspectival": [3, 4, 5, 10],
        "participatory": [0, 1, 2, 3, 4, 5],
    }[scorer]
    with open(textures.path, "rb") as source:
        data = np.load(source)
        train = ~data["test"]
        x, y = data["features"][train][:, channels], data["labels"][train]
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    weights, bias = np.zeros(len(channels)), 0.0
    for _ in range(epochs):
        p = 1 / (1 + np.exp(-(z @ weights + bias)))
        weights -= 0.5 * z.T @ (p - y) / len(y)
        bias -= 0.5 * float(np.mean(p - y))
    accuracy = float(np.mean(((z @ weights + bias) > 0) == y))
    # As a weight over all 13 features, so the adapter can fold the scorer into one matrix.
    full = np.zeros(13)
    full[channels] = weights / std
    with open(scorer_model.path, "w") as out:
        json.dump(
            {
                "scorer": scorer,
                "weights": full.tolist(),
                "bias": bias - float(full[channels] @ mean),
            },
            out,
        )
    scorer_model.metadata.update({"scorer": scorer, "train_accuracy": accuracy})
    return accuracy


@dsl.component(base_image=BASE_IMAGE, packages_to_install=ML_PACKAGES)
def combine_scorers(scorers: Input[list[Model]], relevance: Output[Model]) -> None:
    """Fold the three scorers into one linear map: 13 features -> 13 features + 3 logits."""
    import json

    import numpy as np

    columns = [np.eye(13)]
    names = []
    for scorer in sorted(scorers, key=lambda m: m.metadata["scorer"]):
        with open(scorer.path) as source:
            saved = json.load(source)
        columns.append(np.asarray(saved["weights"])[:, None])
        names.append(saved["scorer"])
    with open(relevance.path, "wb") as out:
        np.save(out, np.hstack(columns))
    relevance.metadata.update({"scorers": names, "outputs": 13 + len(names)})


@dsl.component(base_image=BASE_IMAGE, packages_to_install=ML_PACKAGES)
def train_quality_adapter(
    textures: Input[Dataset],
    relevance: Input[Model],
    num_gpus: int,
    seed: int,
    adapter: Output[Model],
) -> None:
    """The quality adapter: an MLP over the features and the scorers' logits.

    Saved as ``<adapter>/model.joblib``: a scikit-learn pipeline whose first step is the
    scorers' linear map, so Vertex's prebuilt scikit-learn image serves it as it is.
    """
    import os

    import joblib
    import numpy as np
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    with open(relevance.path, "rb") as source:
        projection = np.load(source)
    with open(textures.path, "rb") as source:
        data = np.load(source)
        train = ~data["test"]
        x, y = data["features"][train], data["labels"][train]
    model = make_pipeline(
        FunctionTransformer(np.dot, kw_args={"b": projection}),
        StandardScaler(),
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=400, random_state=seed),
    )
    model.fit(x, y)
    os.makedirs(adapter.path, exist_ok=True)
    joblib.dump(model, os.path.join(adapter.path, "model.joblib"))
    adapter.metadata.update({"framework": "scikit-learn", "features": 13, "num_gpus": num_gpus})


@dsl.component(base_image=BASE_IMAGE, packages_to_install=ML_PACKAGES)
def evaluate_adapter(
    textures: Input[Dataset],
    adapter: Input[Model],
    metrics: Output[Metrics],
    classification: Output[ClassificationMetrics],
) -> float:
    """Accuracy, precision, recall and a confusion matrix on the held-out images.

    Returns the accuracy.
    """
    import os

    import joblib
    import numpy as np

    model = joblib.load(os.path.join(adapter.path, "model.joblib"))
    with open(textures.path, "rb") as source:
        data = np.load(source)
        x, y = data["features"][data["test"]], data["labels"][data["test"]]
    predicted = model.predict(x)
    tp = int(np.sum((predicted == 1) & (y == 1)))
    fp = int(np.sum((predicted == 1) & (y == 0)))
    fn = int(np.sum((predicted == 0) & (y == 1)))
    tn = int(np.sum((predicted == 0) & (y == 0)))
    accuracy = (tp + tn) / len(y)
    metrics.log_metric("accuracy", accuracy)
    metrics.log_metric("precision", tp / max(tp + fp, 1))
    metrics.log_metric("recall", tp / max(tp + fn, 1))
    metrics.log_metric("test_patches", len(y))
    classification.log_confusion_matrix(["irrelevant", "relevant"], [[tn, fp], [fn, tp]])
    return accuracy


class TrainingOutputs(NamedTuple):
    """What the training pipeline hands to registration."""

    accuracy: float
    adapter: Model
    textures: Dataset


@dsl.pipeline(name="arr-coc-training")
def training(
    num_images: int = 120,
    image_size: int = 32,
    epochs: int = 300,
    num_gpus: int = 0,
    seed: int = 0,
) -> TrainingOutputs:
    """Texture arrays -> three scorers (ParallelFor, Collected) -> adapter -> evaluation.

    The adapter's task is chosen at run time: with ``num_gpus > 0`` the one that asks for
    accelerators runs. (The scorers are combined before the branch: kfp cannot compile a
    ``dsl.Collected`` consumed inside a ``dsl.If``.)
    """
    prepared = prepare_texture_arrays(num_images=num_images, image_size=image_size, seed=seed)
    with dsl.ParallelFor(SCORERS) as scorer:
        scored = train_relevance_scorer(
            textures=prepared.outputs["textures"], scorer=scorer, epochs=epochs
        )
    combined = combine_scorers(scorers=dsl.Collected(scored.outputs["scorer_model"]))
    relevance = combined.outputs["relevance"]
    with dsl.If(num_gpus > 0, name="on-gpus"):
        on_gpus = (
            train_quality_adapter(
                textures=prepared.outputs["textures"],
                relevance=relevance,
                num_gpus=num_gpus,
                seed=seed,
            )
            .set_accelerator_type("NVIDIA_L4")
            .set_accelerator_limit(num_gpus)
            .set_display_name("train-quality-adapter-gpu")
        )
    with dsl.Else(name="on-cpus"):
        on_cpus = train_quality_adapter(
            textures=prepared.outputs["textures"], relevance=relevance, num_gpus=0, seed=seed
        ).set_display_name("train-quality-adapter")
    adapter = dsl.OneOf(on_gpus.outputs["adapter"], on_cpus.outputs["adapter"])
    evaluated = evaluate_adapter(textures=prepared.outputs["textures"], adapter=adapter)
    return TrainingOutputs(
        accuracy=evaluated.outputs["Output"],
        adapter=adapter,
        textures=prepared.outputs["textures"],
    )


@dsl.component(base_image=BASE_IMAGE, packages_to_install=VERTEX_PACKAGES)
def register_model(
    adapter: Input[Model],
    project: str,
    location: str,
    api_endpoint: str,
    display_name: str,
    serving_image: str,
    accuracy: float,
) -> str:
    """``aiplatform.Model.upload`` of the adapter's directory. Returns the model's resource name."""
    from google.cloud import aiplatform

    if api_endpoint:  # Sluice: the server's address, plain HTTP, no Google credentials
        from google.auth.credentials import AnonymousCredentials

        aiplatform.init(
            project=project,
            location=location,
            api_endpoint=api_endpoint,
            api_transport="rest",
            credentials=AnonymousCredentials(),
        )
    else:
        aiplatform.init(project=project, location=location)
    model = aiplatform.Model.upload(
        display_name=display_name,
        artifact_uri=adapter.uri,
        serving_container_image_uri=serving_image,
        labels={"pipeline": "arr-coc"},
        description=f"ARR-COC quality adapter, held-out accuracy {accuracy:.3f}",
    )
    print(f"registered {model.resource_name} version {model.version_id}")
    return model.resource_name


@dsl.component(base_image=BASE_IMAGE, packages_to_install=VERTEX_PACKAGES)
def deploy_model(
    model_name: str, project: str, location: str, api_endpoint: str, machine_type: str
) -> str:
    """``Endpoint.create`` and ``model.deploy``. Returns the endpoint's resource name."""
    from google.cloud import aiplatform

    if api_endpoint:  # Sluice: the server's address, plain HTTP, no Google credentials
        from google.auth.credentials import AnonymousCredentials

        aiplatform.init(
            project=project,
            location=location,
            api_endpoint=api_endpoint,
            api_transport="rest",
            credentials=AnonymousCredentials(),
        )
    else:
        aiplatform.init(project=project, location=location)
    model = aiplatform.Model(model_name)
    endpoint = aiplatform.Endpoint.create(display_name="arr-coc")
    model.deploy(
        endpoint=endpoint,
        machine_type=machine_type,
        min_replica_count=1,
        max_replica_count=1,
        traffic_percentage=100,
    )
    print(f"deployed {model_name} to {endpoint.resource_name}")
    return endpoint.resource_name


@dsl.component(base_image=BASE_IMAGE, packages_to_install=VERTEX_PACKAGES)
def predict_from_endpoint(
    endpoint_name: str,
    textures: Input[Dataset],
    project: str,
    location: str,
    api_endpoint: str,
    instances: int,
    metrics: Output[Metrics],
) -> float:
    """``endpoint.predict`` on held-out patches. Returns the accuracy of the answers."""
    import numpy as np
    from google.cloud import aiplatform

    if api_endpoint:  # Sluice: the server's address, plain HTTP, no Google credentials
        from google.auth.credentials import AnonymousCredentials

        aiplatform.init(
            project=project,
            location=location,
            api_endpoint=api_endpoint,
            api_transport="rest",
            credentials=AnonymousCredentials(),
        )
    else:
        aiplatform.init(project=project, location=location)
    with open(textures.path, "rb") as source:
        data = np.load(source)
        x, y = data["features"][data["test"]], data["labels"][data["test"]]
    x, y = x[:instances], y[:instances]
    response = aiplatform.Endpoint(endpoint_name).predict(instances=x.tolist())
    answers = np.asarray([int(p) for p in response.predictions])
    accuracy = float(np.mean(answers == y))
    metrics.log_metric("endpoint_accuracy", accuracy)
    metrics.log_metric("instances", len(y))
    print(f"{endpoint_name} answered {len(answers)} instances, accuracy {accuracy:.3f}")
    return accuracy


@dsl.pipeline(
    name="arr-coc",
    description="ARR-COC: texture arrays, relevance scorers, quality adapter, register, deploy",
)
def arr_coc(
    project: str = "my-project",
    location: str = "us-central1",
    api_endpoint: str = "",
    num_images: int = 120,
    image_size: int = 32,
    epochs: int = 300,
    num_gpus: int = 0,
    seed: int = 0,
    accuracy_threshold: float = 0.85,
    serving_image: str = SKLEARN_SERVING_IMAGE,
    machine_type: str = "n1-standard-2",
    predict_instances: int = 16,
) -> None:
    """Train, then register the adapter and deploy it when it is accurate enough."""
    trained = training(
        num_images=num_images, image_size=image_size, epochs=epochs, num_gpus=num_gpus, seed=seed
    )
    vertex = {"project": project, "location": location, "api_endpoint": api_endpoint}
    registered = register_model(
        adapter=trained.outputs["adapter"],
        display_name="arr-coc-quality-adapter",
        serving_image=serving_image,
        accuracy=trained.outputs["accuracy"],
        **vertex,
    )
    with dsl.If(trained.outputs["accuracy"] > accuracy_threshold, name="accurate-enough"):
        deployed = deploy_model(model_name=registered.output, machine_type=machine_type, **vertex)
        predict_from_endpoint(
            endpoint_name=deployed.output,
            textures=trained.outputs["textures"],
            instances=predict_instances,
            **vertex,
        )


if __name__ == "__main__":
    compiler.Compiler().compile(pipeline_func=arr_coc, package_path="arr_coc.yaml")
