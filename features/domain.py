"""What a model's training factories looked like, and how a new factory or a new batch compares:
ranges and deciles per numeric field, categories seen, years covered.

Stored in the bundle at training time (a few KB), so serving can warn about inputs outside the
training data (:meth:`DomainSummary.check`) and ``decarb-drift`` can compare a table of profiles
with it (population stability index per field, :meth:`DomainSummary.drift`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from features import bounds
from features.messages import Message, MessageText
from features.profile import FactoryProfile
from features.sector_stats import SECTOR_STATS
from features.table import Table, floats, n_rows, texts
from features.units import GJ_PER_MMBTU, LHV_PER_HHV, PROFILE_FIELD, WAN_PREFIX, Carrier

#: Numeric profile fields compared with the training data. Energy carriers count only where used
#: (a plant without coal is not "outside the range" of coal users).
NUMERIC_FIELDS: tuple[str, ...] = (
    "employees",
    "floor_area_m2",
    "operating_hours_per_year",
    "reporting_year",
    *(PROFILE_FIELD[c] for c in Carrier),
)
_POSITIVE_ONLY = {PROFILE_FIELD[c] for c in Carrier}
CATEGORY_FIELDS: tuple[str, ...] = ("country", "sector", "region")
#: Quantiles that bound the "training range" a value is checked against (0.5% and 99.5%).
RANGE_QUANTILES = (0.005, 0.995)
#: A category seen fewer times than this in training counts as unseen.
MIN_CATEGORY_COUNT = 5
#: PSI above this is reported as drift (common rule of thumb: < 0.1 stable, 0.1-0.25 some shift,
#: > 0.25 major shift; Siddiqi, Credit Risk Scorecards, 2006).
PSI_DRIFT = 0.25
_EPS = 1e-4

WarningCode = Literal[
    "outside_training_range", "unseen_category", "year_beyond_training", "likely_wan_unit"
]


class InputWarning(BaseModel):
    """An input the model has not seen the like of in training."""

    model_config = ConfigDict(frozen=True)

    code: WarningCode
    field: str
    value: str | float | None
    training_range: str = Field(description="What training covered, e.g. '12-2,400' or a list.")
    message: MessageText


@dataclass
class NumericSummary:
    """One numeric field over the training factories."""

    n: int
    low: float  # RANGE_QUANTILES[0]
    high: float  # RANGE_QUANTILES[1]
    edges: list[float]  # decile edges (inner), for PSI
    shares: list[float]  # share of rows per decile bin


@dataclass
class DomainSummary:
    """Training-data ranges, categories and deciles."""

    n_factories: int
    numeric: dict[str, NumericSummary] = field(default_factory=dict)
    categories: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_table(cls, factories: Table) -> DomainSummary:
        summary = cls(n_factories=n_rows(factories))
        for name in NUMERIC_FIELDS:
            if name not in factories:
                continue
            values = floats(factories, name)
            values = values[np.isfinite(values)]
            if name in _POSITIVE_ONLY:
                values = values[values > 0]
            if len(values) < 10:
                continue
            low, high = np.quantile(values, RANGE_QUANTILES)
            edges = np.unique(np.quantile(values, np.linspace(0.1, 0.9, 9)))
            counts = np.bincount(
                np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1
            )
            summary.numeric[name] = NumericSummary(
                n=len(values),
                low=float(low),
                high=float(high),
                edges=[float(e) for e in edges],
                shares=[float(c) / len(values) for c in counts],
            )
        for name in CATEGORY_FIELDS:
            if name in factories:
                seen: dict[str, int] = {}
                for v in texts(factories, name):
                    seen[v] = seen.get(v, 0) + 1
                summary.categories[name] = seen
        return summary

    def check(self, profile: FactoryProfile) -> list[InputWarning]:
        """Warnings for the profile's values outside the training data."""
        out = wan_warnings(profile)
        for name, s in self.numeric.items():
            value = _value(profile, name)
            if value is None or (name in _POSITIVE_ONLY and value <= 0):
                continue
            if any(w.field == name for w in out):  # said more usefully: typed for 万
                continue
            if s.low <= value <= s.high:
                continue
            span = f"{_fmt(s.low)}-{_fmt(s.high)}"
            if name == "reporting_year":
                span = f"{s.low:.0f}-{s.high:.0f}"
                out.append(
                    InputWarning(
                        code="year_beyond_training",
                        field=name,
                        value=value,
                        training_range=span,
                        message=Message("year_beyond_training", value=f"{value:.0f}", span=span),
                    )
                )
                continue
            side = "above" if value > s.high else "below"
            out.append(
                InputWarning(
                    code="outside_training_range",
                    field=name,
                    value=value,
                    training_range=span,
                    message=Message(
                        "outside_training_range",
                        field=name,
                        value=_fmt(value),
                        side=side,
                        span=span,
                    ),
                )
            )
        for name, seen in self.categories.items():
            category = _category(profile, name)
            if category and seen.get(category, 0) < MIN_CATEGORY_COUNT:
                known = sorted(k for k, c in seen.items() if c >= MIN_CATEGORY_COUNT)
                out.append(
                    InputWarning(
                        code="unseen_category",
                        field=name,
                        value=category,
                        training_range=", ".join(known[:40]) + (" ..." if len(known) > 40 else ""),
                        message=Message(
                            "unseen_category",
                            field=name,
                            value=repr(category),
                            times=seen.get(category, 0),
                        ),
                    )
                )
        return out

    def drift(self, factories: Table) -> dict[str, dict[str, float]]:
        """Population stability index per numeric field (and the share of unseen categories)
        of ``factories`` against the training data."""
        out: dict[str, dict[str, float]] = {}
        for name, s in self.numeric.items():
            if name not in factories:
                continue
            values = floats(factories, name)
            values = values[np.isfinite(values)]
            if name in _POSITIVE_ONLY:
                values = values[values > 0]
            if len(values) == 0:
                continue
            counts = np.bincount(
                np.searchsorted(np.array(s.edges), values, side="right"), minlength=len(s.edges) + 1
            )
            new = np.maximum(counts / len(values), _EPS)
            ref = np.maximum(np.array(s.shares), _EPS)
            outside = float(np.mean((values < s.low) | (values > s.high)))
            out[name] = {
                "psi": float(np.sum((new - ref) * np.log(new / ref))),
                "share_outside_training_range": outside,
                "n": float(len(values)),
            }
        for name, seen in self.categories.items():
            if name not in factories:
                continue
            labels = texts(factories, name)
            unseen = [v for v in labels if seen.get(v, 0) < MIN_CATEGORY_COUNT]
            out[name] = {
                "share_unseen": len(unseen) / max(len(labels), 1),
                "n": float(len(labels)),
            }
        return out


