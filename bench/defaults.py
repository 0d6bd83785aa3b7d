"""Defaults chosen by measurement: bnnppl with no options against the simple baseline of each
task and a point-estimate network, on a fixed suite of real data sets.

The suite (``SUITE``):

- regression: the nine UCI sets of ``../shared/data/uci`` (the standard split 0; never copied
  into the package);
- classification, shipped offline by registry packages: scikit-learn's ``iris`` (3 classes),
  ``wine`` (3) and ``digits`` (10), statsmodels' ``anes96`` (vote: 0/1) and ``fair`` (any
  affair: 0/1); a fixed 75 / 25 split drawn with seed 0.

scikit-learn's diabetes and breast-cancer sets are left out on purpose (of this suite and of the
tests): they judge the chosen defaults on data nobody tuned them for (``HELD_BACK``; run them by
name, ``--datasets diabetes breast_cancer``, once the defaults are chosen).

Models (``MODELS``), each (data set, model) in a fresh process:

- ``baseline``: Bayesian linear regression (scikit-learn's ``BayesianRidge``: evidence-tuned
  Gaussian priors, a Gaussian predictive) or logistic regression (``LogisticRegression``, L2,
  C=1), on inputs standardised with the training rows' statistics;
- ``map``: bnnppl's default ``ModelSpec`` (with the task's likelihood) fitted as a point estimate
  (``SVI(guide="delta")``);
- ``svi``, ``nuts``: the default ``ModelSpec`` with ``SVI()`` and with ``NUTS()``, the method
  ``bnnppl run`` uses when the config names none. No option is tuned.
- candidates for the defaults (``CANDIDATES``): one change of the spec or method each (two for
  the combinations); ``nuts_tanh`` is the classifiers' default before ReLU was chosen;
  ``mclmc`` is the default spec under another sampler (MCLMC from an 8-member MAP ensemble);
  ``nuts_last`` makes only the last layer Bayesian (the hidden layer a MAP point estimate).

Scores on the held-out rows: the test log-likelihood per point (regression: in the target's own
units), RMSE or accuracy, and the expected calibration error (10 bins, top label). Choices of
defaults read training rows only: ``--validate`` fits on 80 % of the training rows (drawn with
seed 1) and scores the other 20 %, writing ``<model>.validate.json``; the test rows only report.

    python bench/defaults.py --data-dir ../shared/data/uci [--datasets iris yacht ...]
        [--models baseline map svi nuts ...] [--validate] [--out bench/results/defaults]
        [--summary-only]

One JSON file per (data set, model) in ``<out>/<data set>/<model>.json`` (a rerun skips those
done); the table of all of them in ``bench/results/<out's name>.json``.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import header, table, write_json

UCI = {
    "boston": "bostonHousing", "concrete": "concrete", "energy": "energy", "kin8nm": "kin8nm",
    "naval": "naval-propulsion-plant", "power": "power-plant",
    "protein": "protein-tertiary-structure", "wine-red": "wine-quality-red", "yacht": "yacht",
}  # fmt: skip
CLASSIFICATION = ("iris", "wine", "digits", "anes96", "fair")
SUITE = (*UCI, *CLASSIFICATION)
HELD_BACK = ("diabetes", "breast_cancer")
"""Never in the suite nor in the tests: run once, after the defaults are chosen, to judge them."""
CANDIDATES = {
    "svi_lecun": ({"prior": {"fan_in": "lecun"}}, {"method": "svi"}),
    "svi_w50": ({"network": {"hidden": [50]}}, {"method": "svi"}),
    "svi_halfnormal": (
        {"likelihood": {"noise_prior": {"family": "half_normal", "scale": 1.0}}},
        {"method": "svi"},
    ),
    "nuts_map": ({}, {"method": "nuts", "init": "map"}),
    "nuts_tanh": ({"network": {"activation": "tanh"}}, {"method": "nuts"}),
    "nuts_lecun": ({"prior": {"fan_in": "lecun"}}, {"method": "nuts"}),
    "nuts_relu": ({"network": {"activation": "relu"}}, {"method": "nuts"}),
    "nuts_out3": ({"layer_priors": {"Dense_1": {"scale": 3.0}}}, {"method": "nuts"}),
    "nuts_relu_s2": ({"network": {"activation": "relu"}, "prior": {"scale": 2.0}}, {"method": "nuts"}),
    "nuts_relu_out3": (
        {"network": {"activation": "relu"}, "layer_priors": {"Dense_1": {"scale": 3.0}}},
        {"method": "nuts"},
    ),
    "nuts_relu_w50": ({"network": {"activation": "relu", "hidden": [50]}}, {"method": "nuts"}),
    "nuts_relu_learned": (
        {
            "network": {"activation": "relu"},
            "prior": {"learned_scale": {"family": "half_normal", "scale": 1.0}},
        },
        {"method": "nuts"},
    ),
    "nuts_relu_t3": (
        {"network": {"activation": "relu"}, "prior": {"family": "student_t", "df": 3.0}},
        {"method": "nuts"},
    ),
    "nuts_linear": ({"network": {"hidden": []}}, {"method": "nuts"}),
    "mclmc": ({}, {"method": "mclmc", "chains": 8, "init_steps": 5000}),
    "mclmc_w50": ({"network": {"hidden": [50]}}, {"method": "mclmc", "chains": 8, "init_steps": 5000}),
    "nuts_lecun_out1": (
        {"prior": {"fan_in": "lecun"}, "layer_priors": {"Dense_1": {"scale": 1.0}}},
        {"method": "nuts"},
    ),
    "nuts_last": ({"deterministic": ["Dense_0"]}, {"method": "nuts"}),
}
"""name -> (changes to the default spec, the method as a config dict)."""
MODELS = ("baseline", "map", "svi", "nuts", *CANDIDATES)
ORDER = SUITE + HELD_BACK


def load(name: str, data_dir: str) -> tuple[np.ndarray, ...]:
    """``x_train, y_train, x_test, y_test, classes`` (``classes`` 0 for regression)."""
    if name in UCI:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
        from bnnppl.uci.data import load_uci

        return (*load_uci(data_dir, UCI[name]).split(0), 0)
    if name in ("iris", "wine", "digits", *HELD_BACK):
        import sklearn.datasets

        x, y = getattr(sklearn.datasets, f"load_{name}")(return_X_y=True)
    else:
        import statsmodels.api as sm

        frame = getattr(sm.datasets, name).load_pandas().data
        target = {"anes96": "vote", "fair": "affairs"}[name]
        y = (frame[target].to_numpy() > 0).astype(np.int64)
        x = frame.drop(columns=[target, "logpopul"] if name == "anes96" else [target]).to_numpy(float)
    order = np.random.default_rng(0).permutation(len(y))
    cut = int(round(0.75 * len(y)))
    tr, te = order[:cut], order[cut:]
    classes = 0 if name == "diabetes" else int(y.max()) + 1
    return x[tr].astype(float), y[tr], x[te].astype(float), y[te], classes


def child(name: str, model: str, data_dir: str, validate: bool) -> dict:
    x, y, x_test, y_test, classes = load(name, data_dir)
    if validate:  # the test rows stay unread: 20 % of the training rows score the fit
        order = np.random.default_rng(1).permutation(len(y))
        cut = int(round(0.8 * len(y)))
        x, y, x_test, y_test = x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]
    out: dict = {"dataset": name, "model": model, "validate": validate, "n_train": len(y),
                 "n_test": len(y_test), "features": x.shape[1], "classes": classes}  # fmt: skip
    start = time.perf_counter()
    if model == "baseline":
        probs, mean, ll = _baseline(x, y, x_test, y_test, classes)
    else:
        probs, mean, ll = _bnnppl(model, x, y, x_test, y_test, classes, out)
    out["seconds"] = time.perf_counter() - start
    out["log_likelihood"] = ll
    if classes:
        from bnnppl.results import metrics

        out["accuracy"] = metrics.accuracy(y_test, probs)
        out["ece"] = metrics.expected_calibration_error(y_test, probs)
    else:
        out["rmse"] = float(np.sqrt(np.mean((y_test - mean) ** 2)))
    return out


def _baseline(x, y, x_test, y_test, classes):
    from scipy import stats
    from sklearn.linear_model import BayesianRidge, LogisticRegression

    from bnnppl.results.scaling import loc_scale

    loc, sd = loc_scale(x)
    xs, xs_test = (x - loc) / sd, (x_test - loc) / sd
    if classes:
        probs = LogisticRegression(C=1.0, max_iter=10_000).fit(xs, y).predict_proba(xs_test)
        ll = float(np.mean(np.log(np.clip(probs[np.arange(len(y_test)), y_test], 1e-300, None))))
        return probs, None, ll
    mean, std = BayesianRidge().fit(xs, y).predict(xs_test, return_std=True)
    return None, mean, float(np.mean(stats.norm.logpdf(y_test, mean, std)))


def _bnnppl(model, x, y, x_test, y_test, classes, out):
    import bnnppl as bp
    from bnnppl.results import metrics

    likelihood = (
        bp.Gaussian() if not classes else bp.Bernoulli() if classes == 2 else bp.Categorical(classes=classes)
    )
    if model in CANDIDATES:
        changes, method_dict = CANDIDATES[model]
        spec = {**bp.ModelSpec(likelihood=likelihood).to_dict()}
        for key, value in changes.items():
            if key == "likelihood" and classes:
                continue  # a noise prior has no meaning for labels: the default likelihood
            spec[key] = {**spec.get(key, {}), **value} if isinstance(value, dict) else value
        bnn = bp.BNN(bp.ModelSpec.from_dict(spec))
        method = bp.method_from_dict(method_dict)
    else:
        bnn = bp.BNN(bp.ModelSpec(likelihood=likelihood))
        method = {"map": bp.SVI(guide="delta", draws=1), "svi": bp.SVI(), "nuts": bp.NUTS()}[model]
    post = bp.fit(bnn, x, y, method, seed=0, progress=False)
    out["fit_seconds"] = post.seconds
    if model == "nuts":
        d = post.diagnostics()
        out |= {"function_max_rhat": d.function_max_rhat, "divergences": d.divergences,
                "depth_limit_share": d.depth_limit_share}  # fmt: skip
    pred = bp.predict(post, x_test, keep_samples=False)
    ll = metrics.log_likelihood(bp.results.log_likelihood(post, x_test, y_test))
    probs = None
    if classes:
        probs = pred.probs if pred.probs is not None else np.stack([1 - pred.mean, pred.mean], axis=1)
    return probs, pred.mean, ll


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="../shared/data/uci")
    parser.add_argument("--datasets", nargs="+", default=list(SUITE), choices=SUITE + HELD_BACK)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--out", default="bench/results/defaults")
    parser.add_argument("--validate", action="store_true", help="score on 20 %% of the training rows")
    parser.add_argument("--summary-only", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("DATASET", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.data_dir, args.validate)))
        return
    out = Path(args.out)
    suffix = ".validate.json" if args.validate else ".json"
    for name in args.datasets:
        for model in args.models:
            path = out / name / f"{model}{suffix}"
            if path.exists() or args.summary_only:
                continue
            command = [sys.executable, __file__, "--child", name, model, "--data-dir", args.data_dir]
            done = subprocess.run(
                command + ["--validate"] * args.validate,
                capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
            )  # fmt: skip
            if done.returncode != 0:
                print(f"{name} {model}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(done.stdout.strip().splitlines()[-1] + "\n")
            print(f"{name} {model}: {path.read_text().strip()}", flush=True)
    results = [json.loads(p.read_text()) for p in sorted(out.glob("*/*.json"))]
    rows = [
        (r["dataset"], r["model"], "validation" if r.get("validate") else "test", r["log_likelihood"],
         r.get("rmse", r.get("accuracy")), r.get("ece"), r["seconds"])
        for r in sorted(results, key=lambda r: (r.get("validate", False), ORDER.index(r["dataset"]),
                                                MODELS.index(r["model"])))
    ]  # fmt: skip
    print(table(rows, ("data set", "model", "rows", "LL", "RMSE / accuracy", "ECE", "seconds")))
    write_json(out.name, {**header(out.name, False, {"suite": SUITE, "models": MODELS}), "results": results})


if __name__ == "__main__":
    main()
