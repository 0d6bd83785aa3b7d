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
