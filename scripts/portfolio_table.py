"""Portfolio totals against real audits: what the model says a plant's recommended measures save
together, against what the auditors' own figures add to, on IAC plants of years the model did
not see.

Usage::

    python scripts/portfolio_table.py [--test-from 2017] [--n-factories 2000] [--no-docs]

Trains the default blend (the shipped IAC audits with generated plants,
``features.sources.load_dataset("audits")``) on every IAC plant audited before ``--test-from``
and the generated plants, then, for each IAC plant audited from ``--test-from`` on:

- real: the sum of its recommendations' savings of a stream (electricity, natural gas) over the
  plant's use of that stream, as the audit report adds them;
- predicted, together: the same recommendations predicted by the model as a share of the energy
  each acts on (for the public copy's coarse classes, all the plant's energy), put on the stream
  the recommendation saved, and combined the way the service stacks measures on one carrier,
  ``1 - prod(1 - saving_i / use)`` (each acts on what the ones before it left);
- predicted, added: the same predictions simply added (what standalone figures would claim).

Plants count where they use the stream and got at least one recommendation saving it. The table
(p10, p25, median, p75, p90, and the two-sample Kolmogorov-Smirnov statistic of predicted
together against real) is written between ``<!-- portfolio:start -->`` and
``<!-- portfolio:end -->`` in docs/evaluation.md.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.catalogue.candidates import FactoryEnergy, pairs  # noqa: E402
from features.catalogue.measures import Catalogue  # noqa: E402
from features.design import outcome_design  # noqa: E402
from features.sources import load_dataset  # noqa: E402
from features.sources.synthetic import SyntheticConfig  # noqa: E402
from features.targets import outcome_targets, saved_gj  # noqa: E402
from features.units import Carrier  # noqa: E402
from models.bundle import RecommendationBundle  # noqa: E402

CARRIERS = list(Carrier)
STREAMS = {"electricity": Carrier.ELECTRICITY, "natural gas": Carrier.NATURAL_GAS}
START, END = "<!-- portfolio:start -->", "<!-- portfolio:end -->"


def portfolio_rows(
    bundle: RecommendationBundle, factories: pd.DataFrame, outcomes: pd.DataFrame
) -> pd.DataFrame:
    """Per plant and stream: real added, predicted together, predicted added (shares of use)."""
    catalogue = Catalogue.default()
    factories = factories.reset_index(drop=True)
    energy = FactoryEnergy.of(factories)
    targets = outcome_targets(factories, outcomes, catalogue, energy)
    rows = targets["factory_row"].to_numpy()
    keys = targets["key"].to_numpy()
    found = pairs(energy, rows, keys, catalogue)
    X = outcome_design(bundle.spec_, factories, rows, keys, catalogue)
    mid = bundle.savings_.predict(X)
    share = np.minimum(np.exp(mid), found.cap)
    real = saved_gj(outcomes.reset_index(drop=True))
    # The model predicts a share of the energy the measure acts on (for a coarse class, all the
    # plant's energy); the saving goes to the stream the recommendation saved, as recorded.
    stream = np.nanargmax(np.where(np.isnan(real), -np.inf, real), axis=1)
    predicted = np.zeros_like(found.targeted_gj)
    predicted[np.arange(len(stream)), stream] = share * found.targeted_gj.sum(axis=1)
    out = []
    for name, carrier in STREAMS.items():
        c = CARRIERS.index(carrier)
        use = energy.energy_gj[:, c]
        real_c = pd.Series(np.nan_to_num(real[:, c]).clip(0)).groupby(rows).sum()
        pred = pd.Series(predicted[:, c]).groupby(rows)
        for plant, got in real_c.items():
            u = use[int(plant)]
            if u <= 0 or got <= 0:
                continue
            parts = pred.get_group(plant).to_numpy() / u
            out.append(
                {
                    "stream": name,
                    "plant": int(plant),
                    "recommendations": int((rows == plant).sum()),
                    "real": got / u,
                    "together": 1 - np.prod(1 - np.clip(parts, 0, 1)),
                    "added": parts.sum(),
                }
            )
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame, test_from: int, trained: str) -> str:
    """The table as docs/evaluation.md shows it."""
    q = (0.1, 0.25, 0.5, 0.75, 0.9)
    lines = [
        f"IAC plants audited FY{test_from} on, with a model trained on {trained}. Shares of the "
        "plant's use of the stream; plants using it with at least one recommendation saving it.",
        "",
        "| stream | plants | | p10 | p25 | median | p75 | p90 | KS vs real |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for stream, part in table.groupby("stream", sort=False):
        for label, column in (
            ("real: auditors' figures added", "real"),
            ("predicted together (as served)", "together"),
            ("predicted, standalone added", "added"),
        ):
            v = part[column].quantile(q).to_numpy()
            ks = "" if column == "real" else f"{ks_2samp(part[column], part['real']).statistic:.3f}"
            cells = " | ".join(f"{x:.1%}" for x in v)
            lines.append(f"| {stream} | {len(part):,} | {label} | {cells} | {ks} |")
    recs = table.drop_duplicates("plant")["recommendations"]
    lines += [
        "",
        f"Recommendations per plant (all streams): median {recs.median():.0f}, "
        f"p90 {recs.quantile(0.9):.0f}.",
    ]
    return "\n".join(lines)


def write_docs(block: str) -> None:
    """Put ``block`` between the markers of docs/evaluation.md (appending a section if none)."""
    path = ROOT / "docs" / "evaluation.md"
    doc = path.read_text(encoding="utf-8")
    if START in doc and END in doc:
        head, rest = doc.split(START, 1)
        doc = head + START + "\n" + block + "\n" + END + rest.split(END, 1)[1]
    else:
        doc += (
            "\n## Portfolio totals against real audits\n\n"
            "Written by `python scripts/portfolio_table.py`.\n\n"
            f"{START}\n{block}\n{END}\n"
        )
    path.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test-from", type=int, default=2017)
    parser.add_argument("--n-factories", type=int, default=2000)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument(
        "--cache", type=Path, default=None, help="pickle of the trained bundle: read if present"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    data = load_dataset("audits", synthetic=SyntheticConfig(n_factories=args.n_factories))
    f, o = data.factories, data.outcomes
    real = f["x_provenance"].astype(str).eq("iac")
    later = real & (pd.to_numeric(f["reporting_year"], errors="coerce") >= args.test_from)
    test_ids = set(f.loc[later, "factory_id"].astype(str))
    in_test = o["factory_id"].astype(str).isin(test_ids)
    train_f, train_o = f[~later], o[~in_test]
    if args.cache is not None and args.cache.exists():
        with args.cache.open("rb") as fh:
            bundle = pickle.load(fh)  # written by this script, below
    else:
        bundle = RecommendationBundle().fit(train_f.reset_index(drop=True), train_o)
        if args.cache is not None:
            with args.cache.open("wb") as fh:
                pickle.dump(bundle, fh)
    table = portfolio_rows(bundle, f[later], o[in_test])
    trained = (
        f"IAC plants before FY{args.test_from} and {args.n_factories:,} generated plants "
        f"({len(train_o):,} outcomes)"
    )
    block = markdown(table, args.test_from, trained)
    print(block)
    print(f"\n{time.perf_counter() - started:.0f} s")
    if not args.no_docs:
        write_docs(block)


if __name__ == "__main__":
    main()
