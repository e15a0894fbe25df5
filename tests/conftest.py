"""Fixtures for every test module (helpers live in tests/helpers.py)."""

from .helpers import bsrcorr  # noqa: F401  (a fixture, found by name)
