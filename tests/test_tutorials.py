"""The tutorials run top to bottom in quick mode, tell their story in numbers, and convert to notebooks.

Each tutorial runs in-process (``runpy``) with ``BNNPPL_TUTORIAL_QUICK=1``, which shrinks its draws
and steps; the bounds below are for quick mode, with what was observed on a 2-core CPU in a comment.
When JAX started before a tutorial could ask for two devices, its chains share one device
(vectorised in one program), which changes no number asserted here beyond its bound.
"""

import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
SOURCES = sorted(TUTORIALS.glob("0*.py"))


def run_quick(name: str, monkeypatch) -> dict:
    monkeypatch.setenv("BNNPPL_TUTORIAL_QUICK", "1")
    monkeypatch.setenv("XLA_FLAGS", os.environ.get("XLA_FLAGS", ""))  # the tutorial sets it; restored after
    return runpy.run_path(str(TUTORIALS / name), run_name="__main__")


def test_the_course_has_five_tutorials():
    assert [p.name for p in SOURCES] == [
        "01_classification_hmc.py",
        "02_nuts_and_svi.py",
        "03_vi_at_scale.py",
        "04_langevin_and_smc.py",
        "05_latent_variables.py",
    ]


@pytest.mark.slow
def test_02_nuts_and_svi(monkeypatch):
    ns = run_quick("02_nuts_and_svi.py", monkeypatch)
    assert ns["rmse"] < 0.3  # observed 0.19 (the noise sd is 0.1)
    assert ns["coverage"] >= 0.7  # observed 0.9 of the 10 test points in the 95 % band
    assert ns["function_max_rhat"] < 1.3  # observed 1.03 with 100 draws per chain (full mode 1.003)
    assert ns["divergences"] <= 5  # observed 0 (full mode 0 at target_accept=0.95 and at 0.99)
    assert ns["svi_rmse"] < 0.45  # observed 0.28 (full mode 0.28: mean-field SVI underfits)
    assert ns["test_accuracy"] >= 0.85  # observed 0.91 on the spiral (full mode 0.99)
    assert ns["map_test_accuracy"] >= 0.85  # observed 1.0 (full mode 0.97)
    # far from the data the BNN is unsure and the deterministic network is not
    assert ns["far_entropy_map"] < 0.25  # observed 0.07 (full mode 0.07)
    assert ns["far_entropy_bnn"] > 2 * ns["far_entropy_map"]  # observed 0.60 (full mode 0.47)
    assert set(ns["variant_posts"]) == {
        "prior sd 0.1",
        "prior sd 10",
        "2 hidden units",
        "100 hidden units",
        "ReLU",
    }


@pytest.mark.slow
def test_03_vi_at_scale(monkeypatch):
    ns = run_quick("03_vi_at_scale.py", monkeypatch)
    assert ns["test_accuracy"] >= 0.93  # observed 0.96 (full mode 0.97; a straight line gets 0.86)
    assert ns["minibatch_test_accuracy"] >= 0.9  # observed 0.96 (full mode 0.97)
    assert ns["big_minibatch_test_accuracy"] >= 0.9  # observed 0.97 (full mode 0.97)
    assert 1 <= ns["active_units"] <= 4  # observed 2 of 5 (full mode 1): mean field switches units off
    assert ns["speedup"] > 0  # observed 1.0 on 2000 points in quick mode (full mode 7.5x and 10x on 10 000)


@pytest.mark.slow
def test_04_langevin_and_smc(monkeypatch):
    ns = run_quick("04_langevin_and_smc.py", monkeypatch)
    # prior scale 1: the MAP network irons out the wiggle; scale 2: it fits down to the noise sd 0.5.
    # Observed 0.84 vs 0.49 (full mode 0.83 vs 0.49).
    assert ns["map_train_rmse"][1.0] > ns["map_train_rmse"][2.0] + 0.2
    assert abs(ns["kinetic_temperature"] - 1) < 0.03  # observed 0.992 (full mode 1.000)
    hot, ok = ns["step_check"][0.02][0], ns["step_check"][0.005][0]
    assert hot > ok + 0.02  # observed 1.039 vs 0.985 (full mode 1.044 vs 1.001)
    assert not np.isfinite(ns["step_check"][0.03][0])  # step 0.03 blows up, in both modes
    results = ns["results"]
    assert list(results) == ["MAP", "BAOAB Langevin", "SMC, data annealing", "SMC, geometric annealing"]
    # every method predicts the 500 fresh test points about equally well (noise sd 0.5: RMSE >= 0.5)
    rmse = [r["rmse"] for r in results.values()]
    assert max(rmse) < 0.6 and max(rmse) - min(rmse) < 0.03  # observed 0.552 to 0.557 (full 0.551 to 0.553)
    log_lik = [r["log_lik"] for r in results.values()]
    assert min(log_lik) > -0.9  # observed -0.837 (full mode -0.836); the noise alone gives -0.726
    assert max(log_lik) - min(log_lik) < 0.05  # observed 0.012 (full mode 0.013)
    assert (
        results["MAP"]["width_inside"] == results["MAP"]["width_outside"] == 0
    )  # one network: no band for f
    for name in ["BAOAB Langevin", "SMC, data annealing", "SMC, geometric annealing"]:
        r = results[name]
        assert r["coverage"] >= 0.88, name  # observed 0.92 to 0.95 (full mode 0.95)
        # the credible band of f opens up beyond the data: observed 1.58 to 2.34 outside vs 0.71 to 0.75
        # inside (full mode 2.2 to 2.3 vs 0.83 to 0.85)
        assert r["width_outside"] > 1.5 * r["width_inside"] > 0, name
    # both SMC schedules estimate the same evidence; with 50 particles and 2 moves (quick) only roughly:
    # observed -69.2 vs -64.2 (full mode, 500 particles: -62.8 vs -62.5)
    assert np.isfinite(ns["log_evidence_data"]) and np.isfinite(ns["log_evidence_tempering"])
    assert abs(ns["log_evidence_data"] - ns["log_evidence_tempering"]) < 10
    evidence = ns["evidence"]
    assert evidence[1.0] < evidence[2.0] - 30  # observed -117.3 vs -62.7 (full mode -116.7 vs -62.5)
    assert evidence[3.0] > evidence[1.0]  # observed -56.9 (full mode -56.5)


