"""Verified savings: intervals that cover the truth on generated plants at the stated rate,
verdicts a plant would notice (weak baselines, non-routine events), meter files with named bad
cells, units, languages, and the outcome store keeping the fit."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from features.accounting.factors import FactorTable
from features.errors import InvalidValueError
from features.regions import Country
from features.report import example_profile_data
from features.sources.outcome_store import OutcomeStore, check_report
from features.units import Carrier
from features.verification import to_outcome_report, verify
from features.verification.generator import (
    EXAMPLE_MEASURE,
    generate_meters,
    meters_csv,
)
from features.verification.meters import read_meters
from features.verification.schema import MeterReading, Verification, VerificationRequest

TABLE = FactorTable.default()
EXAMPLE = Path(__file__).resolve().parents[2] / "features" / "data" / "meters_example.csv"
WEATHER_FORMS = {"production_hdd", "production_cdd", "production_hdd_cdd", "change_point_heating",
                 "change_point_cooling"}  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def many_plants() -> dict[str, list[tuple[Verification, dict[Carrier, float]]]]:
    """200 production-driven and 200 weather-driven plants (3% noise, 5% saved), verified."""
    runs: dict[str, list[tuple[Verification, dict[Carrier, float]]]] = {}
    for kind in ("production", "weather"):
        runs[kind] = []
        for seed in range(200):
            plant = generate_meters(seed, kind, 0.05)  # type: ignore[arg-type]
            result = verify(plant.request, table=TABLE)
            truth = {c.carrier: plant.truth_without(c.carrier, c.excluded_periods)
                     for c in result.carriers}  # fmt: skip
            runs[kind].append((result, truth))
    return runs


def test_90_percent_intervals_cover_the_true_savings_at_about_90_percent(
    many_plants: dict[str, list[tuple[Verification, dict[Carrier, float]]]],
) -> None:
    for kind, runs in many_plants.items():
        hits = [abs(c.saved - truth[c.carrier]) <= c.uncertainty
                for result, truth in runs for c in result.carriers]  # fmt: skip
        rate = sum(hits) / len(hits)
        print(f"{kind}: 90% intervals cover the true savings in {rate:.1%} of {len(hits)}")
        assert 0.85 <= rate <= 0.95, (kind, rate)
        assert all(c.confidence == 0.90 for result, _ in runs for c in result.carriers)


def test_forms_follow_what_drives_the_plant(
    many_plants: dict[str, list[tuple[Verification, dict[Carrier, float]]]],
) -> None:
    production = Counter(f.form for result, _ in many_plants["production"] for f in result.fits)
    weather = Counter(f.form for result, _ in many_plants["weather"] for f in result.fits)
    print("production plants:", dict(production), "weather plants:", dict(weather))
    assert production["production"] / sum(production.values()) >= 0.85
    assert sum(weather[f] for f in WEATHER_FORMS) / sum(weather.values()) >= 0.95
    gas = [f for result, _ in many_plants["weather"] for f in result.fits
           if f.carrier == Carrier.NATURAL_GAS]  # fmt: skip
    heating = [f for f in gas if f.form == "change_point_heating"]
    assert heating
    balance = [f.balance_point_c for f in heating if f.balance_point_c is not None]
    assert 14 <= sum(balance) / len(balance) <= 18  # generated at 16 °C


def test_a_weak_baseline_is_not_verifiable() -> None:
    plant = generate_meters(3, "production", 0.05, noise_cv=0.30)
    result = verify(plant.request, table=TABLE)
    assert all(c.verdict == "not_verifiable" for c in result.carriers)
    assert result.verdict == "not_verifiable"
    assert all(not f.passes and f.cv_rmse > f.cv_rmse_limit == 0.15 for f in result.fits)
    assert any("CV(RMSE)" in m and "limit 15.0%" in m for m in result.messages)
    with pytest.raises(InvalidValueError) as caught:
        to_outcome_report(result, example_profile_data())
    assert caught.value.field == "verification.verdict"
    assert caught.value.value == "not_verifiable"


def test_too_short_a_baseline_is_not_verifiable() -> None:
    plant = generate_meters(4, "production", 0.10, n_baseline=8)
    result = verify(plant.request, table=TABLE)
    assert {c.verdict for c in result.carriers} == {"not_verifiable"}
    assert any("8 usable baseline periods" in m for m in result.messages)


def test_non_routine_events_unmarked_bias_marked_excluded_adjusted_match_truth() -> None:
    errors: dict[str, list[float]] = {"unmarked": [], "marked": [], "adjusted": []}
    for seed in range(12):
        common = {"event": True, "event_fraction": 0.15, "carriers": (Carrier.ELECTRICITY,)}
        for case, options in (("unmarked", {"event_marked": False}), ("marked", {}),
                              ("adjusted", {"event_adjusted": True})):  # fmt: skip
            plant = generate_meters(seed, "production", 0.05, **common, **options)  # type: ignore[arg-type]
            result = verify(plant.request, table=TABLE)
            (saved,) = result.carriers
            truth = plant.truth_without(Carrier.ELECTRICITY, saved.excluded_periods)
            errors[case].append((saved.saved - truth) / saved.uncertainty)
            if case == "marked":
                assert saved.excluded_periods == plant.event_periods
                for period in plant.event_periods:
                    assert any(period in m and "non-routine" in m for m in result.messages)
                assert [p.excluded for p in result.series if p.excluded] == [
                    "new production line commissioned"
                ] * 3
            elif case == "adjusted":
                assert saved.excluded_periods == []
                assert saved.non_routine_adjustment > 0
    mean = {case: sum(e) / len(e) for case, e in errors.items()}
    print("mean error in half-widths:", mean)
    assert mean["unmarked"] < -1.5  # the new line's energy is taken for lost savings
    assert abs(mean["marked"]) < 0.35
    assert abs(mean["adjusted"]) < 0.35
    assert sum(abs(e) <= 1 for e in errors["adjusted"]) >= 10


def _in_units(readings: list[MeterReading]) -> list[MeterReading]:
    out = []
    seen: Counter[Carrier] = Counter()
    for r in readings:
        seen[r.carrier] += 1
        if seen[r.carrier] % 2 and r.carrier == Carrier.ELECTRICITY:
            out.append(r.model_copy(update={"quantity": r.quantity / 1000, "unit": "MWh"}))
        elif seen[r.carrier] % 3 and r.carrier == Carrier.NATURAL_GAS:
            out.append(r.model_copy(update={"quantity": r.quantity / 1e4, "unit": "万Nm3"}))
        else:
            out.append(r)
    return out


def test_mixed_units_give_the_canonical_result() -> None:
    plant = generate_meters(7, "weather", 0.06)
    canonical = verify(plant.request, table=TABLE)
    mixed_request = plant.request.model_copy(update={"readings": _in_units(plant.readings)})
    assert {r.unit for r in mixed_request.readings} == {"kWh", "MWh", "Nm3", "万Nm3"}
    mixed = verify(mixed_request, table=TABLE)
    for a, b in zip(canonical.carriers, mixed.carriers, strict=True):
        assert b.saved == pytest.approx(a.saved, rel=1e-9)
        assert b.uncertainty == pytest.approx(a.uncertainty, rel=1e-9)
        assert b.unit == a.unit
    assert [f.form for f in mixed.fits] == [f.form for f in canonical.fits]


GOOD = "period,carrier,quantity,unit,production\n" + "".join(
    f"2023-{m:02d},electricity,{1_000_000 + m},kWh,{8000 + m}\n" for m in range(1, 13)
)


@pytest.mark.parametrize(
    ("line", "field", "allowed_part"),
    [
        ("2024-01,steam_from_mars,5,kWh,1", "row 14: carrier", "electricity"),
        ("2024-01,electricity,5,Nm3,1", "row 14: unit", "MWh"),
        ("2024-01,electricity,-5,kWh,1", "row 14: quantity", "from 0"),
        ("2024-13,electricity,5,kWh,1", "row 14: period", "YYYY-MM"),
        ("2023-05,electricity,5,kWh,1", "row 14: period", "row 6"),
        ("2024-01,natural_gas,abc,Nm3,1", "row 14: quantity", "a number"),
    ],
)
def test_bad_rows_name_row_and_column(
    tmp_path: Path, line: str, field: str, allowed_part: str
) -> None:
    path = tmp_path / "meters.csv"
    path.write_text(GOOD + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidValueError) as caught:
        read_meters(path.read_bytes(), path.name)
    assert caught.value.field == field
    assert allowed_part in caught.value.allowed


def test_every_bad_cell_is_listed_in_one_error(tmp_path: Path) -> None:
    path = tmp_path / "meters.csv"
    path.write_text(
        GOOD + "2024-01,coal,5,kWh,1\n2024-02,electricity,-1,kWh,1\n2024-03,gas?,5,Nm3,x\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidValueError) as caught:
        read_meters(path.read_bytes(), path.name)
    message = str(caught.value)
    assert caught.value.field == "row 14: unit"
    for cell in ("row 14: unit", "row 15: quantity", "row 16: carrier", "row 16: production"):
        assert cell in message
    assert message.startswith("4 bad cells")


def test_chinese_headers_and_carriers_in_xlsx_read_as_csv(tmp_path: Path) -> None:
    plant = generate_meters(11, "production", 0.05, n_baseline=12, n_reporting=3)
    csv_path = tmp_path / "meters.csv"
    csv_path.write_bytes(b"\xef\xbb\xbf" + meters_csv(plant.readings).encode())  # with BOM
    from_csv = read_meters(csv_path.read_bytes(), csv_path.name)
    frame = pd.read_csv(csv_path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    frame["carrier"] = frame["carrier"].map({"electricity": "电力", "natural_gas": "天然气"})
    frame = frame.rename(columns={"period": "月份", "carrier": "能源品种", "quantity": "用量",
                                  "unit": "单位", "production": "产量"})  # fmt: skip
    xlsx = tmp_path / "meters.xlsx"
    frame.to_excel(xlsx, index=False)
    from_xlsx = read_meters(xlsx.read_bytes(), xlsx.name)
    assert from_xlsx == from_csv == plant.readings


def test_overlapping_day_ranges_are_refused_naming_both_readings() -> None:
    readings = [
        MeterReading(period="2023-01-01", period_end="2023-01-14", carrier=Carrier.ELECTRICITY,
                     quantity=1, unit="kWh"),
        MeterReading(period="2023-01-10", period_end="2023-01-20", carrier=Carrier.ELECTRICITY,
                     quantity=1, unit="kWh"),
        MeterReading(period="2023-01-10", period_end="2023-01-20", carrier=Carrier.NATURAL_GAS,
                     quantity=1, unit="GJ"),
    ]  # fmt: skip
    request = VerificationRequest(measure_id="led_lighting", installed="2023-02", readings=readings)
    with pytest.raises(InvalidValueError) as caught:
        verify(request, table=TABLE)
    assert caught.value.field == "readings[1]: period"
    assert "readings[0]" in caught.value.allowed


def test_weekly_periods_verify() -> None:
    plant = generate_meters(5, "production", 0.08, carriers=(Carrier.ELECTRICITY,))
    weekly = []
    for r in plant.readings:  # each month as its first four weeks
        start = pd.Timestamp(r.period + "-01")
        for w in range(4):
            first, last = start + pd.Timedelta(days=7 * w), start + pd.Timedelta(days=7 * w + 6)
            update = {
                "period": f"{first:%Y-%m-%d}",
                "period_end": f"{last:%Y-%m-%d}",
                "quantity": r.quantity * 7 / 30.4,
                "production": (r.production or 0) / 4,
            }
            weekly.append(r.model_copy(update=update))
    result = verify(plant.request.model_copy(update={"readings": weekly}), table=TABLE)
    (fit,) = result.fits
    assert fit.n_baseline == 96
    assert fit.cv_rmse_limit == 0.30  # Guideline 14's figure for short intervals
    assert result.carriers[0].verdict == "verified"


def test_messages_in_chinese_and_english() -> None:
    plant = generate_meters(8, "weather", 0.06, event=True)
    en = verify(plant.request, "en", TABLE)
    zh = verify(plant.request, "zh", TABLE)
    assert len(en.messages) == len(zh.messages)
    for a, b in zip(en.messages, zh.messages, strict=True):
        assert a != b
        assert CJK.search(b)
        assert not CJK.search(a)
    for words in ("IPMVP Option C", "ISO 50015", "Guideline 14", "90.0%"):
        assert words in en.method
    assert CJK.search(zh.method)


def test_outcome_round_trips_through_the_store_with_its_fit(tmp_path: Path) -> None:
    plant = generate_meters(9, "production", 0.08)
    result = verify(plant.request, table=TABLE)
    profile = example_profile_data()
    report = to_outcome_report(
        result, profile, factory_id=profile["factory_id"], model_version="v-test"
    )
    assert report.status == "implemented"
    assert str(report.implemented_on) == "2024-01-01"
    assert str(report.period_start) == "2024-02-01"
    store = OutcomeStore(f"sqlite:///{tmp_path / 'outcomes.db'}")
    try:
        _, created = store.add(check_report(report.model_dump(mode="json")))
        assert created
        (again,), total = store.page(factory_id=profile["factory_id"])
    finally:
        store.close()
    assert total == 1
    for c in result.carriers:
        assert again.annual_savings[c.carrier.value] == pytest.approx(c.saved_per_year)
    assert again.verification is not None
    assert again.verification == report.verification
    fits = {f.carrier: f for f in result.fits}
    for kept in again.verification.carriers:
        assert kept.cv_rmse == pytest.approx(fits[kept.carrier].cv_rmse)
        assert kept.form == fits[kept.carrier].form
        assert kept.verdict == "verified"


def test_the_shipped_example_verifies() -> None:
    readings = read_meters(EXAMPLE.read_bytes(), EXAMPLE.name)
    request = VerificationRequest(
        measure_id=EXAMPLE_MEASURE, installed="2024-01", region="Jiangsu", readings=readings
    )
    result = verify(request, table=TABLE)
    by_carrier = {c.carrier: c for c in result.carriers}
    assert by_carrier[Carrier.ELECTRICITY].verdict == "verified"
    assert by_carrier[Carrier.NATURAL_GAS].verdict == "no_savings_detected"
    assert result.verdict == "verified"
    assert 0.04 < by_carrier[Carrier.ELECTRICITY].fraction < 0.08  # generated at 6%
    assert len(result.series) == len(readings)
    assert {p.phase for p in result.series} == {"baseline", "installation", "reporting"}
    electricity = by_carrier[Carrier.ELECTRICITY]
    assert electricity.tco2e_per_year_market > electricity.tco2e_per_year_location > 0


@pytest.mark.parametrize("country", [Country.CN, Country.US])
def test_no_region_takes_the_national_factor_and_says_so(country: Country) -> None:
    readings = read_meters(EXAMPLE.read_bytes(), EXAMPLE.name)
    request = VerificationRequest(
        measure_id=EXAMPLE_MEASURE, installed="2024-01", country=country, readings=readings
    )
    result = verify(request, table=TABLE)
    electricity = next(c for c in result.carriers if c.carrier == Carrier.ELECTRICITY)
    national = TABLE.resolve_national(Carrier.ELECTRICITY, country, 2024)
    assert national.region_level == "national"
    expected = electricity.saved_per_year * national.kgco2e_per_unit / 1000
    assert electricity.tco2e_per_year_location == pytest.approx(expected)
    assert any("national factor" in m for m in result.messages)
