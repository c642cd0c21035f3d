"""Plausible ranges of the numbers a factory profile, a reported outcome or a request carries.

A number outside its range is a unit mistake (or a probe), never a real factory: it is refused
with the field, the value and the range, before any arithmetic can overflow to infinity, come
back as ``null`` in an answer or fail as a 500. Every bound sits far above the largest real site
it is compared with, so that no real factory is refused; the reason is written next to each.

Integers are compared as integers: a 400-digit ``employees`` is refused like any other value
out of range (converting it to a float first would raise ``OverflowError``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from features.errors import InvalidValueError
from features.units import (
    NCV_GJ_PER_PHYSICAL_UNIT,
    PLAUSIBLE_MAX,
    PROFILE_FIELD,
    USD_PER,
    Carrier,
)


@dataclass(frozen=True)
class Bound:
    """The closed range ``low``-``high`` of one field, in ``unit``."""

    low: float
    high: float
    unit: str = ""
    why: str = "plausibility limit for one site; a larger value is a unit mistake"

    def allowed(self) -> str:
        """The range as it is shown in an error."""
        unit = f" {self.unit}" if self.unit else ""
        return f"a finite number >= {self.low:g} and <= {self.high:.6g}{unit} ({self.why})"

    def check(self, field: str, value: object) -> None:
        """Raise :class:`InvalidValueError` naming ``field`` unless ``value`` is a number
        (an int of any length or a finite float) within the range; ``None`` passes (not given).
        Values of other types are left to the schema's own type check."""
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidValueError(field, value, self.allowed())
        if not self.low <= value <= self.high:
            raise InvalidValueError(field, value, self.allowed())


# --- the bounds and why ---------------------------------------------------------------------
#: Years energy data can refer to: the oldest audits (IAC, 1981) to the programme's horizon.
YEAR = Bound(1980, 2100, "", "years the data and factors cover")
#: The largest single sites (Foxconn's campuses in Zhengzhou and Shenzhen) employ a few hundred
#: thousand people.
EMPLOYEES = Bound(0, 1_000_000, "persons")
#: 100 km2: the largest factory buildings cover about 1e6 m2 (Tesla Giga Texas, Boeing Everett
#: 4e5 m2), whole industrial parks about 1e7 m2.
AREA_M2 = Bound(0, 1e8, "m2")
#: A year has at most 8784 hours (leap year).
HOURS_PER_YEAR = Bound(0, 8784, "h/yr", "hours in a leap year")
#: Electricity in kWh/yr besides the grid's (own generation, contracts, certificates, IT load,
#: a wind or water resource): the same one-site limit as grid electricity (features.units).
KWH_PER_YEAR = Bound(0, PLAUSIBLE_MAX[Carrier.ELECTRICITY], "kWh/yr")
#: 1e10 Nm3 is about 0.9 Mt of hydrogen a year, a tenth of China's whole by-product hydrogen;
#: the largest coke-oven or chlor-alkali sites make well under 1e9 Nm3.
HYDROGEN_NM3 = Bound(0, 1e10, "Nm3/yr")
#: The largest single emitters (coal power stations, integrated steelworks) emit 3-4e7 tCO2/yr;
#: the largest storage projects inject under 1e7 t/yr.
TCO2_PER_YEAR = Bound(0, 1e9, "t/yr")
#: Carbon credits retired for one site's year: at most what such a site could emit.
TCO2E_PER_YEAR = Bound(0, 1e9, "tCO2e/yr")
#: China's whole crude steel output is about 1e9 t/yr; the largest works make about 2e7 t/yr,
#: the largest cement plants about 1e7 t/yr.
OUTPUT_T_PER_YEAR = Bound(0, 1e9, "t/yr")
#: A route's reductant or feedstock energy: the one-site limit of a fuel (features.units).
REDUCTANT_GJ = Bound(0, PLAUSIBLE_MAX[Carrier.COAL], "GJ/yr")
#: Data-centre power usage effectiveness: 1.0 is the physical floor, 4 beyond the worst rooms.
PUE = Bound(1.0, 4.0, "", "power usage effectiveness of real data centres")
#: Steam/hot-water delivery temperature the heat-pump model covers.
HEAT_SINK_C = Bound(20.0, 400.0, "deg C", "what the heat-pump model covers")

#: Money a year, in US dollars: above the yearly revenue of the largest company in the world
#: (about 6.5e11 USD in 2023); a single site's revenue, bills or capex are far below it.
MONEY_MAX_USD = 1e12
#: Electricity tariffs, USD per kWh: industrial tariffs stayed below 1 USD/kWh even at the
#: European peaks of 2022.
ELECTRICITY_PRICE_MAX_USD = 10.0
#: Fuel and heat prices, USD per GJ: European gas peaked near 100 USD/GJ in August 2022;
#: hydrogen at 10 USD/kg is about 80 USD/GJ.
FUEL_PRICE_MAX_USD = 1000.0


