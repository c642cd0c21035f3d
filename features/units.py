"""Energy carriers, their canonical units and conversions from the usual alternatives.

Canonical units (what profiles, tables and models store):

- electricity: kWh (site, delivered).
- combustible fuels: GJ on the **lower heating value** (net calorific value, NCV) basis, the
  basis of IPCC 2006 and of China's accounting guidelines. US data (IAC, EPA) report MMBtu on
  the higher heating value (gross, HHV) basis; ``MMBtu`` and ``therm`` given for a fuel are
  read as HHV and converted with the fuel's LHV/HHV ratio.
- purchased steam/heat: GJ of delivered heat (no heating-value basis applies).

Sources of the constants are named next to them.
"""

from __future__ import annotations

import csv
import functools
import math
import re
import unicodedata
from enum import StrEnum
from importlib import resources

import numpy as np

from features.errors import InvalidValueError, UnitError

#: The Chinese 万 (10^4) prefix of statistical units (万kWh, 万tce, 万元).
WAN_PREFIX = "万"


class Carrier(StrEnum):
    """Energy carriers a factory buys or generates."""

    ELECTRICITY = "electricity"
    NATURAL_GAS = "natural_gas"
    COAL = "coal"
    DIESEL = "diesel"
    FUEL_OIL = "fuel_oil"
    LPG = "lpg"
    PURCHASED_HEAT = "purchased_heat"
    BIOMASS = "biomass"
    OTHER_FUEL = "other_fuel"


#: Carriers burned on site (scope 1).
COMBUSTION_CARRIERS: tuple[Carrier, ...] = (
    Carrier.NATURAL_GAS,
    Carrier.COAL,
    Carrier.DIESEL,
    Carrier.FUEL_OIL,
    Carrier.LPG,
    Carrier.BIOMASS,
    Carrier.OTHER_FUEL,
)
FOSSIL_FUELS: tuple[Carrier, ...] = tuple(c for c in COMBUSTION_CARRIERS if c != Carrier.BIOMASS)

#: Canonical unit of each carrier.
CANONICAL_UNIT: dict[Carrier, str] = {
    Carrier.ELECTRICITY: "kWh",
    **{c: "GJ" for c in COMBUSTION_CARRIERS},
    Carrier.PURCHASED_HEAT: "GJ",
}

#: Name of the profile column holding the carrier's annual use in its canonical unit.
PROFILE_FIELD: dict[Carrier, str] = {c: f"{c.value}_{CANONICAL_UNIT[c].lower()}" for c in Carrier}

# --- physical constants ---------------------------------------------------------------------
#: 1 MMBtu = 1.055056 GJ (international table Btu).
GJ_PER_MMBTU = 1.055056
#: 1 kWh = 3.6 MJ.
GJ_PER_KWH = 0.0036
#: 1 tonne of standard coal equivalent (tce) = 29.3076 GJ (China, GB/T 2589-2020 definition).
GJ_PER_TCE = 29.3076
#: 1 therm = 0.1 MMBtu.
MMBTU_PER_THERM = 0.1
#: GJ per canonical unit of each carrier, in ``Carrier`` order (kWh for electricity, GJ otherwise):
#: multiply an array of canonical quantities by it to get GJ.
GJ_PER_CANONICAL: np.ndarray = np.array(
    [GJ_PER_KWH if c == Carrier.ELECTRICITY else 1.0 for c in Carrier]
)


# --- money ------------------------------------------------------------------------------------
def _exchange_rates() -> tuple[dict[str, float], dict[str, str]]:
    """US dollars per unit of each currency and the period and source of each rate, from
    ``features/data/exchange_rates.csv`` (annual averages; see the file for sources)."""
    text = resources.files("features").joinpath("data/exchange_rates.csv").read_text("utf-8")
    rates, sources = {"USD": 1.0}, {"USD": ""}
    for row in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        rates[row["currency"]] = 1.0 / float(row["units_per_usd"])
        sources[row["currency"]] = f"{row['period']}: {row['source']}"
    return rates, sources


