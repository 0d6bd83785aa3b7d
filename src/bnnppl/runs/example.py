"""The default example: the NumPyro BNN tutorial's regression fitted with NUTS.

40 points, ``x ~ U(-1, 1)``, ``y = x sin(5x) + N(0, 0.1^2)``; an MLP 1 -> 10 (tanh) -> 1 with
Normal(0, 1) priors on every weight and a HalfCauchy(0.5) prior on the noise scale; NUTS with
2 chains, every point a training point, the data as they are (near unit scale). ``bnnppl example``
runs it as the config ``example_config`` gives: a run folder like ``bnnppl run``'s, which
``bnnppl report`` and ``bnnppl predict`` read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bnnppl.runs.config import RunConfig
from bnnppl.runs.data import DataConfig
from bnnppl.runs.runner import RunResult, run
from bnnppl.spec.likelihoods import Gaussian
from bnnppl.spec.methods import NUTS
from bnnppl.spec.model import ModelSpec
from bnnppl.spec.network import MLP
from bnnppl.spec.priors import Prior, ScalePrior

EXAMPLE_SPEC = ModelSpec(
    network=MLP(hidden=(10,), activation="tanh"),
    prior=Prior(family="normal", loc=0.0, scale=1.0),
    likelihood=Gaussian(noise_prior=ScalePrior(family="half_cauchy", scale=0.5)),
)


def example_config(
    out: Path | str = "runs", *, chains: int = 2, warmup: int = 1000, samples: int = 1000, seed: int = 0
) -> RunConfig:
    """The example as a run config: the data drawn with ``seed``, all 40 points for training."""
    return RunConfig(
        data=DataConfig(
            name="sine", params={"n": 40, "noise": 0.1, "seed": seed}, test_fraction=0.0, scale=False
        ),
        model=EXAMPLE_SPEC,
        inference=NUTS(chains=chains, warmup=warmup, samples=samples),
        seed=seed,
        output=str(out),
        name="example",
    )


def run_example(
    out: Path | str = "runs",
    *,
    chains: int = 2,
    warmup: int = 1000,
    samples: int = 1000,
    seed: int = 0,
    progress: bool | None = None,
    report: bool = True,
    command: Sequence[str] | None = None,
    status: Callable[[str], None] | None = None,
) -> RunResult:
    """Fit the default example with NUTS and write a new run folder under ``out`` (see
    ``bnnppl.runs.runner.run``)."""
    config = example_config(out, chains=chains, warmup=warmup, samples=samples, seed=seed)
    return run(config, progress=progress, report=report, command=command, status=status)
