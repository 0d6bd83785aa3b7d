"""The course has five tutorials, and the documented command turns each into a valid notebook
with one parameters cell. Each tutorial runs as a notebook in tests/test_tutorial_0N.py."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

TUTORIALS = Path(__file__).resolve().parents[1] / "tutorials"
SOURCES = sorted(TUTORIALS.glob("0*.py"))


def test_the_course_has_five_tutorials():
    assert [p.name for p in SOURCES] == [
        "01_classification_hmc.py",
        "02_nuts_and_svi.py",
        "03_vi_at_scale.py",
        "04_langevin_and_smc.py",
        "05_latent_variables.py",
    ]


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
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and tagged[0].cell_type == "code", source.name  # the sizes of the run
        assert "QUICK" not in text and "BNNPPL_TUTORIAL_QUICK" not in text, source.name
        assert 'hv.extension("bokeh", inline=True)' in text, source.name  # plots show offline
