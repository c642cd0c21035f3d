"""schemathesis hooks for the ``--checks all`` run (tests/serving/test_schemathesis_all_checks.py):
a generated request that breaks a rule between fields which JSON Schema cannot state (a
quantity against a sum of others, a date against another) is dropped before it is sent
(``filter_case``), so that "schema-valid request rejected" means a real disagreement between
the schema and validation.

Each rule below names where the API enforces it; docs/api.md lists them for API users. A rule
here only drops requests, never changes one, and errs towards dropping (e.g. a quantity in
another unit than the canonical one counts as unknown), so a kept request breaks none of them.
Loaded with ``SCHEMATHESIS_HOOKS=tests.serving.schemathesis_hooks``.
"""

from __future__ import annotations

import calendar
import itertools
import json
from datetime import date
from typing import Any

import schemathesis

from features import bounds
from features.outcomes import DAYS_PER_YEAR, MIN_PERIOD_DAYS
from features.profile import MONEY_FIELDS
from features.units import CURRENCIES, PLAUSIBLE_MAX, Carrier, to_canonical

#: Canonical fields of the carriers and their units, as in features/units.py PROFILE_FIELD and
#: CANONICAL_UNIT (written out: a hook checks the API, it does not borrow its code).
CANONICAL = {
    "electricity": ("electricity_kwh", "kWh"),
    "natural_gas": ("natural_gas_gj", "GJ"),
    "coal": ("coal_gj", "GJ"),
    "diesel": ("diesel_gj", "GJ"),
    "fuel_oil": ("fuel_oil_gj", "GJ"),
    "lpg": ("lpg_gj", "GJ"),
    "purchased_heat": ("purchased_heat_gj", "GJ"),
    "biomass": ("biomass_gj", "GJ"),
    "other_fuel": ("other_fuel_gj", "GJ"),
}
#: End-use shares of a carrier may sum to 1 + this: features/profile.py SHARE_ROUNDING.
SHARE_ROUNDING = 1e-3


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def carrier_not_twice(profile: dict[str, Any]) -> bool:
    """A carrier in ``energy_use`` is not also given in its canonical field (non-zero):
    features/profile.py ``FactoryProfile._check`` ("a carrier not also given as ...")."""
    for entry in _entries(profile, "energy_use"):
        carrier = entry.get("carrier")
        if carrier not in CANONICAL:
            continue  # the schema's own enum
        if _number(profile.get(CANONICAL[carrier][0])) not in (None, 0.0):
            return False
    return True


def green_power_within_grid(profile: dict[str, Any]) -> bool:
    """Green-power contracts plus certificates are at most the grid electricity bought:
    features/profile.py ``FactoryProfile._check`` ("at most the grid electricity bought")."""
    market = sum(
        _number(profile.get(name)) or 0.0
        for name in ("green_electricity_contract_kwh", "green_certificates_kwh")
    )
    if market == 0.0:
        return True
    if any(e.get("carrier") == "electricity" for e in _entries(profile, "energy_use")):
        return False  # grid electricity in other units: not converted here, dropped
    return market <= (_number(profile.get("electricity_kwh")) or 0.0)


def end_uses_within_use(profile: dict[str, Any]) -> bool:
    """Per carrier, the ``end_uses`` entries (a share or a quantity each) add up to at most
    the carrier's use and a quantity is at most that use: features/profile.py
    ``FactoryProfile.end_use_shares``. Quantities in other units than the canonical one, and
    carriers also given in ``energy_use``, are not converted here: such cases are dropped."""
    in_energy_use = {e.get("carrier") for e in _entries(profile, "energy_use")}
    totals: dict[str, float] = {}
    for entry in _entries(profile, "end_uses"):
        carrier = entry.get("carrier")
        if carrier not in CANONICAL:
            continue  # the schema's own enum
        field, unit = CANONICAL[carrier]
        share, value = _number(entry.get("share")), _number(entry.get("value"))
        if value is None or entry.get("share") is not None:
            totals[carrier] = totals.get(carrier, 0.0) + (share or 0.0)
            continue
        if carrier in in_energy_use or entry.get("unit") not in (None, unit):
            return False
        use = _number(profile.get(field)) or 0.0
        if value > use:
            return False
        totals[carrier] = totals.get(carrier, 0.0) + (value / use if use > 0 else 0.0)
    return all(total <= 1 + SHARE_ROUNDING for total in totals.values())


