"""Capex at the price level of the factory's country (features/catalogue/capex.py): US plants get
US prices, Chinese plants Chinese ones, and a cost moved between the two by a price-level ratio
says so and carries a wider interval."""

from __future__ import annotations

import copy

import pytest

from features.catalogue.capex import capex_level, capex_levels
from features.enduses.physics import PV_KWP_PER_M2, pv_yield_kwh_per_kwp
from features.i18n import has_chinese
from features.profile import FactoryProfile
from features.units import USD_PER
from models.bundle import RecommendationBundle
from models.schemas import FactoryRecommendations, Recommendation, RecommendOptions

#: US commercial/industrial rooftop PV, 2024 USD per W-DC: NREL Q1 2020 benchmark (1.72, 2019 USD)
#: to LBNL Tracking the Sun large non-residential median 2018 (2.41, 2018 USD), deflated with the
#: CPI-U, with REopt's industrial default (1.66) below; ../shared/data/pv-installed-cost-us-china.
US_PV_USD_PER_W = (1.6, 3.1)
#: Chinese C&I distributed PV EPC prices 2024-2026, CNY per W (tertiary; same data card).
CN_PV_CNY_PER_W = (2.5, 3.6)


def _plant(country: str, region: str, currency: str, revenue: float) -> FactoryProfile:
    return FactoryProfile(
        factory_id=f"{region}-plastics",
        country=country,
        region=region,
        sector="light_industry",
        naics_code="326199",
        reporting_year=2024,
        employees=250,
        floor_area_m2=20000,
        annual_revenue=revenue,
        revenue_currency=currency,
        operating_hours_per_year=6000,
        electricity_kwh=6_000_000,
        energy_use=[{"carrier": "natural_gas", "value": 400_000, "unit": "Nm3"}],
        roof_area_available_m2=8000,
    )


OHIO = _plant("US", "OH", "USD", 60_000_000)
JIANGSU = _plant("CN", "Jiangsu", "CNY", 400_000_000)


def _answer(bundle: RecommendationBundle, plant: FactoryProfile) -> FactoryRecommendations:
    (answer,) = bundle.recommend([plant], RecommendOptions(top_k=60, min_evidence=0))
    return answer


def _listed(answer: FactoryRecommendations) -> list[Recommendation]:
    return answer.recommendations + answer.emission_increases + answer.not_enough_evidence


def _pv_price_per_w(answer: FactoryRecommendations, plant: FactoryProfile) -> float:
    """Capex per W of the PV system the saving implies; that system fits on the roof."""
    (pv,) = [r for r in _listed(answer) if r.measure_id == "rooftop_pv"]
    kwp = pv.energy_saved["electricity"] / pv_yield_kwh_per_kwp(plant.country, plant.region)
    assert plant.roof_area_available_m2 is not None
    assert 0 < kwp <= plant.roof_area_available_m2 * PV_KWP_PER_M2 * (1 + 1e-9)
    return pv.capex / (kwp * 1000)


def test_an_ohio_plant_pays_us_prices_for_rooftop_pv(tiny_bundle: RecommendationBundle) -> None:
    answer = _answer(tiny_bundle, OHIO)
    assert answer.currency == "USD"
    low, high = US_PV_USD_PER_W
    assert low <= _pv_price_per_w(answer, OHIO) <= high
    (pv,) = [r for r in _listed(answer) if r.measure_id == "rooftop_pv"]
    assert pv.capex_low is not None
    assert pv.capex_high is not None
    assert pv.capex_low < pv.capex < pv.capex_high
    assert pv.payback_years == pytest.approx(pv.capex / pv.cost_savings_per_year)


def test_a_jiangsu_plant_pays_chinese_prices_for_rooftop_pv(
    tiny_bundle: RecommendationBundle,
) -> None:
    answer = _answer(tiny_bundle, JIANGSU)
    assert answer.currency == "CNY"
    low, high = CN_PV_CNY_PER_W
    assert low <= _pv_price_per_w(answer, JIANGSU) <= high
    # The same plant in Ohio pays several times more per W, in any one currency.
    ohio = _answer(tiny_bundle, OHIO)
    cny_per_usd = 1 / USD_PER["CNY"]
    assert _pv_price_per_w(ohio, OHIO) * cny_per_usd > 3 * _pv_price_per_w(answer, JIANGSU)


