"""scikit-learn estimators: ``BNNRegressor`` and ``BNNClassifier`` (needs ``bnnppl[sklearn]``).

Each takes the spec and method options as keyword arguments, stored unchanged (so ``get_params``,
``set_params``, ``clone``, ``Pipeline``, ``GridSearchCV`` and ``cross_val_score`` work) and checked
in ``fit``, before any data are read or traced; errors name the argument as you wrote it. After
``fit``, ``posterior_`` is the bnnppl ``Posterior``: diagnostics, ArviZ, plots and ``save`` read it.

- ``hidden``, ``activation``: the ``MLP``; ``activation=None`` takes the likelihood's default.
- ``prior``: a family name (``"normal"``, ``"laplace"``, ``"student_t"``), a dict as in a YAML
  config (``{"family": "student_t", "df": 3}``) or a ``bnnppl.Prior``; ``prior_scale`` replaces
  its scale. ``BNNRegressor`` also takes ``likelihood`` (a name, dict or spec of a real-valued or
  count likelihood) and ``noise`` (a fixed noise scale in place of its noise prior);
  ``BNNClassifier`` uses ``Bernoulli`` for 2 classes and ``Categorical`` for more.
- ``method``: a name (``"svi"``, ``"nuts"``, ...), a dict (``{"method": "hmc", "step_size": 0.05,
  "num_steps": 4}``) or a method config (``bnnppl.NUTS(chains=4)``); ``steps``, ``draws``,
  ``learning_rate``, ``chains``, ``warmup``, ``samples`` and ``step_size`` replace its field of
  that name where set (``None``: keep it), so that a grid search can tune them.
- ``seed``, ``scale`` (standardise inputs and real targets, as ``bnnppl.fit``), ``progress``.

The default method is ``SVI()`` (10 000 steps, 1000 draws), not ``bnnppl.fit``'s ``NUTS()``: an
estimator is fitted once per fold and grid point, and a default NUTS fit of the UCI sets (300 to
1600 rows) took 15 s to a minute on 2 cores (``docs/benchmarks.md``), SVI a few seconds (0.7 s for
400 rows once compiled). Ask for ``method="nuts"`` when the posterior matters more than the time:
its test log-likelihood was the better one on each UCI set it ran.

``score`` is the mean log predictive density per row, ``mean_i log p(y_i | X_i, data)`` (higher is
better; for the regressor in the targets' units, so multiplying them by 1000 lowers it by
``log 1000``). It is neither R² nor accuracy: for those use ``scoring="r2"`` or ``"accuracy"``.

Both pass the checks of ``sklearn.utils.estimator_checks.check_estimator`` but those of
``EXPECTED_FAILED_CHECKS`` (check name -> the reason), which may fail: pass it as
``check_estimator(..., expected_failed_checks=EXPECTED_FAILED_CHECKS)``. ``BNNRegressor`` sets
scikit-learn's ``poor_score`` tag, as its score is not R²: with it, ``check_regressors_train`` does
not ask for ``score > 0.5``, a bar for R² that a log density in the targets' units need not clear.
A fitted estimator pickles (its ``posterior_`` with it).

>>> BNNRegressor(hidden=(16,), method="nuts", samples=500).get_params()["samples"]
500
>>> BNNRegressor(method="nust").fit([[0.0], [1.0]], [0.0, 1.0])
Traceback (most recent call last):
...
ValueError: method: unknown inference method 'nust'. Did you mean 'nuts'? Allowed: 'hmc', ...
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
except ModuleNotFoundError as err:  # pragma: no cover
    raise ModuleNotFoundError("bnnppl.sklearn needs scikit-learn: pip install 'bnnppl[sklearn]'.") from err
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from bnnppl._checks import allowed_list, article, check_choice, check_seed, spec_error
from bnnppl.inference import fit
from bnnppl.model import BNN
from bnnppl.results import Predictions, log_likelihood, predict
from bnnppl.results.metrics import pointwise_log_likelihood
from bnnppl.spec import (
    LIKELIHOODS,
    METHODS,
    MLP,
    PRIOR_FAMILIES,
    Bernoulli,
    Categorical,
    Likelihood,
    Method,
    ModelSpec,
    Prior,
    likelihood_from_dict,
    method_from_dict,
)

__all__ = ["EXPECTED_FAILED_CHECKS", "BNNClassifier", "BNNRegressor"]

EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_methods_subset_invariance": (
        "predictions are float32 (JAX's default) and XLA's matrix products round differently for "
        "batches of other sizes, so a row's prediction can move by a few float32 ulps (seen: 4e-7 "
        "relative, with 1000 draws), beyond the check's tolerance of 1e-7; it passes at times"
    ),
}
"""Check name -> why it may fail, for ``check_estimator(..., expected_failed_checks=...)``."""

METHOD_OPTIONS = ("steps", "draws", "learning_rate", "chains", "warmup", "samples", "step_size")
"""The method fields that are constructor arguments of their own (the rest: ``method`` as a dict)."""
REGRESSION_FAMILIES = ("gaussian", "heteroscedastic_gaussian", "poisson", "student_t")


@contextlib.contextmanager
def _named(arguments: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a spec error about ``Owner.field`` (or ``Owner.field[i]``) as one about the
    constructor argument ``arguments[field]`` that set it; other errors pass unchanged."""
    try:
        yield
    except (ValueError, TypeError) as err:
        name = getattr(err, "field", None) or ""
        field = name.partition(".")[2]
        base, bracket, rest = field.partition("[")
        if base not in arguments:
            raise
        raise spec_error(arguments[base] + bracket + rest, err.problem, type(err)) from None  # type: ignore[attr-defined]


