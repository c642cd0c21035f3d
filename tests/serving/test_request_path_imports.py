"""The request path loads no data layer: in a fresh interpreter, building the app and scoring
one factory imports no data reader, no generator, no SQLAlchemy or Alembic (they cost start-up
time and memory in every worker, and a reader's import-time work would run in the service).
The outcomes store loads SQLAlchemy when it is first used, which the test also checks, so the
check itself is seen to work."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT

#: Module prefixes the request path must not import: the data sources (readers of IAC tables
#: and files, the generators, the dataset schema, the outcomes store), the database layer and
#: the cluster scheduler.
FORBIDDEN = ("features.sources", "sqlalchemy", "alembic", "psycopg", "dask", "distributed")

_SCRIPT = """
import json, pickle, sys
from serving.app import create_app
from serving.settings import Settings
from features.profile import parse_profile
from models.schemas import RecommendOptions

forbidden = tuple(sys.argv[3].split(","))
def loaded():
    return sorted({m for m in sys.modules if m.startswith(forbidden)})

settings = Settings(tracking_uri="sqlite:///unused.db", auth_enabled=False,
                    database_url="sqlite:///" + sys.argv[2])
app = create_app(settings)
app.openapi()
with open(sys.argv[1], "rb") as f:
    bundle = pickle.load(f)
profile = parse_profile(json.loads(sys.stdin.read()))
answer = bundle.recommend([profile], RecommendOptions(top_k=3, explain="top"))[0]
after_scoring = loaded()
app.state.service.store.get()  # the outcomes store, on first use
print(json.dumps({"n": len(answer.recommendations), "after_scoring": after_scoring,
                  "after_store": loaded()}))
"""


def test_scoring_one_factory_imports_no_reader_generator_or_database(
    tmp_path: Path, tiny_bundle: Any, example_profile: dict[str, Any]
) -> None:
    bundle_path = tmp_path / "bundle.pkl"
    bundle_path.write_bytes(pickle.dumps(tiny_bundle))
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(bundle_path), str(tmp_path / "outcomes.db"),
         ",".join(FORBIDDEN)],
        input=json.dumps(example_profile), capture_output=True, text=True, cwd=REPO_ROOT,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["n"] == 3
    assert seen["after_scoring"] == []
    # The store brings SQLAlchemy and Alembic with it: the check sees a module when it is there.
    assert {"sqlalchemy", "alembic", "features.sources.outcome_store"} <= set(seen["after_store"])
