"""Every shipped config runs end to end through ``bnnppl run`` (inference shrunk to a few steps).

Reports are built for the configs whose task, likelihood or method ``test_report.py`` does not
cover (three classes, heteroscedastic noise, two hidden layers, a latent input, SMC's history,
eight MCLMC chains from an ensemble);
the others skip it to save time."""

import json
from pathlib import Path

import pytest

from bnnppl.cli import main
from bnnppl.runs.config import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.yaml") if p.name != "example_model.yaml")
SHRINK = {
    "nuts": ["inference.warmup=20", "inference.samples=20", "inference.init_steps=50"],
    "hmc": ["inference.warmup=20", "inference.samples=20"],
    "svi": ["inference.steps=100", "inference.draws=20"],
    "langevin": ["inference.burnin=20", "inference.samples=20", "inference.thinning=2", "inference.init_steps=50"],
    "sgld": ["inference.burnin=20", "inference.samples=20", "inference.thinning=2", "inference.init_steps=50"],
    "sghmc": ["inference.burnin=20", "inference.samples=20", "inference.init_steps=50"],
    "smc": ["inference.particles=50", "inference.mcmc_steps=2", "inference.num_leapfrog=3"],
    "mclmc": ["inference.warmup=20", "inference.samples=20", "inference.init_steps=50"],
}
REPORTED = {"spiral_svi", "heteroscedastic", "langevin_curve", "heteroscedastic_lv", "sine_smc_data", "sine_mclmc"}


@pytest.mark.slow
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_runs_end_to_end_with_a_report(path, tmp_path, capsys):
    method = load_config(path).inference.to_dict()["method"]
    sets = [arg for item in SHRINK[method] for arg in ("--set", item)]
    report = [] if path.stem in REPORTED else ["--no-report"]
    assert main(["run", str(path), "--out", str(tmp_path), *sets, *report]) == 0
    (run,) = tmp_path.iterdir()
    assert capsys.readouterr().out.splitlines()[-1] == f"results: {run}"
    metrics = json.loads((run / "metrics.json").read_text())
    task = load_config(path).task
    assert ("accuracy" if task == "classification" else "rmse") in metrics["train"]
    if path.stem in REPORTED:
        page = (run / "report.html").read_text(encoding="utf-8")
        assert "<h2>Calibration" in page and "<h2>Inference</h2>" in page
        if method == "smc":
            assert "SMC: effective sample size" in page and "distinct final particles" in page
    else:
        assert not (run / "report.html").exists()


def test_the_shipped_csv_files_are_the_sine_data_in_other_units():
    """configs/data/sine_*.csv: bnnppl.datasets.sine_regression(n=40, seed=1) as x * 10 and
    100 + 50 * y (6 significant digits), rows 0-29 for training, 30-39 for testing, ids s00-s39."""
    import numpy as np

    from bnnppl.datasets import sine_regression

    x, y = sine_regression(n=40, noise=0.1, seed=1)
    rows = [line.split(",") for name in ("train", "test")
            for line in (ROOT / "configs" / "data" / f"sine_{name}.csv").read_text().splitlines()[1:]]  # fmt: skip
    assert [r[0] for r in rows] == [f"s{i:02d}" for i in range(40)]
    np.testing.assert_allclose([float(r[1]) for r in rows], 10 * x[:, 0], rtol=1e-5)
    np.testing.assert_allclose([float(r[2]) for r in rows], 100 + 50 * y, rtol=1e-5)
    assert load_config(ROOT / "configs" / "sine_csv.yaml").data.x_columns == ("x",)
