"""The main job, run as a user runs it: the installed ``decarb-report`` command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from features.accounting.footprint import compute_footprint
from features.i18n import human
from features.report import load_profile


def run_report(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("decarb-report", path=str(Path(sys.executable).parent))
    assert exe is not None, "decarb-report is not installed in this environment"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, check=False)


def test_main_job_prints_footprint_by_scope_and_carrier_and_measures() -> None:
    result = run_report()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    expected = compute_footprint(load_profile(None))
    # Three significant figures for people (the JSON keeps full values).
    assert human(expected.total_location_tco2e) in out
    assert human(expected.scope1_tco2e) in out
    assert f"{expected.total_location_tco2e:,.1f}" not in out
    assert human(expected.comprehensive_energy_tce) in out
    for heading in ("Scope 1", "Scope 2", "natural_gas", "electricity", "purchased_heat"):
        assert heading in out
    assert "rooftop_pv" in out  # applicable: the example has roof area
    assert "led_lighting: already in place" in out


def test_the_report_in_chinese() -> None:
    result = run_report("--lang", "zh")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    expected = compute_footprint(load_profile(None))
    for words in (
        "范围一",
        "范围二",
        "天然气",
        "综合能耗",
        "吨标准煤",
        "适用措施",
        "压缩空气泄漏检测与修复",
    ):
        assert words in out
    assert human(expected.comprehensive_energy_tce) in out
    assert "led_lighting: 已实施" in out
    bad = run_report("--lang", "fr")
    assert bad.returncode == 2
    assert "lang" in bad.stdout
    assert "zh" in bad.stdout


def test_json_output_and_bad_profile(tmp_path: Path) -> None:
    result = run_report("--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["footprint"]["factor_table_version"] == "2026.11.1"

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "factory_id": "b",
                "country": "CN",
                "region": "Narnia",
                "sector": "steel",
                "reporting_year": 2023,
            }
        )
    )
    result = run_report(str(bad))
    assert result.returncode == 2
    assert "region" in result.stdout
    assert "Narnia" in result.stdout


def test_us_profile_with_eia_factors(tmp_path: Path, shared_data: Path) -> None:
    profile = tmp_path / "ohio.json"
    profile.write_text(
        json.dumps(
            {
                "factory_id": "oh-1995",
                "country": "US",
                "region": "OH",
                "sector": "steel",
                "reporting_year": 1995,
                "electricity_kwh": 1e6,
            }
        )
    )
    eia = shared_data / "eia-state-electric-co2-1990-2024/state_carbon_intensity_derived.csv"
    result = run_report(str(profile), "--eia-state-factors", str(eia), "--json")
    assert result.returncode == 0, result.stderr
    electricity = json.loads(result.stdout)["footprint"]["by_carrier"][0]
    assert electricity["factor"]["factor_id"] == "us-eia-oh-1995"
    assert electricity["tco2e"] == pytest.approx(835.27, abs=0.01)
