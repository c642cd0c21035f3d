"""The outcomes store: validation with named errors, annualised savings, idempotent writes,
migrations from empty on SQLite and PostgreSQL, and stored outcomes as training tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from features.errors import InvalidValueError
from features.report import example_profile_data
from features.sources import load_dataset
from features.sources.outcome_store import (
    IdempotencyConflictError,
    OutcomeStore,
    check_report,
)
from tests.postgres import postgres_database


def report(**changes: Any) -> dict[str, Any]:
    profile = example_profile_data()
    base: dict[str, Any] = {
        "factory_id": profile["factory_id"], "measure_id": "led_lighting",
        "status": "implemented", "implemented_on": "2025-01-01",
        "period_start": "2025-01-01", "period_end": "2025-06-30",
        "measured_savings": [{"carrier": "electricity", "value": 5, "unit": "万kWh"}],
        "actual_capex": 120000, "profile": profile,
    }  # fmt: skip
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"status": "rejected"}, "reason"),
        ({"status": "done"}, "status"),
        ({"measure_id": "magic_box"}, "measure_id"),
        ({"period_start": None}, "period_start"),
        ({"period_end": "2025-01-03"}, "period_end"),
        ({"actual_capex": -5}, "actual_capex"),
        ({"currency": "XYZ"}, "currency"),
        ({"factory_id": "someone-else"}, "profile.factory_id"),
        ({"measured_savings": [{"carrier": "electricity", "value": 5, "unit": "bananas"}]},
         "measured_savings[0].unit"),
        ({"status": "planned"}, "measured_savings"),
        ({"colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_bad_reports_name_their_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValueError) as caught:
        check_report(report(**changes))
    assert caught.value.field == field


def test_profile_errors_name_the_profile_field() -> None:
    data = report()
    data["profile"] = {**data["profile"], "region": "Atlantis"}
    with pytest.raises(InvalidValueError) as caught:
        check_report(data)
    assert caught.value.field == "profile.region"


def test_savings_are_annualised_in_canonical_units() -> None:
    checked = check_report(report())
    days = 181  # 2025-01-01 to 2025-06-30, both included
    assert checked.annual_savings == {
        next(iter(checked.annual_savings)): pytest.approx(5e4 * 365.25 / days)
    }
    assert checked.currency == "CNY"


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[OutcomeStore]:
    store = OutcomeStore(f"sqlite:///{tmp_path / 'outcomes.db'}")
    yield store
    store.close()


def test_writes_are_idempotent(sqlite_store: OutcomeStore) -> None:
    checked = check_report(report())
    first, created = sqlite_store.add(checked, "retry-1")
    assert created
    again, created = sqlite_store.add(checked, "retry-1")
    assert not created
    assert again.id == first.id
    assert again.replayed
    # Without a key, the same report is a replay too; another report is a new row.
    same, created = sqlite_store.add(checked)
    assert (same.id, created) == (first.id, False)
    other, created = sqlite_store.add(check_report(report(actual_capex=99000)))
    assert created
    assert other.id != first.id
    with pytest.raises(IdempotencyConflictError):
        sqlite_store.add(check_report(report(actual_capex=1)), "retry-1")
    with pytest.raises(InvalidValueError) as caught:
        sqlite_store.add(checked, "bad key with spaces")
    assert caught.value.field == "Idempotency-Key"
    items, total = sqlite_store.page(measure_id="led_lighting", limit=1)
    assert total == 2
    assert [i.id for i in items] == [first.id]


def _migrated(url: str) -> None:
    store = OutcomeStore(url)
    try:
        tables = set(inspect(store.engine).get_table_names())
        assert {"reported_outcomes", "outcomes_alembic_version"} <= tables
        store.add(check_report(report()), "k")
        store.add(
            check_report(
                report(
                    status="rejected",
                    reason="no budget",
                    measured_savings=[],
                    period_start=None,
                    period_end=None,
                )
            ),
            "k2",
        )
        assert store.page()[1] == 2
    finally:
        store.close()
    # Opening again migrates nothing and keeps the rows.
    again = OutcomeStore(url)
    try:
        assert again.page()[1] == 2
    finally:
        again.close()
    engine = create_engine(url)
    with engine.connect() as connection:
        version = connection.exec_driver_sql(
            "SELECT version_num FROM outcomes_alembic_version"
        ).scalar()
    engine.dispose()
    assert version == "0002"  # 0002: the verification column


def test_migrations_from_empty_on_sqlite(tmp_path: Path) -> None:
    _migrated(f"sqlite:///{tmp_path / 'fresh.db'}")


def test_migrations_from_empty_on_postgresql() -> None:
    with postgres_database() as url:
        _migrated(url)


def test_stored_outcomes_are_training_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outcomes.db'}"
    store = OutcomeStore(url)
    store.add(check_report(report()))
    store.add(
        check_report(
            report(
                status="rejected",
                reason="no budget",
                measured_savings=[],
                period_start=None,
                period_end=None,
            )
        )
    )
    moved = report()
    moved["profile"] = {**moved["profile"], "employees": 999}
    store.add(check_report(moved))
    store.close()
    data = load_dataset("outcomes", url)
    assert data.report.rows_used == {"factories": 2, "outcomes": 3}
    statuses = dict(zip(data.outcomes["outcome_id"], data.outcomes["implementation_status"],
                        strict=True))  # fmt: skip
    assert sorted(statuses.values()) == ["implemented", "implemented", "not_implemented"]
    implemented = data.outcomes[data.outcomes["implementation_status"] == "implemented"]
    assert (implemented["electricity_kwh_saved"] > 0).all()
    assert (implemented["tco2e_saved"] > 0).all()
    # The same factory with two different profiles keeps both, under two ids.
    assert sorted(data.factories["factory_id"]) == [
        "example-jiangsu-auto-parts",
        "example-jiangsu-auto-parts~2",
    ]
