"""schemathesis with every check (``--checks all``: also invalid requests accepted, valid ones
rejected, the Allow header of a 405, ...) against a real server on a tiny model: 0 failures
(any still found would be pinned by check in :data:`KNOWN`, with their causes). Needs the CJK
font ``make fonts`` installs: without it a Chinese report is a 503 (ST101, server error)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from serving.settings import hash_key
from tests.serving.conftest import ADMIN_KEY
from tests.serving.live import live_server

ROOT = Path(__file__).resolve().parents[2]

#: Examples per operation: bounded so the run stays within a minute or two on two cores.
MAX_EXAMPLES = 40
#: Seconds a request may take, and its response (the response-time check): a PDF report took
#: 10.5 s on two cores shared with other test runs, over schemathesis' default limit of 10 s.
SLOW_S = 60


#: What the run still finds, by check code; the goal, reached, is an empty table. The schema
#: states what validation accepts (regions per country, products, routes and options,
#: units per carrier, ...); the rules between fields JSON Schema cannot state are kept by
#: tests/serving/schemathesis_hooks.py, which drops generated requests breaking them (each rule
#: names where the API enforces it; docs/api.md lists them). A new entry here names its cause.
KNOWN: dict[str, int] = {}


#: The phases the default suite runs. The coverage phase (every parameter's boundary and
#: invalid values, schema by schema) takes about 110 s of the run's 140 on two cores: it runs in
#: ``make bench`` (the slow test below), so the whole suite stays within its 20 minutes.
DEFAULT_PHASES = "examples,fuzzing,stateful"


def test_schemathesis_with_every_check_finds_nothing(model_store: str, tmp_path: Path) -> None:
    _run_and_check(model_store, tmp_path, DEFAULT_PHASES)


@pytest.mark.slow
def test_schemathesis_coverage_phase_with_every_check_finds_nothing(
    model_store: str, tmp_path: Path
) -> None:
    _run_and_check(model_store, tmp_path, "coverage")


def _run_and_check(model_store: str, tmp_path: Path, phases: str) -> None:
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert exe is not None
    env = {"DECARB_ADMIN_KEY_HASHES": f'["{hash_key(ADMIN_KEY)}"]',
           "DECARB_MAX_IN_FLIGHT": "10000", "DECARB_COMPILED_TREES": "false",
           "DECARB_OUTCOMES_URL": f"sqlite:///{tmp_path / 'outcomes.db'}",
           "DECARB_DATABASE_URL": f"sqlite:///{tmp_path / 'outcomes.db'}"}  # fmt: skip
    with live_server(model_store, tmp_path, **env) as url:
        run = subprocess.run(
            [
                exe,
                "run",
                f"{url}/openapi.json",
                "--checks",
                "all",
                "-H",
                f"X-API-Key: {ADMIN_KEY}",
                "--phases",
                phases,
                "--max-examples",
                str(MAX_EXAMPLES),
                "--no-color",
                "--generation-deterministic",
                "--request-timeout",
                str(SLOW_S),
                "--max-response-time",
                str(SLOW_S),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
            env={
                **os.environ,
                "SCHEMATHESIS_TELEMETRY": "false",
                "SCHEMATHESIS_HOOKS": "tests.serving.schemathesis_hooks",
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            },
        )
    output = run.stdout + run.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    assert "Test cases:" in output, output[-5000:]  # it ran
    found = {code: int(n) for code, n in re.findall(r"(ST\d+) [^:\n]+: (\d+)\n", output)}
    assert found == KNOWN, output[-20000:]
    assert (run.returncode == 0) == (not KNOWN)