def _spec(
    arg: str,
    value: Any,
    what: str,
    registry: Mapping[str, type],
    tag: str,
    from_dict: Callable[[Any, str], Any],
    options: Mapping[str, tuple[str, Any]],
) -> Any:
    """The spec that argument ``arg`` gives: a name in ``registry``, a dict with a ``tag`` key (as
    in a YAML config) or a spec object; ``options`` (field -> (argument, value)) replace fields."""
    kinds = tuple(dict.fromkeys(registry.values()))
    if isinstance(value, str):
        check_choice(arg, value, registry, what)
        value = {tag: value}
    if isinstance(value, Mapping):
        name = value.get(tag)
        if not isinstance(name, str) or name not in registry:
            from_dict(value, arg)  # raises: the tag is missing or unknown
        cls = registry[name]
    elif isinstance(value, kinds):
        cls = type(value)
        name = getattr(value, tag, None) or cls._tag[1]  # a method's name is its class's tag
    else:
        raise TypeError(
            f"{arg}: must be {article(what)} name ({allowed_list(registry)}), a dict or a bnnppl spec "
            f"({', '.join(c.__name__ for c in kinds)}), got {value!r}."
        )
    fields = [f.name for f in dataclasses.fields(cls)]
    for field, (option, v) in options.items():
        if field not in fields:
            takes = f"its options: {allowed_list(fields)}" if fields else "it has no options"
            raise ValueError(f"{option}: is not used by {what} {name!r} ({takes}), got {v!r}; leave it None.")
    new = {field: v for field, (_, v) in options.items()}
    with _named({field: option for field, (option, _) in options.items()}):
        if isinstance(value, Mapping):
            return from_dict({**value, **new}, arg)
        return dataclasses.replace(value, **new)


class _BNNEstimator(BaseEstimator):
    """What both estimators share: the spec and method made of the arguments, the fit, pickling."""

    def _method(self) -> Method:
        options = {k: (k, getattr(self, k)) for k in METHOD_OPTIONS if getattr(self, k) is not None}
        return _spec("method", self.method, "inference method", METHODS, "method", method_from_dict, options)

    def _prior(self) -> Prior:
        options = {} if self.prior_scale is None else {"scale": ("prior_scale", self.prior_scale)}
        registry = {family: Prior for family in PRIOR_FAMILIES}
        return _spec("prior", self.prior, "prior", registry, "family", Prior.from_dict, options)

    def _checked(self) -> tuple[MLP, Prior, Method, int]:
        """The arguments, checked before any data are read."""
        with _named({"hidden": "hidden", "activation": "activation"}):
            network = MLP(hidden=self.hidden, activation=self.activation)
        if not isinstance(self.scale, bool):
            raise TypeError(f"scale: must be True or False, got {self.scale!r}.")
        if self.progress is not None and not isinstance(self.progress, bool):
            raise TypeError(f"progress: must be True, False or None, got {self.progress!r}.")
        return network, self._prior(), self._method(), check_seed("seed", self.seed)

    def _fit(self, parts: tuple, x: np.ndarray, y: np.ndarray, likelihood: Likelihood) -> None:
        network, prior, method, seed = parts
        bnn = BNN(ModelSpec(network=network, prior=prior, likelihood=likelihood))
        self.posterior_ = fit(bnn, x, y, method, seed=seed, progress=self.progress, scale=self.scale)

    def _predictions(self, X: Any) -> Predictions:
        check_is_fitted(self)
        x = validate_data(self, X, reset=False)
        return predict(self.posterior_, x, seed=self.posterior_.seed, keep_samples=False)

    def _score(self, x: np.ndarray, y: np.ndarray, sample_weight: Any) -> float:
        lpd = pointwise_log_likelihood(log_likelihood(self.posterior_, x, y))
        return float(np.average(lpd, weights=sample_weight))


