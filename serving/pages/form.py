"""The profile form: one input per profile field (built from the profile model, so a new field
shows up on its own), rows for the list fields, and the way back from submitted form data or an
uploaded JSON/CSV file to the raw profile the API takes."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import pandas as pd

from features.enduses.taxonomy import EndUse
from features.errors import InvalidValueError
from features.i18n import Lang, field_words
from features.profile import FactoryProfile, profiles_from_frame
from features.regions import Country
from features.sectors import Sector
from features.units import (
    CURRENCIES,
    PROFILE_FIELD,
    Carrier,
    number_text,
    parse_number,
    to_canonical,
)
from serving.body_meters import MAX_JSON_DEPTH, json_depth, too_deep_detail
from serving.pages.form_words import choice_words, help_text, row_hint

#: Scalar fields by section, in the order a plant engineer fills them in.
SECTIONS: dict[str, tuple[str, ...]] = {
    "page_general": (
        "factory_id",
        "country",
        "region",
        "sector",
        "naics_code",
        "reporting_year",
        "employees",
        "floor_area_m2",
        "operating_hours_per_year",
        "measures_in_place",
        "it_load_kwh",
        "pue",
        "heat_sink_temperature_c",
        "byproduct_hydrogen_nm3",
    ),
    "page_energy": tuple(PROFILE_FIELD.values()),
    "page_money": (
        "annual_revenue",
        "revenue_currency",
        "electricity_cost_per_year",
        "fuel_cost_per_year",
        "electricity_price",
    ),
    "page_green": (
        "onsite_renewable_kwh",
        "green_electricity_contract_kwh",
        "green_certificates_kwh",
        "roof_area_available_m2",
        "onsite_wind_hydro_kwh_potential",
        "co2_captured_stored_t",
        "offsets_tco2e",
    ),
}

#: List fields entered as rows: field -> (row count, columns).
ROWS: dict[str, tuple[int, tuple[str, ...]]] = {
    "energy_use": (3, ("carrier", "value", "unit")),
    "end_uses": (4, ("carrier", "end_use", "share")),
    "production": (2, ("product", "route", "output_t", "more")),
    "fuel_prices": (3, ("carrier", "price")),
}
ROW_TITLES = {
    "energy_use": "page_energy_rows",
    "end_uses": "page_end_use_rows",
    "production": "page_production_rows",
    "fuel_prices": "page_fuel_price_rows",
}
REQUIRED = ("factory_id", "country", "region", "sector", "reporting_year")
#: Electricity inputs in kWh/yr besides the grid's: typed with a unit too ("200万千瓦时").
KWH_INPUTS = (
    "onsite_renewable_kwh",
    "green_electricity_contract_kwh",
    "green_certificates_kwh",
    "it_load_kwh",
    "onsite_wind_hydro_kwh_potential",
)
#: A number followed by a unit word: "200万千瓦时", "1.2 GWh".
_WITH_UNIT = re.compile(r"^([+-]?[\d.,]*\d(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*([^\d\s.,+-].*)$")


@dataclass(frozen=True)
class Input:
    """One input of the form."""

    name: str
    label: str
    help: str
    choices: tuple[str, ...] = ()
    value: str = ""
    error: str = ""
    required: bool = False
    #: The choices as a person reads them (the values sent are ``choices``).
    labels: tuple[str, ...] = ()


def _choices(name: str) -> tuple[str, ...]:
    if name == "country":
        return tuple(c.value for c in Country)
    if name == "sector":
        return tuple(s.value for s in Sector)
    if name == "revenue_currency":
        return tuple(CURRENCIES)
    if name == "carrier":
        return tuple(c.value for c in Carrier)
    if name == "end_use":
        return tuple(u.value for u in EndUse)
    return ()


def _help(name: str, lang: Lang) -> str:
    described = FactoryProfile.model_fields[name].description or ""
    return help_text(name, described, lang)


def form_inputs(
    lang: Lang, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, list[Input]]:
    """The scalar inputs by section, filled with ``values`` and marked with ``errors``."""
    values, errors = values or {}, errors or {}
    return {
        section: [
            Input(
                name,
                field_words(name, lang),
                _help(name, lang),
                _choices(name),
                values.get(name, ""),
                errors.get(name, ""),
                name in REQUIRED,
                tuple(choice_words(name, c, lang) for c in _choices(name)),
            )
            for name in names
        ]
        for section, names in SECTIONS.items()
    }


def row_inputs(
    lang: Lang, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> dict[str, list[list[Input]]]:
    """The row inputs of the list fields: ``field.i.column`` names."""
    values, errors = values or {}, errors or {}
    out: dict[str, list[list[Input]]] = {}
    for field, (count, columns) in ROWS.items():
        filled = [int(k.split(".")[1]) for k in values if k.startswith(f"{field}.")]
        rows = []
        for i in range(max(count, max(filled, default=-1) + 2)):
            row = []
            for col in columns:
                name = f"{field}.{i}.{col}"
                choices = _choices(col)
                row.append(
                    Input(
                        name,
                        field_words(col, lang),
                        row_hint(col, lang),
                        choices,
                        values.get(name, ""),
                        errors.get(name, ""),
                        labels=tuple(choice_words(col, c, lang) for c in choices),
                    )
                )
            rows.append(row)
        out[field] = rows
    return out


def covered_fields() -> set[str]:
    """Profile fields the form has an input for."""
    return {n for names in SECTIONS.values() for n in names} | set(ROWS)


class FileError(InvalidValueError):
    """An uploaded profile file that cannot be read: ``key`` and ``slots`` say why in words
    (a :data:`features.i18n.TEXTS` key and its values), the message says it to the API's
    readers."""

    def __init__(self, key: str, filename: str, allowed: str, **slots: str) -> None:
        super().__init__("profile_file", filename, allowed)
        self.key = key
        self.slots = {"name": filename, **slots}


@dataclass
class Submitted:
    """A profile as submitted through the form: the raw profile, where each list row's
    entries went (so an error on ``energy_use.0`` is shown on the row the user filled), and
    the inputs that could not be read into it (left out of ``profile``)."""

    profile: dict[str, Any]  # Any: raw JSON-like values, validated by parse_profile
    row_of: dict[str, dict[int, int]]
    unread: list[InvalidValueError] = dataclass_field(default_factory=list)


def profile_from_form(form: dict[str, str]) -> Submitted:
    """The raw profile a filled-in form describes: empty inputs left out, rows compacted."""
    profile: dict[str, Any] = {}
    for names in SECTIONS.values():
        for name in names:
            value = form.get(name, "").strip()
            if value:
                profile[name] = value
    unread: list[InvalidValueError] = []
    for name in KWH_INPUTS:
        typed = number_text(profile.get(name, ""))
        match = _WITH_UNIT.match(typed)
        if match is not None:
            try:
                amount = parse_number(name, match.group(1))
                profile[name] = to_canonical(Carrier.ELECTRICITY, amount, match.group(2), name)
            except InvalidValueError as exc:
                unread.append(exc)
                del profile[name]
    if "measures_in_place" in profile:
        profile["measures_in_place"] = [
            m.strip() for m in re.split(r"[;,\s]+", profile["measures_in_place"]) if m.strip()
        ]
    row_of: dict[str, dict[int, int]] = {}
    for name, (count, columns) in ROWS.items():
        entries: list[dict[str, Any]] = []
        row_of[name] = {}
        filled = [
            int(k.split(".")[1])
            for k in form
            if k.startswith(f"{name}.") and k.split(".")[1].isdigit()
        ]
        for i in range(max(count, max(filled, default=-1) + 1)):
            cells = {c: form.get(f"{name}.{i}.{c}", "").strip() for c in columns}
            if not any(cells.values()):
                continue
            row_of[name][len(entries)] = i
            entry: dict[str, Any] = {c: v for c, v in cells.items() if v and c != "more"}
            try:
                entry.update(_more(name, i, cells.get("more", "")))
            except InvalidValueError as exc:
                unread.append(exc)
            entries.append(entry)
        if not entries:
            continue
        if name == "fuel_prices":
            profile[name] = {e.get("carrier", ""): e.get("price", "") for e in entries}
        else:
            profile[name] = entries
    return Submitted(profile, row_of, unread)


def _more(field: str, row: int, text: str) -> dict[str, str]:
    """``key=value; key=value`` of a production row's further options."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise InvalidValueError(
                f"{field}[{row}].more",
                part,
                "key=value entries separated by ';', e.g. clinker_ratio=0.7; anode_type=cwpb",
            )
        out[key.strip()] = value.strip()
    return out


