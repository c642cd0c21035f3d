"""The factory profile: what the tool knows about one factory, with explicit units.

One pydantic model serves the HTTP edge and, through :func:`profiles_to_frame` and
:func:`profiles_from_frame`, the DataFrame columns models train on. Energy is stored in canonical
units (see :mod:`features.units`); quantities in other units are given through ``energy_use``
entries and converted on validation.

Every invalid value raises :class:`~features.errors.InvalidValueError` (or a subclass) naming the
field, the value and what is allowed.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Self

import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from features import bounds
from features.bounds import Bound
from features.catalogue.measures import Catalogue, measure_ids
from features.enduses.taxonomy import EndUse
from features.errors import InvalidValueError
from features.process_routes.definitions import ProductionLine, route_table
from features.process_routes.inference import InferredRoute, infer_route
from features.regions import (
    CHINA_PROVINCES,
    US_STATES,
    Country,
    grid_region,
    normalise_region,
    parse_country,
)
from features.sectors import Sector, parse_sector, sector_from_naics
from features.units import (
    CANONICAL_UNIT,
    CURRENCIES,
    PLAUSIBLE_MAX,
    PROFILE_FIELD,
    Carrier,
    allowed_units,
    number_text,
    parse_money,
    parse_number,
    parse_share,
    to_canonical,
    unit_of_word,
)

#: Fields holding money in ``revenue_currency``; each also takes "1200 万元"-style amounts.
MONEY_FIELDS = ("annual_revenue", "electricity_cost_per_year", "fuel_cost_per_year",
                "electricity_price")  # fmt: skip
#: A currency code of features/data/exchange_rates.csv, listed in the API schema (each field
#: using it refuses another code, naming the field and the codes allowed).
_CURRENCY_SCHEMA = {"type": "string", "enum": list(CURRENCIES)}
CurrencyCode = Annotated[str, WithJsonSchema(_CURRENCY_SCHEMA)]
#: End-use shares of a carrier may add up to 1 + this (rounded inputs); they are rescaled to 1.
SHARE_ROUNDING = 1e-3


@functools.cache
def field_bounds(currency: str | None) -> dict[str, Bound]:
    """The plausible range of every plain number field of the profile (features.bounds says
    why each is what it is); money in ``currency``, or in any currency when it is None."""
    money = bounds.money(currency)
    return {
        "reporting_year": bounds.YEAR,
        "employees": bounds.EMPLOYEES,
        "floor_area_m2": bounds.AREA_M2,
        "roof_area_available_m2": bounds.AREA_M2,
        "annual_revenue": money,
        "electricity_cost_per_year": money,
        "fuel_cost_per_year": money,
        "electricity_price": bounds.electricity_price(currency),
        "operating_hours_per_year": bounds.HOURS_PER_YEAR,
        **{name: bounds.energy(carrier) for carrier, name in PROFILE_FIELD.items()},
        "onsite_renewable_kwh": bounds.KWH_PER_YEAR,
        "green_electricity_contract_kwh": bounds.KWH_PER_YEAR,
        "green_certificates_kwh": bounds.KWH_PER_YEAR,
        "it_load_kwh": bounds.KWH_PER_YEAR,
        "onsite_wind_hydro_kwh_potential": bounds.KWH_PER_YEAR,
        "byproduct_hydrogen_nm3": bounds.HYDROGEN_NM3,
        "pue": bounds.PUE,
        "heat_sink_temperature_c": bounds.HEAT_SINK_C,
        "co2_captured_stored_t": bounds.TCO2_PER_YEAR,
        "offsets_tco2e": bounds.TCO2E_PER_YEAR,
    }


def _check_bounds(values: dict[str, Any], currency: str | None) -> None:
    """Every plain number of ``values`` (raw or validated) within its range; ``Any``: raw."""
    for name, bound in field_bounds(currency).items():
        bound.check(name, values.get(name))
    prices = values.get("fuel_prices")
    if isinstance(prices, dict):
        price = bounds.fuel_price(currency)
        for carrier, value in prices.items():
            price.check(f"fuel_prices.{getattr(carrier, 'value', carrier)}", value)


#: A quantity typed with its unit: "3,200 万千瓦时", "3.2e7kWh", "120 万方".
_QUANTITY = re.compile(r"^([+-]?[\d., ]*\d(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*([^\d\s.,+-].*)$")


def _typed_numbers(data: dict[str, Any]) -> None:
    """Number fields typed as text (a form, a table) as Python reads them, in place: thousands
    separators and full-width characters (features.units.number_text); an energy field may
    carry its unit ("3,200 万千瓦时" in electricity_kwh), converted to the field's unit."""
    energy_field = {name: carrier for carrier, name in PROFILE_FIELD.items()}
    for name in field_bounds(None):
        value = data.get(name)
        _not_bool(name, value)
        if not isinstance(value, str) or name in MONEY_FIELDS:
            continue
        typed = number_text(value)
        match = None if _is_number(typed) else _QUANTITY.match(typed)
        if name in energy_field and match is not None:
            amount = parse_number(name, match.group(1))
            data[name] = to_canonical(energy_field[name], amount, match.group(2), field=name)
        else:
            data[name] = typed
    prices = data.get("fuel_prices")
    if isinstance(prices, dict):
        for carrier, price in prices.items():
            _not_bool(f"fuel_prices.{carrier}", price)
        data["fuel_prices"] = {k: _typed_number(v) for k, v in prices.items()}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _typed_number(value: Any) -> Any:
    """A list entry's number typed as text, as Python reads it (``Any``: raw input)."""
    _not_bool("value", value)
    return number_text(value) if isinstance(value, str) else value


