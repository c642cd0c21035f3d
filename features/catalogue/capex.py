"""Capital cost at the price level of the factory's country.

The cost model learns implementation costs in its training currency at that currency's price
level: US audit costs (2024 USD) for the default model, generated Chinese costs (CNY) for a model
trained on generated data only. Converting such a cost at the exchange rate alone would give a US
plant Chinese prices, or a Chinese plant US prices. ``features/data/capex_levels.csv`` holds, per
measure (or family, or ``*`` for all) and country:

- a **local** level where the country's own prices are known (rooftop PV: installed price per W
  in the US from LBNL and NREL, in China from C&I EPC prices): capex = installed size x level;
- a **price-level ratio** otherwise: the country's price level over the US level at the market
  exchange rate (US = 1; China: the World Bank PPP conversion factor over the exchange rate, a
  **transfer**). A learned cost moves from the model's price level to the factory's with the ratio
  of the two, and its ``low``-``high`` range gives the cost interval.

Sources and the reasoning are in docs/costs.md and beside every row of the file.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np

from features.catalogue.candidates import Pairs
from features.catalogue.measures import Catalogue
from features.enduses.physics import pv_yield_kwh_per_kwp
from features.errors import InvalidValueError
from features.i18n import human
from features.messages import Message
from features.profile import FactoryProfile
from features.units import USD_PER, Carrier

#: Rows that apply to every measure without its own row or its family's.
ANY_MEASURE = "*"
#: The country whose price level each training currency carries (the ratio rows are relative to
#: the US level: learned costs are US audit costs).
PRICE_LEVEL_COUNTRY: dict[str, str] = {"USD": "US", "CNY": "CN"}
#: Unit of the ratio rows.
RATIO = "ratio"
#: Suffix of the units of installed-price rows, e.g. ``USD/W-DC``.
PER_WATT = "/W-DC"


@dataclass(frozen=True)
class CapexLevel:
    """One row of ``capex_levels.csv``: a measure's (or family's) capital cost level in one
    country, ``low <= mid <= high``, in ``unit`` of ``currency`` of ``price_year``."""

    measure_or_family: str
    country: str
    low: float
    mid: float
    high: float
    unit: str
    currency: str
    price_year: int
    source: str
    kind: Literal["local", "transfer"]

    @property
    def per_watt(self) -> bool:
        """An installed price per W of capacity (else a price-level ratio)."""
        return self.unit.endswith(PER_WATT)


@functools.cache
def capex_levels() -> tuple[CapexLevel, ...]:
    """Every row of ``features/data/capex_levels.csv``, validated.

    Raises
    ------
    InvalidValueError
        A row without a source, an unknown currency or kind, a unit that is neither ``ratio`` nor
        ``<currency>/W-DC``, or bounds out of order.
    """
    text = resources.files("features").joinpath("data/capex_levels.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    out = []
    for row in rows:
        level = CapexLevel(
            measure_or_family=row["measure_or_family"],
            country=row["country"],
            low=float(row["low"]),
            mid=float(row["mid"]),
            high=float(row["high"]),
            unit=row["unit"],
            currency=row["currency"],
            price_year=int(row["price_year"]),
            source=row["source"].strip(),
            kind=row["kind"],  # type: ignore[arg-type]  # checked just below
        )
        where = f"capex_levels.csv {level.measure_or_family}/{level.country}"
        if level.kind not in ("local", "transfer"):
            raise InvalidValueError(f"{where} kind", level.kind, "local or transfer")
        if level.currency not in USD_PER:
            raise InvalidValueError(f"{where} currency", level.currency, sorted(USD_PER))
        if level.unit not in (RATIO, f"{level.currency}{PER_WATT}"):
            raise InvalidValueError(
                f"{where} unit", level.unit, f"{RATIO} or {level.currency}{PER_WATT}"
            )
        if not 0 < level.low <= level.mid <= level.high:
            raise InvalidValueError(
                f"{where} low/mid/high",
                (level.low, level.mid, level.high),
                "0 < low <= mid <= high",
            )
        if len(level.source) < 10:
            raise InvalidValueError(f"{where} source", level.source, "a cited source")
        out.append(level)
    return tuple(out)


def capex_level(measure_id: str, family: str, country: str, *, ratio: bool = False) -> CapexLevel:
    """The level that applies to a measure in a country: the measure's own row, else its
    family's, else the ``*`` row; ``ratio`` asks for a price-level ratio row only.

    Raises
    ------
    InvalidValueError
        No row for the country.
    """
    rows = {
        (r.measure_or_family, r.country): r for r in capex_levels() if r.unit == RATIO or not ratio
    }
    for name in (measure_id, family, ANY_MEASURE):
        if (name, country) in rows:
            return rows[(name, country)]
    countries = sorted({c for _, c in rows})
    raise InvalidValueError("country", country, f"a country of capex_levels.csv: {countries}")


def installed_kwp(saved_kwh: np.ndarray, countries: list[str], regions: list[str]) -> np.ndarray:
    """PV capacity (kWp) that generates ``saved_kwh`` a year at each site's specific yield
    (:func:`~features.enduses.physics.pv_yield_kwh_per_kwp`): the system the savings imply,
    never more than the roof holds since the savings are capped by it."""
    yields = np.array([pv_yield_kwh_per_kwp(c, r) for c, r in zip(countries, regions, strict=True)])
    kwp: np.ndarray = np.clip(np.asarray(saved_kwh, dtype=float), 0.0, None) / yields.reshape(-1)
    return kwp


@dataclass(frozen=True)
class PricedCapex:
    """Capex of scored rows at their factory's price level, in each row's answer currency:
    ``mid`` with its interval ``low``-``high``, and ``transferred`` where a price-level ratio (not
    the country's own prices) moved the cost. Arrays shaped (rows,)."""

    mid: np.ndarray
    low: np.ndarray
    high: np.ndarray
    transferred: np.ndarray


def capex_at_price_level(
    capex: np.ndarray,
    model_currency: str,
    measure_ids: list[str],
    families: list[str],
    countries: list[str],
    answer_currencies: list[str],
    kwp: np.ndarray,
    keep: np.ndarray,
) -> PricedCapex:
    """Capex of each row at its country's price level, in its answer currency.

    Parameters
    ----------
    capex
        Capex per row in ``model_currency`` at that currency's price level (the cost model's).
    model_currency
        The training currency (:data:`PRICE_LEVEL_COUNTRY` gives its price level; another one is
        converted at the exchange rate only).
    measure_ids, families, countries, answer_currencies
        Per row: measure, its family, the factory's country and the answer's currency.
    kwp
        Per row: installed PV capacity where the measure is priced per W (NaN elsewhere).
    keep
        Rows whose capex is only converted at the exchange rate (engineering estimates carry
        their own sourced capex).

    Returns
    -------
    PricedCapex
        A local per-W level gives ``kwp`` x level; a learned cost moves by the ratio of the
        factory's price level to the model's, its interval from the ratios' ranges.
    """
    n = len(capex)
    mid, low, high = (np.asarray(capex, dtype=float) * 1.0 for _ in range(3))
    transferred = np.zeros(n, dtype=bool)
    to_answer = np.array([USD_PER[model_currency] / USD_PER[c] for c in answer_currencies])
    model_country = PRICE_LEVEL_COUNTRY.get(model_currency)
    for i in range(n):
        if keep[i]:
            mid[i] = low[i] = high[i] = capex[i] * to_answer[i]
            continue
        own = capex_level(measure_ids[i], families[i], countries[i])
        if own.per_watt and np.isfinite(kwp[i]):
            rate = USD_PER[own.currency] / USD_PER[answer_currencies[i]] * kwp[i] * 1000
            low[i], mid[i], high[i] = own.low * rate, own.mid * rate, own.high * rate
            continue
        factor = (1.0, 1.0, 1.0)
        if model_country is not None and model_country != countries[i]:
            there = capex_level(measure_ids[i], families[i], countries[i], ratio=True)
            here = capex_level(measure_ids[i], families[i], model_country, ratio=True)
            factor = (there.low / here.high, there.mid / here.mid, there.high / here.low)
            transferred[i] = "transfer" in (there.kind, here.kind)
        base = capex[i] * to_answer[i]
        low[i], mid[i], high[i] = (base * f for f in factor)
    return PricedCapex(mid=mid, low=low, high=high, transferred=transferred)


def transfer_level(country: str, model_currency: str) -> CapexLevel | None:
    """The ``*`` ratio row that moves learned costs between the model's price level and
    ``country``'s when one of the two is a transfer (for the answer's caveat), else None."""
    model_country = PRICE_LEVEL_COUNTRY.get(model_currency)
    if model_country is None or model_country == country:
        return None
    for side in (country, model_country):
        row = capex_level(ANY_MEASURE, ANY_MEASURE, side, ratio=True)
        if row.kind == "transfer":
            return row
    return None


def price_scored_capex(
    scores: dict[str, np.ndarray],
    found: Pairs,
    profiles: list[FactoryProfile],
    catalogue: Catalogue,
    model_currency: str,
    answer_currencies: list[str],
) -> PricedCapex:
    """:func:`capex_at_price_level` for scored candidate rows (``scores["capex"]`` in the model's
    currency; ``answer_currencies`` one per profile). A PV row's capacity is the one its median
    electricity saving implies (:func:`installed_kwp`)."""
    factory = found.factory_index.tolist()
    measures = [catalogue.measures[str(k)] for k in found.keys.tolist()]
    countries = [str(profiles[f].country) for f in factory]
    kwp = np.full(len(measures), np.nan)
    pv = np.array([m.conversion == "pv" for m in measures], dtype=bool)
    if pv.any():
        rows = np.flatnonzero(pv)
        saved_kwh = scores["saved"][rows, list(Carrier).index(Carrier.ELECTRICITY)]
        regions = [str(profiles[factory[r]].region) for r in rows.tolist()]
        kwp[rows] = installed_kwp(saved_kwh, [countries[r] for r in rows.tolist()], regions)
    keep = scores.get("engineering", np.zeros(len(measures), dtype=bool))
    return capex_at_price_level(
        scores["capex"],
        model_currency,
        [m.id for m in measures],
        [m.family.value for m in measures],
        countries,
        [answer_currencies[f] for f in factory],
        kwp,
        keep,
    )


def transfer_caveat(
    profile: FactoryProfile, model_currency: str, measure_ids: np.ndarray
) -> list[Message]:
    """The answer's caveat (English; the answer renders it in its language) when the capex of
    ``measure_ids`` was moved by a price-level ratio; empty otherwise."""
    row = transfer_level(str(profile.country), model_currency)
    if row is None or not len(measure_ids):
        return []
    return [
        Message(
            "capex_transfer",
            measures=", ".join(dict.fromkeys(str(k) for k in measure_ids.tolist())),
            country=str(profile.country),
            model=PRICE_LEVEL_COUNTRY[model_currency],
            ratio=human(row.mid, 2),
            low=human(row.low, 2),
            high=human(row.high, 2),
            year=row.price_year,
        )
    ]