def input_of_error(field: str, row_of: dict[str, dict[int, int]]) -> str:
    """The form input an error's field belongs to (``energy_use[1].unit`` or
    ``energy_use.1.unit`` -> the input of the row the user filled)."""
    parts = [p for p in re.split(r"[.\[\]]+", field) if p]
    if not parts:
        return ""
    head = parts[0]
    if head in ROWS and head != "fuel_prices" and len(parts) >= 2 and parts[1].isdigit():
        row = row_of.get(head, {}).get(int(parts[1]), int(parts[1]))
        column = parts[2] if len(parts) > 2 else ROWS[head][1][0]
        if column not in ROWS[head][1]:
            column = "more" if head == "production" else ROWS[head][1][0]
        return f"{head}.{row}.{column}"
    if head == "fuel_prices":
        return "fuel_prices.0.carrier"
    return head


def profile_from_upload(filename: str, content: bytes) -> dict[str, Any]:
    """The raw profile in an uploaded JSON object or a one-row CSV table (profile columns as
    ``decarb-data`` writes them). ``Any``: raw JSON values."""
    name = filename.lower()
    if name.endswith(".json"):
        try:
            check_depth("profile_file", filename, content)
        except InvalidValueError as exc:
            most = str(MAX_JSON_DEPTH)
            raise FileError("form_file_deep", filename, exc.allowed, most=most) from None
        try:
            data = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FileError("form_file_bad_json", filename, f"a JSON object ({exc})") from None
        if not isinstance(data, dict):
            raise FileError("form_file_bad_json", filename, "a JSON object (one factory)")
        inner = data.get("profile")
        return inner if isinstance(inner, dict) else data
    if name.endswith(".csv"):
        try:
            frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
        except (UnicodeDecodeError, ValueError) as exc:
            raise FileError("form_file_bad_csv", filename, f"a CSV table ({exc})") from None
        frame = frame.replace("", None)
        if len(frame) != 1:
            raise FileError(
                "form_file_rows",
                filename,
                "one factory per upload (the batch API takes many)",
                rows=str(len(frame)),
            )
        profiles, rejected = profiles_from_frame(frame)
        if rejected:
            raise rejected[0][1]
        return _raw(profiles[0])
    raise FileError("form_file_kind", filename, "a .json or .csv file")