#: US dollars per unit of currency (dated annual averages with their source).
USD_PER, RATE_SOURCE = _exchange_rates()
CURRENCIES: tuple[str, ...] = tuple(sorted(USD_PER))
#: Money units a profile may give amounts in: unit -> (currency, multiplier). Chinese statistics
#: and bills count in 元, 万元 (10^4) and 亿元 (10^8); any currency code may carry 万.
MONEY_UNITS: dict[str, tuple[str, float]] = {
    "元": ("CNY", 1.0), "万元": ("CNY", 1e4), "亿元": ("CNY", 1e8),
    **{code: (code, 1.0) for code in CURRENCIES},
    **{WAN_PREFIX + code: (code, 1e4) for code in CURRENCIES},
}  # fmt: skip
_MONEY = re.compile(r"^\s*([-+0-9.eE,]+)\s*(\S+)\s*$")
#: Money words too vague to read: 万 or 亿 of which currency.
AMBIGUOUS_MONEY_UNITS = ("万", "亿")

# --- numbers as people type them --------------------------------------------------------------
#: Digits in groups of three split by a comma or a space ("32,000,000", "32 000 000"), as bills
#: and statistical tables print them; anything else keeps its commas (and is refused).
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:([, ])\d{3})(?:\1\d{3})*(?:\.\d+)?$")


def number_text(text: str) -> str:
    """Typed number text as Python reads it: full-width digits, signs, commas, points and
    percent signs folded to ASCII (Unicode NFKC), thin and no-break spaces to spaces, and
    thousands separators ("32,000,000", "32，000，000", "32 000 000") removed.

    Examples
    --------
    >>> number_text("３２，０００，０００")
    '32000000'
    >>> number_text(" 1,200.5 ")
    '1200.5'
    """
    folded = unicodedata.normalize("NFKC", text).replace("\u3000", " ").strip()
    folded = re.sub(r"[\u2009\u202f\u00a0]", " ", folded)
    if _GROUPED.match(folded):
        return folded.replace(",", "").replace(" ", "")
    return folded


def parse_number(field: str, value: object) -> float:
    """A number, or number text as typed (see :func:`number_text`), as a float.

    Raises
    ------
    InvalidValueError
        Naming ``field`` when the value is not a finite number.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(number_text(value)) if isinstance(value, str) else math.nan
        except ValueError:
            number = math.nan
    if not math.isfinite(number):
        raise InvalidValueError(field, value, 'a number such as 32000000, "32,000,000" or "3.2e7"')
    return number


def parse_share(field: str, value: object) -> float:
    """A share typed as a fraction ("0.5") or a percentage ("50%", "50％") as a fraction 0-1.

    Raises
    ------
    InvalidValueError
        Naming ``field`` when the value is neither, or outside 0-1 (0-100%).

    Examples
    --------
    >>> parse_share("target_reduction", "50％")
    0.5
    """
    share = math.nan
    if isinstance(value, str) and number_text(value).endswith("%"):
        try:
            share = float(number_text(number_text(value)[:-1])) / 100
        except ValueError:
            share = math.nan
    elif isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            share = parse_number(field, value)
        except InvalidValueError:
            share = math.nan
    if not (math.isfinite(share) and 0.0 <= share <= 1.0):
        raise InvalidValueError(
            field,
            value,
            'a share from 0 to 1 such as 0.5, or a percentage from 0% to 100% such as "50%"',
        )
    return share


def parse_money(field: str, value: object) -> tuple[float, str | None]:
    """An amount given as a number, "1200 万元", "3.5e6 USD" or {"value": 1200, "unit": "万元"}:
    (amount in whole currency units, the currency named or None for a bare number)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value), None
        except OverflowError:  # an int past the float range: refused below as not a number
            pass
    number: object = None
    unit: object = None
    if isinstance(value, dict):
        number, unit = value.get("value"), value.get("unit")
    elif isinstance(value, str):
        typed = number_text(value)
        try:  # a bare number written as text (a form field, a table cell)
            amount = float(typed.replace(",", ""))
        except ValueError:
            amount = math.nan
        if math.isfinite(amount):
            return amount, None
        match = _MONEY.match(typed)
        if match is not None:
            number, unit = number_text(match.group(1)).replace(",", ""), match.group(2)
        else:  # "32,000 万元" (a space between groups and unit) or "32 000 万元"
            head, _, tail = typed.rpartition(" ")
            number, unit = number_text(head), tail
    if isinstance(unit, str) and unit in AMBIGUOUS_MONEY_UNITS:
        raise InvalidValueError(
            field,
            value,
            f"an amount with a currency, one of the units {list(MONEY_UNITS)} "
            f"({unit} alone does not say which currency)",
        )
    if isinstance(unit, str) and unit in MONEY_UNITS:
        try:
            amount = float(number)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            amount = math.nan
        if math.isfinite(amount):
            currency, multiplier = MONEY_UNITS[unit]
            return amount * multiplier, currency
    raise InvalidValueError(
        field, value, f"a number, or an amount with one of the units {list(MONEY_UNITS)}"
    )