def in_currency(usd: float, currency: str | None, unit: str) -> Bound:
    """A money bound of ``usd`` US dollars restated in ``currency`` at the exchange-rate
    table's rate. ``currency`` None (not known yet, as in a request's options): the bound of
    the currency with the most units per dollar, so that no currency's real amount is refused.
    ``unit`` may name ``{currency}``."""
    if currency is None:
        weakest = min(USD_PER, key=lambda c: USD_PER[c])
        return Bound(0, float(f"{usd / USD_PER[weakest]:.3g}"), "in any currency")
    per_usd = 1.0 / USD_PER.get(currency, 1.0)  # an unknown currency is refused elsewhere
    return Bound(0, float(f"{usd * per_usd:.3g}"), unit.format(currency=currency))


def money(currency: str | None) -> Bound:
    """Money a year (revenue, bills, capex, a budget) in ``currency``."""
    return in_currency(MONEY_MAX_USD, currency, "{currency}/yr")


def electricity_price(currency: str | None) -> Bound:
    """An electricity tariff in ``currency`` per kWh."""
    return in_currency(ELECTRICITY_PRICE_MAX_USD, currency, "{currency}/kWh")


def fuel_price(currency: str | None) -> Bound:
    """A fuel or heat price in ``currency`` per GJ."""
    return in_currency(FUEL_PRICE_MAX_USD, currency, "{currency}/GJ")


def energy(carrier: Carrier) -> Bound:
    """A carrier's annual use in its canonical unit (the one-site limit of features.units)."""
    unit = "kWh/yr" if carrier == Carrier.ELECTRICITY else "GJ/yr"
    return Bound(0, PLAUSIBLE_MAX[carrier], unit)


def check_annual_savings(field: str, carrier: Carrier, given: float, annual: float) -> None:
    """Measured savings of ``carrier`` (negative: more used), annualised to ``annual`` in the
    canonical unit: at most one site's plausible use either way. ``given`` is the value as it
    was reported, named in the error with ``field``."""
    limit = energy(carrier)
    if not (math.isfinite(annual) and abs(annual) <= limit.high):
        raise InvalidValueError(
            field,
            given,
            f"at most {limit.high:.0e} {limit.unit} either way once converted and "
            f"annualised ({limit.why})",
        )


# --- a value typed in kWh that was meant in 万kWh ---------------------------------------------
#: Log standard deviations either side of a sector's median use per employee that still count as
#: plausible for one plant. ASSUMPTION: 3, 99.7% of a log-normal; the medians and spreads are
#: those of US IAC plants (features.sources.synthetic.SECTOR_STATS), wider than any one country.
PLAUSIBLE_LOG_SDS = 3.0
#: The 万 (10^4) a Chinese statistical unit carries (features.units.WAN_PREFIX).
WAN_FACTOR = 10_000.0


@dataclass(frozen=True)
class WanSlip:
    """A carrier's annual use that is too small for the plant's size by about 10^4: as typed
    (``value``, ``unit``) it is below ``low``-``high`` (same unit), read as 万 it is inside."""

    field: str
    value: float
    unit: str
    low: float
    high: float


def per_employee_range(median: float, log_sd: float) -> tuple[float, float]:
    """Plausible annual use per employee of one carrier: the sector's median use per employee
    times or divided by exp(:data:`PLAUSIBLE_LOG_SDS` log standard deviations)."""
    spread = math.exp(PLAUSIBLE_LOG_SDS * log_sd)
    return median / spread, median * spread


#: The carriers a 万 slip is looked for in, with the unit people type them in and that unit's
#: amount in the canonical unit (gas in Nm3 at China's NCV, features.units).
WAN_CARRIERS: dict[Carrier, tuple[str, float]] = {
    Carrier.ELECTRICITY: ("kWh", 1.0),
    Carrier.NATURAL_GAS: ("Nm3", NCV_GJ_PER_PHYSICAL_UNIT[(Carrier.NATURAL_GAS, "Nm3")]),
}


def wan_slips(
    country: str,
    employees: int | None,
    use: Mapping[Carrier, float],
    per_employee: Mapping[Carrier, tuple[float, float]],
) -> list[WanSlip]:
    """Electricity and natural gas of a Chinese plant that look typed in kWh (Nm3) where
    万kWh (万Nm3) was meant: below the plausible range for ``employees`` and inside it once
    multiplied by 10^4.

    Parameters
    ----------
    country
        ISO code; only Chinese plants ("CN") count in 万.
    employees
        The plant's employees (no check without them).
    use
        Annual use per carrier, canonical unit (kWh; GJ).
    per_employee
        The sector's median annual use per employee (canonical unit) and its log standard
        deviation, per carrier.
    """
    if country != "CN" or not employees:
        return []
    out = []
    for carrier, (unit, per_unit) in WAN_CARRIERS.items():
        value = use.get(carrier, 0.0)
        if carrier not in per_employee or value <= 0:
            continue
        low, high = (employees * v for v in per_employee_range(*per_employee[carrier]))
        if value < low <= value * WAN_FACTOR <= high:
            out.append(
                WanSlip(
                    PROFILE_FIELD[carrier], value / per_unit, unit, low / per_unit, high / per_unit
                )
            )
    return out
