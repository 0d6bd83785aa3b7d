"""The UCI benchmark: loader, standardisation, original-units scores, resume, the command."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import bnnppl as bp
from bnnppl import uci
from bnnppl.cli import main
from bnnppl.runs.config import ConfigError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uci"
TINY = "inference:\n  method: svi\n  steps: 50\n  draws: 10\n  chunk: 50\n"


def _write(folder: Path, *, nested: bool = False, constant: bool = False) -> Path:
    """A 10-row, 4-column data set with 2 splits in the standard layout; the target is column 1."""
    folder = folder / "data" if nested else folder
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(10, 4))
    data[:, 1] = np.arange(10) * 10.0  # the target: row i holds 10 i
    if constant:
        data[:, 3] = 7.0
    np.savetxt(folder / "data.txt", data)
    np.savetxt(folder / "index_features.txt", [0, 2, 3], fmt="%d")
    np.savetxt(folder / "index_target.txt", [1], fmt="%d")
    np.savetxt(folder / "n_hidden.txt", [3], fmt="%d")
    np.savetxt(folder / "n_splits.txt", [2], fmt="%d")
    for k, test in enumerate(([0, 1], [8, 9])):
        np.savetxt(folder / f"index_test_{k}.txt", test, fmt="%d")
        np.savetxt(folder / f"index_train_{k}.txt", [i for i in range(10) if i not in test], fmt="%d")
    return folder


@pytest.fixture
def root(tmp_path):
    _write(tmp_path / "uci" / "toy")
    _write(tmp_path / "uci" / "nested", nested=True, constant=True)
    return tmp_path / "uci"


def test_loader_shapes_disjoint_splits_and_target_column(root):
    assert uci.available(root) == ["nested", "toy"]
    for name in ("toy", "nested"):
        data = uci.load_uci(root, name)
        assert (data.n_splits, data.n_hidden, data.features, data.target) == (2, 3, (0, 2, 3), 1)
        x_tr, y_tr, x_te, y_te = data.split(1)
        assert x_tr.shape == (8, 3) and x_te.shape == (2, 3) and y_tr.shape == (8,)
        assert y_te.tolist() == [80.0, 90.0]  # column 1, rows 8 and 9
        assert not set(data.train[1]) & set(data.test[1])


def test_loader_errors_name_the_file(root):
    (root / "toy" / "index_test_1.txt").unlink()
    with pytest.raises(ConfigError, match=r"toy/index_test_1.txt: no such file\.$"):
        uci.load_uci(root, "toy")


def test_constant_column_keeps_std_one_and_standardisation_round_trips(root):
    x_tr, y_tr, _, _ = uci.load_uci(root, "nested").split(0)
    s = uci.standardizer(x_tr, y_tr)
    assert s.x_std[2] == 1.0 and np.all(np.isfinite(s.x(x_tr)))
    np.testing.assert_allclose(s.x(x_tr).mean(0)[:2], 0, atol=1e-12)
    np.testing.assert_allclose(s.x(x_tr).std(0)[:2], 1)
    np.testing.assert_allclose(s.y_back(s.y(y_tr)), y_tr)
    assert s.y(y_tr).std() == pytest.approx(1)


def test_log_likelihood_in_original_units_by_hand():
    """2 draws, 2 points: f = (0, 1) and (1, 1) standardised, sigma 0.5, y_s = (0, 1), y_std 2.
    Original units: y ~ N(mean + 2 f, (2 sigma)^2), so each point's density is a 50/50 mixture."""
    f, sigma, ys, y_std = np.array([[0.0, 1.0], [1.0, 1.0]]), 0.5, np.array([0.0, 1.0]), 2.0
    log_lik = -0.5 * ((ys - f) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)

    def normal(x, m, s):
        return math.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))

    mean = 3.0  # y = 3 + 2 y_s: the points are y = 3 and y = 5
    p0 = 0.5 * (normal(3, 3, 1) + normal(3, 5, 1))
    p1 = 0.5 * (normal(5, 5, 1) + normal(5, 5, 1))
    assert mean + y_std * ys[1] == 5
    assert uci.original_log_likelihood(log_lik, y_std) == pytest.approx((math.log(p0) + math.log(p1)) / 2)


@pytest.mark.parametrize(("text", "expected"), [(None, [0, 1]), ("1", [1]), ("0-1", [0, 1]), ("1,0", [0, 1])])
def test_parse_splits(text, expected):
    assert uci.parse_splits(text, 2, "toy") == expected


