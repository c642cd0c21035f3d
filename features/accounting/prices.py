"""Energy prices used to value savings.

For each factory and carrier, in this order: the profile's own price (``electricity_price``,
``fuel_prices``), the price implied by its bills (``electricity_cost_per_year``,
``fuel_cost_per_year``: one blended price for all fuels), the default of its region (province or
state), the default of its country. Defaults live in ``features/data/energy_prices.csv``, each
row with its year and source; prices are per canonical unit (kWh; GJ LHV; GJ of heat).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

from features.carriers import CARRIERS
from features.profile import FactoryProfile
from features.table import Table, floats, floats0, n_rows, texts
from features.units import PROFILE_FIELD, USD_PER, Carrier


@dataclass(frozen=True)
class DefaultPrice:
    """One default price: per canonical unit, in ``currency``, with its year and source."""

    price: float
    currency: str
    year: int
    source: str


@functools.cache
def default_prices() -> dict[tuple[str, str, Carrier], DefaultPrice]:
    """(country, region or "", carrier) -> default price, from the bundled table."""
    text = resources.files("features").joinpath("data/energy_prices.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    out = {}
    for row in rows:
        key = (row["country"], row["region"], Carrier(row["carrier"]))
        out[key] = DefaultPrice(
            float(row["price"]), row["currency"], int(row["year"]), row["source"]
        )
    return out


def default_price(country: str, region: str, carrier: Carrier) -> DefaultPrice:
    """The region's default price of ``carrier``, else its country's."""
    table = default_prices()
    return table.get((country, region, carrier)) or table[(country, "", carrier)]


def _usd(price: DefaultPrice) -> float:
    return price.price * USD_PER[price.currency]


@functools.cache
def _defaults_usd(country: str, region: str) -> np.ndarray:
    return np.array([_usd(default_price(country, region, c)) for c in CARRIERS])


def price_matrix(factories: Table, currency: str) -> np.ndarray:
    """(factories, carriers) prices in ``currency`` per canonical unit."""
    to_target = 1.0 / USD_PER[currency]
    countries, regions = texts(factories, "country"), texts(factories, "region")
    out = np.array([_defaults_usd(c, r) for c, r in zip(countries, regions, strict=True)])
    out = out.reshape(n_rows(factories), len(CARRIERS)) * to_target
    bill_currency = np.array(
        [USD_PER.get(c or "USD", 1.0) for c in texts(factories, "revenue_currency")]
    )
    own = bill_currency * to_target
    elec = floats(factories, PROFILE_FIELD[Carrier.ELECTRICITY])
    fuel_gj = sum(
        (floats0(factories, PROFILE_FIELD[c]) for c in CARRIERS[1:]),
        np.zeros(n_rows(factories)),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        own_elec = floats(factories, "electricity_cost_per_year") * own / elec
        own_fuel = floats(factories, "fuel_cost_per_year") * own / fuel_gj
    use_elec = np.isfinite(own_elec) & (own_elec > 0)
    out[use_elec, 0] = own_elec[use_elec]
    use_fuel = np.isfinite(own_fuel) & (own_fuel > 0)
    out[np.ix_(use_fuel, np.arange(1, len(CARRIERS)))] = own_fuel[use_fuel, None]
    # The factory's own tariff and prices beat both.
    if "electricity_price" in factories:
        tariff = floats(factories, "electricity_price") * own
        given = np.isfinite(tariff) & (tariff > 0)
        out[given, 0] = tariff[given]
    if "fuel_prices" in factories:
        for i, text in enumerate(texts(factories, "fuel_prices")):
            for item in filter(None, text.split(";")):
                carrier, _, value = item.partition("=")
                out[i, CARRIERS.index(Carrier(carrier))] = float(value) * own[i]
    return out


def price_sources(profile: FactoryProfile) -> dict[Carrier, str]:
    """Where each carrier's price for ``profile`` comes from, in the order of
    :func:`price_matrix`: its own price, its bills, or the default with year and source."""
    out: dict[Carrier, str] = {}
    country, region = profile.country.value, profile.region
    fuel_gj = sum(profile.energy(c) for c in CARRIERS[1:])
    for c in CARRIERS:
        if c == Carrier.ELECTRICITY and profile.electricity_price:
            out[c] = "profile: electricity_price"
        elif c in profile.fuel_prices:
            out[c] = f"profile: fuel_prices.{c.value}"
        elif c == Carrier.ELECTRICITY and profile.electricity_cost_per_year and profile.energy(c):
            out[c] = "profile: electricity_cost_per_year / electricity use"
        elif c != Carrier.ELECTRICITY and profile.fuel_cost_per_year and fuel_gj > 0:
            out[c] = "profile: fuel_cost_per_year / fuel use (one blended price)"
        else:
            d = default_price(country, region, c)
            where = region if (country, region, c) in default_prices() else country
            out[c] = f"default for {where} ({d.year}, {d.price:g} {d.currency}): {d.source}"
    return out