def check_depth(field: str, value: str, content: bytes) -> None:
    """Refuse JSON nested deeper than the API takes (a deeper text fails the parser)."""
    depth = json_depth(content)
    if depth > MAX_JSON_DEPTH:
        raise InvalidValueError(field, value, str(too_deep_detail(field, depth)["allowed"]))


def _raw(profile: FactoryProfile) -> dict[str, Any]:
    """A validated profile back as raw JSON data (``Any``: JSON values)."""
    data: dict[str, Any] = json.loads(profile.model_dump_json(exclude_defaults=True))
    return data


def form_values(profile: dict[str, Any]) -> dict[str, str]:
    """A raw profile as the form's input values (to refill the form)."""
    out: dict[str, str] = {}
    for names in SECTIONS.values():
        for name in names:
            value = profile.get(name)
            if value is None:
                continue
            if name == "measures_in_place" and isinstance(value, list | tuple):
                out[name] = "; ".join(str(v) for v in value)
            else:
                out[name] = str(value)
    for field, (_, columns) in ROWS.items():
        value = profile.get(field)
        if field == "fuel_prices" and isinstance(value, dict):
            value = [{"carrier": k, "price": v} for k, v in value.items()]
        if not isinstance(value, list):
            continue
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                continue
            more = {k: v for k, v in entry.items() if k not in columns}
            for col in columns:
                if col == "more":
                    out[f"{field}.{i}.more"] = "; ".join(f"{k}={v}" for k, v in more.items())
                elif entry.get(col) is not None:
                    out[f"{field}.{i}.{col}"] = str(entry[col])
    return out
