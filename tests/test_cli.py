"""The default example end to end through the command line."""

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from bnnppl import NUTS, ModelSpec, cli
from bnnppl.cli import main
from bnnppl.datasets import sine_regression
from bnnppl.results.posterior import load
from bnnppl.runs.config import load_config
from bnnppl.runs.example import EXAMPLE_SPEC, example_config, run_example

ROOT = Path(__file__).resolve().parents[1]


def test_example_config_file_is_the_example_spec():
    data = yaml.safe_load((ROOT / "configs" / "example_model.yaml").read_text())
    assert ModelSpec.from_dict(data) == EXAMPLE_SPEC


@pytest.mark.slow
def test_example_command_writes_a_run_folder_that_report_and_predict_read(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli.commands, "_on_terminal", lambda: True)  # status lines as in a terminal
    args = ["example", "--out", str(tmp_path), "--warmup", "100", "--samples", "100", "--seed", "3", "--no-report"]
    assert main(args) == 0
    captured = capsys.readouterr()
    out = captured.out
    (run,) = tmp_path.iterdir()
    phases = [re.sub(r"^bnnppl: \[ *\d+\.\d s\] ", "", line) for line in captured.err.splitlines()]
    assert phases[:3] + phases[4:] == [
        "starting JAX",
        "loading the data and building the model",
        "fitting NUTS to 40 rows: JAX compiles its programs, then it samples",
        "checking convergence",
        f"writing the run folder under {tmp_path}",
    ]
    assert re.fullmatch(r"fitted in \d+\.\d s; predicting the 40 training rows", phases[3])
    assert re.fullmatch(r"NUTS: fitted in \d+\.\d s", out.splitlines()[0])
    assert out.splitlines()[1].startswith("  train: log_likelihood ")
    assert re.search(r"^  function f: max r-hat \d\.\d{3}, min bulk ESS \d+, tail ESS \d+$", out, re.M)
    assert re.search(r"^  tree depth: \d+ % of transitions at max_tree_depth 10$", out, re.M)
    assert out.splitlines()[-1] == f"results: {run}"
    assert run.name.startswith("example-")
    assert sorted(p.name for p in run.iterdir()) == [
        "config.yaml", "data.npz", "diagnostics.json", "metrics.json", "posterior", "predictions.npz", "run.json",
        "summary.csv",
    ]  # fmt: skip
    assert load_config(run / "config.yaml") == example_config(tmp_path, warmup=100, samples=100, seed=3)

    posterior = load(run / "posterior")
    assert posterior.samples["net.Dense_0.kernel"].shape == (2, 100, 1, 10)
    assert posterior.method == NUTS(chains=2, warmup=100, samples=100)
    assert posterior.bnn.spec == EXAMPLE_SPEC and posterior.scaling is None  # the data as they are
    np.testing.assert_array_equal(posterior.y, sine_regression(n=40, seed=3)[1])

    assert main(["report", str(run)]) == 0  # the run folder is a normal one: report and predict read it
    assert capsys.readouterr().out == f"report: {run / 'report.html'}\n"
    (tmp_path.parent / "in.csv").write_text("x0\n0.5\n")
    assert main(["predict", str(run), "--input", str(tmp_path.parent / "in.csv"), "--output", "-"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "x0,mean,std,epistemic_sd,aleatoric_sd,q0.025,q0.25,q0.5,q0.75,q0.975"

    assert main([*args, "--quiet"]) == 0  # same second or not: a second folder, the first untouched
    captured = capsys.readouterr()
    (second,) = set(tmp_path.iterdir()) - {run}
    assert captured.out == f"results: {second}\n" and captured.err == ""
    assert not list(tmp_path.glob("*/.*.tmp")) and not list(tmp_path.glob("*/.*"))


@pytest.mark.slow
def test_example_runs_more_chains_than_devices_in_one_program(tmp_path, recwarn):
    result = run_example(tmp_path, chains=3, warmup=20, samples=20, report=False)
    assert result.run_dir.parent == tmp_path and result.seconds > 0
    assert load(result.run_dir / "posterior").num_chains == 3
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["example", "--samples", "0"], "argument --samples: must be >= 1, got 0"),
        (["example", "--chains", "two"], "argument --chains: must be a whole number, got 'two'"),
        (["exampel"], "argument command: invalid choice: 'exampel'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_the_command_in_a_fresh_process_exits_2_with_one_line():
    """`python -m bnnppl` re-executes itself with PYTHONHASHSEED=0, then reports the bad option."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run(
        [sys.executable, "-m", "bnnppl", "example", "--samples", "0"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "bnnppl example: error: argument --samples: must be >= 1, got 0 (see bnnppl example --help)\n"
    )  # one line: no usage line before it
    assert "Traceback" not in done.stderr
