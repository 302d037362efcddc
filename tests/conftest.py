"""Shared pytest setup: a fixed global seed per test so random inputs are reproducible."""

import pytest

import tensorlib as tl


@pytest.fixture(autouse=True)
def _seed_tensorlib():
    tl.manual_seed(0)
    yield
