from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.errors import UnknownSectorError
from features.sectors import SECTORS, Sector, parse_sector, sector_from_naics, sector_from_sic

PROGRAMME_SECTORS = {
    "automotive", "lithium_batteries", "photovoltaics", "electronics_appliances",
    "light_industry", "machinery", "computing_infrastructure", "steel", "non_ferrous_metals",
    "petrochemicals_chemicals", "building_materials", "textiles", "other",
}  # fmt: skip


def test_programme_sectors_are_all_present() -> None:
    assert {s.value for s in Sector} == PROGRAMME_SECTORS


@pytest.mark.parametrize(
    ("naics", "sector"),
    [
        ("336111", Sector.AUTOMOTIVE),
        ("336390", Sector.AUTOMOTIVE),
        ("335910", Sector.LITHIUM_BATTERIES),
        ("335220", Sector.ELECTRONICS_APPLIANCES),
        ("334111", Sector.ELECTRONICS_APPLIANCES),
        ("334413", Sector.ELECTRONICS_APPLIANCES),
        ("311421", Sector.LIGHT_INDUSTRY),
        ("322121", Sector.LIGHT_INDUSTRY),
        ("333120", Sector.MACHINERY),
        ("336411", Sector.MACHINERY),
        ("518210", Sector.COMPUTING_INFRASTRUCTURE),
        ("331110", Sector.STEEL),
        ("331511", Sector.STEEL),
        ("331313", Sector.NON_FERROUS_METALS),
        ("331524", Sector.NON_FERROUS_METALS),
        ("324110", Sector.PETROCHEMICALS_CHEMICALS),
        ("325211", Sector.PETROCHEMICALS_CHEMICALS),
        ("327310", Sector.BUILDING_MATERIALS),
        ("313210", Sector.TEXTILES),
        ("212111", Sector.OTHER),
        ("3361", Sector.AUTOMOTIVE),
        ("336390.0", Sector.AUTOMOTIVE),
    ],
)
def test_naics_codes_resolve_to_sectors(naics: str, sector: Sector) -> None:
    assert sector_from_naics(naics) == sector


@pytest.mark.parametrize(
    ("sic", "sector"),
    [
        ("3711", Sector.AUTOMOTIVE),
        ("3714", Sector.AUTOMOTIVE),
        ("3691", Sector.LITHIUM_BATTERIES),
        ("3312", Sector.STEEL),
        ("3334", Sector.NON_FERROUS_METALS),
        ("2911", Sector.PETROCHEMICALS_CHEMICALS),
        ("3241", Sector.BUILDING_MATERIALS),
        ("2211", Sector.TEXTILES),
        ("2024", Sector.LIGHT_INDUSTRY),
        ("3561", Sector.MACHINERY),
        ("3671.0", Sector.ELECTRONICS_APPLIANCES),
        ("7374", Sector.COMPUTING_INFRASTRUCTURE),
        ("116", Sector.OTHER),  # leading zero lost: 0116 soybeans
    ],
)
def test_sic_codes_resolve_to_sectors(sic: str, sector: Sector) -> None:
    assert sector_from_sic(sic) == sector


def test_pv_is_recognised_from_the_product_text() -> None:
    assert sector_from_naics("334413", products="Solar cells and modules") == Sector.PHOTOVOLTAICS
    assert sector_from_sic("3674", products="PV WAFERS") == Sector.PHOTOVOLTAICS
    assert sector_from_naics("334413", products="Microprocessors") == Sector.ELECTRONICS_APPLIANCES


def test_sector_to_naics_direction_round_trips() -> None:
    for sector, info in SECTORS.items():
        for prefix in info.naics_prefixes:
            products = "solar" if sector == Sector.PHOTOVOLTAICS else None
            assert sector_from_naics(prefix, products=products) == sector


def test_bad_codes_and_names_are_typed_errors() -> None:
    with pytest.raises(UnknownSectorError, match="naics_code"):
        sector_from_naics("33x")
    with pytest.raises(UnknownSectorError, match="steel"):
        parse_sector("tobacco farming")
    assert parse_sector("Non-Ferrous Metals") == Sector.NON_FERROUS_METALS


def test_naics_titles_exist_for_every_prefix(shared_data: Path) -> None:
    titles = pd.read_csv(shared_data / "naics-codes/naics2022_census_titles.csv", dtype=str)
    known = set(titles["naics_2022"])
    for info in SECTORS.values():
        for prefix in info.naics_prefixes:
            assert prefix in known, f"{info.sector}: NAICS {prefix} is not a 2022 code"


def test_sic_and_naics_agree_on_real_iac_plants(shared_data: Path) -> None:
    assess = pd.read_csv(
        shared_data / "iac-assess-itac2026/assess.csv.gz", dtype={"sic": str, "naics": str}
    )
    both = assess.dropna(subset=["sic", "naics"])
    assert len(both) > 8000
    from_sic = both["sic"].map(sector_from_sic)
    from_naics = both["naics"].map(sector_from_naics)
    agreement = (from_sic == from_naics).mean()
    # Measured 93.9%; the rest are genuine SIC/NAICS boundary shifts (e.g. SIC 3585 HVAC
    # equipment includes car air-conditioners, NAICS 336390).
    assert agreement > 0.93
    # Every plant resolves (no code errors) and the programme sectors dominate manufacturing.
    all_sic = assess["sic"].dropna()
    resolved = all_sic.map(sector_from_sic)
    assert (resolved != Sector.OTHER).mean() > 0.95


def test_crosswalk_sic_sectors_match_a_crosswalk_naics_sector(shared_data: Path) -> None:
    cw = pd.read_csv(shared_data / "naics-codes/naics_sic_crosswalk_naicsassoc.csv", dtype=str)
    cw["sic"] = cw["sic"].str.strip().str.zfill(4)
    cw = cw[cw["sic"].str.isdigit() & cw["sic"].str[:2].between("20", "39")]
    cw["from_naics"] = cw["naics"].str.strip().map(sector_from_naics)
    matched = cw.groupby("sic").apply(
        lambda g: sector_from_sic(g.name) in set(g["from_naics"]), include_groups=False
    )
    # Share of manufacturing SIC codes whose sector is the sector of one of their NAICS codes.
    assert matched.mean() > 0.95
