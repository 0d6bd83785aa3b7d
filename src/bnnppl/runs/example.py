"""The default example: the NumPyro BNN tutorial's regression fitted with NUTS.

40 points, ``x ~ U(-1, 1)``, ``y = x sin(5x) + N(0, 0.1^2)``; an MLP 1 -> 10 (tanh) -> 1 with
Normal(0, 1) priors on every weight and a HalfCauchy(0.5) prior on the noise scale; NUTS with
2 chains. ``bnnppl example`` runs it and writes a run folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import yaml

from bnnppl._io import new_run_folder
from bnnppl.datasets import sine_regression
from bnnppl.inference import NUTS, fit
from bnnppl.model.bnn import BNN
from bnnppl.results.diagnostics import Diagnostics
from bnnppl.spec.likelihoods import Gaussian
from bnnppl.spec.model import ModelSpec
from bnnppl.spec.network import MLP
from bnnppl.spec.priors import Prior, ScalePrior

EXAMPLE_SPEC = ModelSpec(
    network=MLP(hidden=(10,), activation="tanh"),
    prior=Prior(family="normal", loc=0.0, scale=1.0),
    likelihood=Gaussian(noise_prior=ScalePrior(family="half_cauchy", scale=0.5)),
)


class ExampleResult(NamedTuple):
    """What ``run_example`` made."""

    run_dir: Path
    """The new run folder: ``posterior/`` (a saved ``Posterior``), ``summary.csv``, ``model.yaml``."""
    diagnostics: Diagnostics
    seconds: float
    """Wall time of the fit, compilation included."""


def run_example(
    out: Path | str = "runs",
    *,
    chains: int = 2,
    warmup: int = 1000,
    samples: int = 1000,
    seed: int = 0,
    progress: bool | None = None,
) -> ExampleResult:
    """Fit the default example with NUTS and write a new run folder under ``out``."""
    x, y = sine_regression(n=40, noise=0.1, seed=seed)
    method = NUTS(chains=chains, warmup=warmup, samples=samples)
    # the NumPyro tutorial's model of the data as they are (near unit scale: no warning)
    posterior = fit(BNN(EXAMPLE_SPEC), x, y, method, seed=seed, progress=progress, scale=False)
    with new_run_folder(Path(out), "example") as folder:  # hidden until whole, as bnnppl run's
        posterior.save(folder.path / "posterior")
        posterior.summary().to_csv(folder.path / "summary.csv")
        (folder.path / "model.yaml").write_text(yaml.safe_dump(EXAMPLE_SPEC.to_dict()))
    return ExampleResult(folder.final, posterior.diagnostics(), posterior.seconds)
