"""Per-sector size and energy statistics of real plants (US IAC assessments), the yardstick a
profile's size and energy are held against (:mod:`features.domain`) and what the generators
draw from (:mod:`features.sources.synthetic`, :mod:`features.sources.world2`). Data only: no
reader or generator is imported with it."""

from __future__ import annotations

from dataclasses import dataclass

from features.sectors import Sector


@dataclass(frozen=True)
class SectorStats:
    """Per-sector size and energy statistics of IAC plants (medians of logs unless stated)."""

    iac_share: float  # share of IAC plants
    kwh_per_employee: float
    kwh_log_sd: float
    gas_rate: float  # share of plants using natural gas
    gas_mmbtu_per_mwh: float  # gas use per MWh of electricity, among gas users
    gas_log_sd: float
    coal_rate: float
    oil_rate: float
    lpg_rate: float
    hours: float  # median annual production hours
    sales_usd_per_employee: float
    ft2_per_employee: float


# Derived from ../shared/data/iac-assess-itac2026 (19,759 plants, FY1981-2021), sector from NAICS
# or SIC; script in docs/synthetic-data.md. Computing infrastructure has no IAC plants: its values
# are assumptions (data centres: ~2 GWh per employee, no gas, 8,760 h). Photovoltaics has 7 IAC
# plants; its values are used as they are.
SECTOR_STATS: dict[Sector, SectorStats] = {
    Sector.AUTOMOTIVE: SectorStats(
        0.0389, 22684, 0.95, 0.90, 2.69, 1.31, 0.001, 0.010, 0.044, 5760, 190693, 700
    ),
    Sector.BUILDING_MATERIALS: SectorStats(
        0.0366, 41109, 1.30, 0.82, 10.81, 1.70, 0.031, 0.086, 0.053, 6000, 160000, 1271
    ),
    Sector.ELECTRONICS_APPLIANCES: SectorStats(
        0.0676, 15878, 0.89, 0.79, 1.76, 1.35, 0.001, 0.044, 0.045, 4550, 142075, 550
    ),
    Sector.LIGHT_INDUSTRY: SectorStats(
        0.4087, 30104, 1.06, 0.80, 3.64, 1.59, 0.004, 0.067, 0.053, 6000, 173372, 890
    ),
    Sector.LITHIUM_BATTERIES: SectorStats(
        0.0027, 61127, 0.79, 0.91, 2.73, 0.94, 0.000, 0.056, 0.037, 6036, 140000, 812
    ),
    Sector.MACHINERY: SectorStats(
        0.2441, 18493, 0.85, 0.87, 3.67, 1.34, 0.002, 0.048, 0.045, 4680, 150000, 818
    ),
    Sector.NON_FERROUS_METALS: SectorStats(
        0.0293, 44503, 0.96, 0.93, 6.51, 1.29, 0.002, 0.040, 0.066, 6120, 166667, 911
    ),
    Sector.OTHER: SectorStats(
        0.0353, 56251, 1.73, 0.64, 1.78, 1.60, 0.001, 0.071, 0.042, 8736, 133333, 1727
    ),
    Sector.PETROCHEMICALS_CHEMICALS: SectorStats(
        0.0647, 47964, 1.28, 0.84, 6.15, 1.55, 0.003, 0.077, 0.035, 6240, 325983, 1262
    ),
    Sector.PHOTOVOLTAICS: SectorStats(
        0.0004, 74060, 0.41, 1.00, 0.31, 1.09, 0.000, 0.000, 0.000, 8688, 243902, 491
    ),
    Sector.STEEL: SectorStats(
        0.0265, 55502, 0.99, 0.92, 3.94, 1.23, 0.017, 0.044, 0.046, 5848, 157143, 1098
    ),
    Sector.TEXTILES: SectorStats(
        0.0452, 20917, 1.25, 0.80, 4.89, 1.62, 0.022, 0.181, 0.084, 6000, 102941, 800
    ),
    Sector.COMPUTING_INFRASTRUCTURE: SectorStats(
        0.0, 2_000_000, 0.80, 0.05, 0.10, 1.00, 0.0, 0.30, 0.0, 8760, 1_500_000, 3000
    ),
}
