"""The pipeline the CI example checks, tests, uploads and runs: make data, fit, check quality.

Stand-in for a team's own pipeline; the workflow names it in ``PIPELINE_FILE``. The last
task fails the run when the fit is not good enough, so a bad change fails CI on the server
as well as in the tests.
"""

from kfp import dsl
from kfp.dsl import Dataset, Input, Metrics, Output

BASE_IMAGE = "python:3.11"


@dsl.component(base_image=BASE_IMAGE)
def make_data(rows: int, noise: float, seed: int, data: Output[Dataset]) -> None:
    """``rows`` points of y = 2x + 1 with Gaussian noise, as CSV."""
    import random

    rng = random.Random(seed)
    with open(data.path, "w") as out:
        out.write("x,y\n")
        for i in range(rows):
            x = i / max(rows - 1, 1)
            out.write(f"{x},{2 * x + 1 + rng.gauss(0, noise)}\n")
    data.metadata["rows"] = rows


@dsl.component(base_image=BASE_IMAGE)
def fit(data: Input[Dataset], metrics: Output[Metrics]) -> float:
    """Least squares fit of a line; returns R² (and logs it with the slope)."""
    import csv

    with open(data.path) as source:
        points = [(float(r["x"]), float(r["y"])) for r in csv.DictReader(source)]
    if len(points) < 2:
        raise ValueError(f"need at least 2 rows to fit a line, got {len(points)}")
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    residual = sum((y - (my + slope * (x - mx))) ** 2 for x, y in points)
    total = sum((y - my) ** 2 for _, y in points) or 1.0
    r2 = 1 - residual / total
    metrics.log_metric("slope", slope)
    metrics.log_metric("r2", r2)
    return r2


@dsl.component(base_image=BASE_IMAGE)
def check_quality(r2: float, min_r2: float) -> str:
    """Fail the run when R² is below ``min_r2``."""
    if r2 < min_r2:
        raise RuntimeError(f"R² {r2:.3f} is below the required {min_r2}")
    return f"R² {r2:.3f} >= {min_r2}"


@dsl.pipeline(name="ci-example", description="make data, fit a line, check the fit")
def ci_pipeline(rows: int = 200, noise: float = 0.1, seed: int = 0, min_r2: float = 0.9) -> str:
    """What CI validates, tests in-process, compiles, uploads and runs on the server."""
    data = make_data(rows=rows, noise=noise, seed=seed)
    fitted = fit(data=data.outputs["data"])
    return check_quality(r2=fitted.outputs["Output"], min_r2=min_r2).output
