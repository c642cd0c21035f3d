"""Every problem of a filled-in profile form at once, in plain words in the user's language.

The profile model stops at its first error; the form should not make a person submit once per
mistake. :func:`check_profile` flags the empty required inputs, then validates the profile again
and again, each time setting aside the input that failed (a stand-in for a required one), until
the rest passes. Each problem is a :class:`Problem` (an input, a :data:`features.i18n.TEXTS`
key and its values) rendered once per language, never a Python repr.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from features import bounds
from features.errors import InvalidValueError, UnitError, UnknownRegionError, UnknownSectorError
from features.i18n import Lang, field_words, human, text
from features.profile import FactoryProfile, field_bounds, parse_profile
from features.regions import CHINA_PROVINCES, US_STATES, parse_country
from features.sectors import Sector
from features.units import AMBIGUOUS_UNIT_KIND, parse_share
from models.schemas import RecommendOptions
from serving.pages.form import (
    REQUIRED,
    ROW_TITLES,
    ROWS,
    SECTIONS,
    FileError,
    covered_fields,
    input_of_error,
)

#: Inputs chosen from a list on the form (a wrong value there is a wrong choice).
CHOICE_INPUTS = frozenset(
    {"country", "sector", "revenue_currency", "carrier", "end_use", "objective"}
)
#: Options of the form, beside the profile (RecommendOptions fields).
OPTION_FIELDS = ("objective", "top_k", "target_reduction", "currency")
#: Inputs of the form besides the profile's fields.
_INPUTS = frozenset({*OPTION_FIELDS, "profile_file", "profile_json", "api_key", "profile"})
#: Longest typed value quoted back in a message; a longer one is cut with "…" (ASSUMPTION:
#: enough to recognise a value, README "The factory's page").
_QUOTED = 40
#: Green electricity and certificates beyond the grid electricity (features.profile).
_GRID_BOUGHT = re.compile(r"^at most the grid electricity bought \((?P<kwh>[\d.,]+) kWh\)")
#: The hint a unit error adds after the allowed units: ", (万 of which unit)".
_HINT = re.compile(r",\s*\((?:[^()]|\([^()]*\))*\)\s*$")
#: Bound of a range as features.bounds / features.profile._range state it.
_RANGE = re.compile(r"^a finite number >= (?P<low>[-+.\deE]+)(?: and <= (?P<high>[-+.\deE]+))?")


@dataclass(frozen=True)
class Problem:
    """One problem of the form: the input it belongs to (``"factory_id"``,
    ``"energy_use.1.unit"``, ``"profile_file"``, or ``"profile"`` for the profile as a whole),
    the sentence's key and its values besides ``what`` (the input in words)."""

    where: str
    key: str
    slots: dict[str, str]
    #: A problem inside an uploaded file (its sentence is this one's ``message``).
    inner: Problem | None = None
    #: Values said otherwise in Chinese (a list of provinces by their Chinese names).
    zh_slots: dict[str, str] | None = None

    def render(self, lang: Lang) -> str:
        """The sentence in ``lang``."""
        slots = {**self.slots, **(self.zh_slots or {})} if lang == "zh" else dict(self.slots)
        if self.inner is not None:
            slots["message"] = self.inner.render(lang)
        return text(self.key, lang, what=input_words(self.where, lang), **slots)


def upload_problem(exc: InvalidValueError) -> Problem:
    """A problem of an uploaded file that could not be read into a profile (a file that
    cannot be parsed, or a CSV row its reader refused), filed under the file input."""
    if isinstance(exc, FileError):
        return Problem("profile_file", exc.key, exc.slots)
    return Problem("profile_file", "form_file_in", {}, problem_of(exc, {}))


def unread_problem(exc: InvalidValueError, row_of: dict[str, dict[int, int]]) -> Problem:
    """An input the form could not read into the profile: a production row's further options
    that are not ``key=value`` pairs, or an electricity input typed with a wrong unit."""
    if not exc.field.endswith(".more"):
        return problem_of(exc, row_of)
    return Problem(input_of_error(exc.field, row_of), "form_more", {"value": _quoted(exc.value)})


def input_words(where: str, lang: Lang) -> str:
    """An input of the form in words: ``"energy_use.1.unit"`` -> "Energy use rows, row 2, unit"."""
    parts = where.split(".")
    if len(parts) == 3 and parts[0] in ROWS:
        table = text(ROW_TITLES[parts[0]], lang)
        row = str(int(parts[1]) + 1)
        return text("form_cell", lang, table=table, row=row, column=field_words(parts[2], lang))
    if where == "profile_file":
        return text("page_upload", lang)
    return field_words(where, lang)