class BNNRegressor(RegressorMixin, _BNNEstimator):
    """A Bayesian neural network regressor (see the module docstring for the arguments).

    ``predict(X)`` gives the posterior predictive mean, ``predict(X, return_std=True)`` also its
    standard deviation (weights and noise, in the targets' units); ``score`` the mean log
    predictive density per row (not R²).
    """

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (10,),
        activation: str | tuple[str, ...] | None = None,
        prior: str | Mapping | Prior = "normal",
        prior_scale: float | None = None,
        likelihood: str | Mapping | Likelihood = "gaussian",
        noise: float | None = None,
        method: str | Mapping | Method = "svi",
        steps: int | None = None,
        draws: int | None = None,
        learning_rate: float | None = None,
        chains: int | None = None,
        warmup: int | None = None,
        samples: int | None = None,
        step_size: float | None = None,
        seed: int = 0,
        scale: bool = True,
        progress: bool | None = False,
    ) -> None:
        self.hidden = hidden
        self.activation = activation
        self.prior = prior
        self.prior_scale = prior_scale
        self.likelihood = likelihood
        self.noise = noise
        self.method = method
        self.steps = steps
        self.draws = draws
        self.learning_rate = learning_rate
        self.chains = chains
        self.warmup = warmup
        self.samples = samples
        self.step_size = step_size
        self.seed = seed
        self.scale = scale
        self.progress = progress

    def _likelihood(self) -> Likelihood:
        options = {}
        if self.noise is not None:  # a fixed noise in place of the noise prior
            options = {"noise": ("noise", self.noise), "noise_prior": ("noise", None)}
        likelihood = _spec(
            "likelihood", self.likelihood, "likelihood", LIKELIHOODS, "family", likelihood_from_dict, options
        )
        if likelihood.family not in REGRESSION_FAMILIES:
            raise ValueError(
                f"likelihood: BNNRegressor takes a likelihood of real values or counts "
                f"({allowed_list(REGRESSION_FAMILIES)}), got {likelihood.family!r}; use BNNClassifier "
                "for class labels."
            )
        return likelihood

    def fit(self, X: Any, y: Any) -> BNNRegressor:
        """Fit the posterior to ``X`` ``(n_samples, n_features)`` and ``y`` ``(n_samples,)``."""
        parts, likelihood = self._checked(), self._likelihood()
        x, y = validate_data(self, X, y, y_numeric=True)
        self._fit(parts, x, y, likelihood)
        return self

    def predict(self, X: Any, return_std: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """The predictive mean ``(n_samples,)``; with ``return_std``, also its standard deviation."""
        pred = self._predictions(X)
        mean = np.asarray(pred.mean, dtype=np.float64)
        return (mean, np.asarray(pred.std, dtype=np.float64)) if return_std else mean

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean log predictive density of ``y`` per row (nats, targets' units; not R²)."""
        check_is_fitted(self)
        x, y = validate_data(self, X, y, reset=False, y_numeric=True)
        return self._score(x, y, sample_weight)

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # score is a log density, not R²
        return tags


class BNNClassifier(ClassifierMixin, _BNNEstimator):
    """A Bayesian neural network classifier for labels of any type (see the module docstring).

    ``predict_proba(X)`` gives the posterior predictive class probabilities, columns in the order
    of ``classes_``; ``predict`` the most probable class; ``score`` the mean log predictive
    density per row (not accuracy).
    """

    def __init__(
        self,
        *,
        hidden: tuple[int, ...] = (10,),
        activation: str | tuple[str, ...] | None = None,
        prior: str | Mapping | Prior = "normal",
        prior_scale: float | None = None,
        method: str | Mapping | Method = "svi",
        steps: int | None = None,
        draws: int | None = None,
        learning_rate: float | None = None,
        chains: int | None = None,
        warmup: int | None = None,
        samples: int | None = None,
        step_size: float | None = None,
        seed: int = 0,
        scale: bool = True,
        progress: bool | None = False,
    ) -> None:
        self.hidden = hidden
        self.activation = activation
        self.prior = prior
        self.prior_scale = prior_scale
        self.method = method
        self.steps = steps
        self.draws = draws
        self.learning_rate = learning_rate
        self.chains = chains
        self.warmup = warmup
        self.samples = samples
        self.step_size = step_size
        self.seed = seed
        self.scale = scale
        self.progress = progress

    def fit(self, X: Any, y: Any) -> BNNClassifier:
        """Fit the posterior to ``X`` ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)``."""
        parts = self._checked()
        x, y = validate_data(self, X, y)
        check_classification_targets(y)
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        k = len(self.classes_)
        if k < 2:
            only = self.classes_.tolist()[0]
            raise ValueError(f"y: has one class only ({only!r}); a classifier needs 2 or more.")
        self._fit(parts, x, self._encoder.transform(y), Bernoulli() if k == 2 else Categorical(classes=k))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Predictive class probabilities ``(n_samples, n_classes)``, columns as ``classes_``."""
        probs = np.asarray(self._predictions(X).probs, dtype=np.float64)
        return probs / probs.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row (a label of ``classes_``)."""
        probs = self.predict_proba(X)  # first: it says when the estimator is not fitted
        return self.classes_[np.argmax(probs, axis=1)]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean log predictive density of the labels ``y`` per row (nats; not accuracy)."""
        check_is_fitted(self)
        x, y = validate_data(self, X, y, reset=False)
        return self._score(x, self._encoder.transform(y), sample_weight)