def test_learned_us_costs_move_to_china_by_the_price_level_not_the_exchange_rate(
    tiny_bundle: RecommendationBundle,
) -> None:
    us_model = copy.copy(tiny_bundle)
    us_model.currency_ = "USD"  # as the default model, trained on US audits in 2024 USD
    moved = _answer(us_model, JIANGSU)
    # The same learned numbers read as local CNY (the generated-data model's own price level).
    local = {r.measure_id: r for r in _listed(_answer(tiny_bundle, JIANGSU))}
    ratio = capex_level("*", "*", "CN", ratio=True)
    assert ratio.kind == "transfer"
    assert ratio.mid == pytest.approx(3.52538 / 7.19749, abs=0.005)  # WDI 2024 PPP / FCRF
    cny_per_usd = 1 / USD_PER["CNY"]
    learned = [r for r in _listed(moved) if r.basis == "learned" and r.measure_id in local]
    assert len(learned) >= 5
    for rec in learned:
        same = local[rec.measure_id]
        if rec.measure_id == "rooftop_pv":  # its own local price per W, not moved
            assert rec.capex == pytest.approx(same.capex)
            continue
        # USD at the US level -> CNY at the Chinese level: the exchange rate x the ratio.
        assert rec.capex == pytest.approx(same.capex * cny_per_usd * ratio.mid)
        assert rec.capex_low == pytest.approx(same.capex * cny_per_usd * ratio.low)
        assert rec.capex_high == pytest.approx(same.capex * cny_per_usd * ratio.high)
    (caveat,) = [w for w in moved.warnings if w.startswith("capex of ")]
    assert "0.49" in caveat
    assert "PPP conversion factor" in caveat
    assert "World Bank" in caveat
    assert "rooftop_pv" not in caveat
    assert has_chinese(caveat.in_lang("zh"))


def test_a_moved_cost_carries_the_caveat_and_a_wider_interval_than_a_local_one(
    tiny_bundle: RecommendationBundle,
) -> None:
    # tiny_bundle learned Chinese costs (CNY): an Ohio plant's learned costs are moved to the US
    # price level, a Jiangsu plant's are local.
    ohio, jiangsu = _answer(tiny_bundle, OHIO), _answer(tiny_bundle, JIANGSU)
    moved = [
        r for r in ohio.recommendations if r.basis == "learned" and r.measure_id != "rooftop_pv"
    ]
    local = [r for r in jiangsu.recommendations if r.basis == "learned"]
    assert moved
    assert local
    (caveat,) = [w for w in ohio.warnings if w.startswith("capex of ")]
    assert all(r.measure_id in caveat for r in moved)
    assert not [w for w in jiangsu.warnings if w.startswith("capex of ")]

    def width(r: Recommendation) -> float:
        assert r.capex_low is not None
        assert r.capex_high is not None
        assert r.capex_low <= r.capex <= r.capex_high
        return r.capex_high / r.capex_low

    narrowest_moved = min(width(r) for r in moved)
    assert narrowest_moved > max(width(r) for r in local)
    # ... and wider than the local PV price range too.
    (pv,) = [r for r in _listed(ohio) if r.measure_id == "rooftop_pv"]
    assert narrowest_moved > width(pv)


def test_every_price_level_row_has_a_source_currency_and_year() -> None:
    rows = capex_levels()
    assert {(r.measure_or_family, r.country) for r in rows} >= {
        ("rooftop_pv", "US"),
        ("rooftop_pv", "CN"),
        ("*", "US"),
        ("*", "CN"),
    }
    for row in rows:
        assert len(row.source) > 40, row
        assert row.currency in USD_PER, row
        assert 2018 <= row.price_year <= 2026, row
        assert row.kind in ("local", "transfer"), row
        assert 0 < row.low <= row.mid <= row.high, row
