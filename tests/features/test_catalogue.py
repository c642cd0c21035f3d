from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.catalogue.applicability import applicability, candidate_pairs
from features.catalogue.candidates import FactoryEnergy
from features.catalogue.measures import (
    Catalogue,
    Family,
    chinese_text,
    measure_mechanism,
    measure_name,
    normalise_arc,
)
from features.errors import CatalogueError, InvalidValueError
from features.i18n import has_chinese
from features.profile import parse_profile, profiles_from_frame, profiles_to_frame
from features.sources.synthetic import SyntheticConfig, generate
from features.units import Carrier


def test_catalogue_has_at_least_40_measures_in_three_families() -> None:
    catalogue = Catalogue.default()
    assert len(catalogue) >= 40
    counts = {f: len(catalogue.by_family(f)) for f in Family}
    assert all(n >= 8 for n in counts.values()), counts


def test_required_measures_are_present() -> None:
    ids = set(Catalogue.default().measures)
    for required in (
        "variable_speed_drives", "premium_efficiency_motors", "compressed_air_leak_repair",
        "waste_heat_recovery", "heat_pumps", "led_lighting", "boiler_economiser",
        "process_electrification", "fuel_switch_to_natural_gas", "rooftop_pv",
        "green_microgrid_storage", "green_electricity_purchase", "green_certificates",
        "energy_management_system", "sub_metering", "load_scheduling", "maintenance_programme",
        "setpoint_optimisation",
    ):  # fmt: skip
        assert required in ids


def test_certificates_are_kept_apart_from_physical_reductions() -> None:
    catalogue = Catalogue.default()
    assert catalogue["green_certificates"].reduction_kind == "certificate"
    assert catalogue["green_electricity_purchase"].reduction_kind == "market_instrument"
    physical = [m for m in catalogue.measures.values() if m.reduction_kind == "physical"]
    assert all(m.carriers_reduced for m in physical)


def test_every_sourced_range_names_its_source() -> None:
    for m in Catalogue.default().measures.values():
        if m.typical_saving is not None:
            assert m.typical_saving.low <= m.typical_saving.high
            assert len(m.typical_saving.source) > 30


def test_every_energy_arc_code_maps_to_one_measure_or_unmapped(shared_data: Path) -> None:
    codes = pd.read_csv(shared_data / "iac-arc-codes/arc_codes_sdp_sheet1.csv", dtype=str)
    energy = codes[(codes["level"] == "4") & codes["arc_code_4dp"].str.startswith("2")]
    assert len(energy) == 324
    catalogue = Catalogue.default()
    results = [catalogue.resolve_arc(code) for code in energy["arc_code_4dp"]]
    statuses = collections.Counter(r.status for r in results)
    assert statuses["unknown"] == 0
    assert statuses["measure"] + statuses["unmapped"] == 324
    assert statuses["unmapped"] <= 15  # a short, reasoned list
    assert all(r.reason for r in results if r.status == "unmapped")
    # Exactly one owner per code: longest prefix, and prefixes are unique by construction.
    assert {r.arc for r in results} == set(energy["arc_code_4dp"])


@pytest.mark.parametrize(
    ("arc", "measure"),
    [
        ("2.4146", "variable_speed_drives"),
        (2.7142, "led_lighting"),
        ("2.4236", "compressed_air_leak_repair"),
        ("2.1243", "boiler_economiser"),  # blowdown heat recovery, not blowdown reduction
        ("2.1241", "steam_system_optimisation"),
        ("2.9114", "rooftop_pv"),
        ("2.2442", "furnace_heat_recovery"),
        ("2.2437", "waste_heat_recovery"),
        ("2.7234", "heat_pumps"),
        ("2.8124", "energy_management_system"),
        ("2.3414", "biomass_and_waste_fuels"),
    ],
)
def test_known_arc_codes_resolve_to_expected_measures(arc: Any, measure: str) -> None:
    assert Catalogue.default().resolve_arc(arc).measure_id == measure


def test_non_energy_and_malformed_arcs() -> None:
    catalogue = Catalogue.default()
    assert catalogue.resolve_arc("3.4155").status == "non_energy"
    assert catalogue.resolve_arc("2.8114").status == "unmapped"
    assert normalise_arc("2.711") == "2.7110"
    with pytest.raises(InvalidValueError, match="arc"):
        catalogue.resolve_arc("22442")


def test_real_uconn_recommendations_resolve(shared_data: Path) -> None:
    recs = pd.read_csv(shared_data / "iac-uconn-fullschema-sample/recommendations.csv")
    catalogue = Catalogue.default()
    statuses = collections.Counter(catalogue.resolve_arc(a).status for a in recs["arc"])
    assert statuses["unknown"] == 0
    assert statuses["measure"] >= 0.8 * len(recs)


def test_duplicate_prefix_or_id_is_rejected() -> None:
    measure = """
  - id: a
    name: A
    family: technology_upgrade
    carriers_reduced: [electricity]
    mechanism: m
    lifetime_years: 5
    end_uses: [machine_drive]
    arc_prefixes: ["2.41"]
    pathway_step: efficiency
    generated: {hours_exponent: 0.0, management: 0.0, popularity: 1.0, in_place: 0.05,
                fraction: 0.05, source: "a source long enough"}
"""
    with pytest.raises(CatalogueError, match="claimed twice"):
        Catalogue.from_yaml("measures:" + measure + measure.replace("id: a", "id: b"))
    with pytest.raises(CatalogueError, match="appears twice"):
        Catalogue.from_yaml("measures:" + measure + measure.replace('"2.41"', '"2.42"'))
    with pytest.raises(CatalogueError, match="family"):
        Catalogue.from_yaml("measures:" + measure.replace("technology_upgrade", "magic"))


