"""JAX's persistent compilation cache: off until asked for (``bnnppl.enable_compilation_cache``),
then on with a size limit; importing bnnppl changes no JAX setting."""

import json
import subprocess
import sys
from pathlib import Path

import jax
import pytest

import bnnppl as bp
from bnnppl import _jaxconfig


@pytest.mark.parametrize(("value", "expected"), [("off", None), ("0", None), ("/tmp/x", Path("/tmp/x"))])
def test_cache_dir_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("BNNPPL_JAX_CACHE", value)
    assert _jaxconfig.cache_dir() == expected


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("BNNPPL_JAX_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _jaxconfig.cache_dir() == tmp_path / ".cache" / "bnnppl" / "jax"


def test_a_cache_the_user_configured_is_left_alone(monkeypatch, tmp_path):
    before = jax.config.jax_compilation_cache_dir
    assert before  # the suite's conftest configured one
    monkeypatch.setenv("BNNPPL_JAX_CACHE", str(tmp_path / "ours"))
    assert bp.enable_compilation_cache() is None
    assert jax.config.jax_compilation_cache_dir == before
    assert not (tmp_path / "ours").exists()


@pytest.mark.parametrize("max_size", [0, -1, 1.5, True, "1GB"])
def test_max_size_must_be_a_positive_number_of_bytes(max_size):
    with pytest.raises(ValueError) as err:
        bp.enable_compilation_cache(max_size=max_size)
    assert str(err.value) == f"max_size: must be a whole number of bytes >= 1, got {max_size!r}."


SNAPSHOT = "import json, jax; print(json.dumps({k: repr(v) for k, v in jax.config.values.items()}))"


def _config_after(code: str, env: dict) -> tuple[dict, dict]:
    """JAX's settings in a fresh process before and after ``code``."""
    script = f"{SNAPSHOT}\n{code}\n{SNAPSHOT}\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    before, after = out.stdout.splitlines()[-2:]
    return json.loads(before), json.loads(after)


def test_importing_bnnppl_changes_no_jax_setting_until_the_cache_is_asked_for(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BNNPPL_JAX_CACHE": str(tmp_path / "c")}
    every_name = "import bnnppl, bnnppl.cli, bnnppl.runs.report\n[getattr(bnnppl, n) for n in bnnppl.__all__]"
    before, after = _config_after(every_name, env)
    assert after == before
    assert not (tmp_path / "c").exists()
    before, after = _config_after("import bnnppl\nbnnppl.enable_compilation_cache(max_size=10**8)", env)
    changed = {k: after[k] for k in after if after[k] != before[k]}
    assert changed == {
        "jax_compilation_cache_dir": repr(str(tmp_path / "c")),
        "jax_persistent_cache_min_compile_time_secs": "0.0",
        "jax_compilation_cache_max_size": "100000000",
    }
    assert (tmp_path / "c").is_dir()


def test_off_in_the_environment_wins_over_a_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("BNNPPL_JAX_CACHE", "off")
    assert bp.enable_compilation_cache(tmp_path / "mine") is None
    assert not (tmp_path / "mine").exists()