def energy_use_within_site(profile: dict[str, Any]) -> bool:
    """An ``energy_use`` quantity is >= 0 and, converted to the carrier's canonical unit, at
    most one site's plausible use: features/profile.py ``FactoryProfile._check`` (the
    conversion is features.units.to_canonical's, the limit its PLAUSIBLE_MAX)."""
    for entry in _entries(profile, "energy_use"):
        value = _number(entry.get("value"))
        if value is None:
            continue  # not a number: the schema's own type
        try:
            carrier = Carrier(str(entry.get("carrier")))
            converted = to_canonical(carrier, value, str(entry.get("unit")))
        except ValueError:  # InvalidValueError too
            continue  # not a carrier or one of its units: the schema's own enums
        if value < 0 or not converted <= PLAUSIBLE_MAX[carrier]:
            return False
    return True


def _currency(profile: dict[str, Any]) -> object:
    """The profile's currency: revenue_currency, else its country's (features/profile.py)."""
    currency = profile.get("revenue_currency")
    return currency if currency is not None else "USD" if profile.get("country") == "US" else "CNY"


def money_within_currency(profile: dict[str, Any]) -> bool:
    """Money fields within the range of the profile's currency (the schema gives the widest,
    any currency's): features/profile.py ``_check_bounds`` with features.bounds.money."""
    currency = _currency(profile)
    if not isinstance(currency, str) or currency not in CURRENCIES:
        return True  # the schema's own enum
    ranges = {**dict.fromkeys(MONEY_FIELDS, bounds.money(currency)),
              "electricity_price": bounds.electricity_price(currency)}  # fmt: skip
    for name, bound in ranges.items():
        value = _number(profile.get(name))
        if value is not None and not bound.low <= value <= bound.high:
            return False
    prices = profile.get("fuel_prices")
    fuel = bounds.fuel_price(currency)
    if isinstance(prices, dict):
        for value in map(_number, prices.values()):
            if value is not None and not fuel.low <= value <= fuel.high:
                return False
    return True


#: The rules a generated profile must keep to be sent as a valid one.
RULES = (carrier_not_twice, green_power_within_grid, end_uses_within_use,
         energy_use_within_site, money_within_currency)  # fmt: skip


def savings_with_period(report: dict[str, Any]) -> bool:
    """An outcome's ``measured_savings`` come with status implemented and a metering period
    of at least MIN_PERIOD_DAYS, each carrier once; a rejected measure has a reason:
    features/outcomes.py ``OutcomeReport._consistent``."""
    status, savings = report.get("status"), _entries(report, "measured_savings")
    if status == "rejected" and not str(report.get("reason") or "").strip():
        return False
    start, end = _date(report.get("period_start")), _date(report.get("period_end"))
    if start is not None and end is not None and (end - start).days + 1 < MIN_PERIOD_DAYS:
        return False
    if not savings:
        return True
    carriers = [entry.get("carrier") for entry in savings]
    has_period = start is not None and end is not None
    return status == "implemented" and has_period and len(set(carriers)) == len(carriers)


