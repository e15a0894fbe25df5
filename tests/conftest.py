"""Fixtures for every test module (helpers live in tests/helpers.py)."""

import pytest

from correlate import i18n

from . import browser as chromium
from .helpers import bsrcorr  # noqa: F401  (a fixture, found by name)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a module's browser tests (skipped, saying why, without it)."""
    yield from chromium.launched()


@pytest.fixture(autouse=True)
def _english():
    """Every test starts in English (a --lang ko run in the same worker sets Korean)."""
    i18n.use("en")
    yield
    i18n.use("en")
