"""Shared fixtures: small seeded data sets."""

import numpy as np
import pytest

pytest.register_assert_rewrite("notebooks")  # the helper's asserts explain themselves, as a test's do

from browser import chrome  # noqa: E402, F401  (fixture: headless offline Chromium, see tests/browser.py)


@pytest.fixture
def xy():
    """20 points, 2 features, Gaussian targets (seeded)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 2)).astype(np.float32)
    y = (x @ np.array([1.0, -0.5]) + 0.1 * rng.normal(size=20)).astype(np.float32)
    return x, y
