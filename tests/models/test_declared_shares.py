"""Undeclared end-use shares are a prior, not a fact: the interval of a measure whose energy
rests on the sector's average split is calibrated on such rows apart from those whose factory
declared its split (Mondrian strata), so it is wider where the data show plants differ."""

from __future__ import annotations

import numpy as np

from features.profile import profiles_from_frame
from features.sources import SyntheticConfig, load_dataset
from models.bundle import DECLARED, DEFAULT_SHARES, BundleConfig, RecommendationBundle
from models.schemas import RecommendOptions


def test_intervals_widen_when_end_use_shares_are_undeclared() -> None:
    # The second world: plants' end-use splits differ widely from the sector averages and 15%
    # of them declare theirs.
    data = load_dataset("world2", synthetic=SyntheticConfig(n_factories=1500, seed=2))
    config = BundleConfig(n_estimators=40, num_leaves=15, min_child_samples=10)
    bundle = RecommendationBundle(config).fit(data.factories, data.outcomes)
    margins = bundle.savings_.margins_
    for family in ("management_optimisation", "technology_upgrade"):
        assert {family + DECLARED, family + DEFAULT_SHARES} <= set(margins), family

    declared = data.factories[data.factories["end_use_shares"].fillna("") != ""].head(20)
    profiles, rejected = profiles_from_frame(declared)
    assert not rejected
    undeclared = [p.model_copy(update={"end_uses": []}) for p in profiles]
    options = RecommendOptions(top_k=50, explain="none", min_evidence=0)
    spread: dict[str, list[float]] = {"declared": [], "undeclared": []}
    for name, batch in (("declared", profiles), ("undeclared", undeclared)):
        for answer in bundle.recommend(batch, options):
            for r in answer.recommendations:
                low, high = r.tco2e_low, r.tco2e_high
                if r.basis == "learned" and low > 0 and high > low:
                    spread[name].append(float(np.log(high / low)))
    assert np.median(spread["undeclared"]) > np.median(spread["declared"])
