"""Sectors of China's zero-carbon factory programme and their NAICS and SIC codes.

The programme (MIIT and four other ministries, January 2026) names the first sectors to be
benchmarked from 2026 (automotive, lithium batteries, photovoltaics, electronics and home
appliances, light industry, machinery, computing infrastructure) and the heavy sectors added by
2030 (steel, non-ferrous metals, petrochemicals and chemicals, building materials, textiles).

Each sector lists NAICS 2022 and SIC 1987 code prefixes. A code resolves to the sector of its
**longest** matching prefix, so narrower codes override broader ones (NAICS 3359 "other electrical
equipment" is electronics, its child 33591 "battery manufacturing" is lithium batteries).

Photovoltaic cells share NAICS 334413 and SIC 3674 with semiconductors; a code alone resolves to
electronics, and to photovoltaics only when the product description names solar or PV.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from features.errors import UnknownSectorError


class Sector(StrEnum):
    """Programme sectors, plus ``other``."""

    AUTOMOTIVE = "automotive"
    LITHIUM_BATTERIES = "lithium_batteries"
    PHOTOVOLTAICS = "photovoltaics"
    ELECTRONICS_APPLIANCES = "electronics_appliances"
    LIGHT_INDUSTRY = "light_industry"
    MACHINERY = "machinery"
    COMPUTING_INFRASTRUCTURE = "computing_infrastructure"
    STEEL = "steel"
    NON_FERROUS_METALS = "non_ferrous_metals"
    PETROCHEMICALS_CHEMICALS = "petrochemicals_chemicals"
    BUILDING_MATERIALS = "building_materials"
    TEXTILES = "textiles"
    OTHER = "other"


@dataclass(frozen=True)
class SectorInfo:
    """Description and code prefixes of one sector."""

    sector: Sector
    title: str
    programme_phase: str
    naics_prefixes: tuple[str, ...]
    sic_prefixes: tuple[str, ...]


SECTORS: dict[Sector, SectorInfo] = {
    info.sector: info
    for info in (
        SectorInfo(
            Sector.AUTOMOTIVE,
            "Automotive (vehicles, bodies, trailers, parts)",
            "2026",
            ("3361", "3362", "3363"),
            ("371", "3465", "3592", "3694"),
        ),
        SectorInfo(
            Sector.LITHIUM_BATTERIES,
            "Lithium and other batteries",
            "2026",
            ("33591",),
            ("3691", "3692"),
        ),
        SectorInfo(
            Sector.PHOTOVOLTAICS,
            "Photovoltaics (cells, modules); shares codes with semiconductors",
            "2026",
            ("334413",),
            ("3674",),
        ),
        SectorInfo(
            Sector.ELECTRONICS_APPLIANCES,
            "Electronics, electrical equipment and home appliances",
            "2026",
            ("334", "335"),
            ("36", "357", "381", "382", "386", "3357", "3845"),
        ),
        SectorInfo(
            Sector.LIGHT_INDUSTRY,
            "Light industry (food, beverages, wood, paper, printing, plastics, furniture, misc.)",
            "2026",
            ("311", "312", "316", "321", "322", "323", "326", "337", "339"),
            ("20", "21", "24", "25", "26", "27", "30", "31", "383", "384", "385", "387", "39"),
        ),
        SectorInfo(
            Sector.MACHINERY,
            "Machinery, fabricated metal and other transport equipment",
            "2026",
            ("332", "333", "336"),
            ("34", "35", "37", "3398", "3827"),
        ),
        SectorInfo(
            Sector.COMPUTING_INFRASTRUCTURE,
            "Computing infrastructure (data centres, hosting)",
            "2026",
            ("518",),
            ("7374",),
        ),
        SectorInfo(
            Sector.STEEL,
            "Iron and steel (mills, steel products, ferrous foundries)",
            "2030",
            ("3311", "3312", "33151"),
            ("331", "332"),
        ),
        SectorInfo(
            Sector.NON_FERROUS_METALS,
            "Non-ferrous metals (aluminium, copper, other; non-ferrous foundries)",
            "2030",
            ("3313", "3314", "33152"),
            ("333", "334", "335", "336", "339"),
        ),
        SectorInfo(
            Sector.PETROCHEMICALS_CHEMICALS,
            "Petrochemicals and chemicals (refining, coal products, chemicals)",
            "2030",
            ("324", "325"),
            ("28", "29", "3087"),
        ),
        SectorInfo(
            Sector.BUILDING_MATERIALS,
            "Building materials (cement, glass, ceramics, other non-metallic minerals)",
            "2030",
            ("327",),
            ("32",),
        ),
        SectorInfo(
            Sector.TEXTILES,
            "Textiles and apparel",
            "2030",
            ("313", "314", "315"),
            ("22", "23"),
        ),
        SectorInfo(
            Sector.OTHER,
            "Any other activity (incl. publishing, which SIC files under manufacturing)",
            "-",
            (),
            ("271", "272", "273", "274", "277"),
        ),
    )
}


def _prefix_index(kind: str) -> dict[str, Sector]:
    index: dict[str, Sector] = {}
    for info in SECTORS.values():
        prefixes = info.naics_prefixes if kind == "naics" else info.sic_prefixes
        for prefix in prefixes:
            if info.sector == Sector.PHOTOVOLTAICS:
                continue  # resolved from the product text, see module docstring
            if prefix in index:
                raise AssertionError(f"{kind} prefix {prefix} listed for two sectors")
            index[prefix] = info.sector
    return index


_NAICS_INDEX = _prefix_index("naics")
_SIC_INDEX = _prefix_index("sic")
_PV_WORDS = re.compile(r"\b(solar|photovoltaic|pv)\b", re.IGNORECASE)


def _clean_code(code: str | int | float, field: str, digits: tuple[int, int]) -> str:
    text = str(code).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit() or not digits[0] <= len(text) <= digits[1]:
        raise UnknownSectorError(field, code, f"a numeric code of {digits[0]}-{digits[1]} digits")
    return text


def _resolve(code: str, index: dict[str, Sector]) -> Sector:
    for length in range(len(code), 1, -1):
        sector = index.get(code[:length])
        if sector is not None:
            return sector
    return Sector.OTHER


def _pv_override(
    sector: Sector, code: str, pv_prefixes: tuple[str, ...], products: str | None
) -> Sector:
    if products and any(code.startswith(p) for p in pv_prefixes) and _PV_WORDS.search(products):
        return Sector.PHOTOVOLTAICS
    return sector


def sector_from_naics(naics: str | int | float, products: str | None = None) -> Sector:
    """Resolve a NAICS code (2 to 6 digits) to a programme sector.

    Examples
    --------
    >>> sector_from_naics("336390")
    <Sector.AUTOMOTIVE: 'automotive'>
    >>> sector_from_naics(334413, products="Solar cells").value
    'photovoltaics'
    """
    code = _clean_code(naics, "naics_code", (2, 6))
    sector = _resolve(code, _NAICS_INDEX)
    return _pv_override(sector, code, SECTORS[Sector.PHOTOVOLTAICS].naics_prefixes, products)


def sector_from_sic(sic: str | int | float, products: str | None = None) -> Sector:
    """Resolve a SIC 1987 code (up to 4 digits; leading zeros may be lost) to a sector."""
    code = _clean_code(sic, "sic_code", (2, 4)).zfill(4)
    sector = _resolve(code, _SIC_INDEX)
    return _pv_override(sector, code, SECTORS[Sector.PHOTOVOLTAICS].sic_prefixes, products)


def parse_sector(value: str, field: str = "sector") -> Sector:
    """Return the :class:`Sector` named by ``value`` (its identifier, case-insensitive)."""
    key = value.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return Sector(key)
    except ValueError:
        raise UnknownSectorError(field, value, [s.value for s in Sector]) from None


def naics_prefixes(sector: Sector) -> tuple[str, ...]:
    """NAICS prefixes of a sector (the sector -> NAICS direction of the mapping)."""
    return SECTORS[sector].naics_prefixes
