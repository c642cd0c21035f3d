"""Reader for the US DOE Industrial Assessment Centers (IAC/ITAC) database as DOE publishes it.

Accepted layouts (column names are matched case-insensitively; see docs/data-format.md):

- the Excel workbook with an ``ASSESS`` sheet and the ``RECC`` sheet(s) split in parts
  (``RECC1``, ``RECC2``, ...; each part may repeat the header row);
- CSV exports of those sheets in one folder (``ASSESS*.csv``, ``RECC*.csv``; ``.gz`` allowed);
- the partial releases: the 2026 ASSESS table, the primary-stream RECC table whose ARC was
  rounded to an integer, and one centre's full-schema export with renamed columns.

What it does, and reports row by row (rows in = rows used + rows rejected, per table):

- maps ARC codes to catalogue measures (decimal ARCs) or keeps the coarse group only (integer,
  rounded ARCs of the primary-stream release); repairs ARCs whose decimal point was lost
  (``22442`` -> ``2.2442``);
- maps resource codes to carriers: EC/E1 kWh, E2-E12 MMBtu (HHV, converted to GJ LHV), ED
  kW-months of demand; EF, W*, R*, P* streams count in cost savings only;
- sums up to four savings streams per recommendation and computes tCO2e avoided with the plant's
  state and fiscal-year grid factor (year-matched when a fuller factor table is given);
- normalises implementation status (I, N, P, K, blank) and keeps unknowns as unknown;
- restates money (implementation cost, yearly cost savings, the plant's energy bills and sales)
  in US dollars of :data:`~features.accounting.deflate.MONEY_BASE_YEAR` with the CPI-U of each
  row's fiscal year (an outcome without one takes its plant's); money of a year the CPI-U table
  does not cover is cleared and reported as a repair;
- derives the sector from NAICS, or from SIC where NAICS is missing (before ~2000; a repair);
- drops repeated header rows and duplicates, clears impossible values and outliers.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from features.accounting.deflate import FIRST_YEAR, LAST_YEAR, MONEY_BASE_YEAR, cpi_factor
from features.accounting.factors import FactorTable
from features.catalogue.measures import Catalogue
from features.errors import InvalidValueError
from features.profile import PROFILE_COLUMNS, profiles_from_frame
from features.regions import US_STATES
from features.sectors import sector_from_naics, sector_from_sic
from features.sources.schema import (
    OUTCOME_COLUMNS,
    SAVED_COLUMN,
    DataReport,
    Dataset,
    fingerprint,
    implemented_from_status,
    outcome_tco2e,
    rejection_frame,
)
from features.units import PROFILE_FIELD, Carrier, to_canonical

#: Resource code -> carrier (energy codes only). E1 is electricity before FY1995.
RESOURCE_CARRIER: dict[str, Carrier] = {
    "EC": Carrier.ELECTRICITY, "E1": Carrier.ELECTRICITY, "E2": Carrier.NATURAL_GAS,
    "E3": Carrier.LPG, "E4": Carrier.DIESEL, "E5": Carrier.DIESEL, "E6": Carrier.FUEL_OIL,
    "E7": Carrier.FUEL_OIL, "E8": Carrier.COAL, "E9": Carrier.BIOMASS, "E10": Carrier.BIOMASS,
    "E11": Carrier.OTHER_FUEL, "E12": Carrier.OTHER_FUEL,
}  # fmt: skip
#: Unit of each energy resource code in the IAC database.
RESOURCE_UNIT: dict[str, str] = {code: "MMBtu" for code in RESOURCE_CARRIER} | {
    "EC": "kWh",
    "E1": "kWh",
}
NON_ENERGY_PREFIXES = ("EF", "W", "R", "P")
STATUS_MAP = {
    "I": "implemented",
    "N": "not_implemented",
    "P": "pending",
    "K": "unknown",
    "": "not_reported",
}
#: Coarse groups of the primary-stream release, whose ARC was rounded to an integer.
ROUNDED_ARC_GROUPS = {
    2: "iac_arc_rounded_2 (ARC 2.1-2.4: combustion, thermal, electrical power, motor systems)",
    3: "iac_arc_rounded_3 (ARC 2.5-3.4: design, operations, buildings, ancillary, alternative "
    "energy, and waste codes 3.1-3.4)",
    4: "iac_arc_rounded_4 (ARC 3.5-4.4: waste 3.5-3.9 and productivity 4.1-4.4)",
    5: "iac_arc_rounded_5 (ARC 4.5-4.9: productivity)",
}
# ASSESS stream columns -> carrier (usage column is f"{code}_plant_usage").
_ASSESS_STREAMS = {
    code.lower(): carrier for code, carrier in RESOURCE_CARRIER.items() if code != "E1"
}

_RECC_ALIASES = {
    "super_id": "superid", "assessment_id": "id", "rec_number": "ar_number",
    "app_code": "appcode", "arc": "arc2", "imp_status": "impstatus", "imp_cost": "impcost",
    "incremental": "incremntal", "fiscal_year": "fy", "bp_tool": "bptool",
    "qsourcode": "qsourccode",
    **{f"{s}_source_code": f"{s}sourccode" for s in "pstq"},
    **{f"{s}_conserved": f"{s}conserved" for s in "pstq"},
    **{f"{s}_source_conserved": f"{s}sourconsv" for s in "pstq"},
    **{f"{s}_saved": f"{s}saved" for s in "pstq"},
}  # fmt: skip
_ASSESS_FUEL_NAMES = {
    "electricity": "ec", "electricity_demand": "ed", "natural_gas": "e2", "lpg": "e3",
    "fuel_oil1": "e4", "fuel_oil2": "e5", "fuel_oil4": "e6", "fuel_oil6": "e7", "coal": "e8",
    "wood": "e9", "paper": "e10", "other_gas": "e11", "other_energy": "e12",
}  # fmt: skip
_ASSESS_ALIASES = {
    "fiscal_year": "fy", "prod_units": "produnits", "prod_level": "prodlevel",
    "prod_hours": "prodhours", "num_recommendations": "numars", "recc_count_recc": "numars",
    "electricity_fees": "ef_plant_cost",
    **{f"{name}_usage": f"{code}_plant_usage" for name, code in _ASSESS_FUEL_NAMES.items()},
    **{f"{name}_cost": f"{code}_plant_cost" for name, code in _ASSESS_FUEL_NAMES.items()},
}  # fmt: skip
ASSESS_REQUIRED = ("id", "fy", "state")
RECC_REQUIRED = ("id", "arc2", "impstatus", "impcost", "psourccode", "pconserved", "psaved")
#: Outlier limits: larger values are cleared (set missing) and reported as repairs.
PLANT_AREA_MAX_FT2 = 5e7
EMPLOYEES_MAX = 100_000
IMPCOST_MAX_USD = 1e9
FT2_TO_M2 = 0.09290304


def _normalise_columns(frame: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    names = [str(c).strip().lower() for c in frame.columns]
    return frame.set_axis([aliases.get(n, n) for n in names], axis=1)


def _require(frame: pd.DataFrame, required: tuple[str, ...], table: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidValueError(f"{table} columns", missing, f"columns including {list(required)}")


def _read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], low_memory=False)


def _discover(path: Path) -> tuple[list[pd.DataFrame], list[pd.DataFrame], str]:
    """Find the ASSESS and RECC parts in a workbook, a folder or a single RECC file."""
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        sheets = pd.read_excel(path, sheet_name=None, dtype=str)
        assess = [df for name, df in sheets.items() if name.strip().upper().startswith("ASSESS")]
        recc = [df for name, df in sheets.items() if re.match(r"RECC\d*$", name.strip().upper())]
        return assess, recc, f"workbook {path.name} ({', '.join(sheets)})"
    if path.is_file():
        return [], [_read_table(path)], f"file {path.name}"
    if not path.is_dir():
        raise InvalidValueError("path", str(path), "an IAC workbook, a RECC CSV or a folder")
    files = sorted(p for p in path.iterdir() if re.search(r"\.csv(\.gz)?$", p.name, re.I))
    assess_files = [p for p in files if re.match(r"assess", p.name, re.I)]
    recc_files = [p for p in files if re.match(r"(recc|rec\.|recommendations)", p.name, re.I)]
    # Of several ASSESS candidates, the widest table wins (a subset is a fallback).
    assess = sorted((_read_table(p) for p in assess_files), key=lambda df: -df.shape[1])[:1]
    recc = [_read_table(p) for p in recc_files]
    names = ", ".join(p.name for p in [*assess_files[:1], *recc_files])
    return assess, recc, f"folder {path.name} ({names})"


def read_iac(
    path: str | Path,
    assess_path: str | Path | None = None,
    table: FactorTable | None = None,
    catalogue: Catalogue | None = None,
) -> Dataset:
    """Read an IAC release into factories and outcomes, with a row-level report.

    Parameters
    ----------
    path
        Workbook, folder of CSV exports, or a RECC CSV file.
    assess_path
        ASSESS table to use instead of (or in the absence of) one found at ``path``.
    table
        Emission factors; pass the bundled table extended with EIA's state-by-year series for
        year-matched US grid factors. The bundled table alone uses eGRID2022 for every year.
    catalogue
        Measure catalogue (bundled by default).
    """
    started = time.perf_counter()
    table = table or FactorTable.default()
    catalogue = catalogue or Catalogue.default()
    assess_parts, recc_parts, detail = _discover(Path(path))
    if assess_path is not None:
        assess_file = Path(assess_path)
        if assess_file.is_file() and not assess_file.suffix.lower().startswith(".xls"):
            assess_parts = [_read_table(assess_file)]
        else:
            assess_parts = _discover(assess_file)[0]
        detail = f"RECC from {Path(path).name}; ASSESS from {assess_file.name}"
    if not assess_parts:
        raise InvalidValueError("ASSESS", str(path), "a workbook sheet or CSV named ASSESS*")
    if not recc_parts:
        raise InvalidValueError("RECC", str(path), "workbook sheets or CSVs named RECC*")
    assess = _normalise_columns(pd.concat(assess_parts, ignore_index=True), _ASSESS_ALIASES)
    recc = pd.concat([_normalise_columns(p, _RECC_ALIASES) for p in recc_parts], ignore_index=True)
    _require(assess, ASSESS_REQUIRED, "ASSESS")
    _require(recc, RECC_REQUIRED, "RECC")

    rejected: list[tuple[str, int, str, str, str]] = []
    repaired: list[tuple[str, int, str, str, str]] = []
    factories = _factories(assess, rejected, repaired)
    outcomes, notes = _outcomes(recc, factories, table, catalogue, rejected, repaired)
    report = DataReport(
        source="iac",
        detail=detail,
        rows_in={"factories": len(assess), "outcomes": len(recc)},
        rows_used={"factories": len(factories), "outcomes": len(outcomes)},
        rejected=rejection_frame(rejected),
        repaired=rejection_frame(repaired),
        money_base_year=MONEY_BASE_YEAR,
        notes=[
            "missing ASSESS usage means the carrier was not reported or not used: read as 0",
            f"money in {MONEY_BASE_YEAR} USD, deflated with CPI-U from each fiscal year "
            "(implementation cost, cost savings, energy bills, sales)",
            *notes,
            f"emission factors: {table.version}",
            f"read in {time.perf_counter() - started:.1f} s",
        ],
    )
    report.check_balance()
    report.fingerprint = fingerprint(factories, outcomes)
    return Dataset(factories=factories, outcomes=outcomes, truth=None, report=report)


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def _money_factor(
    years: pd.Series,
    table: str,
    ids: pd.Series,
    rows: pd.Series,
    repaired: list[tuple[str, int, str, str, str]],
) -> pd.Series:
    """CPI-U multiplier from each row's fiscal year to ``MONEY_BASE_YEAR`` dollars; a year the
    table does not cover gets NaN (its money is cleared) and a repair naming the range."""
    values = pd.to_numeric(years, errors="coerce").astype(float)
    outside = values.notna() & ((values < FIRST_YEAR) | (values > LAST_YEAR) | (values % 1 != 0))
    reason = f"fiscal year outside the CPI-U table ({FIRST_YEAR}-{LAST_YEAR}); money cleared"
    for row, rid in zip(rows[outside], ids[outside], strict=True):
        repaired.append((table, int(row), rid, "fy", reason))
    return pd.Series(cpi_factor(values.mask(outside).to_numpy(), field="fy"), index=years.index)


def _factories(
    assess: pd.DataFrame,
    rejected: list[tuple[str, int, str, str, str]],
    repaired: list[tuple[str, int, str, str, str]],
) -> pd.DataFrame:
    a = assess.copy()
    a["_row"] = np.arange(len(a))
    ids = a["id"].fillna("").str.strip()
    keep = pd.Series(True, index=a.index)

    def reject(mask: pd.Series, column: str, reason: str) -> None:
        for row, fid in zip(a.loc[mask & keep, "_row"], ids[mask & keep], strict=True):
            rejected.append(("factories", int(row), fid, column, reason))
        keep.loc[mask] = False

    reject(ids.str.upper() == "ID", "id", "repeated header row")
    reject(ids == "", "id", "missing assessment id")
    reject(ids.duplicated(keep="first"), "id", "duplicate assessment id")
    state = a["state"].fillna("").str.strip().str.upper()
    reject(~state.isin(US_STATES), "state", f"state not one of {len(US_STATES)} US codes")
    fy = _num(a["fy"])
    reject(fy.isna() | (fy < 1980) | (fy > 2100), "fy", "fiscal year missing or outside 1980-2100")

    naics = a["naics"].fillna("") if "naics" in a else pd.Series("", index=a.index)
    sic = a["sic"].fillna("") if "sic" in a else pd.Series("", index=a.index)
    products = a["products"].fillna("") if "products" in a else pd.Series("", index=a.index)
    sectors: list[str | None] = []
    naics_out: list[str | None] = []
    for row, (n_code, s_code, prod, ok) in enumerate(zip(naics, sic, products, keep, strict=True)):
        sector, used_naics = None, None
        if ok:
            try:
                sector, used_naics = sector_from_naics(n_code, prod or None).value, n_code
            except InvalidValueError:
                try:
                    sector = sector_from_sic(s_code, prod or None).value
                    reason = (
                        "NAICS missing; sector from SIC"
                        if not n_code
                        else (f"NAICS {n_code!r} invalid; sector from SIC")
                    )
                    repaired.append(("factories", row, ids.iloc[row], "naics", reason))
                except InvalidValueError:
                    pass
        sectors.append(sector)
        naics_out.append(used_naics.removesuffix(".0") if used_naics else None)
    sector_series = pd.Series(sectors, index=a.index)
    reject(sector_series.isna(), "sic", "no valid NAICS or SIC code")

    def cleared(column: str, bad: pd.Series, reason: str) -> pd.Series:
        values = _num(a[column]) if column in a else pd.Series(np.nan, index=a.index)
        mask = bad.reindex(values.index, fill_value=False) if len(bad) else bad
        mask = mask & keep & values.notna()
        for row in a.loc[mask, "_row"]:
            repaired.append(("factories", int(row), ids.iloc[row], column, reason))
        return values.mask(mask)

    def plain(column: str) -> pd.Series:
        return _num(a[column]) if column in a else pd.Series(np.nan, index=a.index)

    area = plain("plant_area")
    area = cleared("plant_area", (area > PLANT_AREA_MAX_FT2) | (area <= 0), "plant_area outlier")
    employees = plain("employees")
    employees = cleared(
        "employees", (employees > EMPLOYEES_MAX) | (employees < 0), "employees outlier"
    )
    sales = plain("sales")
    sales = cleared("sales", sales <= 0, "sales not positive")
    hours = plain("prodhours")
    hours = cleared("prodhours", (hours > 8784) | (hours < 0), "prodhours outside 0-8784")

    frame = pd.DataFrame(index=a.index)
    frame["factory_id"] = ids
    frame["country"] = "US"
    frame["region"] = state
    frame["grid"] = None
    frame["sector"] = sector_series
    frame["naics_code"] = naics_out
    frame["reporting_year"] = fy.astype("Int64")
    frame["employees"] = employees.round().astype("Int64")
    frame["floor_area_m2"] = area * FT2_TO_M2
    frame["revenue_currency"] = "USD"
    frame["operating_hours_per_year"] = hours
    for carrier in Carrier:
        frame[PROFILE_FIELD[carrier]] = 0.0
    for code, carrier in _ASSESS_STREAMS.items():
        column = f"{code}_plant_usage"
        usage = plain(column)
        usage = cleared(column, usage < 0, "negative energy use").fillna(0.0)
        unit = RESOURCE_UNIT[code.upper()]
        frame[PROFILE_FIELD[carrier]] += to_canonical(carrier, 1.0, unit) * usage
    elec_cost = sum(
        (plain(f"{c}_plant_cost").fillna(0) for c in ("ec", "ed", "ef")), pd.Series(0.0, a.index)
    )
    fuel_cost = sum(
        (plain(f"e{i}_plant_cost").clip(lower=0).fillna(0) for i in range(2, 13)),
        pd.Series(0.0, a.index),
    )
    # Bills and sales of the audit's fiscal year, restated in MONEY_BASE_YEAR dollars.
    real = _money_factor(fy.where(keep), "factories", ids, a["_row"], repaired)
    frame["annual_revenue"] = sales * real
    frame["electricity_cost_per_year"] = elec_cost.where(elec_cost >= 0) * real
    frame["fuel_cost_per_year"] = fuel_cost * real
    for col in ("onsite_renewable_kwh", "green_electricity_contract_kwh",
                "green_certificates_kwh", "roof_area_available_m2"):  # fmt: skip
        frame[col] = 0.0
    frame["measures_in_place"] = ""
    frame["end_use_shares"] = ""
    for col in ("it_load_kwh", "pue", "heat_sink_temperature_c"):
        frame[col] = np.nan
    frame["byproduct_hydrogen_nm3"] = 0.0
    frame["onsite_wind_hydro_kwh_potential"] = 0.0
    frame["production"] = ""  # the IAC release names no product route
    frame["co2_captured_stored_t"] = 0.0
    frame["offsets_tco2e"] = 0.0
    frame["electricity_price"] = np.nan
    frame["fuel_prices"] = ""
    frame = frame[list(PROFILE_COLUMNS)]
    frame["x_center"] = a.get("center")
    frame["x_sic"] = sic.str.removesuffix(".0")
    frame["x_products"] = products
    frame["x_demand_kw_months"] = plain("ed_plant_usage")

    candidates = frame[keep].reset_index(drop=True)
    rows = a.loc[keep, "_row"].to_numpy()
    # Full profile validation; anything the checks above missed is rejected with its reason.
    _, bad = profiles_from_frame(
        candidates.drop(columns=[c for c in candidates.columns if str(c).startswith("x_")])
    )
    bad_rows = {i for i, _ in bad}
    for i, exc in bad:
        rejected.append(
            ("factories", int(rows[i]), str(candidates.loc[i, "factory_id"]), exc.field, str(exc))
        )
    return candidates.drop(index=list(bad_rows)).reset_index(drop=True)


def _parse_arc(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return (arc text with 4 decimals or None, rounded integer group or <NA>, repair reason)."""
    text = raw.fillna("").str.strip()
    value = pd.to_numeric(text, errors="coerce")
    # The degraded release stores integers; a decimal point lost turns 2.2442 into 22442.
    lost_point = value.notna() & (value >= 10_000) & (value < 50_000) & (value % 1 == 0)
    fixed = value.where(~lost_point, value / 10_000)
    is_integer = fixed.notna() & (fixed % 1 == 0) & ~lost_point
    arc = fixed.map(lambda v: f"{v:.4f}" if pd.notna(v) else None).where(~is_integer, None)
    group = fixed.where(is_integer).astype("Int64")
    reason = pd.Series("", index=raw.index).mask(
        lost_point, "ARC decimal point lost; read " + text + " as " + fixed.astype(str)
    )
    return arc, group, reason


