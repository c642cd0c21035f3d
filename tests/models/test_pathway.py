"""The pathway to a zero-carbon factory: one stated basis, the same whatever is ranked, existing
green power netted, market instruments valued as they claim, a target and its gap."""

from __future__ import annotations

from typing import Any

import pytest

from features.accounting.footprint import compute_footprint
from features.profile import parse_profile
from models.bundle import RecommendationBundle
from models.decisions import MARKET_NOTE
from models.schemas import RecommendOptions

HEBEI: dict[str, Any] = {
    "factory_id": "hebei-parts", "country": "CN", "region": "Hebei", "sector": "machinery",
    "reporting_year": 2023, "electricity_kwh": 2.0e7, "natural_gas_gj": 6.0e4,
    "roof_area_available_m2": 15_000, "employees": 300,
}  # fmt: skip


def test_pathway_does_not_depend_on_top_k_or_objective(tiny_bundle: RecommendationBundle) -> None:
    profile = parse_profile(HEBEI)
    answers = [
        tiny_bundle.recommend([profile], RecommendOptions(top_k=k, objective=o, explain="none"))[0]
        for k in (1, 8, 60)
        for o in ("most_tco2e", "lowest_cost_per_tco2e", "most_adopted_tco2e")
    ]
    first = answers[0].pathway
    assert first.measures_counted > 1
    for a in answers[1:]:
        assert a.pathway == first


def test_pathway_steps_add_up_on_the_market_basis(tiny_bundle: RecommendationBundle) -> None:
    profile = parse_profile(HEBEI)
    (result,) = tiny_bundle.recommend([profile], RecommendOptions(explain="none"))
    p, fp = result.pathway, compute_footprint(profile)
    assert p.basis.startswith("market-based")
    assert p.baseline_tco2e == pytest.approx(fp.net_market_tco2e)
    assert p.baseline_location_tco2e == pytest.approx(fp.net_location_tco2e)
    assert p.after_physical_measures_tco2e == pytest.approx(
        p.baseline_tco2e - p.physical_measures_tco2e
    )
    assert p.after_onsite_renewables_tco2e == pytest.approx(
        p.after_physical_measures_tco2e - p.onsite_renewables_tco2e
    )
    residual_factor = fp.market_based.residual_factor.kgco2e_per_unit
    assert p.green_electricity_tco2e == pytest.approx(
        p.green_electricity_to_contract_kwh * residual_factor / 1000
    )
    assert p.gap_to_zero_carbon_tco2e == pytest.approx(max(p.residual_tco2e, 0.0))
    # With no green power bought, physical measures, renewables and contracts leave only fuel.
    assert 0 <= p.residual_tco2e < fp.scope1_tco2e


def test_existing_green_power_is_netted(tiny_bundle: RecommendationBundle) -> None:
    plain = parse_profile(HEBEI)
    contracted = parse_profile({**HEBEI, "green_electricity_contract_kwh": 5.0e6,
                                "green_certificates_kwh": 1.0e6})  # fmt: skip
    a, b = (
        tiny_bundle.recommend([p], RecommendOptions(explain="none"))[0].pathway
        for p in (plain, contracted)
    )
    assert b.green_electricity_already_covered_kwh == pytest.approx(6.0e6)
    assert b.green_electricity_to_contract_kwh == pytest.approx(
        a.green_electricity_to_contract_kwh - 6.0e6
    )
    # Existing contracts already lower the baseline; netting them means no double claim.
    assert b.residual_tco2e == pytest.approx(a.residual_tco2e, rel=1e-9, abs=1e-6)


def test_market_instruments_are_valued_at_the_residual_mix(
    tiny_bundle: RecommendationBundle,
) -> None:
    profile = parse_profile({**HEBEI, "green_electricity_contract_kwh": 2.0e6})
    (result,) = tiny_bundle.recommend([profile], RecommendOptions(explain="none"))
    factor = result.footprint.market_based.residual_factor.kgco2e_per_unit
    for instrument in result.market_instruments:
        assert instrument.market_based_tco2e_avoided == pytest.approx(
            instrument.covers_electricity_kwh * factor / 1000
        )


def test_target_and_gap(tiny_bundle: RecommendationBundle) -> None:
    profile = parse_profile(HEBEI)
    options = RecommendOptions(explain="none", target_reduction=0.9)
    p = tiny_bundle.recommend([profile], options)[0].pathway
    assert p.target_tco2e == pytest.approx(0.1 * p.baseline_tco2e)
    assert p.gap_to_target_tco2e == pytest.approx(max(p.residual_tco2e - p.target_tco2e, 0.0))


def test_a_hydro_province_explains_market_above_location(
    tiny_bundle: RecommendationBundle,
) -> None:
    profile = parse_profile({**HEBEI, "region": "Sichuan"})
    p = tiny_bundle.recommend([profile], RecommendOptions(explain="none"))[0].pathway
    assert p.scope2_market_tco2e > p.scope2_location_tco2e
    assert MARKET_NOTE in p.notes
    hebei = tiny_bundle.recommend([parse_profile(HEBEI)], RecommendOptions(explain="none"))[0]
    assert MARKET_NOTE not in hebei.pathway.notes


OHIO: dict[str, Any] = {
    "factory_id": "ohio-food", "country": "US", "region": "OH", "sector": "light_industry",
    "reporting_year": 2022, "electricity_kwh": 1.8e7, "natural_gas_gj": 1.2e5,
}  # fmt: skip


def test_a_us_plant_answers_in_usd_at_the_stated_rate(tiny_bundle: RecommendationBundle) -> None:
    assert tiny_bundle.currency_ == "CNY"
    options = RecommendOptions(explain="none", top_k=5)
    (usd,) = tiny_bundle.recommend([parse_profile(OHIO)], options)
    assert usd.currency == "USD"
    cny_options = options.model_copy(update={"currency": "CNY"})
    (cny,) = tiny_bundle.recommend([parse_profile(OHIO)], cny_options)
    assert cny.currency == "CNY"
    for a, b in zip(usd.recommendations, cny.recommendations, strict=True):
        assert a.measure_id == b.measure_id
        assert a.capex == pytest.approx(b.capex / 7.08)
        assert a.cost_savings_per_year == pytest.approx(b.cost_savings_per_year / 7.08)
        assert a.tco2e_avoided == pytest.approx(b.tco2e_avoided)
    # A profile that states its currency answers in it; a Chinese plant defaults to CNY.
    (stated,) = tiny_bundle.recommend([parse_profile({**OHIO, "revenue_currency": "EUR"})], options)
    assert stated.currency == "EUR"
    (hebei,) = tiny_bundle.recommend([parse_profile(HEBEI)], options)
    assert hebei.currency == "CNY"


def test_answers_in_chinese_name_the_measures_in_chinese(
    tiny_bundle: RecommendationBundle,
) -> None:
    profile = parse_profile(HEBEI)
    (zh,) = tiny_bundle.recommend([profile], RecommendOptions(explain="none", lang="zh"))
    (en,) = tiny_bundle.recommend([profile], RecommendOptions(explain="none"))
    assert [r.measure_id for r in zh.recommendations] == [r.measure_id for r in en.recommendations]
    for r in zh.recommendations:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.name)
