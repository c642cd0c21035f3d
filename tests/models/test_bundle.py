from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.accounting.footprint import emission_change
from features.accounting.prices import price_matrix
from features.catalogue.applicability import applicable_matrix
from features.catalogue.measures import Catalogue
from features.design import outcome_design
from features.profile import FactoryProfile, profiles_from_frame, profiles_to_frame
from features.report import load_profile
from features.table import profile_table
from features.units import Carrier
from models.bundle import (
    COARSE_MODEL_WARNING,
    BundleConfig,
    NotFittedError,
    RecommendationBundle,
)
from models.schemas import RecommendOptions


@pytest.fixture(scope="module")
def profiles(tiny_data: Any) -> list[FactoryProfile]:
    found, rejected = profiles_from_frame(tiny_data.factories.head(8))
    assert rejected == []
    return [load_profile(None), *found]


def test_unfitted_bundle_says_so() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        RecommendationBundle().recommend([load_profile(None)])


@pytest.mark.parametrize("objective", ["most_tco2e", "lowest_cost_per_tco2e", "most_adopted_tco2e"])
def test_ranking_follows_the_objective(tiny_bundle: Any, profiles: Any, objective: str) -> None:
    result = tiny_bundle.recommend(profiles[:1], RecommendOptions(objective=objective, top_k=8))[0]
    recs = result.recommendations
    assert [r.rank for r in recs] == list(range(1, len(recs) + 1))
    assert 0 < len(recs) <= min(8, result.candidates_considered)
    if objective == "most_tco2e":
        values = [r.tco2e_avoided for r in recs]
    elif objective == "most_adopted_tco2e":
        values = [r.tco2e_avoided * r.adoption_probability for r in recs]
    else:
        values = [-(r.abatement_cost_per_tco2e or np.inf) for r in recs]
    assert values == sorted(values, reverse=True)
    for r in recs:
        assert r.tco2e_low <= r.tco2e_avoided <= r.tco2e_high
        assert 0 <= r.adoption_probability <= 1


def test_explanations_add_up_and_use_profile_fields(tiny_bundle: Any, profiles: Any) -> None:
    profile = profiles[0]
    result = tiny_bundle.recommend([profile], RecommendOptions(top_k=3, explain="full"))[0]
    for rec in result.recommendations:
        e = rec.explanation
        assert e is not None
        total = e.savings_base_value + sum(c.contribution for c in e.savings)
        assert total == pytest.approx(e.savings_prediction, abs=1e-6)
        adoption = e.adoption_base_value + sum(c.contribution for c in e.adoption)
        assert adoption == pytest.approx(e.adoption_prediction, abs=1e-6)
        p = 1 / (1 + np.exp(-e.adoption_prediction))
        assert p == pytest.approx(rec.adoption_probability, abs=1e-6)
        fields = {c.field: c for c in e.savings}
        assert fields["roof_area_available_m2"].value == profile.roof_area_available_m2
        assert fields["roof_area_available_m2"].unit == "m2"
        # The measure is the base, never a reason; reasons are in tCO2e/yr too, adding up to the
        # difference from the measure's average, and the main one is a sentence.
        assert "measure" not in fields
        t_base = rec.tco2e_avoided * np.exp(e.savings_base_value - e.savings_prediction)
        assert sum(c.tco2e or 0.0 for c in e.savings) == pytest.approx(
            rec.tco2e_avoided - t_base, rel=1e-6, abs=1e-6
        )
        assert all(
            c.effect in ("raises the share saved", "lowers the share saved") for c in e.savings
        )
        assert "tCO2e/yr compared with an average factory" in e.summary
        assert "electricity_kwh" not in fields or fields["electricity_kwh"].unit == "kWh/yr"
    top = tiny_bundle.recommend([profile], RecommendOptions(top_k=2, top_features=3))[0]
    assert all(len(r.explanation.savings) == 3 for r in top.recommendations)
    none = tiny_bundle.recommend([profile], RecommendOptions(top_k=2, explain="none"))[0]
    assert all(r.explanation is None for r in none.recommendations)


def test_tco2e_has_the_sign_of_the_factorys_own_accounting(tiny_bundle: Any, profiles: Any) -> None:
    for result, profile in zip(tiny_bundle.recommend(profiles, RecommendOptions(top_k=60)),
                               profiles, strict=True):  # fmt: skip
        for rec in result.recommendations:
            delta = {c: -v for c, v in rec.energy_saved.items()}
            change = emission_change(profile, delta)
            assert change.avoided_tco2e == pytest.approx(rec.tco2e_avoided, rel=1e-6, abs=1e-6)


