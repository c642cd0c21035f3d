"""Training on two sources at once, each row keeping where it came from: a base (generated or
IAC data) and the outcomes factories reported through the service (:func:`combine`), or real
audits and generated data calibrated to them (:func:`blend`, the default training data)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.accounting.deflate import cpi_factor
from features.errors import InvalidValueError
from features.sources.schema import DataReport, Dataset, fingerprint
from features.units import USD_PER


def combine(base: Dataset, reported: Dataset, weight: int = 1) -> Dataset:
    """``base`` plus ``reported``, each reported outcome repeated ``weight`` times (how much one
    metered outcome counts against one row of the base; the models take no sample weights, so
    the weight is whole repetitions, each with its own outcome id). Factory ids of the reported
    data are prefixed ``outcomes:`` so they cannot collide with the base's; the ``provenance``
    column of outcomes and ``x_provenance`` of factories say where each row came from."""
    if weight < 1:
        raise ValueError(f"weight: invalid value {weight}; allowed: a whole number >= 1")
    factories_b = base.factories.assign(x_provenance=base.report.source)
    outcomes_b = base.outcomes.assign(provenance=base.report.source)
    prefix = "outcomes:"
    factories_r = reported.factories.assign(
        factory_id=prefix + reported.factories["factory_id"].astype(str),
        x_provenance=reported.report.source,
    )
    repeated = [
        reported.outcomes.assign(
            factory_id=prefix + reported.outcomes["factory_id"].astype(str),
            outcome_id=reported.outcomes["outcome_id"].astype(str) + f"#{k}",
            provenance=reported.report.source,
        )
        for k in range(weight)
    ]
    factories = pd.concat([factories_b, factories_r], ignore_index=True)
    outcomes = pd.concat([outcomes_b, *repeated], ignore_index=True)
    n_reported = len(reported.outcomes)
    report = DataReport(
        source=f"{base.report.source}+{reported.report.source}",
        detail=f"{base.report.detail} + {reported.report.detail} (weight {weight})",
        rows_in={
            "factories": base.report.rows_in.get("factories", 0)
            + reported.report.rows_in.get("factories", 0),
            "outcomes": base.report.rows_in.get("outcomes", 0)
            + reported.report.rows_in.get("outcomes", 0) * weight,
        },
        rows_used={"factories": len(factories), "outcomes": len(outcomes)},
        rejected=pd.concat([base.report.rejected, reported.report.rejected], ignore_index=True),
        repaired=pd.concat([base.report.repaired, reported.report.repaired], ignore_index=True),
        notes=[
            *base.report.notes,
            *reported.report.notes,
            f"provenance: {len(outcomes_b):,} outcomes from {base.report.source}, "
            f"{n_reported:,} reported outcomes x weight {weight} = {n_reported * weight:,} rows",
        ],
    )
    report.check_balance()
    report.fingerprint = fingerprint(factories, outcomes, base.truth)
    return Dataset(factories=factories, outcomes=outcomes, truth=base.truth, report=report)


#: China's consumer prices, 2024 over 2023: +0.2% (National Bureau of Statistics, Statistical
#: Communique of the People's Republic of China on the 2024 National Economic and Social
#: Development, 28 February 2025, section I: "consumer prices rose by 0.2 percent").
CN_CPI_2024_OVER_2023 = 1.002
#: Generated outcome money (CNY of 2023) joins real US audits in USD: at the 2023 market rate
#: of features/data/exchange_rates.csv (7.0809 CNY per USD, Federal Reserve G.5A), then in 2024
#: dollars with the CPI-U, exactly as scripts/calibration_table.py converts it when the
#: generator's cost per unit saved is fitted to the real audits' (so the generated costs land at
#: the US price level they were calibrated to). One currency for the cost model; paybacks
#: unchanged (every money column moves by the same factor).
#: Money columns restated when generated data join real audits at another price level.
MONEY_COLUMNS = {
    "factories": ("annual_revenue", "electricity_cost_per_year", "fuel_cost_per_year"),
    "outcomes": ("implementation_cost", "cost_savings_per_year"),
}


def _price_level(base_year: int | None, target_year: int, currency: pd.Series) -> np.ndarray:
    """Multiplier per row from prices of ``base_year`` to ``target_year`` (USD with the CPI-U;
    CNY with China's CPI, known here for 2023 -> 2024 only)."""
    if base_year is None or base_year == target_year:
        return np.ones(len(currency))
    usd = float(cpi_factor(base_year, target_year))
    if (base_year, target_year) == (2023, 2024):
        cny = CN_CPI_2024_OVER_2023
    elif (currency == "CNY").any():
        raise InvalidValueError(
            "money_base_year", base_year, f"2023 for CNY money restated in {target_year} prices"
        )
    else:
        cny = np.nan
    return np.where(currency.to_numpy() == "CNY", cny, usd)


def _real_currency(real: Dataset) -> str | None:
    """The one currency of the real outcomes, if they have one."""
    currencies = set(real.outcomes["currency"].dropna().astype(str))
    return currencies.pop() if len(currencies) == 1 else None


def blend(real: Dataset, generated: Dataset) -> Dataset:
    """Real audits and generated data in one training set (source ``audits``): the real rows
    teach what they carry (adoption by payback, cost, size, sector and year; savings as a
    share of the plant's stream and cost per unit saved, per coarse class), the generated rows
    the measure-level detail the real copy lost. Generated money is restated at the real data's
    price level; ``x_provenance`` / ``provenance`` say where each row came from, and
    :func:`training_parts` counts each part."""
    fids_r = set(real.factories["factory_id"].astype(str))
    clash = fids_r & set(generated.factories["factory_id"].astype(str))
    if clash:
        raise InvalidValueError(
            "factory_id", sorted(clash)[0], "ids distinct between real and generated data"
        )
    target = real.report.money_base_year
    gen_f, gen_o = generated.factories.copy(), generated.outcomes.copy()
    if target is not None:
        base = generated.report.money_base_year
        f_currency = gen_f.get("revenue_currency", pd.Series("CNY", index=gen_f.index))
        factor_f = _price_level(base, target, f_currency.astype(str))
        for col in MONEY_COLUMNS["factories"]:
            if col in gen_f:
                gen_f[col] = pd.to_numeric(gen_f[col], errors="coerce") * factor_f
        currency_o = gen_o["currency"].astype(str)
        factor_o = _price_level(base, target, currency_o)
        # Outcomes in the real data's currency (USD) at its price level, so one cost model
        # never reads yuan as dollars; factories keep their own declared currency.
        moved = (currency_o == "CNY").to_numpy()
        if base == 2023 and _real_currency(real) == "USD":
            in_usd = float(cpi_factor(base, target)) * USD_PER["CNY"]
            factor_o = np.where(moved, in_usd, factor_o)
            gen_o.loc[moved, "currency"] = "USD"
        for col in MONEY_COLUMNS["outcomes"]:
            if col in gen_o:
                gen_o[col] = pd.to_numeric(gen_o[col], errors="coerce") * factor_o
    factories = pd.concat(
        [
            real.factories.assign(x_provenance=real.report.source),
            gen_f.assign(x_provenance=generated.report.source),
        ],
        ignore_index=True,
    )
    outcomes = pd.concat(
        [
            real.outcomes.assign(provenance=real.report.source),
            gen_o.assign(provenance=generated.report.source),
        ],
        ignore_index=True,
    )
    tables = ("factories", "outcomes")
    report = DataReport(
        source="audits",
        detail=f"{real.report.detail} + {generated.report.detail}",
        rows_in={
            t: real.report.rows_in.get(t, 0) + generated.report.rows_in.get(t, 0) for t in tables
        },
        rows_used={"factories": len(factories), "outcomes": len(outcomes)},
        rejected=pd.concat([real.report.rejected, generated.report.rejected], ignore_index=True),
        repaired=pd.concat([real.report.repaired, generated.report.repaired], ignore_index=True),
        notes=[
            *(f"{real.report.source}: {n}" for n in real.report.notes),
            *(f"{generated.report.source}: {n}" for n in generated.report.notes),
            f"provenance: {len(real.outcomes):,} outcomes from {real.report.source}, "
            f"{len(generated.outcomes):,} from {generated.report.source}"
            + (
                f"; generated money restated from {generated.report.money_base_year} to "
                f"{target} prices (CPI-U for USD, China's CPI for CNY); outcome money in USD "
                f"at {1 / USD_PER['CNY']:.4f} CNY per USD (2023) and the CPI-U, the conversion the "
                "generator was calibrated with"
                if target is not None and generated.report.money_base_year != target
                else ""
            ),
        ],
        money_base_year=target,
    )
    report.check_balance()
    report.fingerprint = fingerprint(factories, outcomes, generated.truth)
    return Dataset(factories=factories, outcomes=outcomes, truth=generated.truth, report=report)


def training_parts(factories: pd.DataFrame, outcomes: pd.DataFrame) -> list[dict[str, object]]:
    """Per provenance (``x_provenance`` / ``provenance`` of :func:`blend` or :func:`combine`):
    factories, outcomes, the factories' reporting years and countries. Empty for data
    of one source (no provenance columns)."""
    if "provenance" not in outcomes or "x_provenance" not in factories:
        return []
    parts = []
    for source in pd.unique(outcomes["provenance"].astype(str)):
        o = outcomes[outcomes["provenance"].astype(str) == source]
        f = factories[factories["x_provenance"].astype(str) == source]
        years = pd.to_numeric(f.get("reporting_year"), errors="coerce").dropna()
        countries = sorted(pd.unique(f["country"].astype(str))) if "country" in f else []
        parts.append(
            {
                "source": source,
                "factories": len(f),
                "outcomes": len(o),
                "years": f"{years.min():.0f}-{years.max():.0f}" if len(years) else None,
                "countries": countries,
            }
        )
    return parts
