"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.slow
def test_readme_declare_a_bnn_block_runs():
    block = re.search(r"## Declare a BNN\n\n```python\n(.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    samples = namespace["mcmc"].get_samples()
    assert samples["f"].shape == (200, 40, 1)
    assert namespace["spec"] == namespace["bnn"].spec


@pytest.mark.slow
def test_readme_fit_block_runs(tmp_path, monkeypatch, capsys):
    block = re.search(r"## Fit, check, predict, save\n\n```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["pred"].mean.shape == (40,)
    assert (tmp_path / "runs" / "sine-fit" / "posterior.nc").is_file()
    assert "Diagnostics(max_rhat=" in capsys.readouterr().out


@pytest.mark.slow
def test_readme_research_samplers_block_runs(capsys):
    heading = "## Samplers for research, latent inputs, partially stochastic nets"
    block = re.search(re.escape(heading) + r"\n\n.*?```python\n(.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["baoab"].samples["net.Dense_0.kernel"].shape == (2, 200, 1, 10)
    assert namespace["sgld"].samples["sigma"].shape == (2, 200)
    assert namespace["smc"].samples["sigma"].shape == (1, 200)
    assert namespace["lv_post"].samples["z"].shape == (1, 200, 300)
    assert sorted(namespace["nuts_last"].samples) == sorted(namespace["svi_last"].samples) == [
        "net.Dense_1.bias", "net.Dense_1.kernel"]  # fmt: skip
    evidence, beta = capsys.readouterr().out.split()[:2]
    assert float(beta) == 1.0 and -100 < float(evidence) < 0