def _not_bool(field: str, value: object) -> None:
    """Refuse true/false where a number goes (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise InvalidValueError(field, value, "a number")


def _schema_bounds(schema: dict[str, Any]) -> None:
    """The range of every plain number field in the API schema (in any currency for money),
    so that a number the schema allows is one validation accepts (``Any``: JSON schema)."""
    properties = schema.get("properties", {})
    for name, bound in field_bounds(None).items():
        prop = properties.get(name, {})
        for branch in [prop, *prop.get("anyOf", [])]:
            if branch.get("type") in ("number", "integer"):
                branch["minimum"], branch["maximum"] = bound.low, bound.high


def region_names() -> dict[str, list[str]]:
    """The region names the API schema lists per country: China's provinces in English and
    Chinese, US states' USPS codes (features.regions also takes any case and official names)."""
    china = [n for name, (zh, _) in CHINA_PROVINCES.items() for n in (name, zh)]
    return {Country.CN.value: china, Country.US.value: list(US_STATES)}


def _schema_extra(schema: dict[str, Any]) -> None:
    """The API schema's ranges (:func:`_schema_bounds`) and what else validation checks that
    JSON Schema can state (``Any``: JSON schema): the regions of each country, production lines
    only of products of the profile's sector (:meth:`FactoryProfile.production_lines`), a
    sector or a NAICS code to derive it from, catalogue measure ids. The rules it cannot state
    are in the field descriptions (docs/api.md lists them)."""
    _schema_bounds(schema)
    regions = [{"country": {"const": c}, "region": {"enum": names}}
               for c, names in region_names().items()]  # fmt: skip
    products: dict[tuple[str, ...], list[str]] = {}
    for sector in Sector:
        made = [p for p, product in route_table().products.items() if sector in product.sectors]
        products.setdefault(tuple(made), []).append(sector.value)
    sectors = [
        {"required": ["sector"], "properties": {
            "sector": {"enum": names},
            "production": {"items": {"properties": {"product": {"enum": list(made)}}}}
            if made else {"maxItems": 0}}}
        for made, names in products.items()
    ]  # fmt: skip
    # sector omitted: derived from naics_code, then no production lines (the schema cannot
    # derive the sector to check their products).
    derived = {"sector": {"type": "null"}, "naics_code": {"type": "string"},
               "production": {"maxItems": 0}}  # fmt: skip
    sectors.append({"required": ["naics_code"], "properties": derived})
    schema["required"].remove("sector")
    properties = schema["properties"]
    sector = properties["sector"]
    sector["anyOf"] = [{"$ref": sector.pop("$ref")}, {"type": "null"}]
    schema["allOf"] = [
        {"anyOf": [{"properties": branch} for branch in regions]},
        {"anyOf": sectors},
    ]
    properties["naics_code"]["anyOf"][0]["pattern"] = "^[0-9]{2,6}$"  # features.sectors
    properties["measures_in_place"]["items"]["enum"] = sorted(Catalogue.default().measures)


def _units_schema(schema: dict[str, Any]) -> None:
    """The units each carrier takes (features.units.allowed_units), in the API schema of an
    entry with ``carrier`` and ``unit`` (``Any``: JSON schema)."""
    schema["anyOf"] = [
        {"properties": {"carrier": {"const": c.value}, "unit": {"enum": allowed_units(c)}}}
        for c in Carrier
    ]


def _end_use_schema(schema: dict[str, Any]) -> None:
    """An end-use entry as :meth:`FactoryProfile.end_use_shares` takes it: a share 0-1 or a
    quantity >= 0 in a unit of the carrier (``Any``: JSON schema)."""
    _units_schema(schema)
    units = schema.pop("anyOf")
    for branch in units:
        branch["properties"]["unit"] = {"anyOf": [branch["properties"]["unit"], {"type": "null"}]}
    schema["allOf"] = [
        {
            "anyOf": [
                {
                    "required": ["share"],
                    "properties": {
                        "share": {"type": "number", "minimum": 0, "maximum": 1},
                        "value": {"type": "null"},
                    },
                },
                {
                    "required": ["value"],
                    "properties": {
                        "value": {"type": "number", "minimum": 0},
                        "share": {"type": "null"},
                    },
                },
            ]
        },
        {"anyOf": units},
    ]


