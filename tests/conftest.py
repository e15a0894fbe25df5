"""Fixtures for every test module (helpers live in tests/helpers.py)."""

import pytest

from correlate import i18n

from .helpers import bsrcorr  # noqa: F401  (a fixture, found by name)


@pytest.fixture(autouse=True)
def _english():
    """Every test starts in English (a --lang ko run in the same worker sets Korean)."""
    i18n.use("en")
    yield
    i18n.use("en")