def test_settings_defaults_and_config(tmp_path):
    model, method = uci.settings(50, "svi")
    assert model.network.hidden == (50,) and model.prior.fan_in == "lecun" and method.steps == 20_000
    assert model.likelihood.noise_prior == bp.ScalePrior(
        family="gamma_precision", concentration=1.0, rate=0.01
    )
    assert (method.init, method.init_steps) == ("map", 2000)  # the guide starts at a MAP fit
    model, nuts = uci.settings(100)
    assert model.network.hidden == (100,) and nuts.to_dict()["method"] == "nuts"
    assert (nuts.chains, nuts.warmup, nuts.samples, nuts.max_tree_depth, nuts.init) == (2, 1000, 1000, 8, "map")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model:\n  network: {activation: tanh}\n" + TINY)
    model, method = uci.settings(7, config=cfg)
    assert model.network.hidden == (7,) and model.network.activation == "tanh" and method.steps == 50
    with pytest.raises(
        ConfigError, match="--method nuts: the config .* sets inference.method 'svi'; drop one."
    ):
        uci.settings(7, "nuts", cfg)
    cfg.write_text("modle: {}\n")
    with pytest.raises(ConfigError, match="unknown key 'modle'; a bench config has 'model' and 'inference'."):
        uci.settings(7, config=cfg)


def test_shipped_heteroscedastic_config_is_the_mclmc_default_with_a_noise_output():
    """bench/uci_mclmc_het.yaml (docs/benchmarks.md): the --method mclmc settings, the default
    network and prior, and a heteroscedastic likelihood (two outputs: mean and log noise scale)."""
    shipped = Path(__file__).resolve().parents[1] / "bench" / "uci_mclmc_het.yaml"
    model, method = uci.settings(50, config=shipped)
    default_model, default_mclmc = uci.settings(50, "mclmc")
    assert method == default_mclmc
    assert model.likelihood == bp.HeteroscedasticGaussian() and model.likelihood.n_outputs == 2
    assert (model.network, model.prior) == (default_model.network, default_model.prior)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data-dir", "{missing}"], "--data-dir: {missing}: no such folder."),
        (
            ["--datasets", "tyo"],
            "--datasets: unknown data set 'tyo'. Did you mean 'toy'? Allowed: 'nested', 'toy'.",
        ),
        (["--datasets", "toy", "--splits", "5"], "--splits '5': toy has splits 0-1, not 5."),
        (["--splits", "1-0"], "--splits '1-0': expected split numbers or ranges, e.g. 0, 0-4 or 0,3,5-7."),
    ],
)
def test_command_errors_are_one_line_exit_2(root, tmp_path, capsys, args, message):
    missing = str(tmp_path / "nope")
    args = [a.format(missing=missing) for a in args]
    argv = ["bench", "uci", "--data-dir", str(root), "--out", str(tmp_path / "out"), *args]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"bnnppl: error: {message.format(missing=missing)}\n"
    assert not (tmp_path / "out").exists()


def test_resume_skips_finished_splits_and_refuses_other_settings(root, tmp_path, capsys):
    cfg, out = tmp_path / "tiny.yaml", tmp_path / "out"
    cfg.write_text(TINY)
    argv = [
        "bench",
        "uci",
        "--data-dir",
        str(root),
        "--datasets",
        "toy",
        "--config",
        str(cfg),
        "--out",
        str(out),
    ]
    assert main([*argv, "--splits", "0"]) == 0
    first = (out / "toy" / "svi" / "split_0.json").read_text()
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("toy (svi) split 0: done before: RMSE")
    assert lines[3].startswith("toy (svi) split 1: RMSE")
    assert (out / "toy" / "svi" / "split_0.json").read_text() == first  # not refitted
    results = json.loads((out / "results.json").read_text())
    assert results["toy"]["svi"]["splits"] == [0, 1] and results["toy"]["svi"]["n"] == 2
    assert "| toy | " in (out / "results.md").read_text()
    cfg.write_text(TINY.replace("steps: 50", "steps: 60"))
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"bnnppl: error: {out / 'toy' / 'svi'}: holds splits made with other settings (see split_0.json); "
        "use another --out or remove that folder.\n"
    )


def test_published_tables_parse():
    if not (SHARED / "PUBLISHED.md").is_file():
        pytest.skip(f"no UCI data at {SHARED} (the files are not shipped; see docs/benchmarks.md)")
    table = uci.read_published(SHARED / "PUBLISHED.md")
    assert table["rmse"]["yacht"]["PBP"] == "1.02 ± 0.05"
    assert table["log_likelihood"]["naval-propulsion-plant"]["Deep Ensembles"] == "5.63 ± 0.05"


def test_published_format_change_fails_loudly(tmp_path):
    bad = tmp_path / "PUBLISHED.md"
    bad.write_text("## A. Test RMSE\n\n| Dataset | VI |\n|---|---|\n| Yacht | 6.89 ± 0.67 |\n")
    with pytest.raises(ConfigError, match="has no single column 'PBP'"):
        uci.read_published(bad)


