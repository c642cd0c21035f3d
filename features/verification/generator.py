"""Metered plants with a known saving, to test that verification finds it: production-driven
plants (energy = base load per day x days + k x production + noise) and weather-driven plants
(plus a heating change point on outdoor temperature for gas and a cooling one for electricity),
monthly, electricity in kWh and natural gas in Nm3, in a Jiangsu climate.

Every number below is an ASSUMPTION chosen to look like a mid-sized Chinese plant (about 1-2
GWh of electricity a month); docs/verification.md lists them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np

from features.units import Carrier, to_canonical
from features.verification.periods import month_end
from features.verification.schema import MeterReading, VerificationRequest

#: Nanjing (Jiangsu) mean monthly air temperature, °C, January to December: approximately the
#: China Meteorological Administration 1991-2020 climate normals of station 58238 (ASSUMPTION:
#: rounded, used only to give generated plants a realistic seasonal swing).
JIANGSU_MONTHLY_C = (3.1, 5.5, 10.0, 16.0, 21.5, 25.1, 28.3, 27.7, 23.4, 17.6, 11.1, 5.1)
#: Degree-day bases of China's design standard GB 50736-2012 (HDD18, CDD26), for the hdd/cdd
#: columns computed from generated daily temperatures.
HDD_BASE_C = 18.0
CDD_BASE_C = 26.0
#: The true balance temperatures of generated weather plants (ASSUMPTION).
TRUE_HEATING_BALANCE_C = 16.0
TRUE_COOLING_BALANCE_C = 22.0
#: Units the generated readings are written in.
UNITS: dict[Carrier, str] = {Carrier.ELECTRICITY: "kWh", Carrier.NATURAL_GAS: "Nm3"}
EVENT_NOTE = "new production line commissioned"


@dataclass(frozen=True)
class PlantShape:
    """Base load per day, per tonne and per degree-day, canonical units (kWh; GJ)."""

    base_per_day: float
    per_tonne: float
    per_heating_degree_day: float = 0.0
    per_cooling_degree_day: float = 0.0


#: ASSUMPTION: 8,000 t/month; electricity 15 MWh/day base + 130 kWh/t (about 1.5 GWh/month);
#: gas 40 GJ/day base + 0.5 GJ/t (about 134,000 Nm3/month); weather plants add about 3,000 GJ of
#: gas heating in January and about 300 MWh of cooling in July.
SHAPES: dict[str, dict[Carrier, PlantShape]] = {
    "production": {
        Carrier.ELECTRICITY: PlantShape(15_000.0, 130.0),
        Carrier.NATURAL_GAS: PlantShape(40.0, 0.5),
    },
    "weather": {
        Carrier.ELECTRICITY: PlantShape(15_000.0, 130.0, per_cooling_degree_day=1_600.0),
        Carrier.NATURAL_GAS: PlantShape(40.0, 0.5, per_heating_degree_day=7.5),
    },
}
TONNES_PER_MONTH = 8_000.0
#: Month-to-month spread of production and of monthly mean temperature (ASSUMPTION).
PRODUCTION_CV = 0.12
TEMPERATURE_SD_C = 1.5
DAILY_TEMPERATURE_SD_C = 3.0


@dataclass
class MeteredPlant:
    """Generated readings, the request that verifies them, and the truth.

    ``true_savings`` is per carrier over all reporting periods, canonical units (kWh; GJ);
    ``true_by_period`` the same per reporting period label (``YYYY-MM``), so a test can leave
    out the periods a verification left out; ``event_periods`` the labels the non-routine event
    touched.
    """

    readings: list[MeterReading]
    request: VerificationRequest
    true_savings: dict[Carrier, float]
    true_by_period: dict[Carrier, dict[str, float]] = field(default_factory=dict)
    event_periods: list[str] = field(default_factory=list)

    def truth_without(self, carrier: Carrier, periods: list[str]) -> float:
        """True savings of ``carrier`` over the reporting periods not in ``periods``."""
        return sum(v for k, v in self.true_by_period[carrier].items() if k not in periods)


def _month(start: date, offset: int) -> date:
    index = start.year * 12 + start.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def generate_meters(
    seed: int,
    kind: Literal["production", "weather"],
    true_fraction: float,
    *,
    noise_cv: float = 0.03,
    n_baseline: int = 24,
    n_reporting: int = 12,
    start: str = "2022-01",
    carriers: tuple[Carrier, ...] = (Carrier.ELECTRICITY, Carrier.NATURAL_GAS),
    fractions: dict[Carrier, float] | None = None,
    event: bool = False,
    event_fraction: float = 0.15,
    event_months: int = 3,
    event_marked: bool = True,
    event_adjusted: bool = False,
    measure_id: str = "variable_speed_drives",
    factory_id: str = "jiangsu-demo",
    region: str = "Jiangsu",
    confidence: float = 0.90,
) -> MeteredPlant:
    """A plant's monthly meter readings with a known saving after a measure.

    Parameters
    ----------
    seed
        Random seed (the same seed gives the same plant).
    kind
        ``"production"``: energy follows production only; ``"weather"``: gas also follows a
        heating change point and electricity a cooling one on monthly mean temperature.
    true_fraction
        Share of the counterfactual use saved in every reporting month (half of it in the
        installed month).
    fractions
        Per-carrier shares overriding ``true_fraction`` (e.g. 0 for a carrier the measure does
        not touch).
    noise_cv
        Coefficient of variation of the monthly noise (multiplicative, normal).
    n_baseline, n_reporting
        Months before and after the installed month (which is generated too: installation).
    start
        First baseline month, ``YYYY-MM``.
    event
        A non-routine event: a new line adding ``event_fraction`` of the expected use in the
        last ``event_months`` reporting months; ``event_marked`` writes the note,
        ``event_adjusted`` also the adjustment (the energy it added, in the reading's unit).

    Returns
    -------
    MeteredPlant
        Readings (kWh, Nm3, tonnes, °C, HDD18/CDD26), the request (installed the month after the
        baseline) and the true savings per carrier.
    """
    rng = np.random.default_rng(seed)
    first = date(int(start[:4]), int(start[5:7]), 1)
    months = [_month(first, i) for i in range(n_baseline + 1 + n_reporting)]
    installed = months[n_baseline]
    readings: list[MeterReading] = []
    truth: dict[Carrier, dict[str, float]] = {c: {} for c in carriers}
    event_periods: list[str] = []
    climate = np.array(JIANGSU_MONTHLY_C)
    for i, month in enumerate(months):
        days = month_end(month).day
        temperature = float(climate[month.month - 1] + rng.normal(0, TEMPERATURE_SD_C))
        daily = temperature + rng.normal(0, DAILY_TEMPERATURE_SD_C, days)
        hdd = float(np.sum(np.maximum(HDD_BASE_C - daily, 0)))
        cdd = float(np.sum(np.maximum(daily - CDD_BASE_C, 0)))
        production = TONNES_PER_MONTH * (days / 30.4) * max(0.3, 1 + rng.normal(0, PRODUCTION_CV))
        phase = "baseline" if i < n_baseline else "installation" if i == n_baseline else "reporting"
        in_event = event and phase == "reporting" and i >= len(months) - event_months
        label = f"{month:%Y-%m}"
        if in_event:
            event_periods.append(label)
        for carrier in carriers:
            shape = SHAPES[kind][carrier]
            expected = (
                shape.base_per_day * days
                + shape.per_tonne * production
                + shape.per_heating_degree_day * days * max(TRUE_HEATING_BALANCE_C - temperature, 0)
                + shape.per_cooling_degree_day * days * max(temperature - TRUE_COOLING_BALANCE_C, 0)
            )
            counterfactual = expected * (1 + rng.normal(0, noise_cv))
            share = (fractions or {}).get(carrier, true_fraction)
            saving = {"baseline": 0.0, "installation": share / 2, "reporting": share}[phase]
            extra = event_fraction * expected if in_event else 0.0
            per_unit = to_canonical(carrier, 1.0, UNITS[carrier])
            metered_units = round((counterfactual * (1 - saving) + extra) / per_unit)
            extra_units = round(extra / per_unit)
            if phase == "reporting":
                truth[carrier][label] = counterfactual - (metered_units - extra_units) * per_unit
            readings.append(
                MeterReading(
                    period=label,
                    carrier=carrier,
                    quantity=metered_units,
                    unit=UNITS[carrier],
                    production=round(production, 1),
                    hdd=round(hdd, 1),
                    cdd=round(cdd, 1),
                    temperature_c=round(temperature, 1),
                    non_routine=EVENT_NOTE if in_event and event_marked else None,
                    adjustment=float(extra_units) if in_event and event_adjusted else None,
                )
            )
    request = VerificationRequest(
        measure_id=measure_id,
        installed=f"{installed:%Y-%m}",
        factory_id=factory_id,
        region=region,
        confidence=confidence,
        readings=readings,
    )
    return MeteredPlant(
        readings=readings,
        request=request,
        true_savings={c: sum(v.values()) for c, v in truth.items()},
        true_by_period=truth,
        event_periods=event_periods,
    )


#: The shipped example (features/data/meters_example.csv): seed, plant and measure, documented in
#: docs/verification.md. Compressed-air leak repair saves electricity only (6% of the plant's
#: electricity: ASSUMPTION, compressed air is often 10-30% of a plant's electricity and leak
#: repair saves a fifth to a third of it, US DOE "Improving Compressed Air System Performance"
#: sourcebook, 2003); gas is metered too and must show no saving.
EXAMPLE_SEED = 20240101
EXAMPLE_MEASURE = "compressed_air_leak_repair"
EXAMPLE_COLUMNS = ("period", "carrier", "quantity", "unit", "production", "hdd", "cdd",
                   "temperature_c", "non_routine", "adjustment")  # fmt: skip


def example_plant() -> MeteredPlant:
    """The plant of the shipped example file: Jiangsu, weather-driven gas, electricity saved 6%
    from 2024-02, installed 2024-01, a new line in the last two months noted with its
    adjustment."""
    return generate_meters(
        EXAMPLE_SEED,
        "weather",
        0.06,
        fractions={Carrier.NATURAL_GAS: 0.0},
        measure_id=EXAMPLE_MEASURE,
        factory_id="jiangsu-demo",
        start="2022-01",
        event=True,
        event_months=2,
        event_fraction=0.10,
        event_adjusted=True,
    )


def meters_csv(readings: list[MeterReading]) -> str:
    """Readings as the CSV :func:`features.verification.meters.read_meters` reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXAMPLE_COLUMNS)
    for r in readings:
        values = r.model_dump()
        writer.writerow(["" if values[c] is None else _cell(values[c]) for c in EXAMPLE_COLUMNS])
    return buffer.getvalue()


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


if __name__ == "__main__":  # python -m features.verification.generator: rewrites the example
    from pathlib import Path

    target = Path(__file__).resolve().parents[1] / "data" / "meters_example.csv"
    target.write_text(meters_csv(example_plant().readings), encoding="utf-8")
    print(f"wrote {target}")
