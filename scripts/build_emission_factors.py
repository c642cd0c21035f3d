"""Rebuild features/data/emission_factors.csv from the public source tables.

Usage: python scripts/build_emission_factors.py [SHARED_DATA_DIR]

Grid factors are read from the source files (MEE/NBS China factors as transcribed, eGRID2022
state and US sheets, EPA GHG Emission Factors Hub 2025); the IPCC 2006 defaults and China's
purchased-heat default are written here from the publications named in ``source``. The output is
the project's own versioned file; the tests check it still matches the sources.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

VERSION = "2026.11.1"
HEADER = (
    f"# decarb-recommender emission-factor table, version {VERSION}\n"
    "# GWP100 of IPCC AR5 (CH4 28, N2O 265) combine the gases into CO2e.\n"
    "# co2/ch4/n2o are in mass_unit per per_unit; heating_value_basis says which calorific value\n"
    "# the per_unit of a fuel refers to (LHV = net, HHV = gross, delivered = heat as delivered).\n"
)
COLUMNS = [
    "factor_id", "category", "country", "region_level", "region", "year", "carrier",
    "factor_type", "co2", "ch4", "n2o", "mass_unit", "per_unit", "heating_value_basis", "source",
]  # fmt: skip

CHINA_TYPES = {
    "average (all electricity)": "average",
    "average excluding market-traded non-fossil electricity": "residual_mix",
    "fossil-fuel electricity only": "fossil_only",
}
CHINA_LEVEL = {"national": "national", "regional": "grid", "provincial": "province"}
#: Regional grids by Chinese name, spelled as features.regions.Grid spells them.
GRID_BY_CN = {
    "华北": "North China grid", "东北": "Northeast China grid", "华东": "East China grid",
    "华中": "Central China grid", "西北": "Northwest China grid",
    "南方": "South China (China Southern) grid", "西南": "Southwest China grid",
}  # fmt: skip

# IPCC 2006 Guidelines, Vol. 2 Ch. 2, Table 2.3 (manufacturing industries and construction),
# default emission factors in kg per TJ on a net calorific value basis.
IPCC_2006 = {
    "natural_gas": ("Natural Gas", 56_100, 1, 0.1),
    "coal": ("Other Bituminous Coal", 94_600, 10, 1.5),
    "diesel": ("Gas/Diesel Oil", 74_100, 3, 0.6),
    "fuel_oil": ("Residual Fuel Oil", 77_400, 3, 0.6),
    "lpg": ("Liquefied Petroleum Gases", 63_100, 1, 0.1),
    "biomass": ("Wood/Wood Waste (CO2 biogenic)", 112_000, 30, 4),
    "other_fuel": ("Other Petroleum Products", 73_300, 3, 0.6),
}
# EPA GHG Emission Factors Hub 2025, Table 1 rows used for each carrier.
EPA_FUEL_ROWS = {
    "natural_gas": "Natural Gas",
    "coal": "Mixed (Industrial Sector)",
    "diesel": "Distillate Fuel Oil No. 2",
    "fuel_oil": "Residual Fuel Oil No. 6",
    "lpg": "Liquefied Petroleum Gases (LPG)",
    "biomass": "Wood and Wood Residuals",
    "other_fuel": "Other Oil (>401 deg F)",
}


def _rows(shared: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []

    def add(**kw: object) -> None:
        rows.append({c: kw.get(c, "") for c in COLUMNS})

    # China: the MEE/NBS notices (2023 data: 公告2025年第47号; 2022: 公告2024年第33号) as
    # transcribed in ../shared/data/china-mee-grid-ef-2022-2023 first; rows it lacks (2021,
    # most 2022 provinces and grids, the 2023 Southwest grid) from the older transcription.
    seen: set[str] = set()

    def china(r: dict[str, str], basis_column: str, source: str) -> None:
        level = CHINA_LEVEL[r["scope"]]
        region = "" if level == "national" else GRID_BY_CN.get(r["region_cn"], r["region_en"])
        ftype = CHINA_TYPES[r[basis_column]]
        factor_id = f"cn-grid-{r['data_year']}-{region or 'national'}-{ftype}".lower()
        factor_id = factor_id.replace(" ", "_").replace("(", "").replace(")", "")
        if factor_id in seen:
            return
        seen.add(factor_id)
        add(
            factor_id=factor_id,
            category="electricity",
            country="CN",
            region_level=level,
            region=region,
            year=r["data_year"],
            carrier="electricity",
            factor_type=ftype,
            co2=r["kgco2_per_kwh"],
            ch4=0,
            n2o=0,
            mass_unit="kg",
            per_unit="kWh",
            heating_value_basis="n/a",
            source=source,
        )

    official = shared / "china-mee-grid-ef-2022-2023/china_grid_co2_factors_mee_2022_2023.csv"
    with official.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            china(
                r,
                "basis",
                f"{r['notice']}, {r['official_table']} ({r['official_url']}); data year "
                f"{r['data_year']}, CO2 only; transcription cross-checked in two repositories",
            )
    with (shared / "china-grid-ef/china_grid_co2_factors_mee_nbs.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            china(
                r,
                "factor_type",
                f"MEE/NBS China electricity CO2 factors, data year {r['data_year']} (CO2 only; "
                f"not in the official-notice transcription; from {r['source_page']})",
            )

    egrid = shared / "egrid2022-state-subregion"
    with (egrid / "egrid2022_state_national.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            add(
                factor_id=f"us-egrid2022-state-{r['PSTATABB'].lower()}",
                category="electricity",
                country="US",
                region_level="state",
                region=r["PSTATABB"],
                year=r["YEAR"],
                carrier="electricity",
                factor_type="average",
                co2=r["STCO2RTA"],
                ch4=r["STCH4RTA"],
                n2o=r["STN2ORTA"],
                mass_unit="lb",
                per_unit="MWh",
                heating_value_basis="n/a",
                source="EPA eGRID2022, ST22 state total output emission rates "
                "STCO2RTA/STCH4RTA/STN2ORTA",
            )
    with (egrid / "egrid2022_us_total_national.csv").open(encoding="utf-8") as f:
        r = next(csv.DictReader(f))
        add(
            factor_id="us-egrid2022-national",
            category="electricity",
            country="US",
            region_level="national",
            region="",
            year=r["YEAR"],
            carrier="electricity",
            factor_type="average",
            co2=r["USCO2RTA"],
            ch4=r["USCH4RTA"],
            n2o=r["USN2ORTA"],
            mass_unit="lb",
            per_unit="MWh",
            heating_value_basis="n/a",
            source="EPA eGRID2022, US22 national total output emission rates",
        )

    for carrier, (name, co2, ch4, n2o) in IPCC_2006.items():
        add(
            factor_id=f"cn-ipcc2006-{carrier}",
            category="fuel",
            country="CN",
            region_level="national",
            carrier=carrier,
            factor_type="combustion",
            co2=co2,
            ch4=ch4,
            n2o=n2o,
            mass_unit="kg",
            per_unit="TJ",
            heating_value_basis="LHV",
            source=f"IPCC 2006 Guidelines Vol.2 Ch.2 Table 2.3 (manufacturing), {name}",
        )

    hub = shared / "epa-ghg-ef-hub-2025"
    with (hub / "table1_stationary_combustion.csv").open(encoding="utf-8") as f:
        table1 = {r["fuel_type"]: r for r in csv.DictReader(f)}
    for carrier, fuel_type in EPA_FUEL_ROWS.items():
        r = table1[fuel_type]
        add(
            factor_id=f"us-epahub2025-{carrier}",
            category="fuel",
            country="US",
            region_level="national",
            carrier=carrier,
            factor_type="combustion",
            co2=r["co2_kg_per_mmbtu"],
            ch4=float(r["ch4_g_per_mmbtu"]) / 1000,
            n2o=float(r["n2o_g_per_mmbtu"]) / 1000,
            mass_unit="kg",
            per_unit="MMBtu",
            heating_value_basis="HHV",
            source=f"EPA GHG Emission Factors Hub 2025, Table 1, {fuel_type} "
            "(CH4/N2O converted from g to kg)",
        )
    with (hub / "table7_steam_heat.csv").open(encoding="utf-8") as f:
        r = next(csv.DictReader(f))
    add(
        factor_id="us-epahub2025-purchased_heat",
        category="heat",
        country="US",
        region_level="national",
        carrier="purchased_heat",
        factor_type="average",
        co2=r["co2_kg_per_mmbtu"],
        ch4=float(r["ch4_g_per_mmbtu"]) / 1000,
        n2o=float(r["n2o_g_per_mmbtu"]) / 1000,
        mass_unit="kg",
        per_unit="MMBtu",
        heating_value_basis="delivered",
        source="EPA GHG Emission Factors Hub 2025, Table 7, steam and heat",
    )
    add(
        factor_id="cn-ndrc-purchased_heat",
        category="heat",
        country="CN",
        region_level="national",
        carrier="purchased_heat",
        factor_type="average",
        co2=0.11,
        ch4=0,
        n2o=0,
        mass_unit="t",
        per_unit="GJ",
        heating_value_basis="delivered",
        source="China NDRC GHG accounting and reporting guidelines for industrial enterprises "
        "(2013-2015), default for purchased heat 0.11 tCO2/GJ",
    )
    return rows


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data")
    out = Path(__file__).resolve().parents[1] / "features/data/emission_factors.csv"
    rows = _rows(shared)
    with out.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} factors to {out}")


if __name__ == "__main__":
    main()
