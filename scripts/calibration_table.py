"""Generated data against the real IAC audits, level by level, as a table and as JSON.

Usage::

    python scripts/calibration_table.py [--shared-data ../shared/data] [--n-factories 5000]
        [--seed 0] [--json PATH|-] [--no-docs]

Reads the real audits (``iac-recc-primary-stream-2025`` joined with
``iac-assess-itac2026/assess.csv.gz`` through ``features.sources.load_dataset("iac", ...)``: money
in 2024 USD by CPI-U) and a generated set, and for each level the real audits inform gives the
generated and the real p10, median and p90 with the two-sample Kolmogorov-Smirnov statistic, or,
for shares and adoption rates, both rates and their difference in percentage points. The markdown
table is written between ``<!-- calibration:start -->`` and ``<!-- calibration:end -->`` in
docs/evaluation.md (a section "## Generated against real audits" is appended when the markers are
missing); ``--json`` writes the numbers (``-`` for stdout), which tests/features/test_calibration.py
reads.

Like with like:

- Stream. The public RECC copy keeps only each recommendation's PRIMARY savings stream. A
  generated recommendation can save several carriers (a heat pump saves gas and adds
  electricity); its primary stream is taken as the carrier with the largest positive money
  saving, and only that carrier's saving is compared, as the real copy would have recorded it.
  Streams: electricity (EC/E1), natural gas (E2), other fuels (E3-E12: LPG, oils, coal, wood,
  other; the generator's ``purchased_heat`` has no IAC code and is left out).
- Class. The real ARC was rounded to an integer group (2: ARC 2.1-2.4, 3: ARC 2.5-3.4, 4 and 5:
  waste and productivity). A generated measure is put in the group its catalogue ARC (its first
  ``arc_prefixes`` entry, features/data/measures.yaml) rounds to half-up; the catalogue's energy
  measures land in groups 2 and 3 only.
- Plants. The generator makes Chinese factories only (``country`` CN, money in 2023 CNY); it has
  no US option. The shapes compared are ratios (fractions of the plant's use, paybacks, adoption)
  that carry no currency; money per unit saved is converted at the market rate of
  features/data/exchange_rates.csv (7.0809 CNY per USD, 2023) and restated in 2024 USD with the
  CPI-U like the real money. Generated computing-infrastructure sites (no IAC analogue) are left
  out. Generated years are 2021-2024; real adoption by year band is shown for every band, and the
  generated rate is compared with the latest band (FY2011-2021).
- Plant totals: the sum of a plant's recommended savings of a stream over its use of that stream,
  among plants using the stream that got at least one recommendation saving it.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import re
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp  # type: ignore[import-untyped]  # scipy ships no stubs here

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from features.accounting.deflate import MONEY_BASE_YEAR, to_base_year_usd  # noqa: E402
from features.accounting.prices import default_price  # noqa: E402
from features.catalogue.measures import Catalogue  # noqa: E402
from features.sources import SyntheticConfig, load_dataset  # noqa: E402
from features.sources.schema import SAVED_COLUMN, Dataset  # noqa: E402
from features.units import PROFILE_FIELD, USD_PER, Carrier  # noqa: E402

START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"
SECTION = "## Generated against real audits"
DOCS = ROOT / "docs" / "evaluation.md"

OTHER_FUELS = (
    Carrier.LPG, Carrier.DIESEL, Carrier.FUEL_OIL, Carrier.COAL, Carrier.BIOMASS,
    Carrier.OTHER_FUEL,
)  # fmt: skip
STREAMS: dict[str, tuple[Carrier, ...]] = {
    "electricity": (Carrier.ELECTRICITY,),
    "natural_gas": (Carrier.NATURAL_GAS,),
    "other_fuels": OTHER_FUELS,
}
UNIT = {"electricity": "kWh", "natural_gas": "GJ", "other_fuels": "GJ"}
GROUPS = ("2", "3", "4", "5")
PAYBACK_BANDS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, np.inf)
REAL_YEAR_BANDS = ((1981, 1990), (1991, 2000), (2001, 2010), (2011, 2021))
#: The real band the generated years (2021-2024) are compared with.
LATEST_BAND = "FY2011-2021"
EXCLUDED_SECTORS = ("computing_infrastructure",)


@dataclass
class Level:
    """One row of the table: a distribution (quantiles and KS) or a rate (share, pp apart)."""

    key: str
    label: str
    kind: str  # "distribution" or "rate"
    n_real: int
    n_generated: int
    real: dict[str, float | None] = field(default_factory=dict)
    generated: dict[str, float | None] = field(default_factory=dict)
    distance: float | None = None  # KS statistic, or |rate difference| in percentage points


@dataclass
class Records:
    """One row per energy recommendation, reduced to what both sources can say."""

    stream: pd.Series  # "electricity", "natural_gas", "other_fuels" or "" (no energy stream)
    group: pd.Series  # rounded-ARC group "2".."5", or "" when unknown
    fraction: pd.Series  # primary-stream saving / the plant's use of that stream
    saved: pd.Series  # primary-stream saving, kWh or GJ per year
    cost_usd: pd.Series  # implementation cost, USD of MONEY_BASE_YEAR
    payback_years: pd.Series  # implementation cost / yearly cost savings (NaN if savings <= 0)
    implemented: pd.Series  # True/False/NA
    year: pd.Series
    factory_id: pd.Series
    plant_use: pd.DataFrame  # per factory_id: use of each stream (kWh or GJ)


def _plant_use(factories: pd.DataFrame) -> pd.DataFrame:
    f = factories.set_index(factories["factory_id"].astype(str))
    return pd.DataFrame(
        {s: sum((f[PROFILE_FIELD[c]].astype(float) for c in cs), 0.0) for s, cs in STREAMS.items()}
    )


def _stream_savings(outcomes: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            s: sum(
                (pd.to_numeric(outcomes[SAVED_COLUMN[c]], errors="coerce").fillna(0.0) for c in cs),
                pd.Series(0.0, index=outcomes.index),
            )
            for s, cs in STREAMS.items()
        }
    )


def _records(
    outcomes: pd.DataFrame,
    factories: pd.DataFrame,
    stream: pd.Series,
    group: pd.Series,
    cost_usd: pd.Series,
) -> Records:
    use = _plant_use(factories)
    savings = _stream_savings(outcomes)
    fid = outcomes["factory_id"].astype(str)
    saved = pd.Series(np.nan, index=outcomes.index)
    plant = pd.Series(np.nan, index=outcomes.index)
    for s in STREAMS:
        hit = stream == s
        saved[hit] = savings.loc[hit, s]
        plant[hit] = fid[hit].map(use[s]).to_numpy()
    fraction = (saved / plant).where(plant > 0)
    money = pd.to_numeric(outcomes["cost_savings_per_year"], errors="coerce")
    cost = pd.to_numeric(outcomes["implementation_cost"], errors="coerce")
    return Records(
        stream=stream,
        group=group,
        fraction=fraction,
        saved=saved,
        cost_usd=cost_usd,
        payback_years=(cost / money).where(money > 0),
        implemented=outcomes["implemented"].astype("boolean"),
        year=pd.to_numeric(outcomes["year"], errors="coerce"),
        factory_id=fid,
        plant_use=use,
    )


def real_records(shared_data: Path) -> Records:
    """The real audits: primary stream as recorded, rounded-ARC group, money in 2024 USD."""
    data = load_dataset(
        "iac",
        shared_data / "iac-recc-primary-stream-2025",
        assess_path=shared_data / "iac-assess-itac2026" / "assess.csv.gz",
    )
    if data.report.money_base_year != MONEY_BASE_YEAR:
        raise RuntimeError(f"IAC money not in {MONEY_BASE_YEAR} USD: {data.report.notes}")
    o = data.outcomes
    savings = _stream_savings(o)
    # One primary stream per row in this release; the first non-zero carrier group names it.
    stream = pd.Series("", index=o.index)
    for s in reversed(list(STREAMS)):
        stream = stream.mask(savings[s] != 0, s)
    group = o["measure_group"].str.extract(r"iac_arc_rounded_(\d)", expand=False).fillna("")
    cost = pd.to_numeric(o["implementation_cost"], errors="coerce")
    return _records(o, data.factories, stream, group, cost)


def measure_groups(catalogue: Catalogue) -> dict[str, str]:
    """Catalogue measure -> the integer group its (first) ARC rounds to half-up, as the
    degraded release rounded it: 2.4146 -> "2", 2.7142 -> "3". Measures without an ARC: ""."""
    out = {}
    for measure in catalogue.measures.values():
        arc = measure.arc_prefixes[0] if measure.arc_prefixes else None
        out[measure.id] = str(int(np.floor(float(arc) + 0.5))) if arc else ""
    return out


def generated_records(n_factories: int, seed: int) -> Records:
    """Generated recommendations: primary stream = largest positive money saving; money from
    2023 CNY to 2024 USD (market rate, then CPI-U); computing infrastructure left out."""
    data: Dataset = load_dataset(
        "synthetic", synthetic=SyntheticConfig(n_factories=n_factories, seed=seed)
    )
    factories = data.factories[~data.factories["sector"].isin(EXCLUDED_SECTORS)]
    o = data.outcomes[data.outcomes["factory_id"].isin(factories["factory_id"])]
    o = o.reset_index(drop=True)
    price = {
        s: np.array([default_price("CN", "", c).price for c in cs]) for s, cs in STREAMS.items()
    }
    value = pd.DataFrame(
        {
            s: sum(
                (
                    pd.to_numeric(o[SAVED_COLUMN[c]], errors="coerce").fillna(0.0) * price[s][i]
                    for i, c in enumerate(cs)
                ),
                pd.Series(0.0, index=o.index),
            )
            for s, cs in STREAMS.items()
        }
    )
    best = value.idxmax(axis=1)
    stream = best.where(value.max(axis=1) > 0, "")
    # Purchased heat may be the largest saving: then no IAC stream would carry it.
    heat = pd.to_numeric(o[SAVED_COLUMN[Carrier.PURCHASED_HEAT]], errors="coerce").fillna(0.0)
    heat_value = heat * default_price("CN", "", Carrier.PURCHASED_HEAT).price
    stream = stream.mask(heat_value > value.max(axis=1), "")
    group = o["measure_id"].map(measure_groups(Catalogue.default())).fillna("")
    year = data.report.money_base_year or 2023
    usd = pd.to_numeric(o["implementation_cost"], errors="coerce") * o["currency"].map(USD_PER)
    cost = to_base_year_usd(usd, year)
    return _records(o, factories, stream, group, cost)


def _quantiles(values: pd.Series) -> dict[str, float | None]:
    if len(values) == 0:
        return {"p10": None, "p50": None, "p90": None}
    q = values.quantile([0.1, 0.5, 0.9]).to_numpy()
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}


def _distribution(key: str, label: str, real: pd.Series, gen: pd.Series) -> Level:
    real, gen = real.dropna(), gen.dropna()
    real, gen = real[np.isfinite(real)], gen[np.isfinite(gen)]
    distance = (
        float(ks_2samp(gen.to_numpy(), real.to_numpy()).statistic)
        if len(real) and len(gen)
        else None
    )
    return Level(
        key, label, "distribution", len(real), len(gen), _quantiles(real), _quantiles(gen), distance
    )


def _rate(key: str, label: str, real: pd.Series, gen: pd.Series) -> Level:
    """Share of True among the known values of two boolean series."""
    real, gen = real.dropna().astype(bool), gen.dropna().astype(bool)
    r = float(real.mean()) if len(real) else None
    g = float(gen.mean()) if len(gen) else None
    distance = abs(r - g) * 100 if r is not None and g is not None else None
    return Level(key, label, "rate", len(real), len(gen), {"rate": r}, {"rate": g}, distance)


def _plant_share(rec: Records, stream: str) -> pd.Series:
    hit = rec.stream == stream
    total = rec.saved[hit].groupby(rec.factory_id[hit]).sum()
    use = rec.plant_use[stream].reindex(total.index)
    return (total / use)[use > 0]


def _payback_band(payback: pd.Series) -> pd.Series:
    labels = [
        f"{lo:g}-{hi:g} y" if np.isfinite(hi) else f"> {lo:g} y"
        for lo, hi in itertools.pairwise(PAYBACK_BANDS)
    ]
    band = pd.cut(payback, list(PAYBACK_BANDS), labels=labels, right=True, include_lowest=True)
    return band.astype(object).where(payback.notna(), "no positive savings")


def _where(rec: Records, stream: str, group: str) -> pd.Series:
    """Rows of ``stream`` in rounded-ARC ``group`` ("all": any group)."""
    return (rec.stream == stream) & ((rec.group == group) if group != "all" else True)


def _cost_per_unit(rec: Records, mask: pd.Series) -> pd.Series:
    return (rec.cost_usd / rec.saved)[mask & (rec.saved > 0)]


def compare(real: Records, gen: Records) -> list[Level]:
    """Every level both sources inform, in table order."""
    levels: list[Level] = []
    # Savings as a fraction of the plant's use of the stream, and cost per unit saved.
    for s in STREAMS:
        name = s.replace("_", " ")
        for g in ("all", *GROUPS):
            where = "all groups" if g == "all" else f"group {g}"
            r_mask, g_mask = _where(real, s, g), _where(gen, s, g)
            levels.append(
                _distribution(
                    f"fraction/{s}/{g}",
                    f"saving / plant {name} use, {where}",
                    real.fraction[r_mask],
                    gen.fraction[g_mask],
                )
            )
        for g in ("all", *GROUPS):
            where = "all groups" if g == "all" else f"group {g}"
            r_mask, g_mask = _where(real, s, g), _where(gen, s, g)
            levels.append(
                _distribution(
                    f"cost_per_unit/{s}/{g}",
                    f"{MONEY_BASE_YEAR} USD per {UNIT[s]}/yr saved ({name}), {where}",
                    _cost_per_unit(real, r_mask),
                    _cost_per_unit(gen, g_mask),
                )
            )
    energy_r, energy_g = real.stream != "", gen.stream != ""
    levels.append(
        _distribution(
            "payback/all",
            "simple payback, years (energy recommendations)",
            real.payback_years[energy_r],
            gen.payback_years[energy_g],
        )
    )
    # Per-plant totals.
    for s in ("electricity", "natural_gas"):
        levels.append(
            _distribution(
                f"plant_share/{s}",
                f"plant total: recommended {s.replace('_', ' ')} savings / plant use",
                _plant_share(real, s),
                _plant_share(gen, s),
            )
        )
    # What the recommendations save: the primary stream and the class.
    for s in STREAMS:
        levels.append(
            _rate(
                f"stream_share/{s}",
                f"share of energy recommendations: {s.replace('_', ' ')}",
                (real.stream == s)[energy_r],
                (gen.stream == s)[energy_g],
            )
        )
    for g in GROUPS:
        levels.append(
            _rate(
                f"group_share/{g}",
                f"share of energy recommendations: group {g}",
                (real.group == g)[energy_r],
                (gen.group == g)[energy_g],
            )
        )
    # Adoption: I / (I + N), overall, by payback band and by year band.
    levels.append(_rate("adoption/all", "adoption, all", real.implemented, gen.implemented))
    # Bands need a known cost (13% of real rows have none): those rows are in no band.
    r_band = _payback_band(real.payback_years).where(real.cost_usd.notna())
    g_band = _payback_band(gen.payback_years).where(gen.cost_usd.notna())
    for band in _payback_band(pd.Series([0.2, 0.7, 1.5, 2.5, 4.0, 9.0, np.nan])):
        levels.append(
            _rate(
                f"adoption/payback/{band}",
                f"adoption, payback {band}",
                real.implemented[r_band == band],
                gen.implemented[g_band == band],
            )
        )
    for lo, hi in REAL_YEAR_BANDS:
        name = f"FY{lo}-{hi}"
        in_band = (real.year >= lo) & (real.year <= hi)
        gen_part = gen.implemented if name == LATEST_BAND else gen.implemented.iloc[:0]
        label = f"adoption, {name}" + (" (generated: 2021-2024)" if name == LATEST_BAND else "")
        levels.append(_rate(f"adoption/year/{name}", label, real.implemented[in_band], gen_part))
    return levels


def _fmt(value: float | None, key: str) -> str:
    if value is None:
        return "-"
    if key.startswith(("fraction", "plant_share")):
        return f"{value:.2%}"
    if key.startswith("cost_per_unit"):
        return f"{value:.3g}"
    if key.startswith("payback"):
        return f"{value:.2f}"
    return f"{value:.1%}"


def markdown(levels: list[Level], meta: dict[str, object]) -> str:
    """The table (and how it was made) as markdown."""
    lines = [
        f"Measured {meta['date']} with `python scripts/calibration_table.py` "
        f"({meta['n_factories']:,} generated factories, seed {meta['seed']}; real: IAC RECC "
        "primary-stream release joined with the 2026 ASSESS table, FY1981-2021, money in "
        f"{MONEY_BASE_YEAR} USD by CPI-U). Distributions: p10 / median / p90 and the two-sample "
        "KS statistic; shares and rates: the rate and the gap in percentage points. How like is "
        "matched with like is in the script's docstring; in short:",
        "",
        "- only the primary savings stream of a recommendation is compared (the public RECC copy "
        "keeps no other); a generated recommendation's primary stream is the carrier with the "
        "largest money saving;",
        "- groups are the integer the release rounded the ARC to; the catalogue's energy "
        "measures fall in groups 2 and 3 only, so groups 4 and 5 have no generated rows;",
        "- generated plants are Chinese (the generator has no US option; computing "
        "infrastructure is left out): the ratios compared carry no currency, generated money is "
        "converted at 7.0809 CNY/USD (2023) and restated in 2024 USD. Other fuels differ in "
        "kind: Chinese coal users (an assumption of the generator) against US LPG, oil and "
        "wood;",
        "- generated audits are dated 2021-2024; their adoption is set against FY2011-2021.",
        "",
        "The generator's parameters fitted to these numbers, each with the statistic it was fitted "
        'to, are in the block "Fitted to the real audits" of features/sources/synthetic.py; '
        "tests/features/test_calibration.py fails when the main levels drift past stated bounds.",
        "",
        "| level | real n | generated n | real p10 / median / p90 | generated p10 / median / "
        "p90 | distance |",
        "|---|---:|---:|---|---|---:|",
    ]
    for lv in levels:
        if lv.kind == "distribution":
            real = " / ".join(_fmt(lv.real[k], lv.key) for k in ("p10", "p50", "p90"))
            gen = " / ".join(_fmt(lv.generated[k], lv.key) for k in ("p10", "p50", "p90"))
            dist = f"KS {lv.distance:.3f}" if lv.distance is not None else "-"
        else:
            real, gen = _fmt(lv.real["rate"], lv.key), _fmt(lv.generated["rate"], lv.key)
            dist = f"{lv.distance:.1f} pp" if lv.distance is not None else "-"
        if lv.n_generated == 0:
            gen = "(none generated)"
        lines.append(
            f"| {lv.label} | {lv.n_real:,} | {lv.n_generated:,} | {real} | {gen} | {dist} |"
        )
    return "\n".join(lines)


def write_docs(table: str, path: Path = DOCS) -> None:
    """Put ``table`` between the markers, appending the section at the end when absent."""
    text = path.read_text()
    block = f"{START}\n{table}\n{END}"
    if START in text and END in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{block}\n"
    path.write_text(text)


def run(
    shared_data: Path, n_factories: int, seed: int, progress: Callable[[str], None] = print
) -> tuple[list[Level], dict[str, object]]:
    """Compute every level; returns the levels and what was compared."""
    progress("reading the real IAC audits")
    real = real_records(shared_data)
    progress(f"generating {n_factories:,} factories (seed {seed})")
    gen = generated_records(n_factories, seed)
    meta: dict[str, object] = {
        "date": datetime.date.today().isoformat(),
        "n_factories": n_factories,
        "seed": seed,
        "money_base_year": MONEY_BASE_YEAR,
        "excluded_generated_sectors": list(EXCLUDED_SECTORS),
    }
    return compare(real, gen), meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared-data",
        type=Path,
        default=ROOT.parent / "shared" / "data",
        help="folder holding the IAC releases",
    )
    parser.add_argument("--n-factories", type=int, default=5000, help="generated factories")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--json", default=None, help="write the levels as JSON here (- = stdout)")
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/evaluation.md")
    args = parser.parse_args(argv)
    quiet = args.json == "-"
    levels, meta = run(
        args.shared_data, args.n_factories, args.seed, (lambda _: None) if quiet else print
    )
    table = markdown(levels, meta)
    if not quiet:
        print(table)
    if not args.no_docs:
        write_docs(table)
    if args.json is not None:
        payload = json.dumps({"meta": meta, "levels": [asdict(lv) for lv in levels]}, indent=1)
        if args.json == "-":
            print(payload)
        else:
            Path(args.json).write_text(payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