class EnergyQuantity(BaseModel):
    """An annual energy quantity in any supported unit, e.g. 1.2e6 Nm3 of natural gas."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_units_schema)

    carrier: Carrier = Field(description="Energy carrier.")
    value: float = Field(description="Annual quantity in `unit`, >= 0.")
    unit: str = Field(
        description="Unit of `value`; per carrier, see features.units.allowed_units "
        "(MMBtu and therm of a fuel are higher heating value); Chinese unit words too "
        "(千瓦时/度, 万千瓦时, 吉焦, 立方米/方 read as Nm3, 万方, 吨, 吨标准煤, ...)."
    )

    _value_text = field_validator("value", mode="before")(_typed_number)


class EndUseEntry(BaseModel):
    """How much of one carrier goes to one end use: a share, or an annual quantity."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_end_use_schema)

    carrier: Carrier = Field(description="Energy carrier.")
    end_use: EndUse = Field(description="End use (see features.enduses.taxonomy.EndUse).")
    share: float | None = Field(
        default=None, description="Share of the carrier's annual use, 0-1. Give share or value."
    )
    value: float | None = Field(
        default=None,
        description="Annual quantity in `unit` (the carrier's canonical unit if "
        "unit is omitted). Give share or value.",
    )
    unit: str | None = Field(default=None, description="Unit of `value`, as in energy_use.")

    _value_text = field_validator("value", mode="before")(_typed_number)

    @field_validator("share", mode="before")
    @classmethod
    def _share_text(cls, value: Any) -> Any:
        # Any: raw input; "50%" and "50％" are read as 0.5.
        _not_bool("share", value)
        return parse_share("end_uses.share", value) if isinstance(value, str) else value