#: Plausibility limits of one site's annual use, canonical unit (kWh; GJ), above which a value
#: is taken for a unit mistake. ASSUMPTION, set with a wide margin over the largest sites: a
#: 1 Mt/yr aluminium smelter at about 14 MWh/t uses 1.4e10 kWh (limit 1e11 kWh); a 10 Mt/yr
#: integrated steel works at about 20 GJ/t uses 2e8 GJ (limit 1e9 GJ per carrier).
PLAUSIBLE_MAX: dict[Carrier, float] = {
    c: 1e11 if c == Carrier.ELECTRICITY else 1e9 for c in Carrier
}

#: LHV/HHV ratios (IEA Energy Statistics Manual, 2005: net is about 5% below gross for coal and
#: oil, about 10% for natural gas; LPG from propane's 46.35/50.35 MJ/kg).
LHV_PER_HHV: dict[Carrier, float] = {
    Carrier.NATURAL_GAS: 0.90,
    Carrier.COAL: 0.95,
    Carrier.DIESEL: 0.95,
    Carrier.FUEL_OIL: 0.95,
    Carrier.LPG: 0.92,
    Carrier.BIOMASS: 0.95,
    Carrier.OTHER_FUEL: 0.95,
}

#: Default net calorific values of physical quantities, GJ (LHV) per unit. Source: China's GHG
#: accounting guidelines for industrial enterprises (NDRC 2013-2015, e.g. the guideline for
#: "other industrial sectors"), which follow GB/T 2589: raw coal 20.908 GJ/t, diesel 42.652 GJ/t,
#: fuel oil 41.816 GJ/t, LPG 50.179 GJ/t, natural gas 389.31 GJ per 10^4 Nm3.
NCV_GJ_PER_PHYSICAL_UNIT: dict[tuple[Carrier, str], float] = {
    (Carrier.COAL, "t"): 20.908,
    (Carrier.DIESEL, "t"): 42.652,
    (Carrier.FUEL_OIL, "t"): 41.816,
    (Carrier.LPG, "t"): 50.179,
    (Carrier.NATURAL_GAS, "Nm3"): 0.038931,
    # Diesel density 0.84 kg/L (EN 590 range 0.820-0.845): 42.652 GJ/t * 0.00084 t/L.
    (Carrier.DIESEL, "L"): 42.652 * 0.00084,
}

_ELECTRICITY_TO_KWH: dict[str, float] = {
    "kWh": 1.0,
    "MWh": 1_000.0,
    "GWh": 1_000_000.0,
    "MJ": 1.0 / 3.6,
    "GJ": 1.0 / GJ_PER_KWH,
    "MMBtu": GJ_PER_MMBTU / GJ_PER_KWH,
}
_HEAT_TO_GJ: dict[str, float] = {
    "GJ": 1.0,
    "MJ": 0.001,
    "TJ": 1_000.0,
    "MMBtu": GJ_PER_MMBTU,
    "MWh": 3.6,
    "kWh": GJ_PER_KWH,
}
# Energy units for fuels that are already on the LHV basis.
_FUEL_LHV_TO_GJ: dict[str, float] = {"GJ": 1.0, "MJ": 0.001, "TJ": 1_000.0, "tce": GJ_PER_TCE}
# Energy units for fuels that are on the HHV basis (US convention).
_FUEL_HHV_TO_GJ_HHV: dict[str, float] = {
    "MMBtu": GJ_PER_MMBTU,
    "therm": GJ_PER_MMBTU * MMBTU_PER_THERM,
}
_PHYSICAL_ALIASES: dict[str, tuple[str, float]] = {"kg": ("t", 0.001), "m3": ("Nm3", 1.0)}
#: Chinese statistics count in 万 (10^4): 万kWh, 万Nm3, 万t, 万tce. Any unit may carry the prefix.
WAN = WAN_PREFIX
_WAN_LISTED = ("kWh", "Nm3", "t", "tce")
#: Electricity's calorific equivalent (当量值) in GB/T 2589-2020 "General principles for
#: calculation of the comprehensive energy consumption", Appendix A: 0.1229 kgce per kWh
#: (= 3.6 MJ / 29.3076 MJ per kgce).
KGCE_PER_KWH = 0.1229
#: Electricity's equivalent value (等价值) in the same standard: the standard coal burnt to
#: supply a kWh, i.e. the national average coal consumption of thermal power supply (供电标准煤耗).
#: 305.5 gce/kWh is the 2020 national average stated by the NDRC with the coal-power unit
#: upgrade plan of October 2021 (reported by Reuters, 2021-11-02: "305.5 grams per kWh in 2020",
#: target 300 g by 2025). ASSUMPTION: the latest year this project holds a sourced figure for;
#: later years run a few grams lower as the fleet improves.
KGCE_PER_KWH_SUPPLY = 0.3055


