"""Digest of the answers and of the trained state, to hold a refactoring to byte-identical output.

Trains a small bundle in-process from a fixed seed (generated data), answers the reference
factories (tests/reference/factories.py and heavy.py) and a few generated ones under several
option sets (every objective, explain levels, top_k, en and zh, a target, a budget, a currency),
and writes every answer as sorted JSON to ``--out``. Prints one sha256 per answer, one for the
trained state (every booster's model text and every learned array) and a total.

Usage::

    python scripts/answer_digest.py --out answers.json           # about a minute on 2 cores
    python scripts/answer_digest.py --out new.json --against old.json   # names what differs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # for tests.reference; a PYTHONPATH given first still wins

import models  # noqa: E402
from features.profile import parse_profile, profiles_from_frame  # noqa: E402
from features.sources.synthetic import SyntheticConfig, generate  # noqa: E402
from models.bundle import BundleConfig, RecommendationBundle  # noqa: E402
from models.schemas import RecommendOptions  # noqa: E402
from tests.reference.factories import ALL  # noqa: E402
from tests.reference.heavy import HEAVY, UNDECLARED_BF_BOF, UNDECLARED_EAF  # noqa: E402

#: Option sets the answers are asked under (each with every factory, in one batch call).
OPTIONS: dict[str, dict[str, Any]] = {
    "default_en": {},
    "cost_zh_none": {"objective": "lowest_cost_per_tco2e", "top_k": 5, "explain": "none",
                     "lang": "zh"},
    "adopted_en_full_target": {"objective": "most_adopted_tco2e", "top_k": 20, "explain": "full",
                               "target_reduction": 0.5},
    "tco2e_zh_top60_netzero": {"top_k": 60, "explain": "none", "lang": "zh",
                               "target_reduction": 1.0, "capex_budget": 5.0e6},
    "cost_en_usd_all": {"objective": "lowest_cost_per_tco2e", "currency": "USD",
                        "min_evidence": 0, "top_features": 3, "green_contract_share": 0.4},
    "adopted_zh_top": {"objective": "most_adopted_tco2e", "lang": "zh", "top_k": 8,
                       "discount_rate": 0.05, "programme_payback_years": 2.0},
}  # fmt: skip

N_GENERATED = 5


def _feed(h: Any, value: Any, depth: int = 0) -> None:
    """Hash ``value`` by content: boosters by their model text, arrays by bytes, objects by
    their attributes (type names without modules, so a class may move)."""
    if depth > 12:
        return
    if isinstance(value, lgb.Booster):
        h.update(value.model_to_string().encode())
    elif isinstance(value, np.ndarray):
        h.update(f"{value.dtype}{value.shape}".encode())
        h.update(value.tobytes() if value.dtype != object else repr(value.tolist()).encode())
    elif isinstance(value, dict):
        for key in sorted(value, key=repr):
            h.update(repr(key).encode())
            _feed(h, value[key], depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _feed(h, item, depth + 1)
    elif isinstance(value, str | int | float | bool | type(None) | np.generic):
        h.update(repr(value).encode())
    elif hasattr(value, "__dict__"):
        h.update(type(value).__name__.encode())
        state = {k: v for k, v in vars(value).items() if not k.startswith("_compiled")}
        _feed(h, state, depth + 1)
    else:
        h.update(repr(value).encode())


def trained_digest(bundle: Any) -> str:
    h = hashlib.sha256()
    learned = {k: v for k, v in vars(bundle).items() if k.endswith("_")}
    _feed(h, learned)
    return h.hexdigest()


def answers(bundle: Any, profiles: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for option_name, values in OPTIONS.items():
        results = bundle.recommend(list(profiles.values()), RecommendOptions(**values))
        for name, result in zip(profiles, results, strict=True):
            body = json.dumps(json.loads(result.model_dump_json()), sort_keys=True)
            out[f"{option_name}/{name}"] = body
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--against", type=Path, default=None)
    parser.add_argument("--factories", type=int, default=1500)
    args = parser.parse_args()

    print(f"models from {models.__file__}", file=sys.stderr)
    data = generate(SyntheticConfig(n_factories=args.factories, seed=11))
    config = BundleConfig(n_estimators=60, num_leaves=15, min_child_samples=10, random_state=1)
    bundle = RecommendationBundle(config).fit(data.factories, data.outcomes)
    profiles = {f"ref_{k}": parse_profile(v) for k, v in ALL.items()}
    profiles |= {f"heavy_{k}": parse_profile(v) for k, v in HEAVY.items()}
    profiles["undeclared_bf_bof"] = parse_profile(UNDECLARED_BF_BOF)
    profiles["undeclared_eaf"] = parse_profile(UNDECLARED_EAF)
    generated, rejected = profiles_from_frame(data.factories.head(N_GENERATED))
    assert not rejected, rejected
    profiles |= {f"generated_{i}": p for i, p in enumerate(generated)}

    bodies = answers(bundle, profiles)
    digests = {name: hashlib.sha256(body.encode()).hexdigest() for name, body in bodies.items()}
    digests["trained_state"] = trained_digest(bundle)
    total = hashlib.sha256("".join(f"{k}={v}\n" for k, v in digests.items()).encode())
    for name, digest in digests.items():
        print(f"{digest}  {name}")
    print(f"{total.hexdigest()}  TOTAL ({len(bodies)} answers)")
    args.out.write_text(
        json.dumps({"answers": bodies, "digests": digests, "total": total.hexdigest()}, indent=0)
    )
    if args.against is not None:
        old = json.loads(args.against.read_text())["digests"]
        differ = [k for k in old if old[k] != digests.get(k)]
        print(f"{len(differ)} of {len(old)} differ from {args.against}: {differ}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