def rendered(problems: list[Problem], lang: Lang) -> dict[str, str]:
    """Input -> its problems as one text in ``lang`` (several on one input joined)."""
    out: dict[str, str] = {}
    for p in problems:
        message = p.render(lang)
        out[p.where] = f"{out[p.where]} {message}" if p.where in out else message
    return out


def _quoted(value: object) -> str:
    """A typed value as a person typed it (a number plainly, a long text cut)."""
    if isinstance(value, float):
        return human(value, 6) if abs(value) < 1e15 else f"{value:g}"
    shown = str(value).strip()
    return shown if len(shown) <= _QUOTED else shown[: _QUOTED - 1] + "…"


def _plain(number: float) -> str:
    """A limit as people write it: a year as 1980, a large limit with separators."""
    # ASSUMPTION (README "The factory's page"): whole numbers below 10,000 read like years.
    if number.is_integer() and abs(number) < 1e4:
        return str(int(number))
    return human(number, 6)


def _order(where: str) -> int:
    """An input's place on the form (the order of the summary)."""
    inputs = [name for names in SECTIONS.values() for name in names]
    head = where.split(".", maxsplit=1)[0]
    if head in inputs:
        return inputs.index(head)
    return len(inputs) + (list(ROWS).index(head) if head in ROWS else len(ROWS))


def _number(value: object) -> float | None:
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


def problem_of(
    exc: InvalidValueError,
    row_of: dict[str, dict[int, int]],
    fuel_rows: dict[str, int] | None = None,
) -> Problem:
    """The problem a domain error describes, filed under the input it came from
    (``fuel_rows``: the form row of each carrier's fuel price)."""
    if isinstance(exc, FileError):
        return Problem("profile_file", exc.key, exc.slots)
    # "a + b" (a sum over inputs): filed under its first input.
    where = input_of_error(exc.field.split(" + ")[0], row_of)
    parts = [p for p in re.split(r"[.\[\]]+", exc.field) if p]
    if parts[:1] == ["fuel_prices"] and len(parts) > 1:
        # Prices are keyed by carrier: a wrong carrier (or electricity, priced apart) or price.
        row = (fuel_rows or {}).get(parts[1], 0)
        carrier = exc.value == parts[1] or parts[1] == "electricity"
        where = f"fuel_prices.{row}.{'carrier' if carrier else 'price'}"
        if carrier:
            return Problem(where, "form_choose", {"value": parts[1]})
    column = where.rsplit(".", 1)[-1]
    if where.split(".", maxsplit=1)[0] not in _INPUTS | covered_fields():
        return Problem("profile", "form_unknown", {"name": _quoted(exc.field)})
    value = _quoted(exc.value)
    if exc.value is None or value == "" or exc.allowed == "Field required":
        return Problem(where, "form_missing", {})
    if isinstance(exc.value, dict | list):  # a row as a whole: what it lacks is in its rule
        if where.startswith("end_uses.") and "share" in exc.allowed:
            return Problem(f"{where.rsplit('.', 1)[0]}.share", "form_missing", {})
        return Problem(where, "form_row", {"allowed": exc.allowed})
    if exc.allowed.startswith("a number, or an amount with one of the units"):
        return Problem(where, "form_money", {"value": value})
    grid = _GRID_BOUGHT.match(exc.allowed)
    if grid is not None:
        return Problem(where, "form_green", {"value": value, "grid": grid["kwh"]})
    if isinstance(exc, UnknownRegionError):
        # "Anhui (安徽), ...": the Chinese names alone in Chinese.
        chinese = re.findall(r"\(([^()]+)\)", exc.allowed)
        zh = {"allowed": "、".join(chinese)} if chinese else None
        return Problem(where, "form_region", {"value": value, "allowed": exc.allowed}, None, zh)
    if isinstance(exc, UnitError):
        # The allowed units without the English hint on a vague word (said by its key).
        allowed = _HINT.sub("", exc.allowed)
        kind = AMBIGUOUS_UNIT_KIND.get(unicodedata.normalize("NFKC", value).strip(), "form_unit")
        return Problem(where, kind, {"value": value, "allowed": allowed})
    if where == "measures_in_place":
        return Problem(where, "form_measure", {"value": value})
    if isinstance(exc, UnknownSectorError) or column in CHOICE_INPUTS:
        return Problem(where, "form_choose", {"value": value})
    return _number_problem(exc, where, value)


