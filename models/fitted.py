"""What scoring, caveats and the request need of a fitted bundle, as a protocol, so that they
depend on this interface rather than on :mod:`models.bundle`, which calls them (no import
circle). :class:`models.bundle.RecommendationBundle` is the one implementation."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from features.catalogue.measures import Catalogue
from features.design import DesignSpec
from features.messages import Message
from models.adoption import LogisticBoostedClassifier
from models.config import BundleConfig
from models.gbm import GBMClassifier, GBMRegressor
from models.interval import IntervalRegressor


class FittedBundle(Protocol):
    """A fitted bundle's models, configuration and the answers it gives of its training."""

    @property
    def config(self) -> BundleConfig: ...
    @property
    def spec_(self) -> DesignSpec: ...
    @property
    def savings_(self) -> IntervalRegressor: ...
    @property
    def cost_(self) -> GBMRegressor: ...
    @property
    def side_(self) -> GBMRegressor | None: ...
    @property
    def adoption_(self) -> LogisticBoostedClassifier: ...
    @property
    def applicability_(self) -> GBMClassifier | None: ...
    @property
    def currency_(self) -> str: ...
    @property
    def ranks_measures(self) -> bool: ...

    def realisation(
        self, keys: np.ndarray, catalogue: Catalogue
    ) -> tuple[np.ndarray, np.ndarray]: ...

    def served_low(
        self,
        low: np.ndarray,
        mid: np.ndarray,
        picked: np.ndarray | None,
        realisation: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray: ...

    def served_interval_warning(self) -> Message: ...

    def evidence(self, key: str, sector: str) -> tuple[int, int]: ...