def _value(profile: FactoryProfile, name: str) -> float | None:
    for carrier, field_name in PROFILE_FIELD.items():
        if field_name == name:
            return profile.energy(carrier)
    value = getattr(profile, name, None)
    return None if value is None else float(value)


def _category(profile: FactoryProfile, name: str) -> str:
    value = getattr(profile, name)
    return str(value.value if hasattr(value, "value") else value)


def wan_warnings(profile: FactoryProfile) -> list[InputWarning]:
    """Warnings for a Chinese plant's electricity or gas that reads as typed in kWh (Nm3)
    where 万kWh (万Nm3) was meant (features.bounds.wan_slips)."""
    stats = SECTOR_STATS[profile.sector]
    per_employee = {
        Carrier.ELECTRICITY: (stats.kwh_per_employee, stats.kwh_log_sd),
        # Gas per MWh of electricity among gas users (MMBtu, HHV) to GJ (LHV); the two spreads
        # taken as independent.
        Carrier.NATURAL_GAS: (
            stats.kwh_per_employee / 1000 * stats.gas_mmbtu_per_mwh * GJ_PER_MMBTU
            * LHV_PER_HHV[Carrier.NATURAL_GAS],
            math.hypot(stats.kwh_log_sd, stats.gas_log_sd),
        ),
    }  # fmt: skip
    slips = bounds.wan_slips(
        profile.country.value, profile.employees, profile.energy_by_carrier(), per_employee
    )
    return [
        InputWarning(
            code="likely_wan_unit",
            field=slip.field,
            value=_value(profile, slip.field),
            training_range=f"{_fmt(slip.low)}-{_fmt(slip.high)} {slip.unit}/yr",
            message=Message(
                "likely_wan_unit",
                field=slip.field,
                value=_fmt(slip.value),
                unit=slip.unit,
                wan_unit=WAN_PREFIX + slip.unit,
                employees=f"{profile.employees:,}",
                low=_fmt(slip.low),
                high=_fmt(slip.high),
            ),
        )
        for slip in slips
    ]


def _fmt(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = min(max(0, 2 - math.floor(math.log10(abs(value)))), 6)
    text = f"{round(value, digits):,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
