"""Shared fixtures. Tests that need ../shared/data use the ``shared_data`` fixture: it skips when
the folder is missing on a developer machine and fails when ``CI=true``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from features.sources.schema import Dataset
from features.sources.synthetic import SyntheticConfig, generate
from models.bundle import BundleConfig, RecommendationBundle

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    configured = os.environ.get("DECARB_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared real-data folder (IAC tables, factor sources, code lists)."""
    path = _shared_data_dir()
    if not path.is_dir():
        message = f"shared data folder not found at {path} (set DECARB_SHARED_DATA)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def tiny_data() -> Dataset:
    """A small seeded generated data set (600 factories)."""
    return generate(SyntheticConfig(n_factories=600, seed=11))


@pytest.fixture(scope="session")
def tiny_bundle(tiny_data: Dataset) -> RecommendationBundle:
    """A bundle trained in about two seconds on ``tiny_data``."""
    config = BundleConfig(n_estimators=40, num_leaves=15, min_child_samples=10, random_state=1)
    return RecommendationBundle(config).fit(tiny_data.factories, tiny_data.outcomes)
