"""The default example end to end through the command line."""

import re
from pathlib import Path

import arviz as az
import numpy as np
import pytest
import yaml

from bnnppl import NUTS, ModelSpec
from bnnppl.cli import main
from bnnppl.datasets import sine_regression
from bnnppl.results.posterior import load
from bnnppl.runs.example import EXAMPLE_SPEC, run_example

ROOT = Path(__file__).resolve().parents[1]


def test_example_config_file_is_the_example_spec():
    data = yaml.safe_load((ROOT / "configs" / "example_model.yaml").read_text())
    assert ModelSpec.from_dict(data) == EXAMPLE_SPEC


@pytest.mark.slow
def test_example_command_writes_a_new_run_folder_each_time(tmp_path, capsys):
    args = ["example", "--out", str(tmp_path), "--warmup", "100", "--samples", "100", "--seed", "3"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("NUTS: 2 chains x 100 draws after 100 warmup, ")
    assert re.search(r"^  parameters: max r-hat \d\.\d{3}, min bulk ESS \d+, tail ESS \d+$", out, re.M)
    assert re.search(r"^  function f: max r-hat \d\.\d{3}, min bulk ESS \d+, tail ESS \d+$", out, re.M)
    assert re.search(r"^  tree depth: \d+ % of transitions at max_tree_depth 10$", out, re.M)
    assert re.search(r"^  E-BFMI: \d\.\d\d in the worst chain \(want >= 0.3\)$", out, re.M)
    assert re.search(
        r"^  PSIS-LOO: elpd -?\d+\.\d ± \d+\.\d; Pareto k above 0\.\d\d at \d+ of 40 training points$",
        out,
        re.M,
    )
    assert re.search(r"^  divergences: \d+$", out, re.M)
    (run,) = tmp_path.iterdir()
    assert f"results: {run} (posterior/, summary.csv, model.yaml)" in out
    assert sorted(p.name for p in run.iterdir()) == ["model.yaml", "posterior", "summary.csv"]

    posterior = load(run / "posterior")
    assert posterior.samples["net.Dense_0.kernel"].shape == (2, 100, 1, 10)
    assert posterior.samples["sigma"].shape == (2, 100)
    assert posterior.method == NUTS(chains=2, warmup=100, samples=100)
    np.testing.assert_array_equal(posterior.y, sine_regression(n=40, seed=3)[1])
    samples = az.from_netcdf(run / "posterior" / "posterior.nc").posterior
    assert samples["net.Dense_1.kernel"].shape == (2, 100, 10, 1)
    summary = (run / "summary.csv").read_text().splitlines()
    assert summary[0].split(",")[1:] == [
        "mean", "sd", "eti89_lb", "eti89_ub", "ess_bulk", "ess_tail", "r_hat", "mcse_mean", "mcse_sd",
    ]  # fmt: skip
    assert len(summary) == 1 + 10 + 10 + 10 + 1 + 1  # kernels, biases and sigma; no f
    assert ModelSpec.from_dict(yaml.safe_load((run / "model.yaml").read_text())) == EXAMPLE_SPEC

    assert main(args) == 0  # same second or not: a second folder, the first untouched
    assert len(list(tmp_path.iterdir())) == 2
    assert not list(tmp_path.glob("*/.*.tmp")) and not list(tmp_path.glob("*/.*"))


@pytest.mark.slow
def test_example_runs_more_chains_than_devices_in_one_program(tmp_path, recwarn):
    result = run_example(tmp_path, chains=3, warmup=20, samples=20)
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