def test_smoke_run_on_yacht(tmp_path, capsys):
    if not (SHARED / "yacht").is_dir():
        pytest.skip(f"no UCI data at {SHARED} (the files are not shipped; see docs/benchmarks.md)")
    cfg, out = tmp_path / "tiny.yaml", tmp_path / "out"
    cfg.write_text(TINY)
    argv = ["bench", "uci", "--data-dir", str(SHARED), "--datasets", "yacht", "--splits", "0"]
    assert main([*argv, "--method", "svi", "--config", str(cfg), "--out", str(out)]) == 0
    record = json.loads((out / "yacht" / "svi" / "split_0.json").read_text())
    assert (record["n_train"], record["n_test"]) == (277, 31)
    assert np.isfinite(record["rmse"]) and np.isfinite(record["log_likelihood"])
    md = (out / "results.md").read_text()
    assert "| Yacht | " in md and "1.02 ± 0.05" in md  # ours beside PBP's published RMSE


def test_collect_and_markdown_give_means_standard_errors_and_run_checks(tmp_path):
    """Two hand-made NUTS splits: mean and s.e. (ddof=0 / sqrt(n)), fit times, divergences summed
    and the output r-hat's median and worst; an SVI folder gets no MCMC columns."""
    for method, diagnostics in (
        (
            "nuts",
            [{"divergences": 1, "function_max_rhat": 1.02}, {"divergences": 2, "function_max_rhat": 1.2}],
        ),
        ("svi", [{"final": 1.0, "change": 0.1}] * 2),
    ):
        folder = tmp_path / "yacht" / method
        folder.mkdir(parents=True)
        for k, (rmse, ll, seconds) in enumerate([(1.0, -1.0, 10.0), (3.0, -2.0, 20.0)]):
            record = {"split": k, "key": "abc", "rmse": rmse, "log_likelihood": ll, "fit_seconds": seconds,
                      "diagnostics": diagnostics[k], "settings": {"method": method}}  # fmt: skip
            (folder / f"split_{k}.json").write_text(json.dumps(record))
    results = uci.collect(tmp_path)
    nuts = results["yacht"]["nuts"]
    assert nuts["rmse"] == {"mean": 2.0, "se": pytest.approx(1 / math.sqrt(2))}
    assert nuts["log_likelihood"] == {"mean": -1.5, "se": pytest.approx(0.5 / math.sqrt(2))}
    assert (nuts["fit_seconds"], nuts["fit_seconds_median"]) == (30.0, 15.0)
    assert nuts["checks"] == {
        "divergences": 3,
        "function_rhat_median": pytest.approx(1.11),
        "function_rhat_max": 1.2,
    }
    assert results["yacht"]["svi"]["checks"] == {}
    md = uci.markdown(results).splitlines()
    assert "| Yacht | 2.000 ± 0.707 (2) | 2.000 ± 0.707 (2) |" in md
    assert "| Yacht | NUTS | 2 | 0.5 min | 15.0 s | 3 | 1.11 (1.20) |" in md
    assert "| Yacht | SVI | 2 | 0.5 min | 15.0 s |  |  |" in md


def test_each_job_frees_jax_caches_after_its_splits(root, tmp_path, monkeypatch):
    """JAX keeps every compiled program: 96 NUTS fits in one run hit Linux's memory-map limit
    (LLVM: cannot allocate memory) when each fit compiled anew. The splits of a job share their
    programs (compiled once), so the command clears the caches after each job, not each split."""
    cleared = []
    monkeypatch.setattr(uci.bench.jax, "clear_caches", lambda: cleared.append(1))
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    argv = ["bench", "uci", "--data-dir", str(root), "--datasets", "toy", "--config", str(cfg)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    assert len(cleared) == 1  # one job (toy, one method) of two splits


@pytest.mark.slow
def test_the_splits_run_as_dask_tasks_give_the_serial_results(root, tmp_path, capsys):
    """--workers 2: the (data set, split) fits on a local Dask cluster of 2 processes write the
    same split files as the serial run (up to the workers' own string hashing: see README)."""
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    argv = ["bench", "uci", "--data-dir", str(root), "--config", str(cfg)]
    assert main([*argv, "--out", str(tmp_path / "serial")]) == 0
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path / "dask"), "--workers", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("local cluster: 2 worker processes")
    assert sorted(line.split(":")[0] for line in lines[1:5]) == [
        "nested (svi) split 0", "nested (svi) split 1", "toy (svi) split 0", "toy (svi) split 1",
    ]  # fmt: skip
    for name in ("toy", "nested"):
        for k in (0, 1):
            serial = json.loads((tmp_path / "serial" / name / "svi" / f"split_{k}.json").read_text())
            dask = json.loads((tmp_path / "dask" / name / "svi" / f"split_{k}.json").read_text())
            assert dask["rmse"] == pytest.approx(serial["rmse"], rel=1e-4)
            assert dask["log_likelihood"] == pytest.approx(serial["log_likelihood"], rel=1e-4)
