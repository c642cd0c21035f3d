"""Routes inferred for heavy-sector plants that do not declare production[] (issue 29, part 5):
the likely route from NAICS, energy mix and size, its reductant carved out and its process
emissions counted as for a declared route, its sector-pack measures marked as resting on it, a
warning asking for production[], and nothing changed for declared or light-industry plants.
Thresholds and intensities come from features/data/process_routes.yaml, each with its source."""

from __future__ import annotations

import pytest

from features.accounting.footprint import compute_footprint
from features.catalogue.applicability import applicability
from features.catalogue.measures import Catalogue
from features.enduses.taxonomy import EndUse
from features.process_routes.definitions import RouteSignature, route_table
from features.process_routes.inference import infer_route
from features.profile import FactoryProfile, parse_profile, profiles_from_frame, profiles_to_frame
from features.sectors import Sector
from features.units import GJ_PER_KWH, GJ_PER_TCE, Carrier
from models.bundle import RecommendationBundle
from models.schemas import FactoryRecommendations, Recommendation, RecommendOptions
from tests.reference.factories import OHIO_FOOD_PLANT
from tests.reference.heavy import HEBEI_BF_BOF, UNDECLARED_BF_BOF, UNDECLARED_EAF

OPTIONS = RecommendOptions(top_k=60, explain="none")
PACK = {"steel_scrap_eaf_shift", "steel_ccus", "bf_top_gas_recycling", "coke_dry_quenching",
        "top_pressure_recovery_turbine", "steel_waste_heat_power"}  # fmt: skip
#: The steel plant's energy: 2.6 Mtce coal (GB/T 2589-2020: 29.3076 GJ/tce) and 1.2 TWh.
COAL_GJ = 2.6e6 * GJ_PER_TCE
TOTAL_GJ = COAL_GJ + 1.2e9 * GJ_PER_KWH
BF_BOF = route_table().route("crude_steel", "bf_bof")


PLANTS = {
    "undeclared": UNDECLARED_BF_BOF,
    "eaf": UNDECLARED_EAF,
    "declared": HEBEI_BF_BOF,
    "food": OHIO_FOOD_PLANT,
}


@pytest.fixture(scope="module")
def profiles() -> dict[str, FactoryProfile]:
    return {name: parse_profile(d) for name, d in PLANTS.items()}


@pytest.fixture(scope="module")
def answers(
    tiny_bundle: RecommendationBundle, profiles: dict[str, FactoryProfile]
) -> dict[str, FactoryRecommendations]:
    found = tiny_bundle.recommend(list(profiles.values()), OPTIONS)
    return dict(zip(profiles, found, strict=True))


