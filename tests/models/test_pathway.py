"""The pathway to a zero-carbon factory: one stated basis, the same whatever is ranked, existing
green power netted, market instruments valued as they claim, a target and its gap."""

from __future__ import annotations

import re
from typing import Any

import pytest

from features.accounting.footprint import compute_footprint
from features.i18n import has_chinese
from features.profile import parse_profile
from features.units import USD_PER, Carrier
from models.bundle import RecommendationBundle
from models.pathway import MARKET_NOTE
from models.schemas import FactoryRecommendations, RecommendOptions

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
    assert p.after_green_electricity_tco2e == pytest.approx(
        p.after_onsite_renewables_tco2e - p.green_electricity_tco2e - p.certificates_tco2e
    )
    assert p.after_ccus_tco2e == pytest.approx(p.after_green_electricity_tco2e - p.ccus_tco2)
    assert p.residual_tco2e == pytest.approx(p.after_ccus_tco2e - p.offsets_tco2e)
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
        assert a.capex == pytest.approx(b.capex * USD_PER["CNY"])
        assert a.cost_savings_per_year == pytest.approx(b.cost_savings_per_year * USD_PER["CNY"])
        assert a.tco2e_avoided == pytest.approx(b.tco2e_avoided)
    # A profile that states its currency answers in it; a Chinese plant defaults to CNY.
    (stated,) = tiny_bundle.recommend([parse_profile({**OHIO, "revenue_currency": "EUR"})], options)
    assert stated.currency == "EUR"
    (hebei,) = tiny_bundle.recommend([parse_profile(HEBEI)], options)
    assert hebei.currency == "CNY"


def test_offsets_come_last_and_never_below_zero(tiny_bundle: RecommendationBundle) -> None:
    options = RecommendOptions(explain="none")
    plain = tiny_bundle.recommend([parse_profile(HEBEI)], options)[0].pathway
    assert plain.offsets_tco2e == 0
    some = tiny_bundle.recommend([parse_profile({**HEBEI, "offsets_tco2e": 100.0})], options)
    p = some[0].pathway
    assert p.offsets_tco2e == pytest.approx(100.0)
    assert p.residual_tco2e == pytest.approx(plain.residual_tco2e - 100.0)
    assert p.baseline_tco2e == pytest.approx(plain.baseline_tco2e)  # not in the footprint
    assert any("CCER" in n for n in p.notes)
    huge = tiny_bundle.recommend([parse_profile({**HEBEI, "offsets_tco2e": 1e9})], options)
    assert huge[0].pathway.offsets_tco2e == pytest.approx(plain.residual_tco2e)
    assert huge[0].pathway.gap_to_zero_carbon_tco2e == pytest.approx(0.0, abs=1e-6)


def _sentences(answer: FactoryRecommendations) -> list[str]:
    """Every sentence of an answer meant for people."""
    out = [*answer.warnings, *answer.footprint.notes, answer.pathway.basis, *answer.pathway.notes]
    out += [w.message for w in answer.input_warnings]
    out += [e.factor.note for e in answer.footprint.by_carrier if e.factor.note]
    out += [i.name for i in answer.market_instruments] + [i.note for i in answer.market_instruments]
    for r in [*answer.recommendations, *answer.emission_increases, *answer.not_enough_evidence]:
        out += [r.name, r.mechanism, r.direction_reason]
        out += [t for t in (r.basis_note, r.evidence_note) if t]
        if r.explanation is not None:
            out += [r.explanation.summary] + [c.effect for c in r.explanation.savings]
    return out


def test_an_answer_in_chinese_says_everything_in_chinese(
    tiny_bundle: RecommendationBundle,
) -> None:
    # Yunnan in 2030 with an oversized plant: input warnings, factor notes, market note.
    data = {**HEBEI, "region": "Yunnan", "reporting_year": 2030, "employees": 10**6,
            "offsets_tco2e": 10.0}  # fmt: skip
    profile = parse_profile(data)
    options = RecommendOptions(lang="zh", min_evidence=10**5, top_k=60)
    (zh,) = tiny_bundle.recommend([profile], options)
    (en,) = tiny_bundle.recommend([profile], options.model_copy(update={"lang": "en"}))
    assert zh.lang == "zh"
    assert [r.measure_id for r in zh.recommendations] == [r.measure_id for r in en.recommendations]
    assert zh.input_warnings
    assert zh.not_enough_evidence or zh.recommendations
    sentences = _sentences(zh)
    assert len(sentences) > 20
    untranslated = [t for t in sentences if not has_chinese(t)]
    assert untranslated == []
    # The same answer in English has no Chinese, and the numbers do not depend on the language.
    # (万kWh, 万Nm3: the Chinese statistical units a slip warning names, in either language.)
    assert not any(has_chinese(re.sub(r"万(?=[A-Za-z])", "", t)) for t in _sentences(en))
    assert zh.pathway.residual_tco2e == en.pathway.residual_tco2e


def test_savings_are_valued_at_the_factorys_prices_with_their_source(
    tiny_bundle: RecommendationBundle,
) -> None:
    options = RecommendOptions(
        explain="none", top_k=30
    )  # enough that both rankings share electric measures
    (ohio,) = tiny_bundle.recommend([parse_profile(OHIO)], options)
    prices = {p.carrier: p for p in ohio.prices}
    elec = prices[Carrier.ELECTRICITY]
    assert elec.unit == "USD/kWh"
    assert elec.price == pytest.approx(0.0703)  # EIA-861 2023, Ohio industrial
    assert "OH" in elec.source
    assert "EIA" in elec.source
    assert "EIA" in prices[Carrier.NATURAL_GAS].source
    # The factory's own tariff wins, and the savings follow it.
    dearer = parse_profile({**OHIO, "electricity_price": 0.1406})
    (own,) = tiny_bundle.recommend([dearer], options)
    assert {p.carrier: p for p in own.prices}[Carrier.ELECTRICITY].source.startswith("profile")
    by_id = {r.measure_id: r for r in own.recommendations}
    electric = [
        r
        for r in ohio.recommendations
        if set(r.energy_saved) == {Carrier.ELECTRICITY} and r.measure_id in by_id
    ]
    assert electric
    for r in electric:
        assert by_id[r.measure_id].cost_savings_per_year == pytest.approx(
            2 * r.cost_savings_per_year, rel=1e-6
        )


def test_certificates_cover_what_contracts_do_not(tiny_bundle: RecommendationBundle) -> None:
    profile = parse_profile(HEBEI)
    full = tiny_bundle.recommend([profile], RecommendOptions(explain="none"))[0].pathway
    assert full.certificates_kwh == 0
    half = tiny_bundle.recommend(
        [profile], RecommendOptions(explain="none", green_contract_share=0.25)
    )[0].pathway
    left = full.green_electricity_to_contract_kwh
    assert half.green_electricity_to_contract_kwh == pytest.approx(0.25 * left)
    assert half.certificates_kwh == pytest.approx(0.75 * left)
    # Both instruments claim the same residual-mix tCO2e per kWh: the gap does not change.
    assert half.green_electricity_tco2e + half.certificates_tco2e == pytest.approx(
        full.green_electricity_tco2e
    )
    assert half.residual_tco2e == pytest.approx(full.residual_tco2e)