#: Chinese unit words read as the units above (the words of bills, meters and statistical
#: returns). 立方米/方 of gas are read as normal cubic metres (Nm3, 0 deg C and 101.325 kPa),
#: the basis of China's gas NCV above; 度 is the everyday word for a kWh.
UNIT_WORDS: dict[str, str] = {
    "千瓦时": "kWh", "千瓦小时": "kWh", "度": "kWh", "兆瓦时": "MWh", "吉瓦时": "GWh",
    "兆焦": "MJ", "吉焦": "GJ", "太焦": "TJ",
    "立方米": "Nm3", "方": "Nm3", "标准立方米": "Nm3", "标方": "Nm3",
    "吨": "t", "千克": "kg", "公斤": "kg", "升": "L",
    "吨标准煤": "tce", "吨标煤": "tce",
}  # fmt: skip
#: Words that name no unit of energy by themselves, and why; refused with the allowed units.
AMBIGUOUS_UNIT_WORDS: dict[str, str] = {
    "万": "万 of which unit",
    "亿": "亿 of which unit",
    "千瓦": "kW is power, not energy: 千瓦时 (kWh)?",
    "兆瓦": "MW is power, not energy: 兆瓦时 (MWh)?",
    "kW": "kW is power, not energy: kWh?",
    "MW": "MW is power, not energy: MWh?",
    "标煤": "a mass of standard coal: 吨标准煤 (tce) or 万吨标准煤 (万tce)?",
    "标准煤": "a mass of standard coal: 吨标准煤 (tce) or 万吨标准煤 (万tce)?",
    "立方": "立方米 (Nm3)?",
}
#: What is wrong with each of those words, as a :data:`features.i18n.TEXTS` key (the form says
#: it in the user's language).
AMBIGUOUS_UNIT_KIND: dict[str, str] = {
    "万": "form_unit_wan", "亿": "form_unit_wan",
    "千瓦": "form_unit_power", "兆瓦": "form_unit_power", "kW": "form_unit_power",
    "MW": "form_unit_power", "标煤": "form_unit_coal", "标准煤": "form_unit_coal",
    "立方": "form_unit_cubic",
}  # fmt: skip


def unit_words(carrier: Carrier) -> list[str]:
    """The Chinese unit words (:data:`UNIT_WORDS`, with 万) accepted for ``carrier``."""
    units = set(allowed_units(carrier))
    words = [w for w, unit in UNIT_WORDS.items() if unit in units]
    return words + [WAN + w for w, unit in UNIT_WORDS.items() if WAN + unit in units]


def unit_of_word(carrier: Carrier, unit: str, field: str = "unit") -> str:
    """The unit a typed unit means: a Chinese word (:data:`UNIT_WORDS`, also after 万) as its
    unit, full-width letters and digits folded ("ｋＷｈ"), anything else unchanged.

    Raises
    ------
    UnitError
        For a word that names no unit by itself (:data:`AMBIGUOUS_UNIT_WORDS`), with the units
        and words allowed for ``carrier``.
    """
    typed = unicodedata.normalize("NFKC", unit).strip()
    if typed in AMBIGUOUS_UNIT_WORDS:
        raise UnitError(
            field,
            unit,
            [*allowed_units(carrier), *unit_words(carrier), f"({AMBIGUOUS_UNIT_WORDS[typed]})"],
        )
    if typed in UNIT_WORDS:
        return UNIT_WORDS[typed]
    if typed.startswith(WAN) and typed[1:] in UNIT_WORDS:
        return WAN + UNIT_WORDS[typed[1:]]
    return _as_spelled(carrier, typed)


def _as_spelled(carrier: Carrier, typed: str) -> str:
    """An allowed unit typed in another case ("KWH", "mmbtu") or in the plural ("therms") as
    the unit, where exactly one allowed unit reads so; anything else unchanged."""
    units = allowed_units(carrier)
    if typed in units:
        return typed
    key = typed.lower()
    if key == "therms":
        key = "therm"
    matches = [u for u in units if u.lower() == key]
    return matches[0] if len(matches) == 1 else typed


