"""The default example: the NumPyro BNN tutorial's regression fitted with NUTS.

40 points, ``x ~ U(-1, 1)``, ``y = x sin(5x) + N(0, 0.1^2)``; an MLP 1 -> 10 (tanh) -> 1 with
Normal(0, 1) priors on every weight and a HalfCauchy(0.5) prior on the noise scale; NUTS with
2 chains. ``bnnppl example`` runs it and writes a run folder.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import arviz as az
import jax
import yaml
from numpyro.infer import MCMC, NUTS

from bnnppl._io import atomic_write, new_run_dir
from bnnppl.datasets import sine_regression
from bnnppl.diagnostics import Diagnostics, summarize
from bnnppl.model import BNN, F
from bnnppl.spec import MLP, Gaussian, ModelSpec, Prior, ScalePrior

EXAMPLE_SPEC = ModelSpec(
    network=MLP(hidden=(10,), activation="tanh"),
    prior=Prior(family="normal", loc=0.0, scale=1.0),
    likelihood=Gaussian(noise_prior=ScalePrior(family="half_cauchy", scale=0.5)),
)


class ExampleResult(NamedTuple):
    """What ``run_example`` made."""

    run_dir: Path
    """The new run folder: ``posterior.nc``, ``summary.csv``, ``model.yaml``."""
    diagnostics: Diagnostics
    seconds: float
    """Wall time of the NUTS run, compilation included."""


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
    bnn = BNN(EXAMPLE_SPEC)
    parallel = jax.local_device_count() >= chains
    if not parallel and chains > 1:
        warnings.warn(
            f"{chains} chains but {jax.local_device_count()} device(s): chains run one after "
            "another. The bnnppl command sets the device count itself.",
            stacklevel=2,
        )
    mcmc = MCMC(
        NUTS(bnn.model),
        num_warmup=warmup,
        num_samples=samples,
        num_chains=chains,
        chain_method="parallel" if parallel else "sequential",
        progress_bar=sys.stderr.isatty() if progress is None else progress,
    )
    start = time.perf_counter()
    mcmc.run(jax.random.key(seed), x, y)
    jax.block_until_ready(mcmc.get_samples())
    seconds = time.perf_counter() - start
    posterior = az.from_numpyro(mcmc)
    run_dir = new_run_dir(Path(out), "example")
    atomic_write(run_dir / "posterior.nc", lambda p: posterior.to_netcdf(p, engine="h5netcdf"))
    summary = az.summary(posterior, var_names=[f"~{F}"])  # parameters; f has 40 rows of its own
    atomic_write(run_dir / "summary.csv", lambda p: summary.to_csv(p))
    atomic_write(run_dir / "model.yaml", lambda p: p.write_text(yaml.safe_dump(EXAMPLE_SPEC.to_dict())))
    return ExampleResult(run_dir, summarize(posterior, function_site=F), seconds)
