"""Build the default end-use share table (features/data/enduse_shares.csv) from EIA MECS 2018.

Usage: python scripts/build_enduse_shares.py TIDY_CSV OUTPUT_CSV

    python scripts/build_enduse_shares.py \\
        ../shared/data/mecs2018-enduse/mecs2018_enduse_by_naics_fuel_tidy.csv \\
        features/data/enduse_shares.csv

Also writes ``enduse_sector_blocks.csv`` next to OUTPUT_CSV.

Input
-----
EIA Manufacturing Energy Consumption Survey 2018, Table 5.4 "End Uses of Fuel Consumption, 2018"
(national, Trillion Btu; released February 2021; US-government public domain), as the tidy file
``mecs2018_enduse_by_naics_fuel_tidy.csv`` of the shared data folder ``mecs2018-enduse`` (see its
DATACARD.md). That file was read from a copy of the EIA workbook committed to GitHub
``jaxstuhr/NREL_SEP_Update`` (commit cc53d80a), in which the repository author overwrote 101 cells
that EIA had withheld; the tidy file leaves those cells blank in ``value`` and gives the author's
number in ``value_third_party_imputed``. 83 NAICS blocks x 18 rows x 6 fuel columns.

Output
------
``naics,naics_desc,carrier,end_use,share,basis``: one row per (block, carrier, end use), zero
shares included; shares sum to exactly 1.0000 per (naics, carrier). The all-manufacturing block
"311-339" is written as naics ``31-33``. Programme-sector defaults are appended as naics
``sector:<sector>`` (TBtu-weighted combinations of MECS blocks, listed in
``enduse_sector_blocks.csv`` with the reason for each choice).

End uses (MECS row -> ours): Process Heating -> process_heating; Conventional Boiler Use -> steam;
CHP and/or Cogeneration Process -> chp; Machine Drive -> machine_drive; Process Cooling and
Refrigeration -> process_cooling; Electro-Chemical Processes -> electrochemical; Facility HVAC ->
facility_hvac; Facility Lighting -> lighting; Onsite Transportation -> onsite_transport;
Conventional Electricity Generation -> onsite_generation; Other Process Use + Other Facility
Support + Other Nonprocess Use -> other. ``it_load`` is never from MECS and is not in the table.
Only ``row_type == end_use`` rows are used (subtotal rows are not; TOTAL is only checked).

Carriers (ours <- MECS fuel column): electricity <- Net Demand for Electricity; natural_gas <-
Natural Gas; coal <- Coal (excl. coke and breeze); diesel <- Distillate Fuel Oil and Diesel Fuel;
fuel_oil <- Residual Fuel Oil; lpg <- HGL (excl. natural gasoline). ``purchased_heat`` is not in
this table (the code handles it).

Assumptions
-----------
1. "*" cells (less than 0.5 TBtu) count as 0.25 TBtu, the midpoint of [0, 0.5).
2. "--" (not applicable) cells count as 0.
3. Cells EIA withheld and the third party filled (blank ``value``) take
   ``value_third_party_imputed``; withheld cells without one (4 "D" cells, all-manufacturing HGL)
   count as 0. Both are noted in ``basis``. Two of those end-use cells (311-339 HGL Other Process
   Use and Facility HVAC) thus count as 0 although TOTAL implies about 8 TBtu between them, so the
   31-33 lpg shares miss that part (the totals check below reports it). Two imputed cells exceed
   the bound Table 5.3 gives for them ("*" in physical units); they are used as given (printed).
4. "End Use Not Reported" is not an end use: it is spread over the reported end uses of the same
   block and fuel in proportion to them (before carriers are combined).
5. MECS has no end-use split for other fuels (byproduct gases, coke, black liquor, wood, steam):
   ``other_fuel`` and ``biomass`` take the shares of the sum of the five fuel columns (all but
   electricity) of the same block.
6. A block with under 5 TBtu for a carrier (after rules 1-4) is too noisy: it takes the shares of
   the nearest ancestor block that has at least 5 TBtu (next shorter NAICS prefix present in the
   file, then 311-339). 311-339 is always used as is.
7. Electricity is MECS "net demand", which includes electricity generated on site; the fuel burned
   in CHP is in ``chp`` while the electricity it makes is in the electric end uses. Shares are per
   carrier, so nothing is added across carriers here.
8. Sector defaults combine block TBtu per end use (after rules 1-4) and then take shares; a
   difference of blocks (automotive = 336 - 3364) is clipped at 0 per end use. Under 5 TBtu they
   fall back like a block, starting at the parent block named in ``SECTOR_BLOCKS``.

Checks printed
--------------
How many cells each rule touched; fallbacks per carrier; for each block and fuel, end uses plus
not-reported against the TOTAL row (worst mismatch, and the pairs outside rounding when every
numeric cell may be off by 0.5 and every "*" lies in [0, 0.5)); imputed cells that contradict
Table 5.3; and a few shares to eyeball (3313 electricity, 331110 coal and gas, 325 gas steam).
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = "MECS 2018 Table 5.4 (EIA, released 2021)"
ALL_MFG = "311-339"
ALL_MFG_OUT = "31-33"
MIN_TBTU = 5.0
STAR_TBTU = 0.25

END_USE_MAP: dict[str, str] = {
    "Process Heating": "process_heating",
    "Conventional Boiler Use": "steam",
    "CHP and/or Cogeneration Process": "chp",
    "Machine Drive": "machine_drive",
    "Process Cooling and Refrigeration": "process_cooling",
    "Electro-Chemical Processes": "electrochemical",
    "Facility HVAC": "facility_hvac",
    "Facility Lighting": "lighting",
    "Onsite Transportation": "onsite_transport",
    "Conventional Electricity Generation": "onsite_generation",
    "Other Process Use": "other",
    "Other Facility Support": "other",
    "Other Nonprocess Use": "other",
}
END_USES: tuple[str, ...] = tuple(dict.fromkeys(END_USE_MAP.values()))
NOT_REPORTED = "End Use Not Reported"
TOTAL = "TOTAL FUEL CONSUMPTION"

FUEL_CARRIERS: dict[str, str] = {
    "electricity": "Net Demand for Electricity",
    "natural_gas": "Natural Gas",
    "coal": "Coal (excluding Coal Coke and Breeze)",
    "diesel": "Distillate Fuel Oil and Diesel Fuel",
    "fuel_oil": "Residual Fuel Oil",
    "lpg": "HGL (excluding natural gasoline)",
}
FUEL_LABEL: dict[str, str] = {
    "electricity": "Net Demand for Electricity",
    "natural_gas": "Natural Gas",
    "coal": "Coal",
    "diesel": "Distillate Fuel Oil and Diesel Fuel",
    "fuel_oil": "Residual Fuel Oil",
    "lpg": "HGL",
}
FIVE_FUELS = ("natural_gas", "coal", "diesel", "fuel_oil", "lpg")
DERIVED_CARRIERS = ("other_fuel", "biomass")
CARRIERS: tuple[str, ...] = (*FUEL_CARRIERS, *DERIVED_CARRIERS)

# Programme sector -> ((block, sign), ...), fallback block, note. Values match features.sectors.
SECTOR_BLOCKS: dict[str, tuple[tuple[tuple[str, int], ...], str, str]] = {
    "automotive": (
        (("336", 1), ("3364", -1)),
        "336",
        "features/sectors.py maps 3361-3363 (vehicles, bodies, parts) to automotive and the rest of"
        " 336 to machinery; MECS has no 3361/3363 block, so 336 minus aerospace 3364 is the"
        " closest (keeps parts 3363, which 336111+336112 assembly plants alone would miss; also"
        " keeps rail/ship 3365-3369, which are small)",
    ),
    "lithium_batteries": (
        (("335", 1),),
        "335",
        "no battery block (33591) in MECS; 335 electrical equipment is its parent",
    ),
    "photovoltaics": (
        (("334413", 1),),
        "334413",
        "PV cells share NAICS 334413 with semiconductors; MECS has the semiconductor block",
    ),
    "electronics_appliances": (
        (("334", 1), ("335", 1)),
        ALL_MFG,
        "features/sectors.py maps 334 and 335 to this sector",
    ),
    "light_industry": (
        tuple((n, 1) for n in ("311", "312", "316", "321", "322", "323", "326", "337", "339")),
        ALL_MFG,
        "the prefixes of features/sectors.py; paper and wood burn much byproduct and biomass"
        " fuel outside the six MECS columns (DATACARD quirk 5)",
    ),
    "machinery": (
        (("332", 1), ("333", 1), ("3364", 1)),
        ALL_MFG,
        "features/sectors.py also maps 336 outside 3361-3363 to machinery; aerospace 3364 is the"
        " only such MECS block",
    ),
    "steel": (
        (("331110", 1), ("3312", 1), ("331511", 1)),
        "331",
        "features/sectors.py maps 3311, 3312 and 33151 to steel: iron and steel mills 331110,"
        " steel products from purchased steel 3312, iron foundries 331511 (33151 has no block);"
        " MECS coal excludes coke and breeze",
    ),
    "non_ferrous_metals": (
        (("3313", 1), ("3314", 1), ("331523", 1), ("331524", 1)),
        "331",
        "features/sectors.py maps 3313, 3314 and 33152 to non-ferrous metals: alumina and"
        " aluminium 3313 (electrolysis), other non-ferrous 3314, non-ferrous foundries 331523 and"
        " 331524 (33152 has no block)",
    ),
    "petrochemicals_chemicals": (
        (("324", 1), ("325", 1)),
        ALL_MFG,
        "features/sectors.py maps 324 (refining, coal products) and 325 to this sector; refinery"
        " and still gas are outside the six MECS columns",
    ),
    "building_materials": ((("327", 1),), "327", "features/sectors.py maps 327"),
    "textiles": (
        (("313", 1), ("314", 1), ("315", 1)),
        ALL_MFG,
        "features/sectors.py maps 313, 314 and 315 (apparel, 2-4 TBtu) to textiles",
    ),
    "other": ((("311-339", 1),), ALL_MFG, "all manufacturing"),
}
SECTOR_NOT_IN_MECS = {"computing_infrastructure": "not in MECS; data-centre model in code"}


@dataclass
class Cell:
    """One (block, fuel, MECS row) value after the cell rules."""

    tbtu: float
    rule: str


@dataclass
class Series:
    """TBtu by our end use for one block and carrier, with what went into it."""

    tbtu: dict[str, float]
    not_reported: float = 0.0
    rules: Counter[str] = field(default_factory=Counter)
    unredistributed: bool = False  # not-reported TBtu with no reported end use to spread it over

    @property
    def total(self) -> float:
        return sum(self.tbtu.values())


def cell_value(row: dict[str, str]) -> Cell:
    """Apply the cell rules (module docstring, assumptions 1-3) to one tidy row."""
    flag = row["flag"]
    if row["value"]:
        return Cell(float(row["value"]), "numeric")
    if flag == "lt_0.5_units":
        return Cell(STAR_TBTU, "lt_0.5_as_0.25")
    if flag == "not_applicable":
        return Cell(0.0, "not_applicable_as_0")
    if row["value_third_party_imputed"]:
        return Cell(float(row["value_third_party_imputed"]), "third_party_imputed")
    if flag.startswith(("withheld", "third_party")):
        return Cell(0.0, "withheld_as_0")
    raise ValueError(f"unhandled cell: {row}")


def read_blocks(
    path: Path,
) -> tuple[dict[str, str], dict[tuple[str, str, str], Cell], list[dict[str, str]]]:
    """Return block descriptions (file order), cells by (naics, fuel, MECS row), and raw rows."""
    desc: dict[str, str] = {}
    cells: dict[tuple[str, str, str], Cell] = {}
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    fuels = set(FUEL_CARRIERS.values())
    for row in rows:
        if row["fuel"] not in fuels:
            raise ValueError(f"unknown fuel column {row['fuel']!r}")
        if row["row_type"] == "end_use" and row["end_use"] not in (*END_USE_MAP, NOT_REPORTED):
            raise ValueError(f"unknown end use {row['end_use']!r}")
        desc.setdefault(row["naics"], row["naics_desc"])
        if row["row_type"] == "end_use" or row["end_use"] == TOTAL:
            cells[(row["naics"], row["fuel"], row["end_use"])] = cell_value(row)
    if len(desc) != 83:
        raise ValueError(f"expected 83 MECS blocks, found {len(desc)}")
    return desc, cells, rows


def fuel_series(cells: dict[tuple[str, str, str], Cell], naics: str, fuel: str) -> Series:
    """Our end uses for one block and fuel, with not-reported spread proportionally."""
    series = Series(dict.fromkeys(END_USES, 0.0))
    for mecs, ours in END_USE_MAP.items():
        cell = cells[(naics, fuel, mecs)]
        series.tbtu[ours] += cell.tbtu
        series.rules[cell.rule] += 1
    nr = cells[(naics, fuel, NOT_REPORTED)]
    series.rules[nr.rule] += 1
    series.not_reported = nr.tbtu
    reported = series.total
    if nr.tbtu > 0 and reported > 0:
        for use in END_USES:
            series.tbtu[use] += nr.tbtu * series.tbtu[use] / reported
    elif nr.tbtu > 0:
        series.unredistributed = True
    return series


def combine(parts: list[tuple[Series, int]]) -> tuple[Series, int]:
    """Signed TBtu sum of series, clipped at 0 per end use; returns the number of clipped uses."""
    out = Series(dict.fromkeys(END_USES, 0.0))
    for series, sign in parts:
        for use in END_USES:
            out.tbtu[use] += sign * series.tbtu[use]
        out.not_reported += sign * series.not_reported
        if sign > 0:
            out.rules.update(series.rules)
        out.unredistributed |= series.unredistributed
    clipped = 0
    for use in END_USES:
        if out.tbtu[use] < 0:
            out.tbtu[use] = 0.0
            clipped += 1
    out.not_reported = max(out.not_reported, 0.0)
    return out, clipped


def ancestors(naics: str, blocks: dict[str, str]) -> list[str]:
    """Shorter NAICS prefixes present in the file, nearest first, ending with 311-339."""
    if naics == ALL_MFG:
        return []
    chain = [naics[:k] for k in range(len(naics) - 1, 2, -1) if naics[:k] in blocks]
    return [*chain, ALL_MFG]


def round_shares(tbtu: dict[str, float]) -> dict[str, str]:
    """Shares rounded to 4 decimals, the largest adjusted so they sum to exactly 1.0000."""
    total = sum(tbtu.values())
    units = {use: round(10_000 * value / total) for use, value in tbtu.items()}
    largest = max(END_USES, key=lambda use: tbtu[use])
    units[largest] += 10_000 - sum(units.values())
    return {use: f"{units[use] / 10_000:.4f}" for use in END_USES}


def describe(naics: str, carrier: str, series: Series, name: str = "") -> str:
    """The basis fragment for one series: block, carrier, TBtu, not-reported, imputed cells.

    ``name`` replaces the NAICS code for sector rows (which combine several blocks).
    """
    code = name or (ALL_MFG_OUT if naics == ALL_MFG else naics)
    label = (
        f"{carrier}: sum of 5 fuel columns (assumption)"
        if carrier in DERIVED_CARRIERS
        else FUEL_LABEL[carrier]
    )
    text = f"NAICS {code}, {label}, {series.total:.1f} TBtu"
    if series.not_reported > 0:
        text += f"; not-reported {series.not_reported:.1f} TBtu redistributed"
    if series.rules["third_party_imputed"]:
        text += (
            f"; {series.rules['third_party_imputed']} withheld cell(s) filled by third-party"
            " imputation (Stuhr, NREL_SEP_Update)"
        )
    if series.rules["withheld_as_0"]:
        text += f"; {series.rules['withheld_as_0']} withheld cell(s) (D) counted as 0"
    if series.rules["lt_0.5_as_0.25"]:
        text += f"; {series.rules['lt_0.5_as_0.25']} cell(s) '*' counted as 0.25 TBtu"
    return text


def resolve(
    naics: str,
    carrier: str,
    chain: list[str],
    series: dict[tuple[str, str], Series],
    own: Series,
    own_name: str,
) -> tuple[dict[str, float], str]:
    """TBtu vector and basis for a block or sector, falling back along ``chain`` if too small."""
    if own.total >= MIN_TBTU and not own.unredistributed:
        return own.tbtu, f"{SOURCE}, {describe(naics, carrier, own, own_name)}"
    reason = "under 5 TBtu" if own.total < MIN_TBTU else "no reported end use"
    for parent in chain:
        candidate = series[(parent, carrier)]
        if (candidate.total >= MIN_TBTU and not candidate.unredistributed) or parent == ALL_MFG:
            code = ALL_MFG_OUT if parent == ALL_MFG else parent
            basis = (
                f"{SOURCE}, {describe(naics, carrier, own, own_name)}; fallback to {code}"
                f" ({reason}): {describe(parent, carrier, candidate)}"
            )
            return candidate.tbtu, basis
    return own.tbtu, f"{SOURCE}, {describe(naics, carrier, own, own_name)}"


@dataclass(frozen=True)
class TotalCheck:
    """End uses + not-reported of one block and fuel against its TOTAL row."""

    naics: str
    fuel: str
    parts: float  # with the cell rules ("*" = 0.25)
    total: float
    within_rounding: bool  # intervals overlap: each numeric cell +-0.5, each "*" in [0, 0.5)

    @property
    def mismatch(self) -> float:
        return abs(self.parts - self.total)


def _interval(cells: list[Cell]) -> tuple[float, float]:
    low = high = 0.0
    for cell in cells:
        if cell.rule == "lt_0.5_as_0.25":
            high += 0.5
        elif cell.rule in ("numeric", "third_party_imputed"):
            low += max(cell.tbtu - 0.5, 0.0)
            high += cell.tbtu + 0.5
    return low, high


def check_totals(
    blocks: dict[str, str], cells: dict[tuple[str, str, str], Cell]
) -> list[TotalCheck]:
    """One check per block and fuel, worst mismatch first."""
    out = []
    for naics in blocks:
        for fuel in FUEL_CARRIERS.values():
            parts = [cells[(naics, fuel, m)] for m in (*END_USE_MAP, NOT_REPORTED)]
            total = cells[(naics, fuel, TOTAL)]
            low, high = _interval(parts)
            t_low, t_high = _interval([total])
            out.append(
                TotalCheck(
                    naics,
                    fuel,
                    sum(c.tbtu for c in parts),
                    total.tbtu,
                    low <= t_high and t_low <= high,
                )
            )
    return sorted(out, key=lambda c: -c.mismatch)


def imputed_vs_physical(rows: list[dict[str, str]]) -> list[str]:
    """Imputed cells that exceed the bound Table 5.3 gives when it shows '*' (< 0.5 units)."""
    per_unit: dict[str, float] = {}
    for fuel in FUEL_CARRIERS.values():
        ratios = [
            float(r["value"]) / float(r["value_physical"])
            for r in rows
            if r["fuel"] == fuel and not r["flag"] and r["value"] and float(r["value"]) >= 20
        ]
        if ratios:
            per_unit[fuel] = statistics.median(ratios)
    notes = []
    for r in rows:
        if r["value_third_party_imputed"] and r["flag_physical"] == "lt_0.5_units":
            bound = 0.5 * per_unit.get(r["fuel"], float("inf"))
            if float(r["value_third_party_imputed"]) > bound:
                notes.append(
                    f"{r['naics']} / {r['end_use']} / {r['fuel']}: imputed "
                    f"{r['value_third_party_imputed']} TBtu but Table 5.3 shows '*' "
                    f"(< 0.5 {r['unit_physical']} = < {bound:.2f} TBtu)"
                )
    return notes


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print((__doc__ or "").split("\n\n")[1], file=sys.stderr)
        return 2
    src, dst = Path(argv[1]), Path(argv[2])
    blocks, cells, rows = read_blocks(src)

    series: dict[tuple[str, str], Series] = {}
    for naics in blocks:
        for carrier, fuel in FUEL_CARRIERS.items():
            series[(naics, carrier)] = fuel_series(cells, naics, fuel)
        five, _ = combine([(series[(naics, c)], 1) for c in FIVE_FUELS])
        for carrier in DERIVED_CARRIERS:
            series[(naics, carrier)] = five

    out_rows: list[list[str]] = []
    fallbacks: Counter[str] = Counter()

    def emit(naics_out: str, desc: str, carrier: str, tbtu: dict[str, float], basis: str) -> None:
        if "fallback to" in basis:
            kind = "sector" if naics_out.startswith("sector:") else "block"
            fallbacks[f"{kind}:{carrier}"] += 1
        for use, share in round_shares(tbtu).items():
            out_rows.append([naics_out, desc, carrier, use, share, basis])

    for naics, desc in blocks.items():
        naics_out = ALL_MFG_OUT if naics == ALL_MFG else naics
        for carrier in CARRIERS:
            own = series[(naics, carrier)]
            tbtu, basis = resolve(naics, carrier, ancestors(naics, blocks), series, own, "")
            emit(naics_out, desc, carrier, tbtu, basis)

    sector_rows: list[list[str]] = []
    clipped_total = 0
    for sector, (parts, parent, note) in SECTOR_BLOCKS.items():
        expr = " ".join(
            f"{'+' if sign > 0 else '-'} {ALL_MFG_OUT if n == ALL_MFG else n}" for n, sign in parts
        ).removeprefix("+ ")
        sector_rows.append([sector, expr, note])
        chain = [parent, *ancestors(parent, blocks)] if parent != ALL_MFG else [ALL_MFG]
        for carrier in CARRIERS:
            own, clipped = combine([(series[(n, carrier)], sign) for n, sign in parts])
            clipped_total += clipped
            tbtu, basis = resolve(sector, carrier, chain, series, own, expr)
            emit(
                f"sector:{sector}", f"Sector default: {sector} (MECS {expr})", carrier, tbtu, basis
            )
    for sector, note in SECTOR_NOT_IN_MECS.items():
        sector_rows.append([sector, "", note])

    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["naics", "naics_desc", "carrier", "end_use", "share", "basis"])
        writer.writerows(out_rows)
    sectors_path = dst.parent / "enduse_sector_blocks.csv"
    with sectors_path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["sector", "naics_blocks", "note"])
        writer.writerows(sector_rows)

    # ---- report -----------------------------------------------------------------------------
    share_cells: Counter[str] = Counter()
    total_cells: Counter[str] = Counter()
    for (_, _, mecs), cell in cells.items():
        (total_cells if mecs == TOTAL else share_cells)[cell.rule] += 1
    print(f"wrote {dst} ({len(out_rows)} rows) and {sectors_path} ({len(sector_rows)} sectors)")
    print(f"cell rules, end-use rows incl. not-reported ({sum(share_cells.values())} cells):")
    for rule, n in share_cells.most_common():
        print(f"  {rule:24s} {n}")
    print(f"cell rules, TOTAL rows ({sum(total_cells.values())} cells): {dict(total_cells)}")
    unred = [k for k, s in series.items() if s.unredistributed and k[1] in FUEL_CARRIERS]
    print(f"not-reported with no reported end use to spread over (block, carrier): {unred}")
    for kind, n_rows in (("block", len(blocks)), ("sector", len(SECTOR_BLOCKS))):
        by_carrier = {c: fallbacks[f"{kind}:{c}"] for c in CARRIERS}
        print(
            f"fallbacks (under {MIN_TBTU:g} TBtu), {kind} x carrier: {sum(by_carrier.values())} of"
            f" {n_rows * len(CARRIERS)}; by carrier {by_carrier}"
        )
    print(f"sector end uses clipped at 0 (difference of blocks): {clipped_total}")
    checks = check_totals(blocks, cells)
    outside = [c for c in checks if not c.within_rounding]
    print(
        f"end uses + not-reported vs TOTAL ({len(checks)} block x fuel): worst mismatch"
        f" {checks[0].mismatch:.2f} TBtu at {checks[0].naics} / {checks[0].fuel}"
        f" ({checks[0].parts:.2f} vs {checks[0].total:.2f}); {len(outside)} outside rounding"
        " (each numeric cell +-0.5, each '*' 0 to 0.5)"
    )
    for c in checks[1:4]:
        print(f"  next: {c.mismatch:.2f} TBtu at {c.naics} / {c.fuel} ({c.parts:.2f} vs {c.total})")
    for c in outside:
        print(f"  outside rounding: {c.naics} / {c.fuel} ({c.parts:.2f} vs {c.total:.2f})")
    for note in imputed_vs_physical(rows):
        print(f"quirk: {note}")

    shares = {(r[0], r[2], r[3]): r[4] for r in out_rows}
    print("sanity 3313 electricity:", {u: shares[("3313", "electricity", u)] for u in END_USES})
    for carrier in ("coal", "natural_gas"):
        print(f"sanity 331110 {carrier}:", {u: shares[("331110", carrier, u)] for u in END_USES})
    print("sanity 325 natural_gas steam:", shares[("325", "natural_gas", "steam")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