class FactoryProfile(BaseModel):
    """One factory in one reporting year.

    Energy fields hold annual use in the unit in their name: electricity bought from the grid in
    kWh; fuels in GJ on the lower-heating-value basis; purchased steam/heat in GJ delivered.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
        json_schema_extra=_schema_extra,
    )

    factory_id: str = Field(min_length=1, max_length=128, description="Identifier of the factory.")
    country: Country = Field(description="ISO country code: CN or US.")
    region: str = Field(
        min_length=1,
        description="China: province (English or Chinese name); US: state (USPS code). The "
        "schema lists the names of each country; any case and official names (江苏省, "
        '"Jiangsu Province", 广西壮族自治区) are accepted too.',
    )
    sector: Sector = Field(
        description="Programme sector; derived from naics_code if omitted or null."
    )
    naics_code: str | None = Field(default=None, description="NAICS code, 2-6 digits.")
    reporting_year: int = Field(description="Year the energy data refer to, 1980-2100.")
    employees: int | None = Field(default=None, description="Number of employees, >= 0.")
    floor_area_m2: float | None = Field(default=None, description="Floor area, m2.")
    annual_revenue: float | None = Field(
        default=None,
        description="Annual revenue in `revenue_currency` (full units, not millions); money "
        'fields also take an amount with its unit, e.g. "1200 万元" or {"value": 3.5, "unit": '
        '"万USD"}.',
    )
    # null, as when not given: the currency is set from a money amount's unit or the country.
    revenue_currency: Annotated[
        str, WithJsonSchema({"anyOf": [_CURRENCY_SCHEMA, {"type": "null"}]})
    ] = Field(
        default="CNY",
        description="Currency of every money field (CNY, EUR, USD; features/data/"
        "exchange_rates.csv); set from the unit of a money amount when not given.",
    )
    operating_hours_per_year: float | None = Field(
        default=None, description="Operating hours per year, 0-8784."
    )
    electricity_kwh: float = Field(default=0.0, description="Grid electricity bought, kWh/yr.")
    natural_gas_gj: float = Field(default=0.0, description="Natural gas, GJ (LHV)/yr.")
    coal_gj: float = Field(default=0.0, description="Coal, GJ (LHV)/yr.")
    diesel_gj: float = Field(default=0.0, description="Diesel / gas oil, GJ (LHV)/yr.")
    fuel_oil_gj: float = Field(default=0.0, description="Residual fuel oil, GJ (LHV)/yr.")
    lpg_gj: float = Field(default=0.0, description="LPG, GJ (LHV)/yr.")
    purchased_heat_gj: float = Field(default=0.0, description="Purchased steam/heat, GJ/yr.")
    biomass_gj: float = Field(default=0.0, description="Biomass fuels, GJ (LHV)/yr.")
    other_fuel_gj: float = Field(default=0.0, description="Other fossil fuels, GJ (LHV)/yr.")
    electricity_cost_per_year: float | None = Field(
        default=None, description="Electricity bill incl. demand charges, revenue_currency/yr."
    )
    fuel_cost_per_year: float | None = Field(
        default=None, description="Fuel and purchased heat bills, revenue_currency/yr."
    )
    electricity_price: float | None = Field(
        default=None,
        description="Electricity tariff incl. demand charges and surcharges, revenue_currency "
        "per kWh; beats electricity_cost_per_year and the regional default.",
    )
    fuel_prices: dict[Carrier, float] = Field(
        default_factory=dict,
        description="Price of each fuel or heat carrier, revenue_currency per GJ (LHV; GJ of "
        "heat); beats fuel_cost_per_year and the regional defaults.",
    )
    energy_use: list[EnergyQuantity] = Field(
        default_factory=list,
        description="Energy in other units; converted and added to the canonical fields. A carrier "
        "may be given here or in its canonical field, not both.",
    )
    onsite_renewable_kwh: float = Field(
        default=0.0, description="On-site renewable electricity generated and used, kWh/yr."
    )
    green_electricity_contract_kwh: float = Field(
        default=0.0,
        description="Grid electricity bought as green power (PPA, green-power trading), kWh/yr; "
        "part of electricity_kwh.",
    )
    green_certificates_kwh: float = Field(
        default=0.0,
        description="Unbundled certificates (GEC, REC) retired for this year, kWh/yr; "
        "together with contracts at most electricity_kwh.",
    )
    roof_area_available_m2: float = Field(
        default=0.0, description="Roof area available for PV, m2."
    )
    measures_in_place: tuple[str, ...] = Field(
        default=(),
        description="Catalogue measures already implemented: ids, English or Chinese names "
        "(any case), as a list or text separated by ';'.",
    )
    end_uses: list[EndUseEntry] = Field(
        default_factory=list,
        description="Known end-use split of a carrier (share or quantity per end use). End uses "
        "not given keep the sector default shares (EIA MECS 2018), scaled to fill the rest. A "
        "quantity is at most the carrier's use; a carrier's shares add up to at most 1.",
    )
    it_load_kwh: float | None = Field(
        default=None, description="Data centres: IT equipment electricity, kWh/yr."
    )
    pue: float | None = Field(
        default=None, description="Data centres: power usage effectiveness, 1.0-4.0."
    )
    byproduct_hydrogen_nm3: float = Field(
        default=0.0, description="By-product hydrogen available on site, Nm3/yr (fuel cells)."
    )
    onsite_wind_hydro_kwh_potential: float = Field(
        default=0.0,
        description="Electricity the site's own wind or water resource could deliver, kWh/yr "
        "(from a resource study); 0 = none known, so on-site wind/hydro is not offered.",
    )
    heat_sink_temperature_c: float | None = Field(
        default=None,
        description="Temperature the steam/hot-water system delivers, deg C (heat-pump COP); "
        "120 if not given.",
    )
    production: list[ProductionLine] = Field(
        default_factory=list,
        description="What the factory makes by which route (heavy industry): product, route, "
        "t/yr and route options; sets process emissions and the energy used as reductant or "
        "feedstock (features/data/process_routes.yaml).",
    )
    co2_captured_stored_t: float = Field(
        default=0.0,
        description="CO2 captured on site and permanently stored, t/yr: reported as its own "
        "removals line and deducted for the net total.",
    )
    offsets_tco2e: float = Field(
        default=0.0,
        description="Carbon credits retired for this year (e.g. CCER), tCO2e/yr: shown as the "
        "pathway's offsets step after every reduction, never deducted from the footprint.",
    )

    # Derived once, on validation (the edge), and read by every later step: each carrier's use
    # in canonical units, the end-use shares, the route lines (validated) and the grid. A frozen
    # profile does not change, and a copy with updated fields is validated again (model_copy).
    _energy: dict[Carrier, float] = PrivateAttr(default_factory=dict)
    _shares: dict[tuple[Carrier, EndUse], float] = PrivateAttr(default_factory=dict)
    _lines: tuple[ProductionLine, ...] = PrivateAttr(default=())
    _grid: str | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, data: Any) -> Any:
        # Any: pydantic hands the raw input over untyped.
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("country"), str):
            data["country"] = parse_country(data["country"])
        country = data.get("country")
        if isinstance(country, Country) and isinstance(data.get("region"), str):
            data["region"] = normalise_region(country, data["region"])
        naics = data.get("naics_code")
        if naics is not None and not (isinstance(naics, float) and math.isnan(naics)):
            data["naics_code"] = str(naics).strip().removesuffix(".0")
            sector_from_naics(data["naics_code"])  # validates the code
        else:
            data["naics_code"] = None
        sector = data.get("sector")
        if sector is None or (isinstance(sector, float) and math.isnan(sector)):
            if data["naics_code"] is None:
                raise InvalidValueError(
                    "sector", None, [s.value for s in Sector] + ["(or give naics_code)"]
                )
            data["sector"] = sector_from_naics(data["naics_code"])
        elif isinstance(sector, str):
            data["sector"] = parse_sector(sector)
        measures = data.get("measures_in_place")
        if isinstance(measures, str) or (
            isinstance(measures, list | tuple) and all(isinstance(m, str) for m in measures)
        ):
            data["measures_in_place"] = measure_ids(measures)
        _typed_numbers(data)
        # Raw numbers against their ranges, so that an int of any length is refused before
        # anything converts it (money in any currency unless one is stated: a money
        # unit may still set it).
        stated_currency = data.get("revenue_currency")
        _check_bounds(data, stated_currency if stated_currency in CURRENCIES else None)
        currencies = {}
        for name in MONEY_FIELDS:
            if data.get(name) is not None and not _is_missing(data[name]):
                data[name], currency = parse_money(name, data[name])
                if currency is not None:
                    currencies[name] = currency
        stated = data.get("revenue_currency")
        if stated is not None and stated not in CURRENCIES:
            raise InvalidValueError("revenue_currency", stated, list(CURRENCIES))
        if stated is None and currencies:
            stated = data["revenue_currency"] = next(iter(currencies.values()))
        if stated is None and isinstance(country, Country):
            # A plant's money is in its country's currency unless it says otherwise.
            data["revenue_currency"] = "USD" if country == Country.US else "CNY"
        for name, currency in currencies.items():
            if currency != stated:
                raise InvalidValueError(
                    name,
                    currency,
                    f"an amount in {stated} (revenue_currency: one currency for every money field)",
                )
        for name, value in data.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidValueError(name, value, "a finite number")
        return data

    @model_validator(mode="after")
    def _check(self) -> FactoryProfile:
        for carrier, price in self.fuel_prices.items():
            if carrier == Carrier.ELECTRICITY:
                raise InvalidValueError(
                    "fuel_prices.electricity",
                    price,
                    "fuel or heat carriers (electricity: electricity_price)",
                )
        # Again once typed (text such as "1e12" is a number now), money in its currency.
        _check_bounds(dict(self), self.revenue_currency)
        for i, q in enumerate(self.energy_use):
            field = f"energy_use[{i}]"
            if not math.isfinite(q.value) or q.value < 0:
                raise InvalidValueError(f"{field}.value", q.value, "a finite number >= 0")
            converted = to_canonical(q.carrier, q.value, q.unit, field=f"{field}.unit")
            if not math.isfinite(converted) or converted > PLAUSIBLE_MAX[q.carrier]:
                raise InvalidValueError(
                    f"{field}.value",
                    q.value,
                    f"at most {PLAUSIBLE_MAX[q.carrier]:.0e} {CANONICAL_UNIT[q.carrier]}/yr once "
                    f"converted from {q.unit} (plausibility limit for one site)",
                )
            if getattr(self, PROFILE_FIELD[q.carrier]) != 0.0:
                raise InvalidValueError(
                    f"{field}.carrier",
                    q.carrier.value,
                    f"a carrier not also given as {PROFILE_FIELD[q.carrier]}",
                )
        self._energy = {c: self._converted_energy(c) for c in Carrier}
        known = Catalogue.default().measures
        for i, measure_id in enumerate(self.measures_in_place):
            if measure_id not in known:
                raise InvalidValueError(f"measures_in_place[{i}]", measure_id, list(known))
        self._shares = self._validated_shares()
        self._lines = self._validated_route_lines()
        self._grid = grid_region(self.country, self.region)
        market = self.green_electricity_contract_kwh + self.green_certificates_kwh
        grid_kwh = self.energy(Carrier.ELECTRICITY)
        if market > grid_kwh * (1 + 1e-9):
            raise InvalidValueError(
                "green_electricity_contract_kwh + green_certificates_kwh",
                market,
                f"at most the grid electricity bought ({grid_kwh:.0f} kWh)",
            )
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with ``update``, the fields given and updated validated again as a new
        profile, so what is derived on validation (energy, shares, lines, grid) follows them."""
        if not update:
            return super().model_copy(deep=deep)
        given = {name: getattr(self, name) for name in self.model_fields_set}
        return self.model_validate(given | dict(update))

    # --- derived values -------------------------------------------------------------------
    def _derived(self) -> dict[str, Any]:
        # The private values read straight from pydantic's store: ``self._energy`` goes through
        # BaseModel.__getattr__ (about 5 us), and energy() is read ~125 times a factory.
        return self.__pydantic_private__  # type: ignore[return-value]

    def energy(self, carrier: Carrier) -> float:
        """Annual use of ``carrier`` in its canonical unit, ``energy_use`` entries included
        (converted once, on validation)."""
        return self._derived()["_energy"][carrier]  # type: ignore[no-any-return]

    def _converted_energy(self, carrier: Carrier) -> float:
        total = float(getattr(self, PROFILE_FIELD[carrier]))
        for q in self.energy_use:
            if q.carrier == carrier:
                total += to_canonical(q.carrier, q.value, q.unit)
        return total

    def energy_by_carrier(self) -> dict[Carrier, float]:
        """Annual use of every carrier in canonical units (zeros included)."""
        return {c: self.energy(c) for c in Carrier}

    def shown_units(self) -> dict[Carrier, str]:
        """The unit each carrier is shown in where the plant says one: the unit its energy_use
        row was typed in (Chinese words read as their units; 万 kept), else for a US plant the
        units of US bills (MWh, MMBtu). Carriers absent keep their canonical unit."""
        units: dict[Carrier, str] = {}
        if self.country == Country.US:
            units = {c: "MMBtu" for c in Carrier if c != Carrier.ELECTRICITY}
            units[Carrier.ELECTRICITY] = "MWh"
        for q in self.energy_use:
            try:
                unit = unit_of_word(q.carrier, q.unit)
                to_canonical(q.carrier, 1.0, unit)
            except InvalidValueError:
                continue
            units[q.carrier] = unit
        return units

    def end_use_shares(self) -> dict[tuple[Carrier, EndUse], float]:
        """The ``end_uses`` entries as shares of their carrier's use (validated once, on
        validation of the profile)."""
        return dict(self._derived()["_shares"])

    def _validated_shares(self) -> dict[tuple[Carrier, EndUse], float]:
        """The ``end_uses`` entries as shares of their carrier's use.

        Raises :class:`InvalidValueError` naming the entry when a share is outside 0-1, a
        quantity exceeds the carrier's use or the shares of a carrier add up to more than 1.
        """
        out: dict[tuple[Carrier, EndUse], float] = {}
        totals: dict[Carrier, float] = {}
        for i, entry in enumerate(self.end_uses):
            field = f"end_uses[{i}]"
            if (entry.share is None) == (entry.value is None):
                raise InvalidValueError(field, entry.model_dump(), "exactly one of share or value")
            use = self.energy(entry.carrier)
            if entry.share is not None:
                _range(f"{field}.share", entry.share, 0.0, 1.0)
                share = entry.share
            else:
                assert entry.value is not None
                _range(f"{field}.value", entry.value, 0.0, None)
                unit = entry.unit or CANONICAL_UNIT[entry.carrier]
                quantity = to_canonical(entry.carrier, entry.value, unit, field=f"{field}.unit")
                if quantity > use * (1 + 1e-9):
                    raise InvalidValueError(
                        f"{field}.value",
                        entry.value,
                        f"at most the factory's {entry.carrier.value} use "
                        f"({use:.6g} {CANONICAL_UNIT[entry.carrier]})",
                    )
                share = quantity / use if use > 0 else 0.0
            key = (entry.carrier, entry.end_use)
            if key in out:
                raise InvalidValueError(
                    f"{field}.end_use", entry.end_use.value, "each carrier and end use once"
                )
            out[key] = share
            totals[entry.carrier] = totals.get(entry.carrier, 0.0) + share
        for (carrier, end_use), share in list(out.items()):
            if totals[carrier] > 1:
                out[(carrier, end_use)] = share / totals[carrier]
        for carrier, total in totals.items():
            if total > 1 + SHARE_ROUNDING:
                raise InvalidValueError(
                    f"end_uses ({carrier.value})", round(total, 6), "shares summing to at most 1"
                )
        return out

    def production_lines(self) -> list[ProductionLine]:
        """The ``production`` entries checked against the route table, defaults filled.

        Raises :class:`InvalidValueError` naming the entry's field and what is allowed.
        """
        lines = []
        for i, entry in enumerate(self.production):
            field = f"production[{i}]"
            line = entry.validated(field)
            product = route_table().products[line.product]
            if self.sector not in product.sectors:
                raise InvalidValueError(
                    f"{field}.product",
                    line.product,
                    f"a product of sector {self.sector.value} (this one is for "
                    f"{', '.join(s.value for s in product.sectors)})",
                )
            lines.append(line)
        return lines

    def inferred_route(self) -> InferredRoute | None:
        """The route inferred from sector, NAICS code, energy mix and size when ``production``
        is empty (``None`` when it is given, or no route fits;
        features.process_routes.inference)."""
        if self.production:
            return None
        energy = self.energy_by_carrier()
        energy[Carrier.ELECTRICITY] += self.onsite_renewable_kwh
        return infer_route(self.sector, self.naics_code, energy)

    def route_lines(self) -> list[ProductionLine]:
        """The lines accounting and the route measures act on: the declared ones, else the
        inferred route's line (see :meth:`inferred_route`), else none; validated, options at
        their defaults where not given (found once, on validation)."""
        return list(self._derived()["_lines"])

    def _validated_route_lines(self) -> tuple[ProductionLine, ...]:
        if self.production:
            return tuple(self.production_lines())
        inferred = self.inferred_route()
        return (inferred.line.validated("production[0]"),) if inferred is not None else ()

    @property
    def grid(self) -> str | None:
        """China's regional grid of the province; ``None`` for US states."""
        return self._derived()["_grid"]  # type: ignore[no-any-return]

    def canonical(self) -> FactoryProfile:
        """The same profile with ``energy_use`` folded into the canonical fields."""
        values = self.model_dump()
        for carrier in Carrier:
            values[PROFILE_FIELD[carrier]] = self.energy(carrier)
        values["energy_use"] = []
        return FactoryProfile.model_validate(values)