def _number_problem(exc: InvalidValueError, where: str, value: str) -> Problem:
    """A wrong number at ``where`` (``value`` as quoted back): not a number, not whole, out of
    its range, or else wrong as the error says."""
    if exc.allowed.startswith(("Input should be a valid number", "Input should be a finite")):
        return _not_a_number(where, value)
    if exc.allowed.startswith("Input should be a valid integer"):
        key = "form_not_whole" if _number(exc.value) is not None else "form_not_number"
        return Problem(where, key, {"value": value})
    found = _RANGE.match(exc.allowed)
    number = _number(exc.value)
    if found is not None and number is not None:
        low, high = float(found["low"]), found["high"]
        if low == 0 and number < 0:
            return Problem(where, "form_negative", {"value": value})
        if high is not None:
            slots = {"value": value, "low": _plain(low), "high": _plain(float(high))}
            return Problem(where, "form_between", slots)
        return Problem(where, "form_at_least", {"value": value, "low": _plain(low)})
    return Problem(where, "form_invalid", {"value": value, "allowed": exc.allowed})


def _not_a_number(where: str, value: str) -> Problem:
    """A number field given text (or inf, nan): with the field's range when it has one."""
    bound = field_bounds(None).get(where)
    if bound is None:
        return Problem(where, "form_not_number", {"value": value})
    slots = {"value": value, "low": _plain(float(bound.low)), "high": _plain(float(bound.high))}
    return Problem(where, "form_not_number_between", slots)


def _stand_in(name: str, profile: dict[str, Any]) -> object:
    """A valid value for a required input that is empty or wrong, so that the rest of the
    profile can still be checked (its own problem is already flagged). ``Any``: raw values."""
    if name == "factory_id":
        return "-"
    if name == "country":
        return "CN"
    if name == "region":
        try:
            us = parse_country(str(profile.get("country", "CN"))).value == "US"
        except InvalidValueError:
            us = False
        return US_STATES[0] if us else next(iter(CHINA_PROVINCES))
    if name == "sector":
        return next(iter(Sector)).value
    # reporting_year: this year, inside the years the data cover (features.bounds.YEAR).
    return min(max(datetime.date.today().year, bounds.YEAR.low), bounds.YEAR.high)


def check_profile(
    raw: dict[str, Any], row_of: dict[str, dict[int, int]]
) -> tuple[FactoryProfile | None, list[Problem]]:
    """The profile a form describes, or every problem that stops it (``Any``: raw JSON values).

    Returns ``(profile, [])`` when the form is right, else ``(None, problems)`` with one problem
    per wrong input, in the order of the form.
    """
    # Rows are set aside from copies: ``raw`` refills the form.
    trial = {k: list(v) if isinstance(v, list) else v for k, v in raw.items()}
    rows = {name: dict(of) for name, of in row_of.items()}
    problems: list[Problem] = []
    stood_in: set[str] = set()
    for name in REQUIRED:
        if name == "sector" and trial.get("naics_code"):
            continue  # derived from the NAICS code
        if trial.get(name) in (None, ""):
            problems.append(Problem(name, "form_missing", {}))
            stood_in.add(name)
    if "country" in stood_in:
        stood_in.add("region")  # a region can only be checked within its country
    for name in sorted(stood_in, key=REQUIRED.index):
        trial[name] = _stand_in(name, trial)
    # Each round sets one input aside, so the inputs bound the rounds.
    for _ in range(len(FactoryProfile.model_fields) + sum(len(v) for v in rows.values()) + 1):
        try:
            profile = parse_profile(trial)
        except InvalidValueError as exc:
            problem = problem_of(exc, rows, _fuel_rows(raw, row_of))
            if problem.where not in stood_in:
                problems.append(problem)
            if not _set_aside(trial, rows, stood_in, exc.field, problem.where):
                if problem.where in stood_in:
                    problems.append(problem)  # a stand-in failed: say what failed
                break
            continue
        if not problems:
            if not _uses_energy(profile):
                return None, [Problem("electricity_kwh", "form_no_energy", {})]
            return profile, []
        break
    problems.sort(key=lambda p: _order(p.where))
    return None, problems


def _uses_energy(profile: FactoryProfile) -> bool:
    """Whether the profile declares any energy (bought, generated on site or an IT load): a
    footprint of nothing is no answer to show."""
    bought = sum(profile.energy_by_carrier().values())
    return bought > 0 or profile.onsite_renewable_kwh > 0 or bool(profile.it_load_kwh)