def _outcomes(
    recc: pd.DataFrame,
    factories: pd.DataFrame,
    table: FactorTable,
    catalogue: Catalogue,
    rejected: list[tuple[str, int, str, str, str]],
    repaired: list[tuple[str, int, str, str, str]],
) -> tuple[pd.DataFrame, list[str]]:
    r = recc.copy()
    r["_row"] = np.arange(len(r))
    ids = r["id"].fillna("").str.strip()
    superid = (
        r["superid"].fillna("").str.strip() if "superid" in r else ids + "-" + r["_row"].astype(str)
    )
    keep = pd.Series(True, index=r.index)

    def reject(mask: pd.Series, column: str, reason: str) -> None:
        mask = mask & keep
        for row, sid in zip(r.loc[mask, "_row"], superid[mask], strict=True):
            rejected.append(("outcomes", int(row), sid, column, reason))
        keep.loc[mask] = False

    reject(
        superid.str.upper().eq("SUPERID") | ids.str.upper().eq("ID"),
        "superid",
        "repeated header row",
    )
    reject(superid.duplicated(keep="first") & superid.ne(""), "superid", "duplicate superid")
    known = set(factories["factory_id"])
    reject(~ids.isin(known), "id", "assessment id not among the accepted ASSESS rows")

    arc, group, arc_repair = _parse_arc(r["arc2"])
    reject(arc.isna() & group.isna(), "arc2", "ARC missing or not a number")
    reject(
        group.notna() & ~group.isin(list(ROUNDED_ARC_GROUPS)),
        "arc2",
        "rounded ARC outside the groups 2-5 (no ARC type matches)",
    )
    for row in r.loc[(arc_repair != "") & keep, "_row"]:
        repaired.append(("outcomes", int(row), superid.iloc[row], "arc2", arc_repair.iloc[row]))

    status_raw = r["impstatus"].fillna("").str.strip().str.upper()
    reject(
        ~status_raw.isin(list(STATUS_MAP)),
        "impstatus",
        f"implementation status not one of {sorted(STATUS_MAP)}",
    )
    has_streams = all(f"{s}sourccode" in r for s in "stq")

    r = r[keep].copy()
    out = pd.DataFrame(index=r.index)
    out["outcome_id"] = superid[keep]
    out["factory_id"] = ids[keep]
    resolutions = {code: catalogue.resolve_arc(code) for code in arc[keep].dropna().unique()}
    arc_k = arc[keep]
    out["measure_id"] = arc_k.map(
        lambda c: resolutions[c].measure_id if isinstance(c, str) else None
    )
    out["arc_code"] = arc_k

    def group_of(c: str | None, g: object) -> str:
        if not isinstance(c, str):
            return ROUNDED_ARC_GROUPS[int(g)]  # type: ignore[call-overload]
        res = resolutions[c]
        if res.status == "measure" and res.measure_id is not None:
            return catalogue[res.measure_id].family.value
        return f"{res.status}: {res.reason}"

    out["measure_group"] = [group_of(c, g) for c, g in zip(arc_k, group[keep], strict=True)]
    fy_recc = _num(r["fy"]) if "fy" in r else pd.Series(np.nan, index=r.index)
    fy_assess = out["factory_id"].map(factories.set_index("factory_id")["reporting_year"])
    out["year"] = fy_recc.fillna(fy_assess.astype(float)).astype("Int64")

    saved = {c: pd.Series(0.0, index=r.index) for c in Carrier}
    any_energy = pd.Series(False, index=r.index)
    missing_amount = pd.Series(False, index=r.index)
    demand = pd.Series(0.0, index=r.index)
    cost = pd.Series(0.0, index=r.index)
    for s in "pstq":
        if f"{s}sourccode" not in r:
            continue
        code = r[f"{s}sourccode"].fillna("").str.strip().str.upper()
        amount = _num(r.get(f"{s}conserved", pd.Series(np.nan, index=r.index)))
        dollars = _num(r.get(f"{s}saved", pd.Series(np.nan, index=r.index)))
        cost = cost + dollars.fillna(0)
        for resource, carrier in RESOURCE_CARRIER.items():
            hit = code == resource
            if hit.any():
                factor = to_canonical(carrier, 1.0, RESOURCE_UNIT[resource])
                saved[carrier] = saved[carrier] + (amount * factor).where(hit, 0.0).fillna(0.0)
                any_energy |= hit
                missing_amount |= hit & amount.isna()
        demand = demand + amount.where(code == "ED", 0.0).fillna(0.0)
    for row in r.loc[missing_amount, "_row"]:
        reason = "energy stream without an amount; its saving counted as unknown"
        repaired.append(("outcomes", int(row), superid.iloc[row], "conserved", reason))
    for carrier in Carrier:
        out[SAVED_COLUMN[carrier]] = saved[carrier].where(~missing_amount)
    out["demand_kw_months_saved"] = demand
    out["tco2e_saved"] = outcome_tco2e(out, factories, table).where(any_energy & ~missing_amount)
    # Money of the recommendation's fiscal year (else its plant's) in MONEY_BASE_YEAR dollars.
    real = _money_factor(out["year"], "outcomes", superid[keep], r["_row"], repaired)
    out["cost_savings_per_year"] = cost * real
    impcost = _num(r["impcost"])
    bad_cost = (impcost < 0) | (impcost > IMPCOST_MAX_USD)
    for row in r.loc[bad_cost, "_row"]:
        repaired.append(
            (
                "outcomes",
                int(row),
                superid.iloc[row],
                "impcost",
                "implementation cost negative or above 1e9 USD; cleared",
            )
        )
    out["implementation_cost"] = impcost.mask(bad_cost) * real
    out["currency"] = "USD"
    status = status_raw[keep].map(STATUS_MAP)
    out["implementation_status"] = status
    out["implemented"] = implemented_from_status(status)
    out["streams_complete"] = has_streams
    notes = []
    if not has_streams:
        notes.append(
            "only the primary savings stream is present: multi-stream savings undercounted"
        )
    if group[keep].notna().any():
        notes.append(
            f"{int(group[keep].notna().sum()):,} outcomes have an integer (rounded) ARC: measure "
            "identity unknown, kept with the coarse group only"
        )
    usable = out["measure_id"].notna().mean() if len(out) else 0.0
    notes.append(f"share of outcomes with a usable catalogue measure: {usable:.1%}")
    return out[list(OUTCOME_COLUMNS)].reset_index(drop=True), notes