def test_portfolio_applies_measures_to_what_is_left(tiny_bundle: Any, profiles: Any) -> None:
    result = tiny_bundle.recommend(profiles[:1], RecommendOptions(top_k=15))[0]
    electricity = [r for r in result.recommendations
                   if r.energy_saved.get(Carrier.ELECTRICITY, 0) > 0]  # fmt: skip
    assert len(electricity) >= 2
    assert electricity[0].portfolio_tco2e_avoided == pytest.approx(electricity[0].tco2e_avoided)
    assert electricity[1].portfolio_tco2e_avoided < electricity[1].tco2e_avoided
    path = result.pathway
    assert path.baseline_tco2e == pytest.approx(result.footprint.net_market_tco2e)
    assert path.after_physical_measures_tco2e == pytest.approx(
        path.baseline_tco2e - path.physical_measures_tco2e
    )
    assert path.residual_tco2e == pytest.approx(
        path.after_onsite_renewables_tco2e - path.green_electricity_tco2e
    )


def test_capex_budget_is_respected(tiny_bundle: Any, profiles: Any) -> None:
    free = tiny_bundle.recommend(profiles[:1], RecommendOptions(top_k=10))[0]
    budget = sum(r.capex for r in free.recommendations) / 10  # small enough that not all ten fit
    limited = tiny_bundle.recommend(profiles[:1], RecommendOptions(top_k=10, capex_budget=budget))[
        0
    ]
    assert sum(r.capex for r in limited.recommendations) <= budget
    assert len(limited.recommendations) < len(free.recommendations)


def test_certificates_are_listed_apart(tiny_bundle: Any, profiles: Any) -> None:
    result = tiny_bundle.recommend(profiles[:1], RecommendOptions(top_k=60))[0]
    ids = {r.measure_id for r in result.recommendations}
    assert "green_certificates" not in ids
    kinds = {m.measure_id: m.reduction_kind for m in result.market_instruments}
    assert kinds == {
        "green_electricity_purchase": "market_instrument",
        "green_certificates": "certificate",
    }


def test_batch_gives_the_same_answer_as_single(tiny_bundle: Any, profiles: Any) -> None:
    options = RecommendOptions(top_k=5)
    batch = tiny_bundle.recommend(profiles[:4], options)
    for profile, together in zip(profiles[:4], batch, strict=True):
        alone = tiny_bundle.recommend([profile], options)[0]
        assert alone.model_dump() == together.model_dump()


def test_request_path_matches_the_training_path_exactly(tiny_bundle: Any, profiles: Any) -> None:
    catalogue = Catalogue.default()
    measures = list(catalogue.measures.values())
    frame, table = profiles_to_frame(profiles), profile_table(profiles)
    np.testing.assert_array_equal(
        applicable_matrix(frame, measures), applicable_matrix(table, measures)
    )
    np.testing.assert_array_equal(price_matrix(frame, "CNY"), price_matrix(table, "CNY"))
    idx = np.repeat(np.arange(len(profiles)), 3)
    keys = np.array(["rooftop_pv", "heat_pumps", "variable_speed_drives"] * len(profiles))
    spec = tiny_bundle.spec_
    np.testing.assert_array_equal(
        outcome_design(spec, frame, idx, keys, catalogue),
        outcome_design(spec, table, idx, keys, catalogue),
    )


def test_no_pandas_work_on_the_request_path(
    tiny_bundle: Any, profiles: Any, monkeypatch: pytest.MonkeyPatch
) -> None:

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("pandas object built on the request path")

    tiny_bundle.recommend(profiles[:2])  # warm caches (factor tables are read once)
    monkeypatch.setattr(pd.DataFrame, "__init__", refuse)
    monkeypatch.setattr(pd.Series, "__init__", refuse)
    results = tiny_bundle.recommend(profiles[:3], RecommendOptions(top_k=5, explain="top"))
    assert all(r.recommendations for r in results)


def test_no_applicability_model_from_a_handful_of_identified_outcomes(tiny_data: Any) -> None:
    outcomes = tiny_data.outcomes.copy()
    keep = outcomes.index[:5]
    outcomes["measure_id"] = outcomes["measure_id"].where(outcomes.index.isin(keep), None)
    config = BundleConfig(n_estimators=10, num_leaves=7, min_child_samples=10)
    coarse = RecommendationBundle(config).fit(tiny_data.factories, outcomes)
    assert coarse.applicability_ is None
    assert not coarse.ranks_measures
    profile = load_profile(None)
    assert coarse.recommend([profile])[0].warnings[0] == COARSE_MODEL_WARNING
    full = RecommendationBundle(config).fit(tiny_data.factories, tiny_data.outcomes)
    assert full.applicability_ is not None
    assert full.ranks_measures
    assert COARSE_MODEL_WARNING not in full.recommend([profile])[0].warnings