def allowed_units(carrier: Carrier) -> list[str]:
    """Units accepted for ``carrier`` by :func:`to_canonical`."""
    if carrier == Carrier.ELECTRICITY:
        units = list(_ELECTRICITY_TO_KWH)
    elif carrier == Carrier.PURCHASED_HEAT:
        units = list(_HEAT_TO_GJ)
    else:
        physical = [unit for (c, unit) in NCV_GJ_PER_PHYSICAL_UNIT if c == carrier]
        aliases = [a for a, (target, _) in _PHYSICAL_ALIASES.items() if target in physical]
        units = [*_FUEL_LHV_TO_GJ, *_FUEL_HHV_TO_GJ_HHV, *physical, *aliases]
    return units + [WAN + u for u in units if u in _WAN_LISTED]


def to_canonical(carrier: Carrier, value: float, unit: str, field: str = "unit") -> float:
    """Convert an annual quantity of ``carrier`` in ``unit`` to the carrier's canonical unit.

    Parameters
    ----------
    carrier
        The energy carrier.
    value
        Quantity in ``unit``.
    unit
        One of :func:`allowed_units` for the carrier, or a Chinese word for one
        (:func:`unit_words`). ``MMBtu``/``therm`` of a fuel are HHV.
    field
        Field name used in the error message.

    Returns
    -------
    float
        kWh for electricity, GJ (LHV) for fuels, GJ for purchased heat.

    Raises
    ------
    UnitError
        If the unit does not exist for the carrier (e.g. ``Nm3`` of electricity).

    Examples
    --------
    >>> round(to_canonical(Carrier.NATURAL_GAS, 1.0, "MMBtu"), 4)
    0.9496
    >>> to_canonical(Carrier.ELECTRICITY, 2.0, "MWh")
    2000.0
    >>> to_canonical(Carrier.ELECTRICITY, 1.5, "万kWh")
    15000.0
    >>> to_canonical(Carrier.ELECTRICITY, 1.5, "万千瓦时")
    15000.0
    """
    typed, unit = unit, unit_of_word(carrier, unit, field)
    if unit.startswith(WAN) and len(unit) > 1:
        try:
            return to_canonical(carrier, value * 10_000, unit[1:], field)
        except UnitError:
            raise UnitError(field, typed, allowed_units(carrier) + unit_words(carrier)) from None
    if carrier == Carrier.ELECTRICITY:
        if unit in _ELECTRICITY_TO_KWH:
            return value * _ELECTRICITY_TO_KWH[unit]
    elif carrier == Carrier.PURCHASED_HEAT:
        if unit in _HEAT_TO_GJ:
            return value * _HEAT_TO_GJ[unit]
    else:
        if unit in _FUEL_LHV_TO_GJ:
            return value * _FUEL_LHV_TO_GJ[unit]
        if unit in _FUEL_HHV_TO_GJ_HHV:
            return value * _FUEL_HHV_TO_GJ_HHV[unit] * LHV_PER_HHV[carrier]
        physical_unit, scale = _PHYSICAL_ALIASES.get(unit, (unit, 1.0))
        ncv = NCV_GJ_PER_PHYSICAL_UNIT.get((carrier, physical_unit))
        if ncv is not None:
            return value * scale * ncv
    raise UnitError(field, typed, allowed_units(carrier) + unit_words(carrier))


@functools.cache
def canonical_per_unit(carrier: Carrier, unit: str) -> float:
    """The canonical units in one ``unit`` of ``carrier`` (:func:`to_canonical` of 1), kept
    once computed: answers put amounts back into the plant's units many times per factory."""
    return to_canonical(carrier, 1.0, unit)


def from_canonical(carrier: Carrier, value: float, unit: str) -> float:
    """A quantity of ``carrier`` in its canonical unit, in ``unit`` (as the plant typed it, or
    another of :func:`allowed_units`): the inverse of :func:`to_canonical`."""
    return value / canonical_per_unit(carrier, unit)


def fuel_gj_lhv_to_basis(carrier: Carrier, gj_lhv: float, basis: str) -> float:
    """Express a canonical fuel quantity (GJ, LHV) in GJ on ``basis`` (``"LHV"`` or ``"HHV"``)."""
    if basis == "LHV":
        return gj_lhv
    if basis == "HHV":
        return gj_lhv / LHV_PER_HHV[carrier]
    raise InvalidValueError("heating_value_basis", basis, ["LHV", "HHV"])