@pytest.fixture(scope="module")
def answers_without(tiny_bundle: RecommendationBundle) -> dict[str, FactoryRecommendations]:
    """The same plants answered as before routes were inferred (a profile finds its route
    lines on validation, so they are validated without inference too)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("features.profile.infer_route", lambda *_args: None)
        plain = [parse_profile(d) for d in PLANTS.values()]
        found = tiny_bundle.recommend(plain, OPTIONS)
    return dict(zip(PLANTS, found, strict=True))


def _by_id(result: FactoryRecommendations) -> dict[str, Recommendation]:
    rows = [*result.recommendations, *result.emission_increases, *result.not_enough_evidence]
    return {r.measure_id: r for r in rows}


# --- the rule -------------------------------------------------------------------------------
def test_coal_heavy_steel_is_bf_bof_with_output_from_the_routes_intensity(
    profiles: dict[str, FactoryProfile],
) -> None:
    inferred = profiles["undeclared"].inferred_route()
    assert inferred is not None
    assert inferred.route_id == "crude_steel/bf_bof"
    assert inferred.confidence == "high"  # NAICS names crude steel, coal 95% >= 70%
    assert inferred.share == pytest.approx(COAL_GJ / TOTAL_GJ)
    # 80.5 PJ at the route's mid intensity of 20 GJ/t (17-23 GJ/t, worldsteel/IEA in the yaml).
    assert BF_BOF.intensity.energy_gj_per_t.mid == 20.0
    assert inferred.line.output_t == pytest.approx(TOTAL_GJ / 20.0, rel=1e-3)
    assert 3.9e6 < inferred.line.output_t < 4.1e6
    assert inferred.output_low_t == pytest.approx(TOTAL_GJ / 23.0)
    assert inferred.output_high_t == pytest.approx(TOTAL_GJ / 17.0)


def test_electricity_heavy_steel_with_little_coal_is_scrap_eaf(
    profiles: dict[str, FactoryProfile],
) -> None:
    inferred = profiles["eaf"].inferred_route()
    assert inferred is not None
    assert inferred.route_id == "crude_steel/scrap_eaf"
    kwh_per_t = 5.0e8 / inferred.line.output_t
    assert 450 <= kwh_per_t <= 600  # IEA: scrap EAF 450-600 kWh/t


@pytest.mark.parametrize(
    ("sector", "naics", "energy", "expected"),
    [
        # Steel without a code: the sector alone names crude steel, coal 95% is a strong sign.
        (Sector.STEEL, None, {Carrier.COAL: 7.6e7, Carrier.ELECTRICITY: 1.2e9}, "medium"),
        # Half coal, half electricity: neither BF-BOF's strong share nor EAF's coal cap.
        (Sector.STEEL, None, {Carrier.COAL: 3.0e7, Carrier.ELECTRICITY: 6.0e9}, "low"),
        # Cement by NAICS with a coal kiln: 4.96 PJ coal, 209 GWh (tests/reference/heavy.py).
        (Sector.BUILDING_MATERIALS, "327310", {Carrier.COAL: 4.96e6, Carrier.ELECTRICITY: 2.09e8},
         "high"),
        # A smelter's 6.75 TWh with a little gas, by sector only.
        (Sector.NON_FERROUS_METALS, None,
         {Carrier.ELECTRICITY: 6.75e9, Carrier.NATURAL_GAS: 1.5e6}, "medium"),
    ],
)  # fmt: skip
def test_confidence_follows_naics_and_the_strength_of_the_energy_sign(
    sector: Sector, naics: str | None, energy: dict[Carrier, float], expected: str
) -> None:
    inferred = infer_route(sector, naics, energy)
    assert inferred is not None
    assert inferred.confidence == expected


@pytest.mark.parametrize(
    ("sector", "naics", "energy"),
    [
        # Steel pipe from purchased steel: the code names no product with a route.
        (Sector.STEEL, "331210", {Carrier.COAL: 7.6e7}),
        # A coal-fired forge labelled steel: 50 TJ of coal is far below a 0.3 Mt/yr works.
        (Sector.STEEL, None, {Carrier.COAL: 5.0e4, Carrier.ELECTRICITY: 1.0e6}),
        # Gas-heavy steel site without a code: DRI needs the code (likely a rolling mill).
        (Sector.STEEL, None, {Carrier.NATURAL_GAS: 6.0e6, Carrier.ELECTRICITY: 2.0e8}),
        # Glass and ammonia are never inferred from the sector alone.
        (Sector.BUILDING_MATERIALS, None, {Carrier.NATURAL_GAS: 1.5e6}),
        (Sector.PETROCHEMICALS_CHEMICALS, None, {Carrier.NATURAL_GAS: 1.0e7}),
        # A cement grinding station (electricity only, no kiln).
        (Sector.BUILDING_MATERIALS, "327310", {Carrier.ELECTRICITY: 4.0e7}),
        # Not a heavy sector, and no energy at all.
        (Sector.LIGHT_INDUSTRY, "311412", {Carrier.NATURAL_GAS: 1.2e5}),
        (Sector.STEEL, "331110", {}),
    ],
)
def test_no_route_where_nothing_fits(
    sector: Sector, naics: str | None, energy: dict[Carrier, float]
) -> None:
    assert infer_route(sector, naics, energy) is None


def test_a_signature_with_its_thresholds_reversed_is_refused() -> None:
    with pytest.raises(ValueError, match="strong_share below min_share"):
        RouteSignature(
            carriers=(Carrier.COAL,),
            min_share=0.7,
            strong_share=0.5,
            min_output_t=1.0,
            source="a test signature",
        )


# --- the inferred route acts as a declared one ---------------------------------------------
def test_footprint_counts_the_inferred_routes_process_emissions(
    profiles: dict[str, FactoryProfile],
) -> None:
    profile = profiles["undeclared"]
    inferred = profile.inferred_route()
    assert inferred is not None
    fp = compute_footprint(profile)
    (line,) = fp.process
    assert line.line_id == "flux_co2"
    assert fp.process_tco2e == pytest.approx(0.09 * inferred.line.output_t)  # flux 0.09 t/t
    (pi,) = fp.production_intensity
    low, high = BF_BOF.intensity.tco2_per_t.low, BF_BOF.intensity.tco2_per_t.high
    assert low <= pi.scope1_tco2e_per_t <= high  # type: ignore[operator]
    assert any("inferred" in note and "production[]" in note for note in fp.notes)


def test_the_reductant_is_carved_out_and_fuel_switching_no_longer_claims_it(
    profiles: dict[str, FactoryProfile],
    answers: dict[str, FactoryRecommendations],
    answers_without: dict[str, FactoryRecommendations],
) -> None:
    inferred = profiles["undeclared"].inferred_route()
    assert inferred is not None
    reductant = BF_BOF.reductant
    assert reductant is not None
    expected = min(reductant.gj_per_t * inferred.line.output_t, reductant.max_share * COAL_GJ)
    cells = {(e.carrier, e.end_use): e.energy for e in answers["undeclared"].end_use_balance}
    assert cells[(Carrier.COAL, EndUse.REDUCTANT_FEEDSTOCK)] == pytest.approx(expected)
    before = {(e.carrier, e.end_use) for e in answers_without["undeclared"].end_use_balance}
    assert (Carrier.COAL, EndUse.REDUCTANT_FEEDSTOCK) not in before
    fuel_coal = COAL_GJ - expected
    now = _by_id(answers["undeclared"])["fuel_switch_to_natural_gas"]
    then = _by_id(answers_without["undeclared"])["fuel_switch_to_natural_gas"]
    # The switch acts on fuel only: at most the coal left after the reductant, and less than
    # it claimed when the reductant counted as fuel.
    assert now.targeted_energy_gj <= fuel_coal * (1 + 1e-9)
    assert now.energy_saved[Carrier.COAL] <= fuel_coal
    assert now.targeted_energy_gj < then.targeted_energy_gj
    assert now.energy_saved[Carrier.COAL] < then.energy_saved[Carrier.COAL]


def test_sector_pack_measures_are_offered_and_marked_as_resting_on_the_inferred_route(
    answers: dict[str, FactoryRecommendations],
    answers_without: dict[str, FactoryRecommendations],
) -> None:
    found = _by_id(answers["undeclared"])
    offered = PACK & set(found)
    assert len(offered) >= 3
    assert not PACK & set(_by_id(answers_without["undeclared"]))
    for measure_id in offered:
        note = found[measure_id].basis_note
        assert found[measure_id].basis == "engineering"
        assert "inferred" in note
        assert "crude_steel/bf_bof" in note
        assert "production[]" in note
    learned = [r for r in found.values() if r.basis == "learned"]
    assert learned
    assert all("inferred" not in r.basis_note for r in learned)


def test_pack_measures_apply_to_the_profile_alone_too(profiles: dict[str, FactoryProfile]) -> None:
    measure = Catalogue.default().measures["bf_top_gas_recycling"]
    assert applicability(profiles["undeclared"], measure).applicable


def test_a_warning_asks_for_production_and_states_route_and_confidence(
    answers: dict[str, FactoryRecommendations], tiny_bundle: RecommendationBundle,
    profiles: dict[str, FactoryProfile],
) -> None:  # fmt: skip
    (warning,) = [w for w in answers["undeclared"].warnings if "production[]" in w]
    for said in ("crude_steel/bf_bof", "confidence high", "NAICS 331110", "coal 95%"):
        assert said in warning
    (zh,) = tiny_bundle.recommend([profiles["undeclared"]], RecommendOptions(
        top_k=5, explain="none", lang="zh"))  # fmt: skip
    (warning_zh,) = [w for w in zh.warnings if "production[]" in w]
    assert "置信度高" in warning_zh
    assert "粗钢" in warning_zh


def test_eaf_plant_gets_no_reductant_carve_out(answers: dict[str, FactoryRecommendations]) -> None:
    answer = answers["eaf"]
    uses = {e.end_use for e in answer.end_use_balance}
    assert EndUse.REDUCTANT_FEEDSTOCK not in uses
    assert any("crude_steel/scrap_eaf" in w for w in answer.warnings)
    # EAF electrodes and charge carbon, IPCC 2006 Vol. 3 Table 4.1: 0.08 t CO2/t.
    assert answer.footprint.process_tco2e == pytest.approx(
        0.08 * answer.footprint.production_intensity[0].output_t
    )


# --- nothing changes for declared and light-industry plants ---------------------------------
@pytest.mark.parametrize("name", ["declared", "food"])
def test_declared_and_light_industry_answers_are_unchanged(
    name: str,
    profiles: dict[str, FactoryProfile],
    answers: dict[str, FactoryRecommendations],
    answers_without: dict[str, FactoryRecommendations],
) -> None:
    assert profiles[name].inferred_route() is None
    assert answers[name].model_dump() == answers_without[name].model_dump()
    assert not any("inferred" in w for w in answers[name].warnings)


def test_declared_lines_are_the_route_lines(profiles: dict[str, FactoryProfile]) -> None:
    declared = profiles["declared"]
    assert declared.route_lines() == declared.production_lines()
    assert profiles["food"].route_lines() == []


def test_tables_carry_the_inferred_line_as_the_request_path_does(
    profiles: dict[str, FactoryProfile],
) -> None:
    (profile,), rejected = profiles_from_frame(profiles_to_frame([profiles["undeclared"]]))
    assert rejected == []
    assert profile.route_lines() == profiles["undeclared"].route_lines()
