"""``bnnppl run / validate / report / predict`` end to end on a tiny config, and every user
mistake as one line on stderr with exit code 2 and nothing written."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml

import bnnppl as bp
from bnnppl.cli import main
from bnnppl.results.diagnostics import constant_warnings, metric_warnings
from bnnppl.results.metrics import rmse
from bnnppl.runs import runner as R
from bnnppl.runs.config import RunConfig, load_config

FILES = [
    "config.yaml", "data.npz", "diagnostics.json", "metrics.json", "posterior", "predictions.npz", "run.json",
    "summary.csv",
]  # fmt: skip


@pytest.fixture
def tiny(tmp_path):
    config = {
        "data": {"name": "sine", "params": {"n": 24}, "test_fraction": 0.25},
        "model": {"network": {"hidden": [3]}, "likelihood": {"family": "gaussian", "noise": 0.1}},
        "inference": {"method": "svi", "steps": 40, "draws": 20, "chunk": 20},
        "output": str(tmp_path / "runs"),
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def only_run(tmp_path):
    (run,) = (tmp_path / "runs").iterdir()
    return run


def test_run_writes_a_complete_run_folder_and_never_reuses_one(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--no-report"]) == 0
    out = capsys.readouterr().out.splitlines()
    run = only_run(tmp_path)
    assert run.name.startswith("tiny-")
    assert sorted(p.name for p in run.iterdir()) == FILES
    assert re.fullmatch(r"SVI: fitted in \d+\.\d s", out[0])
    assert out[1].startswith("  train: log_likelihood ") and out[2].startswith("  test: log_likelihood ")
    metrics = json.loads((run / "metrics.json").read_text())
    # 40 SVI steps learn little: the splits no better than a constant prediction say so, and the
    # test rows, scored below the linear model fitted to the training rows, say that too
    assert metrics["test"]["log_likelihood"] < metrics["test"]["linear_log_likelihood"]
    warned = [f"  warning: {w}" for w in metric_warnings(metrics)]
    assert out[3 : 3 + len(warned)] == warned and len(warned) == len(constant_warnings(metrics)) + 1
    assert "below a linear model's" in warned[-1]
    assert out[3 + len(warned)].startswith("  loss: ")
    assert out[-1] == f"results: {run}"

    config = load_config(tiny)
    assert RunConfig.from_dict(yaml.safe_load((run / "config.yaml").read_text())) == config
    assert set(metrics) == {"train", "test", "fit_seconds"}
    assert set(metrics["test"]) == {
        "log_likelihood", "constant_log_likelihood", "linear_log_likelihood", "rmse", "mae", "coverage_95",
        "width_95", "crps"
    }  # fmt: skip
    posterior = bp.load(run / "posterior")
    assert posterior.stats["loss"].shape == (40,)
    data = R.load_data(run)
    assert data.x.shape == (18, 1) and data.x_test.shape == (6, 1) and data.columns == ["x0"]
    pred = bp.predict(posterior, data.x_test, seed=0)
    with np.load(run / "predictions.npz") as saved:
        np.testing.assert_array_equal(saved["mean"], pred.mean)
        np.testing.assert_array_equal(saved["quantiles"][0], pred.quantiles[0.025])
    assert metrics["test"]["rmse"] == pytest.approx(rmse(data.y_test, pred.mean), rel=1e-6)
    diagnostics = json.loads((run / "diagnostics.json").read_text())
    assert set(diagnostics) == {"final", "change", "warnings"}

    assert main(["run", str(tiny), "--no-report", "--set", "inference.steps=30"]) == 0
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and run in runs  # a second folder; the first untouched
    second = next(r for r in runs if r != run)
    assert bp.load(second / "posterior").stats["loss"].shape == (30,)
    made = json.loads((second / "run.json").read_text())  # how the run was made, for the report's header
    assert made["command"] == f"bnnppl run {tiny} --no-report --set inference.steps=30"
    assert made["overrides"] == ["inference.steps=30"] and made["seed"] == 0
    assert made["fit_seconds"] == json.loads((second / "metrics.json").read_text())["fit_seconds"]
    assert set(made["versions"]) == {"bnnppl", "jax", "numpyro", "flax", "arviz", "holoviews", "bokeh"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", made["started"])
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".")]


def test_an_interrupted_run_leaves_no_folder(tiny, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(R, "_save_predictions", boom)
    with pytest.raises(KeyboardInterrupt):
        main(["run", str(tiny), "--no-report"])
    assert list((tmp_path / "runs").iterdir()) == []


def test_validate_checks_without_writing(tiny, tmp_path, capsys):
    assert main(["validate", str(tiny)]) == 0
    assert capsys.readouterr().out == (
        f"{tiny}: valid (regression; 18 training rows, 6 test rows, 1 input column(s), standardised; svi)\n"
    )
    assert not (tmp_path / "runs").exists()


def test_validate_print_shows_the_resolved_config(tiny, tmp_path, capsys):
    """Every default filled in and the overrides applied, as YAML that reads back to the same config."""
    assert main(["validate", str(tiny), "--print", "--set", "inference.steps=7"]) == 0
    first, rest = capsys.readouterr().out.split("\n", 1)
    assert first.startswith(f"{tiny}: valid (regression;")
    printed = yaml.safe_load(rest)
    assert printed == load_config(tiny, ["inference.steps=7"]).to_dict()
    assert printed["inference"]["steps"] == 7 and "scale" in printed["data"]  # a default, filled in


def test_one_set_takes_several_overrides_before_or_after_the_config(tiny, capsys):
    expected = load_config(tiny, ["inference.steps=7", "seed=3", "inference.draws=5"]).to_dict()
    for argv in (
        ["validate", str(tiny), "--print", "--set", "inference.steps=7", "seed=3", "--set", "inference.draws=5"],
        ["validate", "--set", "inference.steps=7", "seed=3", str(tiny), "--print", "--set", "inference.draws=5"],
        ["validate", "--print", "--set", "inference.steps=7", "seed=3", "inference.draws=5", str(tiny)],
    ):
        assert main(argv) == 0
        assert yaml.safe_load(capsys.readouterr().out.split("\n", 1)[1]) == expected, argv


def test_set_inference_method_switches_method_and_says_what_it_dropped(tiny, capsys):
    assert main(["validate", str(tiny), "--print", "--set", "inference.method=nuts", "inference.warmup=5"]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "bnnppl: warning: --set 'inference.method=nuts': dropped the svi options chunk, draws, steps, "
        "which nuts does not have.\n"
    )
    printed = yaml.safe_load(captured.out.split("\n", 1)[1])
    assert printed["inference"] == bp.NUTS(warmup=5).to_dict()


def test_version_is_the_installed_one(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out == f"bnnppl {bp.__version__}\n"


def test_predict_writes_a_csv_of_the_saved_posterior(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--no-report"]) == 0
    run = only_run(tmp_path)
    (tmp_path / "in.csv").write_text("x0,other\n-0.5,9\n0.0,9\n0.5,9\n")
    out = tmp_path / "out.csv"
    capsys.readouterr()
    assert main(["predict", str(run), "--input", str(tmp_path / "in.csv"), "--output", str(out)]) == 0
    assert capsys.readouterr().out == f"predictions: {out}\n"
    lines = out.read_text().splitlines()
    assert lines[0] == "x0,mean,std,epistemic_sd,aleatoric_sd,q0.025,q0.25,q0.5,q0.75,q0.975"
    table = np.loadtxt(out, delimiter=",", skiprows=1)
    pred = bp.predict(bp.load(run / "posterior"), np.array([[-0.5], [0.0], [0.5]]), seed=0, keep_samples=False)
    np.testing.assert_allclose(table[:, 1], pred.mean, rtol=1e-6)
    np.testing.assert_allclose(table[:, 3] ** 2 + table[:, 4] ** 2, table[:, 2] ** 2, rtol=1e-6)
    np.testing.assert_allclose(table[:, 3] ** 2, pred.epistemic, rtol=1e-6)
    np.testing.assert_allclose(table[:, 9], pred.quantiles[0.975], rtol=1e-6)
    code = main(["predict", str(run), "--input", str(tmp_path / "in.csv"), "--output", str(out)])
    assert code == 2  # an existing output is not replaced without --overwrite
    assert main(["predict", str(run), "--input", str(tmp_path / "in.csv"), "--output", str(out), "--overwrite"]) == 0

    # --output -: CSV on standard output; --keep: ID columns first, as text; --quantiles: the levels
    (tmp_path / "ids.csv").write_text("id,x0\nA-7,-0.5\n007,0.5\n")
    capsys.readouterr()
    argv = ["predict", str(run), "--input", str(tmp_path / "ids.csv"), "--output", "-", "--keep", "id",
            "--quantiles", "0.05,0.95"]  # fmt: skip
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "id,x0,mean,std,epistemic_sd,aleatoric_sd,q0.05,q0.95"
    assert [line.split(",")[0] for line in lines[1:]] == ["A-7", "007"]
    table = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    pred = bp.predict(bp.load(run / "posterior"), np.array([[-0.5], [0.5]]), keep_samples=False, levels=(0.05, 0.95))
    np.testing.assert_allclose(table[:, 5], pred.quantiles[0.05], rtol=1e-6)
    np.testing.assert_allclose(table[:, 6], pred.quantiles[0.95], rtol=1e-6)
    assert not (tmp_path / "-").exists()


def bad_cases(tmp_path, tiny):
    """(argv, exact stderr line) pairs for the user mistakes of the command line."""
    (tmp_path / "broken.yaml").write_text("data:\n  name: [sine\n")
    bad_field = yaml.safe_load(tiny.read_text()) | {"seed": -1}
    (tmp_path / "field.yaml").write_text(yaml.safe_dump(bad_field))
    csv_config = yaml.safe_load(tiny.read_text()) | {"data": {"train": "train.csv"}}
    (tmp_path / "csv.yaml").write_text(yaml.safe_dump(csv_config))
    (tmp_path / "train.csv").write_text("a,t\n1,2\n3,\n")
    (tmp_path / "text.csv").write_text("a,t\n1,2\nx,3\n")
    text_config = yaml.safe_load(tiny.read_text()) | {"data": {"train": "text.csv"}}
    (tmp_path / "text.yaml").write_text(yaml.safe_dump(text_config))
    labels = yaml.safe_load(tiny.read_text())
    labels["model"]["likelihood"] = {"family": "bernoulli"}
    (tmp_path / "labels.yaml").write_text(yaml.safe_dump(labels))
    return [
        (["run", str(tmp_path / "nope.yaml")], f"{tmp_path / 'nope.yaml'}: no such file."),
        (["run", str(tmp_path / "broken.yaml")], f"{tmp_path / 'broken.yaml'}:3:1: malformed YAML: expected ',' or ']', but got '<stream end>'."),
        (["run", str(tmp_path / "field.yaml")], f"{tmp_path / 'field.yaml'}: seed: must be >= 0, got -1."),
        (["run", str(tiny), "--set", "inference.stpes=3"], f"{tiny}: inference.stpes: unknown key. Did you mean 'steps'? Valid keys: "),
        (["run", str(tiny), "--set", "seed"], "--set 'seed': expected key.path=value, e.g. inference.steps=500."),
        (["run", str(tmp_path / "csv.yaml")], "data.train: train.csv line 3, column 't': missing value."),
        (["run", str(tmp_path / "text.yaml")], "data.train: text.csv line 3, column 'a': not a number: 'x'."),
        (["run", str(tmp_path / "labels.yaml")], "data: y: "),
        (["validate", str(tmp_path / "field.yaml")], f"{tmp_path / 'field.yaml'}: seed: must be >= 0, got -1."),
        (["report", str(tmp_path)], f"{tmp_path}: not a bnnppl run folder (missing config.yaml, posterior, data.npz)."),
        (["report", str(tmp_path / "none")], f"{tmp_path / 'none'}: no such run folder."),
    ]  # fmt: skip


def test_every_user_mistake_is_one_line_with_exit_code_2_and_nothing_written(tiny, tmp_path, capsys):
    for argv, message in bad_cases(tmp_path, tiny):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == ""
        err = captured.err
        assert err.count("\n") == 1 and err.startswith("bnnppl: error: " + message), (argv, err)
        assert not (tmp_path / "runs").exists(), argv


def test_predict_mistakes(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--no-report"]) == 0
    run = only_run(tmp_path)
    (tmp_path / "cols.csv").write_text("a,b\n1,2\n")
    (tmp_path / "gap.csv").write_text("id,x0\na,1\n\nb,\n")
    cases = [
        (["--input", str(tmp_path / "none.csv")], f"--input: no such file: '{tmp_path / 'none.csv'}'."),
        (["--input", str(tmp_path / "cols.csv")], "--input: cols.csv has columns a, b; the model takes 1 input column(s) named x0 (missing x0)."),
        (["--input", str(tmp_path / "gap.csv")], "--input: gap.csv line 4, column 'x0': missing value."),
        (["--input", str(tmp_path / "gap.csv"), "--keep", "ID"], "--keep: gap.csv has no column 'ID'; its columns: id, x0."),
    ]  # fmt: skip
    capsys.readouterr()
    for extra, message in cases:
        out = tmp_path / "p.csv"
        assert main(["predict", str(run), *extra, "--output", str(out)]) == 2
        assert capsys.readouterr().err == f"bnnppl: error: {message}\n"
        assert not out.exists()
    (tmp_path / "ok.csv").write_text("x0\n1\n")
    assert main(["predict", str(run), "--input", str(tmp_path / "ok.csv"), "--output", str(tmp_path / "no" / "p.csv")]) == 2
    assert capsys.readouterr().err == f"bnnppl: error: --output: no such folder: '{tmp_path / 'no'}'.\n"
    for levels in ("0.05,1.5", "0.5,0.5", "x", ""):
        with pytest.raises(SystemExit) as stop:
            main(["predict", str(run), "--input", str(tmp_path / "ok.csv"), "--output", "-", "--quantiles", levels])
        assert stop.value.code == 2
        assert capsys.readouterr().err == (
            "bnnppl predict: error: argument --quantiles: must be distinct levels in (0, 1) separated by "
            f"commas, e.g. 0.05,0.95, got {levels!r} (see bnnppl predict --help)\n"
        )


def test_mistakes_that_need_no_jax_are_refused_without_importing_it(tiny, tmp_path):
    """An existing output, a folder that is not a run, a missing or bad config: each refused in one
    line before JAX is imported (so in well under a second; bench/cli_startup.py times it)."""
    (tmp_path / "exists.csv").write_text("x0\n1\n")
    (tmp_path / "bad.yaml").write_text(tiny.read_text() + "seed: -1\n")
    calls = [
        ["predict", str(tmp_path), "--input", "in.csv", "--output", str(tmp_path / "exists.csv")],
        ["predict", str(tmp_path), "--input", "in.csv", "--output", "-"],
        ["report", str(tmp_path)],
        ["run", str(tmp_path / "none.yaml")],
        ["validate", str(tmp_path / "bad.yaml")],
        ["run", str(tiny), "--set", "inference.stpes=3"],
    ]
    code = (
        "import sys\nfrom bnnppl.cli import main\n"
        f"codes = [main(argv) for argv in {calls!r}]\n"
        "print(codes, 'jax' in sys.modules, 'numpyro' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[2, 2, 2, 2, 2, 2] False False\n"
    errors = done.stderr.splitlines()
    assert errors[0] == f"bnnppl: error: --output: {tmp_path / 'exists.csv'} exists; pass --overwrite to replace it."
    assert errors[1] == errors[2] == f"bnnppl: error: {tmp_path}: not a bnnppl run folder (missing config.yaml, posterior, data.npz)."
    assert len(errors) == len(calls)


def test_diagnostics_json_reads_back_as_the_check(tiny, tmp_path):
    assert main(["run", str(tiny), "--no-report"]) == 0
    run = only_run(tmp_path)
    check = R.read_check(run)
    assert check == R.check(bp.load(run / "posterior"))