def _as_given(value: Any) -> Any:
    return value  # Any: the raw JSON, kept as sent


#: A profile as submitted, kept as sent (a stored outcome's request hash is of what was sent)
#: and validated later by :func:`parse_profile`; the API schema describes it as a
#: :class:`FactoryProfile`, so what the schema allows is what validation accepts.
ProfileJson = Annotated[
    dict[str, Any], BeforeValidator(_as_given, json_schema_input_type=FactoryProfile)
]


def _range(field: str, value: float | None, low: float, high: float | None) -> None:
    if value is None:
        return
    if not math.isfinite(value) or value < low or (high is not None and value > high):
        allowed = f"a finite number >= {low}" + (f" and <= {high}" if high is not None else "")
        raise InvalidValueError(field, value, allowed)


def parse_profile(data: dict[str, Any]) -> FactoryProfile:
    """Validate a raw mapping (e.g. parsed JSON) into a :class:`FactoryProfile`.

    Pydantic's own errors are turned into :class:`InvalidValueError` with the field path, so every
    caller sees the same error type. ``Any``: raw JSON values.
    """
    try:
        return FactoryProfile.model_validate(data)
    except ValidationError as exc:
        raise invalid_value(exc, FactoryProfile, "profile") from None


def invalid_value(exc: ValidationError, model: type[BaseModel], name: str) -> InvalidValueError:
    """Pydantic's first error as an :class:`InvalidValueError` naming the field path (``name``
    when the error has none); a domain error raised inside a validator is passed on as is."""
    first = exc.errors()[0]
    ctx = first.get("ctx") or {}
    inner = ctx.get("error")
    field = ".".join(str(p) for p in first["loc"]) or name
    if isinstance(inner, InvalidValueError):
        if type(inner) is InvalidValueError and field.endswith(f".{inner.field}"):
            # A list entry's own validator: say which entry.
            return InvalidValueError(field, inner.value, inner.allowed)
        return inner
    if first["type"] == "extra_forbidden":
        allowed: object = list(model.model_fields)
    else:
        allowed = ctx.get("expected") or first["msg"]
    return InvalidValueError(field, first.get("input"), str(allowed))


