"""``Posterior``: what a fit returns, with everything needed to check, save, reload and predict.

A posterior is a value: samples shaped ``(chain, draw, ...)`` (SVI: the guide's draws as one
chain), the method's own statistics, the values of deterministic layers, and the training data.
ArviZ, diagnostics and prediction read it; nothing is kept on the model.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bnnppl.model import BNN, OBS, F

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from bnnppl.diagnostics import Diagnostics
    from bnnppl.inference.methods import Method

# NumPyro's names for MCMC statistics -> ArviZ's sample_stats names
STAT_NAMES = {
    "diverging": "diverging",
    "accept_prob": "acceptance_rate",
    "adapt_state.step_size": "step_size",
    "num_steps": "n_steps",
    "tree_depth": "tree_depth",
    "energy": "energy",
    "log_density": "lp",
}


@dataclass(frozen=True, eq=False)
class Posterior:
    """The result of ``fit``. Fields:

    - ``bnn``: the model that was fitted; ``method``: the method config used.
    - ``samples``: latent site -> array of shape ``(chain, draw, *site_shape)``; the network
      output ``f`` is not stored (``to_arviz`` and ``predict`` recompute it).
    - ``stats``: MCMC: ``diverging``, ``accept_prob``, ``adapt_state.step_size``, ``num_steps``,
      ``tree_depth``, ``energy``, each ``(chain, draw)``; SVI: ``loss`` of shape ``(steps,)``.
    - ``fixed``: deterministic layers' values, parameter path -> array (empty when all Bayesian).
    - ``x``, ``y``: the training data; ``seed``: the fit's seed; ``seconds``: its wall time.
    """

    bnn: BNN
    method: Method
    samples: Mapping[str, np.ndarray]
    stats: Mapping[str, np.ndarray]
    x: np.ndarray
    y: np.ndarray
    fixed: Mapping[str, np.ndarray] = field(default_factory=dict)
    seed: int = 0
    seconds: float = float("nan")

    @property
    def num_chains(self) -> int:
        return next(iter(self.samples.values())).shape[0]

    @property
    def num_draws(self) -> int:
        """Draws per chain."""
        return next(iter(self.samples.values())).shape[1]

    @property
    def num_samples(self) -> int:
        """Draws over all chains."""
        return self.num_chains * self.num_draws

    def select_chains(self, *chains: int) -> Posterior:
        """A posterior holding only the given chains' draws (and their per-draw sampler stats),
        in the order given: ``post.select_chains(0)`` is chain 0 alone.

        >>> import bnnppl as bp
        >>> x = np.linspace(-1, 1, 8, dtype=np.float32)[:, None]
        >>> post = bp.fit(bp.BNN(bp.ModelSpec(network=bp.MLP(hidden=(3,)))), x, x[:, 0],
        ...               bp.NUTS(chains=2, warmup=20, samples=10), progress=False)
        >>> post.select_chains(1).num_chains, post.select_chains(1, 0).num_draws
        (1, 10)
        >>> post.select_chains(2)
        Traceback (most recent call last):
        ...
        ValueError: chains: each must be a chain number in 0..1, got 2.
        """
        n = self.num_chains
        bad = [
            c for c in chains if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < n
        ]
        if not chains or bad:
            got = repr(bad[0]) if bad else "none"
            raise ValueError(f"chains: each must be a chain number in 0..{n - 1}, got {got}.")
        index = list(chains)
        shape = (n, self.num_draws)
        stats = {
            k: (v[index] if np.ndim(v) >= 2 and np.shape(v)[:2] == shape else v)
            for k, v in self.stats.items()
        }
        return replace(self, samples={k: v[index] for k, v in self.samples.items()}, stats=stats)

    def flat_samples(self) -> dict[str, np.ndarray]:
        """Samples with chains and draws merged: ``(chain * draw, *site_shape)``."""
        return {k: v.reshape(-1, *v.shape[2:]) for k, v in self.samples.items()}

    def to_arviz(self, *, function: bool = True, log_likelihood: bool = True) -> xr.DataTree:
        """An ArviZ ``DataTree``: ``posterior`` (with ``f`` at the training inputs unless
        ``function=False``), ``sample_stats`` (MCMC), ``log_likelihood`` and ``observed_data``.
        """
        import arviz as az

        from bnnppl.predict import log_likelihood as loglik
        from bnnppl.predict import network_draws

        chains, draws = self.num_chains, self.num_draws
        post: dict[str, Any] = dict(self.samples)
        if function:
            f = network_draws(self, self.x)
            post[F] = f.reshape(chains, draws, *f.shape[1:])
        groups: dict[str, Any] = {"posterior": post, "observed_data": {OBS: self.y}}
        stats = {STAT_NAMES[k]: v for k, v in self.stats.items() if k in STAT_NAMES}
        if stats:
            groups["sample_stats"] = stats
        if log_likelihood:
            ll = loglik(self, self.x, self.y)
            groups["log_likelihood"] = {OBS: ll.reshape(chains, draws, -1)}
        dims = {OBS: ["point"], F: ["point", "output"]}
        return az.from_dict(groups, dims=dims)

    def summary(self) -> pd.DataFrame:
        """ArviZ's summary of the parameters: mean, sd, interval, ess_bulk, ess_tail, r_hat."""
        import arviz as az

        with np.errstate(divide="ignore", invalid="ignore"):  # a stuck chain: r-hat inf, as it should
            return az.summary(self.to_arviz(function=False, log_likelihood=False))

    def diagnostics(self) -> Diagnostics:
        """Worst r-hat / ESS of parameters and of ``f`` at the training inputs, and divergences."""
        from bnnppl.diagnostics import summarize

        return summarize(self.to_arviz(log_likelihood=False), function_site=F)

    def loo(self) -> Any:
        """PSIS-LOO (ArviZ's ``loo``): expected log predictive density, with Pareto-k diagnostics.

        Needs MCMC draws: importance sampling from a variational fit is not a posterior sample.
        """
        import arviz as az

        if not isinstance(self.method, _mcmc_methods()):
            raise ValueError(
                f"method: PSIS-LOO needs an MCMC posterior (NUTS, HMC, Langevin, SGLD or SGHMC), "
                f"got {type(self.method).__name__}."
            )
        return az.loo(self.to_arviz(function=False))

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write this posterior to the folder ``path`` (see ``bnnppl.posterior.save``)."""
        return save(self, path, overwrite=overwrite)


def _mcmc_methods() -> tuple[type, ...]:
    from bnnppl.inference.methods import MCMC_METHODS

    return MCMC_METHODS


def compare(posteriors: Mapping[str, Posterior]) -> pd.DataFrame:
    """ArviZ's LOO comparison table of several MCMC posteriors of the same data, best first.

    Keys name the models (architectures, priors, ...); columns include ``elpd``, ``elpd_diff``,
    ``se``, ``dse`` and stacking ``weight``.
    """
    import arviz as az

    if len(posteriors) < 2:
        raise ValueError(f"posteriors: compare needs at least two, got {len(posteriors)}.")
    for name, post in posteriors.items():
        if not isinstance(post, Posterior) or not isinstance(post.method, _mcmc_methods()):
            raise ValueError(
                f"posteriors[{name!r}]: must be an MCMC Posterior (NUTS, HMC, Langevin, SGLD or SGHMC)."
            )
    return az.compare({name: post.to_arviz(function=False) for name, post in posteriors.items()})


# --------------------------------------------------------------------------- save / load

FORMAT = 1
_FILES = ("meta.json", "model.yaml", "method.yaml", "posterior.nc", "arrays.npz")


def _model_dict(bnn: BNN) -> dict[str, Any]:
    from bnnppl.spec import Prior

    if bnn.spec is not None:
        return {"spec": bnn.spec.to_dict()}
    return {
        "module": type(bnn.module).__name__,
        "prior": bnn.prior.to_dict() if isinstance(bnn.prior, Prior) else repr(bnn.prior),
        "likelihood": bnn.likelihood.to_dict(),
    }


def _write_folder(posterior: Posterior, folder: Path) -> None:
    import arviz as az
    import yaml

    meta = {
        "format": FORMAT,
        "versions": _versions(),
        "n_points": int(posterior.x.shape[0]),
        "n_features": int(posterior.x.shape[1]),
        "chains": posterior.num_chains,
        "draws": posterior.num_draws,
        "seed": posterior.seed,
        "seconds": posterior.seconds,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))
    (folder / "model.yaml").write_text(yaml.safe_dump(_model_dict(posterior.bnn), sort_keys=False))
    (folder / "method.yaml").write_text(yaml.safe_dump(posterior.method.to_dict(), sort_keys=False))
    az.from_dict({"posterior": dict(posterior.samples)}).to_netcdf(folder / "posterior.nc", engine="h5netcdf")
    arrays = {"x": posterior.x, "y": posterior.y}
    arrays |= {f"stats/{k}": v for k, v in posterior.stats.items()}
    arrays |= {f"fixed/{k}": v for k, v in posterior.fixed.items()}
    np.savez(folder / "arrays.npz", **arrays)


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("bnnppl", "jax", "numpyro", "flax", "arviz")}


def save(posterior: Posterior, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``posterior`` to the folder ``path``, whole or not at all; returns the folder.

    The folder holds ``posterior.nc`` (the samples, netCDF through ArviZ), ``arrays.npz`` (the
    training data, the method's statistics and deterministic layers), ``model.yaml``,
    ``method.yaml`` and ``meta.json`` (shapes, seed, library versions). An existing ``path`` is
    replaced only with ``overwrite=True``.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"path: {str(path)!r} exists; choose a new folder or pass overwrite=True.")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    tmp.mkdir()
    try:
        _write_folder(posterior, tmp)
        if path.exists():
            old = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _check_bnn_fits(bnn: BNN, samples: Mapping[str, np.ndarray], n_features: int) -> None:
    shapes = bnn.param_shapes(n_features)
    for name, value in samples.items():
        if name.startswith("net."):
            path = name[len("net.") :]
            if path not in shapes or tuple(value.shape[2:]) != shapes[path]:
                got = shapes.get(path, "no such parameter")
                raise ValueError(
                    f"bnn: does not match the saved posterior: site {name!r} has shape "
                    f"{tuple(value.shape[2:])} in the file but {got} in this model."
                )


def load(path: str | Path, *, bnn: BNN | None = None) -> Posterior:
    """Read a posterior written by ``save``. A posterior of your own flax module needs ``bnn``:
    the same ``BNN.from_module(...)`` it was fitted with (a spec cannot describe the module).
    """
    import xarray as xr
    import yaml

    from bnnppl.inference.methods import method_from_dict
    from bnnppl.spec import ModelSpec

    path = Path(path)
    missing = [name for name in _FILES if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"path: {str(path)!r} is not a saved bnnppl posterior (missing {', '.join(missing)})."
        )
    meta = json.loads((path / "meta.json").read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"path: format {meta.get('format')!r} is not one this bnnppl reads ({FORMAT}).")
    model = yaml.safe_load((path / "model.yaml").read_text())
    if bnn is None:
        if "spec" not in model:
            raise ValueError(
                f"bnn: this posterior was fitted with your own flax module ({model['module']!r}), which a "
                "spec cannot describe; pass the same model: load(path, bnn=BNN.from_module(module, "
                "prior=..., likelihood=...))."
            )
        bnn = BNN(ModelSpec.from_dict(model["spec"], "model"))
    with xr.open_datatree(path / "posterior.nc", engine="h5netcdf") as tree:
        samples = {k: v.values.copy() for k, v in tree["posterior"].to_dataset().data_vars.items()}
    with np.load(path / "arrays.npz") as arrays:
        data = {k: arrays[k] for k in arrays.files}
    _check_bnn_fits(bnn, samples, int(meta["n_features"]))
    return Posterior(
        bnn=bnn,
        method=method_from_dict(yaml.safe_load((path / "method.yaml").read_text()), "method"),
        samples=samples,
        stats={k.split("/", 1)[1]: v for k, v in data.items() if k.startswith("stats/")},
        x=data["x"],
        y=data["y"],
        fixed={k.split("/", 1)[1]: v for k, v in data.items() if k.startswith("fixed/")},
        seed=int(meta["seed"]),
        seconds=float(meta["seconds"]),
    )