def profile(**overrides: Any) -> Any:
    data: dict[str, Any] = {
        "factory_id": "x",
        "country": "CN",
        "region": "Zhejiang",
        "sector": "textiles",
        "reporting_year": 2023,
        "electricity_kwh": 5e6,
    }
    data.update(overrides)
    return parse_profile(data)


def test_applicability_rules() -> None:
    catalogue = Catalogue.default()
    p = profile()
    assert not applicability(p, catalogue["boiler_economiser"]).applicable  # no fuel used
    assert "nothing to act on" in applicability(p, catalogue["boiler_economiser"]).reason
    assert applicability(profile(coal_gj=1e4), catalogue["boiler_economiser"]).applicable
    assert not applicability(p, catalogue["rooftop_pv"]).applicable  # no roof area
    assert applicability(profile(roof_area_available_m2=5000), catalogue["rooftop_pv"]).applicable
    assert applicability(p, catalogue["textile_wet_processing"]).applicable
    assert not applicability(
        profile(sector="steel"), catalogue["textile_wet_processing"]
    ).applicable
    in_place = profile(measures_in_place=["variable_speed_drives"])
    assert applicability(in_place, catalogue["variable_speed_drives"]).reason == "already in place"
    # fuel switching to gas needs a coal or oil user
    assert not applicability(
        profile(natural_gas_gj=1e4), catalogue["fuel_switch_to_natural_gas"]
    ).applicable
    heat_pumps = catalogue["heat_pumps"]
    assert Carrier.ELECTRICITY in heat_pumps.carriers_increased


def test_vectorised_applicability_agrees_with_the_per_profile_rules() -> None:
    factories = generate(SyntheticConfig(n_factories=150, seed=4)).factories
    profiles, rejected = profiles_from_frame(factories)
    assert rejected == []
    catalogue = Catalogue.default()
    measures = list(catalogue.measures.values())
    found = candidate_pairs(FactoryEnergy.of(profiles_to_frame(profiles)), measures, catalogue)
    matrix = np.zeros((len(profiles), len(measures)), dtype=bool)
    column = {m.id: j for j, m in enumerate(measures)}
    matrix[found.factory_index, [column[str(k)] for k in found.keys]] = True
    expected = [[applicability(p, m).applicable for m in measures] for p in profiles]
    assert matrix.tolist() == expected
    assert 0 < matrix.sum() < matrix.size


def test_every_measure_has_a_chinese_name_and_mechanism() -> None:
    zh = chinese_text()
    catalogue = Catalogue.default()
    assert set(zh) == set(catalogue.measures)
    for measure_id, (name, mechanism) in zh.items():
        measure = catalogue[measure_id]
        assert has_chinese(name), measure_id
        assert has_chinese(mechanism), measure_id
        assert measure_name(measure, "zh") == name
        assert measure_mechanism(measure, "zh") == mechanism
        assert measure_name(measure, "en") == measure.name
        assert measure_mechanism(measure, "en") == measure.mechanism


def test_pools_are_sourced_and_their_members_act_on_their_end_uses() -> None:
    """Every pool names its source, a ceiling within its cited range, and members that exist,
    belong to it alone and act on at least one of its end uses."""
    catalogue = Catalogue.default()
    assert {p.id for p in catalogue.pools} >= {"motor_systems", "lighting", "management"}
    seen: set[str] = set()
    for pool in catalogue.pools:
        assert len(pool.source) > 40, pool.id
        if pool.ceiling_range is not None:
            low, high = pool.ceiling_range
            assert low <= pool.ceiling <= high, pool.id
        for member in pool.members:
            assert member not in seen, member
            seen.add(member)
            assert set(catalogue[member].end_uses) & set(pool.end_uses), (pool.id, member)
            assert catalogue.pool_of(member) == pool
    plant = catalogue.plant_ceiling
    assert plant is not None
    assert 0 < plant.ceiling <= 0.5
    assert len(plant.source) > 40
    arrays = catalogue.arrays
    assert arrays.plant_ceiling == plant.ceiling
    # Efficiency measures share the plant's ceiling; conversions and route changes do not.
    assert arrays.plant_wide[arrays.index["led_lighting"]]
    assert arrays.plant_wide[arrays.index["process_redesign"]]
    assert not arrays.plant_wide[arrays.index["heat_pumps"]]
    assert not arrays.plant_wide[arrays.index["steel_scrap_eaf_shift"]]
    assert arrays.pool[arrays.index["led_lighting"]] == [p.id for p in catalogue.pools].index(
        "lighting"
    )
    assert arrays.pool[-1] == -1  # unknown keys share no pool


@pytest.mark.parametrize(
    ("pools", "message"),
    [
        ([("a", '["led_lighting", "no_such_measure"]')], "unknown measure"),
        ([("a", '["led_lighting"]'), ("b", '["led_lighting"]')], "two pools"),
    ],
)
def test_a_pool_naming_an_unknown_or_shared_measure_is_refused(
    pools: list[tuple[str, str]], message: str
) -> None:
    text = Path("features/data/measures.yaml").read_text(encoding="utf-8")
    head, _, rest = text.partition("\npools:\n")
    body = rest[rest.index("\nmeasures:\n") :]
    lines = "".join(
        f"  - {{id: {i}, name: {i}, end_uses: [lighting], ceiling: 0.5, "
        f'source: "a source long enough", members: {members}}}\n'
        for i, members in pools
    )
    with pytest.raises(CatalogueError, match=message):
        Catalogue.from_yaml(head + "\npools:\n" + lines + body)
