"""The package's layout (docs/architecture.md): imports run one way, no cycles, old paths kept.

The contracts live in pyproject.toml (``[tool.importlinter]``) and Import Linter checks them on
every import statement, those inside functions included. The tests below also break each
contract on a copy of the package, so that a contract that could not fail would show.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bnnppl

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(bnnppl.__file__).parent
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(src: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}
    args = [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"]
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path)


def test_the_package_keeps_every_contract(tmp_path):
    result = _lint(PACKAGE.parent, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


BREAKS = [
    # (module, line appended to it, a contract it breaks; an import up the layers also makes a cycle)
    ("results/metrics.py", "def _f():\n    import bnnppl.runs.report\n", "Layers: each imports only"),
    ("model/bnn.py", "from bnnppl.inference import fit\n", "Layers: each imports only"),
    ("spec/priors.py", "import jax\n", "Specs are plain data"),
    ("runs/reader.py", "from bnnppl.metrics import rmse\n", "The old module paths are for users"),
    ("results/diagnostics.py", "def _f():\n    from bnnppl.results.posterior import Posterior\n", "No import cycles"),
]


@pytest.mark.parametrize(("module", "line", "contract"), BREAKS)
def test_each_contract_fails_on_an_import_against_it(tmp_path, module, line, contract):
    copy = tmp_path / "src" / "bnnppl"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / module, "a") as f:
        f.write("\n\n" + line)
    result = _lint(copy.parent, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith(" BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), result.stdout


OLD_PATHS = {
    "bnnppl.config": "bnnppl.runs.config",
    "bnnppl.diagnostics": "bnnppl.results.diagnostics",
    "bnnppl.likelihoods": "bnnppl.model.likelihoods",
    "bnnppl.metrics": "bnnppl.results.metrics",
    "bnnppl.run": "bnnppl.runs.runner",
}


@pytest.mark.parametrize(("old", "new"), sorted(OLD_PATHS.items()))
def test_old_module_paths_give_the_same_objects(old, new):
    import importlib

    before, after = importlib.import_module(old), importlib.import_module(new)
    assert before.__all__ == after.__all__
    assert all(getattr(before, name) is getattr(after, name) for name in after.__all__)


def test_bnnppl_predict_is_the_function_and_no_module_shadows_it():
    """The old module path ``bnnppl.predict`` is gone (it was shadowed by the function): in a
    fresh process the name is the function, however it is reached, and ``import bnnppl.predict``
    fails rather than giving the function in place of a module."""
    code = (
        "import bnnppl as bp\n"
        "from bnnppl import predict\n"
        "from bnnppl.results.prediction import predict as new\n"
        "print(bp.predict is new, predict is new)\n"
        "try:\n"
        "    import bnnppl.predict\n"
        "except ModuleNotFoundError as err:\n"
        "    print(err)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["True True", "No module named 'bnnppl.predict'"]


def test_every_subpackage_says_what_it_owns_and_may_import():
    for name in ("spec", "model", "inference", "results", "runs", "plots", "uci", "sweeps"):
        doc = (PACKAGE / name / "__init__.py").read_text().split('"""')[1]
        assert "import" in doc, f"bnnppl.{name}: its docstring does not say what it may import"