# --- DataFrame form ---------------------------------------------------------------------------
#: Profile columns in a DataFrame, with their unit (``""`` where none applies).
PROFILE_COLUMNS: dict[str, str] = {
    "factory_id": "",
    "country": "",
    "region": "",
    "grid": "",
    "sector": "",
    "naics_code": "",
    "reporting_year": "year",
    "employees": "persons",
    "floor_area_m2": "m2",
    "annual_revenue": "currency units/yr",
    "revenue_currency": "",
    "operating_hours_per_year": "h/yr",
    **{
        name: ("kWh/yr" if c == Carrier.ELECTRICITY else "GJ/yr")
        for c, name in PROFILE_FIELD.items()
    },
    "electricity_cost_per_year": "currency units/yr",
    "fuel_cost_per_year": "currency units/yr",
    "electricity_price": "currency units/kWh",
    "fuel_prices": "carrier=price per GJ entries separated by ';'",
    "onsite_renewable_kwh": "kWh/yr",
    "green_electricity_contract_kwh": "kWh/yr",
    "green_certificates_kwh": "kWh/yr",
    "roof_area_available_m2": "m2",
    "measures_in_place": "measure ids separated by ';'",
    "end_use_shares": "carrier:end_use=share entries separated by ';'",
    "it_load_kwh": "kWh/yr",
    "pue": "ratio",
    "byproduct_hydrogen_nm3": "Nm3/yr",
    "onsite_wind_hydro_kwh_potential": "kWh/yr",
    "heat_sink_temperature_c": "deg C",
    "production": "JSON list of production lines (product, route, output_t, options)",
    "co2_captured_stored_t": "t CO2/yr",
    "offsets_tco2e": "tCO2e/yr",
}