@pytest.mark.slow
def test_05_latent_variables(monkeypatch):
    ns = run_quick("05_latent_variables.py", monkeypatch)
    split = ns["split_numbers"]
    assert np.isnan(split["plain BNN"]["aleatoric_corr"])  # one noise sd: a flat aleatoric curve
    # BNN+LV's aleatoric sd, made from z*, tracks the true noise sd 0.1 + 0.5 |x| among the data:
    # correlation observed 0.98 (full mode 0.98); sd 0.80 next to the gap vs 1.20 at the edges
    # (full mode 0.69 vs 1.23; the truth 0.46 vs 1.49)
    assert ns["lv_aleatoric_corr"] > 0.9
    assert split["BNN+LV"]["aleatoric_near_gap"] < split["BNN+LV"]["aleatoric_at_edges"] - 0.2
    assert ns["last_aleatoric_corr"] > 0.95  # observed 1.00 (full mode 0.99)
    # the last-layer BNN has less epistemic uncertainty: observed 0.18 vs 0.27 (full mode 0.07 vs 0.24)
    assert split["last-layer BNN"]["epistemic_data"] < split["BNN+LV"]["epistemic_data"]
    assert abs(ns["z_correlation"]) > 0.6  # observed -0.82 (full mode -0.86): where point n fell in the noise
    # test log-likelihood on 1000 fresh points: plain < BNN+LV < last layer < the true model (-1.354);
    # observed -1.470 < -1.412 < -1.381 (full mode -1.472 < -1.397 < -1.379)
    assert ns["plain_log_lik"] < ns["lv_log_lik"] - 0.03
    assert ns["lv_log_lik"] < ns["last_log_lik"] < ns["ideal_log_lik"]
    assert ns["last_log_lik"] > ns["ideal_log_lik"] - 0.1
    # calibrated on average but not per region: the plain BNN's 50 % interval holds too much near the
    # gap and too little far from it: observed 0.72 and 0.45 (full mode 0.70 and 0.44)
    near, far = ns["regional"]["plain BNN"][0.5]
    assert near > 0.6 and far < 0.5
    assert abs(ns["scores"]["plain BNN"]["coverage"] - 0.95) < 0.03  # observed 0.95 (full mode 0.95)


def notebook_command() -> list[str]:
    """The command tutorials/README.md documents for making notebooks, run with this Python."""
    text = (TUTORIALS / "README.md").read_text()
    line = re.search(r"^\.venv/bin/jupytext (--to .*)$", text, re.M).group(1)
    return [sys.executable, "-m", "jupytext", *shlex.split(line)]


def test_documented_command_makes_valid_notebooks(tmp_path):
    shutil.copytree(TUTORIALS, tmp_path / "tutorials")
    files = sorted((tmp_path / "tutorials").glob("0*.py"))
    command = [part for part in notebook_command() if part != "tutorials/0*.py"]
    subprocess.run([*command, *map(str, files)], cwd=tmp_path, check=True, capture_output=True)
    for source in SOURCES:
        notebook = tmp_path / "build" / "notebooks" / f"{source.stem}.ipynb"
        nb = nbformat.read(notebook, as_version=4)
        nbformat.validate(nb)
        text = source.read_text()
        markdown = len(re.findall(r"^# %% \[markdown\]$", text, re.M))
        code = len(re.findall(r"^# %%( tags=.*)?$", text, re.M))
        kinds = [cell.cell_type for cell in nb.cells]
        assert (kinds.count("markdown"), kinds.count("code")) == (markdown, code), source.name
        assert markdown >= 10 and code >= 10, source.name
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {source.name[1]}. ")
        assert not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
        assert nb.metadata.kernelspec.name == "python3"
        if source.name.startswith("01"):  # the sizes of the run: one papermill-style parameters cell
            assert [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])] != []
