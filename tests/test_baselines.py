"""The linear baseline every run is scored against (``bnnppl.results.baselines``) and the warning
when a network does worse than it on held-out rows.

The Gaussian baseline is checked against its closed form computed another way (the predictive as
a ratio of two marginal likelihoods, multivariate Student-t densities); the classifiers and the
Poisson regression against scikit-learn's estimators of the same objective.
"""

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression, PoissonRegressor

from bnnppl.results.baselines import LINEAR_MODELS, linear_log_likelihood
from bnnppl.results.checks import linear_warnings, metric_warnings
from bnnppl.runs.console import print_metrics


def standardised(x_train, x):
    mean, sd = x_train.mean(axis=0), x_train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (x_train - mean) / sd, (x - mean) / sd


def test_gaussian_is_the_conjugate_predictive():
    """w | s2 ~ N(0, s2 I), s2 ~ InvGamma(1, 1) on standardised inputs (with an intercept) and
    targets: the marginal of the targets is a Student-t with 2 degrees of freedom and scale matrix
    I + A A^T, so p(y* | y) = p(y, y*) / p(y), scored in the target's units."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(15, 3)) * [1.0, 10.0, 0.1] + 5.0
    y = 40.0 + x @ [2.0, -0.3, 8.0] + 3.0 * rng.normal(size=15)
    x_train, y_train, x_test, y_test = x[:12], y[:12], x[12:], y[12:]
    z_train, z_test = standardised(x_train, x_test)
    a = np.column_stack([np.ones(12), z_train])
    centre, spread = y_train.mean(), y_train.std()
    want = []
    for row, target in zip(z_test, y_test, strict=True):
        design = np.vstack([a, np.r_[1.0, row]])
        targets = (np.r_[y_train, target] - centre) / spread
        joint = stats.multivariate_t(np.zeros(13), np.eye(13) + design @ design.T, df=2.0).logpdf(targets)
        marginal = stats.multivariate_t(np.zeros(12), np.eye(12) + a @ a.T, df=2.0).logpdf(targets[:12])
        want.append(joint - marginal - np.log(spread))
    got = linear_log_likelihood(x_train, y_train, x_test, y_test, "gaussian")
    assert got == pytest.approx(np.mean(want), rel=1e-9)
    # two target columns: the sum of each column's score; a constant input column changes nothing
    both = np.column_stack([y, 2.0 * y])
    two = linear_log_likelihood(x_train, both[:12], x_test, both[12:], "gaussian")
    assert two == pytest.approx(2 * got - np.log(2.0), rel=1e-9)
    padded = np.column_stack([x, np.full(15, 7.0)])
    assert linear_log_likelihood(padded[:12], y_train, padded[12:], y_test, "gaussian") == pytest.approx(got)


@pytest.mark.parametrize(("family", "classes"), [("bernoulli", 2), ("categorical", 3)])
def test_classifiers_are_l2_logistic_regression(family, classes):
    """scikit-learn's LogisticRegression(C=1) on the standardised inputs: the same objective."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 4)) * 3.0 + 1.0
    logits = x @ rng.normal(size=(4, classes))
    y = np.array([rng.choice(classes, p=np.exp(v) / np.exp(v).sum()) for v in logits])
    z_train, z_test = standardised(x[:200], x[200:])
    sk = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(z_train, y[:200])
    want = np.mean(np.log(sk.predict_proba(z_test)[np.arange(100), y[200:]]))
    got = linear_log_likelihood(x[:200], y[:200], x[200:], y[200:], family, classes=classes)
    assert got == pytest.approx(want, rel=1e-4)


def test_poisson_is_l2_poisson_regression():
    """scikit-learn's PoissonRegressor with alpha = 1 / n minimises the same objective."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    y = rng.poisson(np.exp(0.5 + x @ [0.3, -0.2, 0.1]))
    z_train, z_test = standardised(x[:300], x[300:])
    sk = PoissonRegressor(alpha=1 / 300, tol=1e-12, max_iter=10_000).fit(z_train, y[:300])
    want = np.mean(stats.poisson.logpmf(y[300:], sk.predict(z_test)))
    assert linear_log_likelihood(x[:300], y[:300], x[300:], y[300:], "poisson") == pytest.approx(want, rel=1e-5)


def test_an_unknown_family_is_refused():
    x = np.zeros((4, 1))
    with pytest.raises(ValueError) as err:
        linear_log_likelihood(x, x[:, 0], x, x[:, 0], "student_t")
    assert str(err.value) == "family: 'student_t' is not one of gaussian, bernoulli, categorical, poisson."
    assert set(LINEAR_MODELS) == {"gaussian", "bernoulli", "categorical", "poisson"}


WORDS = (
    "test log-likelihood -0.08 is below a linear model's (-0.068: the textbook linear model of this likelihood "
    "fitted to the same training rows): on these data the network does worse than the simple baseline; try "
    "other priors, widths or methods and compare them on held-out rows, e.g. with bnnppl sweep."
)


def test_the_warning_judges_only_held_out_rows(capsys):
    below = {"log_likelihood": -0.08, "constant_log_likelihood": -2.3, "linear_log_likelihood": -0.068}
    assert linear_warnings({"test": below}) == [WORDS]
    assert linear_warnings({"train": below}) == []  # training rows: a network beats it by fitting noise
    assert linear_warnings({"test": below | {"log_likelihood": -0.068}}) == []  # a tie is no failure
    assert linear_warnings({"test": {"log_likelihood": -0.08}, "fit_seconds": 1.0}) == []  # older runs
    flat = below | {"log_likelihood": -2.5}
    assert metric_warnings({"test": flat}) == [
        "test log-likelihood -2.5 is no better than a constant prediction's (-2.3: the training targets' own mean "
        "and spread): the network learned nothing usable from the inputs; check the data's scaling, the prior "
        "and the fit.",
        WORDS.replace("-0.08 ", "-2.5 "),
    ]
    print_metrics({"test": below})
    assert capsys.readouterr().out.splitlines() == [
        "  test: log_likelihood -0.08, constant_log_likelihood -2.3, linear_log_likelihood -0.068",
        f"  warning: {WORDS}",
    ]