def profiles_to_frame(profiles: Iterable[FactoryProfile]) -> pd.DataFrame:
    """One row per profile, canonical units, columns :data:`PROFILE_COLUMNS` (``production``:
    the declared lines, else an inferred route's, :meth:`FactoryProfile.route_lines`)."""
    rows = []
    for p in profiles:
        row = p.model_dump(exclude={"energy_use", "end_uses", "production"})
        # energy_use folded in: each carrier's use as converted on validation.
        row.update({name: p.energy(carrier) for carrier, name in PROFILE_FIELD.items()})
        row["end_use_shares"] = format_end_use_shares(p.end_use_shares())
        # Inferred routes too, as the request path's table has them (features.table).
        row["production"] = format_production(p.route_lines())
        row["fuel_prices"] = format_fuel_prices(p.fuel_prices)
        row["country"] = p.country.value
        row["sector"] = p.sector.value
        row["grid"] = p.grid
        row["measures_in_place"] = ";".join(p.measures_in_place)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))


def profiles_from_frame(
    frame: pd.DataFrame,
) -> tuple[list[FactoryProfile], list[tuple[int, InvalidValueError]]]:
    """Validate each row of ``frame`` into a profile (``x_*`` source columns are ignored).

    Returns
    -------
    profiles, rejected
        The valid profiles, and ``(row number, error)`` for every rejected row; nothing is
        dropped silently.
    """
    unknown = [c for c in frame.columns if c not in PROFILE_COLUMNS and not c.startswith("x_")]
    if unknown:
        raise InvalidValueError("columns", unknown, list(PROFILE_COLUMNS))
    profiles: list[FactoryProfile] = []
    rejected: list[tuple[int, InvalidValueError]] = []
    records: Sequence[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for i, record in enumerate(records):
        values = {
            k: plain_number(v)
            for k, v in record.items()
            if k != "grid" and not k.startswith("x_") and not _is_missing(v)
        }
        measures = values.get("measures_in_place")
        values["measures_in_place"] = tuple(m for m in str(measures or "").split(";") if m)
        shares = values.pop("end_use_shares", None)
        production = values.pop("production", None)
        prices = values.pop("fuel_prices", None)
        try:
            values["fuel_prices"] = parse_fuel_prices(str(prices or ""))
            values["end_uses"] = _end_use_entries(str(shares or ""))
            values["production"] = parse_production(str(production or ""))
            profiles.append(parse_profile(values))
        except InvalidValueError as exc:
            rejected.append((i, exc))
    return profiles, rejected


def format_fuel_prices(prices: dict[Carrier, float]) -> str:
    """Fuel prices as table text: ``carrier=price`` entries separated by ';'."""
    return ";".join(f"{c.value}={v:.10g}" for c, v in prices.items())


def parse_fuel_prices(text: str) -> dict[str, float]:
    """Table text (``carrier=price`` entries separated by ';') back into prices."""
    out: dict[str, float] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        carrier, _, value = item.partition("=")
        try:
            out[carrier.strip()] = float(value)
        except ValueError:
            raise InvalidValueError(
                "fuel_prices", item, "entries 'carrier=price' separated by ';'"
            ) from None
    return out


def format_end_use_shares(shares: dict[tuple[Carrier, EndUse], float]) -> str:
    """End-use shares as table text: ``carrier:end_use=share`` entries separated by ';'."""
    return ";".join(f"{c.value}:{u.value}={v:.6g}" for (c, u), v in shares.items())


def parse_end_use_shares(text: str) -> dict[tuple[Carrier, EndUse], float]:
    """Table text (``carrier:end_use=share`` entries separated by ';') back into shares."""
    out: dict[tuple[Carrier, EndUse], float] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, _, value = item.partition("=")
        carrier, _, use = key.strip().partition(":")
        try:
            out[(Carrier(carrier), EndUse(use))] = float(value)
        except ValueError:
            raise InvalidValueError(
                "end_use_shares", item, "entries 'carrier:end_use=share' separated by ';'"
            ) from None
    return out


def format_production(lines: Sequence[ProductionLine]) -> str:
    """Production lines as table text: a JSON list ("" when there are none)."""
    if not lines:
        return ""
    return json.dumps([line.model_dump(exclude_none=True) for line in lines], sort_keys=True)


def parse_production(text: str) -> list[dict[str, Any]]:
    """Table text (a JSON list of production lines) back into raw entries (``Any``: raw JSON)."""
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidValueError(
            "production",
            text[:200],
            'a JSON list of objects, e.g. [{"product": "cement", "route": "dry_kiln", '
            '"output_t": 1e6}]',
        )
    return value


def _end_use_entries(text: str) -> list[dict[str, Any]]:
    """Table text as ``end_uses`` entries (``Any``: raw values for validation)."""
    return [
        {"carrier": c.value, "end_use": u.value, "share": share}
        for (c, u), share in parse_end_use_shares(text).items()
    ]


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def plain_number(value: object) -> object:
    """A table cell with thousands separators ("1,200") as the number text "1200"."""
    if isinstance(value, str) and _THOUSANDS.match(value.strip()):
        return value.strip().replace(",", "")
    return value


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
