from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from features.accounting.factors import COLUMNS, FactorTable, load_eia_state_intensity
from features.carriers import CARRIERS
from features.errors import InvalidValueError, MissingFactorError
from features.regions import Country
from features.units import Carrier

LB = 0.45359237


def test_bundled_table_is_versioned_and_names_a_source_for_every_factor() -> None:
    table = FactorTable.default()
    assert table.version == "2026.11.1"
    assert (table.frame["source"].str.len() > 20).all()
    fuels = table.frame[table.frame["category"] == "fuel"]
    assert set(fuels["heating_value_basis"]) == {"LHV", "HHV"}
    # Every carrier has a factor in both countries.
    for country in ("CN", "US"):
        carriers = set(table.frame.loc[table.frame["country"] == country, "carrier"])
        assert carriers == {c.value for c in Carrier}


def test_lhv_and_hhv_factors_agree_for_natural_gas() -> None:
    # IPCC (LHV, per TJ) and EPA (HHV, per MMBtu) describe the same gas: within 1%.
    table = FactorTable.default()
    cn = table.resolve(Carrier.NATURAL_GAS, Country.CN, "Beijing", 2022)
    us = table.resolve(Carrier.NATURAL_GAS, Country.US, "TX", 2022)
    assert cn.kgco2e_per_unit == pytest.approx(us.kgco2e_per_unit, rel=0.01)


def test_region_fallbacks_are_reported() -> None:
    table = FactorTable.default()
    hebei = table.resolve(Carrier.ELECTRICITY, Country.CN, "Hebei", 2022)
    assert (hebei.region_level, hebei.kgco2e_per_unit, hebei.note) == ("province", 0.7252, "")
    # The most specific region first: Jiangsu's own 2023 factor before the 2022 grid factor.
    jiangsu = table.resolve(Carrier.ELECTRICITY, Country.CN, "Jiangsu", 2022)
    assert jiangsu.kgco2e_per_unit == 0.5827
    assert "no 2022 factor, used 2023" in jiangsu.note
    # Tibet is not in the official provincial table: its regional grid (Southwest, 2022).
    tibet = table.resolve(Carrier.ELECTRICITY, Country.CN, "Tibet", 2022)
    assert tibet.kgco2e_per_unit == 0.2268
    assert "used Southwest China grid" in tibet.note
    later = table.resolve(Carrier.ELECTRICITY, Country.CN, "Hebei", 2025)
    assert later.year == 2023
    assert "no 2025 factor, used 2023" in later.note


def test_ohio_1995_audit_uses_ohio_1995_factor_from_the_eia_series(shared_data: Path) -> None:
    path = shared_data / "eia-state-electric-co2-1990-2024/state_carbon_intensity_derived.csv"
    with path.open() as f:
        row = next(r for r in csv.DictReader(f) if r["YEAR"] == "1995" and r["STATE"] == "OH")
    expected = float(row["CO2"]) / float(row["TOTAL"])  # t/MWh = kg/kWh

    table = FactorTable.default().extended(load_eia_state_intensity(path))
    ohio_1995 = table.resolve(Carrier.ELECTRICITY, Country.US, "OH", 1995)
    assert ohio_1995.factor_id == "us-eia-oh-1995"
    assert ohio_1995.kgco2e_per_unit == pytest.approx(expected, rel=1e-9)
    assert ohio_1995.note == ""
    # For 2022 both tables have Ohio; the bundled eGRID factor (with CH4 and N2O) is kept.
    assert table.resolve(Carrier.ELECTRICITY, Country.US, "OH", 2022).factor_id == (
        "us-egrid2022-state-oh"
    )
    # Without the EIA series, 1995 falls back to eGRID2022 and the note says so.
    fallback = FactorTable.default().resolve(Carrier.ELECTRICITY, Country.US, "OH", 1995)
    assert "no 1995 factor, used 2022" in fallback.note


def test_bundled_grid_factors_match_their_sources(shared_data: Path) -> None:
    table = FactorTable.default().frame
    egrid = pd.read_csv(shared_data / "egrid2022-state-subregion/egrid2022_state_national.csv")
    states = table[table["factor_id"].str.startswith("us-egrid2022-state-")].set_index("region")
    assert len(states) == len(egrid) == 52
    for _, row in egrid.iterrows():
        assert states.loc[row["PSTATABB"], "co2"] == pytest.approx(row["STCO2RTA"])
    # China: every row of the official-notice transcription, cited by notice and table; rows it
    # lacks from the older transcription, whose overlapping values agree.
    cn = table[table["factor_id"].str.startswith("cn-grid-")]
    official = pd.read_csv(
        shared_data / "china-mee-grid-ef-2022-2023/china_grid_co2_factors_mee_2022_2023.csv"
    )
    cited = cn[cn["source"].str.contains("公告")]
    assert len(cited) == len(official)
    assert sorted(cited["co2"]) == pytest.approx(sorted(official["kgco2_per_kwh"]))
    assert cited["source"].str.contains("表").all()
    older = pd.read_csv(shared_data / "china-grid-ef/china_grid_co2_factors_mee_nbs.csv")
    keys = set(zip(cn["year"].astype(int), cn["co2"].round(4), strict=True))
    for _, row in older.iterrows():
        assert (int(row["data_year"]), round(row["kgco2_per_kwh"], 4)) in keys
    provinces_2023 = cn[(cn["year"].astype(int) == 2023) & (cn["region_level"] == "province")]
    assert len(provinces_2023) == 30
    hub = pd.read_csv(shared_data / "epa-ghg-ef-hub-2025/table1_stationary_combustion.csv")
    gas = hub[hub["fuel_type"] == "Natural Gas"].iloc[0]
    ours = table[table["factor_id"] == "us-epahub2025-natural_gas"].iloc[0]
    assert ours["co2"] == pytest.approx(gas["co2_kg_per_mmbtu"])


def test_table_validation_names_column_and_allowed_values() -> None:
    frame = FactorTable.default().frame[list(COLUMNS)].copy()
    frame.loc[0, "heating_value_basis"] = "XHV"
    with pytest.raises(InvalidValueError, match=r"row 0: heating_value_basis.*LHV, HHV"):
        FactorTable(frame, "bad")
    with pytest.raises(InvalidValueError, match="columns"):
        FactorTable(frame.drop(columns=["co2"]), "bad")


def test_missing_factor_is_a_typed_error() -> None:
    frame = FactorTable.default().frame[list(COLUMNS)]
    no_us_coal = frame[~((frame["country"] == "US") & (frame["carrier"] == "coal"))]
    with pytest.raises(MissingFactorError, match="coal in US"):
        FactorTable(no_us_coal, "partial").resolve(Carrier.COAL, Country.US, "OH", 2022)


def test_matrix_of_validated_places_matches_resolve_in_any_spelling() -> None:
    table = FactorTable.default()
    places = [
        (Country.CN, "Jiangsu", "East China grid", 2022),
        (Country.CN, "Tibet", "Southwest China grid", 2022),
        (Country.US, "OH", None, 2023),
    ]
    matrix = table.matrix(places)
    assert matrix.shape == (3, len(CARRIERS))
    for row, (country, region, _grid, year) in zip(matrix, places, strict=True):
        assert list(row) == [
            table.resolve(c, country, region, year).kgco2e_per_unit for c in CARRIERS
        ]
    spelled = table.resolve(Carrier.ELECTRICITY, Country.CN, "江苏省", 2022)
    assert spelled == table.resolve(Carrier.ELECTRICITY, Country.CN, "Jiangsu", 2022)
    assert table.matrix([]).shape == (0, len(CARRIERS))