def _fuel_rows(raw: dict[str, Any], row_of: dict[str, dict[int, int]]) -> dict[str, int]:
    """The form row of each carrier's fuel price (``Any``: raw JSON values)."""
    prices = raw.get("fuel_prices")
    if not isinstance(prices, dict):
        return {}
    of = row_of.get("fuel_prices", {})
    return {str(carrier): of.get(i, i) for i, carrier in enumerate(prices)}


def _set_aside(
    trial: dict[str, Any],
    rows: dict[str, dict[int, int]],
    stood_in: set[str],
    field: str,
    where: str,
) -> bool:
    """Take the input behind an error out of ``trial`` (a stand-in for a required one);
    False when there is nothing left to take out. ``Any``: raw JSON values."""
    head = where.split(".", maxsplit=1)[0]
    parts = [p for p in re.split(r"[.\[\]]+", field.split(" + ", maxsplit=1)[0]) if p]
    if head in ROWS and head != "fuel_prices" and len(parts) > 1 and parts[1].isdigit():
        entries = trial.get(head)
        index = int(parts[1])
        if not isinstance(entries, list) or index >= len(entries):
            return False
        del entries[index]
        trial[head] = entries
        # Rows after the one set aside move up: keep pointing at the rows the user filled.
        of = rows.get(head, {})
        rows[head] = {i if i < index else i - 1: r for i, r in of.items() if i != index}
        return True
    prices = trial.get("fuel_prices")
    if head == "fuel_prices" and isinstance(prices, dict) and len(parts) > 1 and parts[1] in prices:
        trial["fuel_prices"] = {k: v for k, v in prices.items() if k != parts[1]}
        return True
    if head in REQUIRED:
        if head in stood_in:
            return False
        stood_in.add(head)
        if head == "country":
            stood_in.add("region")
            trial["region"] = _stand_in("region", {"country": "CN"})
        trial[head] = _stand_in(head, trial)
        return True
    # A field the profile does not have is filed under the profile: set aside by its name.
    name = head if head in trial else (parts[0] if parts else "")
    if name in trial:
        del trial[name]
        return True
    return False


def check_options(form: dict[str, str], lang: Lang) -> tuple[RecommendOptions, list[Problem]]:
    """The options of the form (top_k, objective, ...), each checked on its own; an option
    with a problem takes its default."""
    raw: dict[str, Any] = {"lang": lang}  # Any: typed per option below
    problems: list[Problem] = []
    for name in OPTION_FIELDS:
        value = form.get(name, "").strip()
        if not value:
            continue
        typed: object = value
        if name == "target_reduction":
            try:
                typed = parse_share(name, value)
            except InvalidValueError:
                problems.append(Problem(name, "form_share", {"value": _quoted(value)}))
                continue
        elif name == "top_k":
            number = _number(value)
            if number is None or (name == "top_k" and not number.is_integer()):
                key = "form_not_number" if number is None else "form_not_whole"
                problems.append(Problem(name, key, {"value": _quoted(value)}))
                continue
            typed = int(number)
        try:
            RecommendOptions.model_validate({name: typed})
        except ValidationError as exc:
            problems.append(_option_problem(name, typed, exc))
            continue
        raw[name] = typed
    try:
        return RecommendOptions.model_validate(raw), problems
    except ValidationError as exc:  # options that are right alone but not together
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else OPTION_FIELDS[0]
        problems.append(_option_problem(field, raw.get(field), exc))
        return RecommendOptions.model_validate({"lang": lang}), problems


def _option_problem(name: str, value: object, exc: ValidationError) -> Problem:
    """An option outside its range (the range read from :class:`RecommendOptions`)."""
    limits = {"low": None, "high": None}
    for rule in RecommendOptions.model_fields[name].metadata:
        for attr, slot in (("ge", "low"), ("gt", "low"), ("le", "high"), ("lt", "high")):
            if getattr(rule, attr, None) is not None:
                limits[slot] = getattr(rule, attr)
    low, high = limits["low"], limits["high"]
    if isinstance(value, int | float) and low is not None and high is not None:
        slots = {"value": _quoted(value), "low": _plain(float(low)), "high": _plain(float(high))}
        return Problem(name, "form_between", slots)
    allowed = str(exc.errors()[0].get("msg", "")) if exc.errors() else str(exc)
    return problem_of(InvalidValueError(name, value, allowed), {})