def outcome_numbers_in_range(report: dict[str, Any]) -> bool:
    """An outcome's capex within the money range of its currency (``currency``, else the
    profile's), each saving within one site's use once annualised over the period, and no NUL
    character in any text: serving/outcomes.py ``_check_numbers`` and ``_refuse_nul``."""
    if "\\u0000" in json.dumps(report):  # a NUL in any key or text (or a text spelling it)
        return False
    given = report.get("profile")
    profile: dict[str, Any] = given if isinstance(given, dict) else {}
    currency = report.get("currency") or _currency(profile)
    capex = _number(report.get("actual_capex"))
    if capex is not None and currency in CURRENCIES:
        money = bounds.money(str(currency))
        if not money.low <= capex <= money.high:
            return False
    start, end = _date(report.get("period_start")), _date(report.get("period_end"))
    if start is None or end is None or end < start:
        return True  # no period: savings_with_period's rule
    days = (end - start).days + 1
    for entry in _entries(report, "measured_savings"):
        value = _number(entry.get("value"))
        if value is None:
            continue
        try:
            carrier = Carrier(str(entry.get("carrier")))
            annual = to_canonical(carrier, value, str(entry.get("unit"))) * DAYS_PER_YEAR / days
        except ValueError:  # InvalidValueError too
            continue  # not a carrier or one of its units: the schema's own enums
        if not abs(annual) <= PLAUSIBLE_MAX[carrier]:
            return False
    return True


def same_factory(report: dict[str, Any], factory_id: object) -> bool:
    """An outcome's profile is the reporting factory's: features/outcomes.py ``check_report``
    (profile.factory_id must equal the report's factory_id)."""
    profile = report.get("profile")
    return not isinstance(profile, dict) or factory_id in (None, profile.get("factory_id"))


def readings_in_order(request: dict[str, Any]) -> bool:
    """Each reading ends on or after its start, and the periods of one carrier do not
    overlap: features/verification/periods.py ``parse_span`` and ``check_overlaps``."""
    spans: dict[object, list[tuple[date, date]]] = {}
    for reading in _entries(request, "readings"):
        start = _date(reading.get("period")) or _date(f"{reading.get('period')}-01")
        if start is None:
            continue  # the schema's own pattern
        end = _date(reading.get("period_end"))
        if end is None:  # a month without period_end: to the month's end
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        if end < start:
            return False
        spans.setdefault(reading.get("carrier"), []).append((start, end))
    for periods in spans.values():
        periods.sort()
        for (_, end), (start, _) in itertools.pairwise(periods):
            if start <= end:
                return False
    return True


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _entries(profile: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = profile.get(name)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _profiles(body: object) -> list[dict[str, Any]]:
    """The profiles of a request body: ``profile``, or ``record.profile`` (verifications)."""
    if not isinstance(body, dict):
        return []
    found = [body.get("profile")]
    record = body.get("record")
    if isinstance(record, dict):
        found.append(record.get("profile"))
    return [p for p in found if isinstance(p, dict)]


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> bool:
    """Keep a schema-valid case only when its body keeps the rules (:func:`keeps_rules`); a
    case generated to violate the schema is kept as it is. A case hook, as the coverage phase
    applies no body hooks."""
    meta = case.meta
    if meta is not None and meta.generation.mode == schemathesis.GenerationMode.NEGATIVE:
        return True
    path = context.operation.path if context.operation is not None else ""
    return keeps_rules(path, case.body)


def keeps_rules(path: str, body: Any) -> bool:
    """Whether every profile in ``body`` keeps every rule of :data:`RULES`, and an outcome
    (POST /v1/outcomes, or a verification's ``record``) its own rules (``Any``: a generated
    body, of any JSON type)."""
    if not all(rule(profile) for profile in _profiles(body) for rule in RULES):
        return False
    if not isinstance(body, dict):
        return True
    if path == "/v1/outcomes":
        return (
            savings_with_period(body)
            and outcome_numbers_in_range(body)
            and same_factory(body, body.get("factory_id"))
        )
    if path == "/v1/verifications" and not readings_in_order(body):
        return False
    record = body.get("record")
    if path == "/v1/verifications" and isinstance(record, dict):
        # The stored outcome's factory: record.factory_id, else the request's, else the
        # profile's (serving/verify.py VerificationRecord, features/verification/outcome.py).
        return same_factory(record, record.get("factory_id") or body.get("factory_id"))
    return True
