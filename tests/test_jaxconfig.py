"""The persistent compilation cache bnnppl turns on, and how users switch it."""

from pathlib import Path

import jax
import pytest

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
    assert _jaxconfig.enable_compilation_cache() is None
    assert jax.config.jax_compilation_cache_dir == before
    assert not (tmp_path / "ours").exists()


def test_enables_the_cache_when_none_is_configured(monkeypatch, tmp_path):
    before = jax.config.jax_compilation_cache_dir
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    monkeypatch.setenv("BNNPPL_JAX_CACHE", str(tmp_path / "ours"))
    try:
        jax.config.update("jax_compilation_cache_dir", None)
        assert _jaxconfig.enable_compilation_cache() == tmp_path / "ours"
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "ours")
        assert (tmp_path / "ours").is_dir()
    finally:
        jax.config.update("jax_compilation_cache_dir", before)
