"""The IAC reader on the three partial releases in ../shared/data and on a workbook written here
in the official layout (ASSESS sheet, RECC split in parts, repeated header rows)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.accounting.factors import FactorTable, load_eia_state_intensity
from features.errors import InvalidValueError
from features.sources import load_dataset
from features.sources.iac import read_iac
from features.sources.schema import SAVED_COLUMN
from features.units import Carrier

ASSESS_COLUMNS = [
    "ID", "CENTER", "FY", "SIC", "NAICS", "STATE", "SALES", "EMPLOYEES", "PLANT_AREA",
    "PRODUCTS", "PRODUNITS", "PRODLEVEL", "PRODHOURS", "NUMARS", "EC_plant_cost",
    "EC_plant_usage", "ED_plant_cost", "ED_plant_usage", "EF_plant_cost", "E2_plant_cost",
    "E2_plant_usage", "E8_plant_cost", "E8_plant_usage",
]  # fmt: skip
RECC_COLUMNS = [
    "SUPERID", "ID", "AR_NUMBER", "APPCODE", "ARC2", "IMPSTATUS", "IMPCOST",
    "PSOURCCODE", "PCONSERVED", "PSOURCONSV", "PSAVED", "SSOURCCODE", "SCONSERVED",
    "SSOURCONSV", "SSAVED", "TSOURCCODE", "TCONSERVED", "TSOURCONSV", "TSAVED",
    "QSOURCCODE", "QCONSERVED", "QSOURCONSV", "QSAVED", "REBATE", "INCREMNTAL", "FY",
    "IC_CAPITAL", "IC_OTHER", "PAYBACK", "BPTOOL",
]  # fmt: skip
# BLS CPI-U annual averages (CUUR0000SA0), typed from the published table.
CPI_1990, CPI_2015, CPI_2024 = 130.7, 237.017, 313.689


def recc_row(superid: str, arc: object, status: str, cost: float, streams: list) -> list:
    row: list = [superid, superid[:6], int(superid[6:]), 1, arc, status, cost]
    for i in range(4):
        code, amount, saved = streams[i] if i < len(streams) else (None, None, None)
        row += [code, amount, None, saved]
    return [*row, "N", "N", 2015, cost, 0, None, None]


def write_official_workbook(path: Path) -> None:
    assess = pd.DataFrame(
        [
            ["XX0001", "XX", 2015, 3312, 331110, "OH", 5e7, 200, 150000, "STEEL BARS", 3, 1e5,
             6000, 3, 4e5, 5_000_000, 1e5, 12000, 2e3, 1e5, 20000, 5e4, 10000],
            ["XX0002", "XX", 1995, 2026, None, "TX", 1e7, 80, 2e9, "MILK", 2, 1e6, 4000, 2,
             1e5, 1_000_000, 3e4, 3000, 0, 2e4, 4000, None, None],
            ["XX0003", "XX", 2016, 3711, 336111, "ZZ", 1e8, 900, 500000, "CARS", 1, 1e4, 4000,
             1, 1e6, 9_000_000, 2e5, 20000, 0, 1e5, 30000, None, None],
        ],
        columns=ASSESS_COLUMNS,
    )  # fmt: skip
    part1 = pd.DataFrame(
        [
            recc_row("XX000101", 2.4146, "I", 12000, [("EC", 100_000, 7000), ("ED", 120, 1500)]),
            recc_row("XX000102", 2.1321, "N", 90000,
                     [("E2", 2000, 10000), ("EC", -300_000, -20000)]),
            recc_row("XX000103", 2.7142, "P", 30000,
                     [("EC", 50_000, 3500), ("ED", 60, 700), ("R2", None, 500), ("W4", 1, 100)]),
        ],
        columns=RECC_COLUMNS,
    )  # fmt: skip
    part2 = pd.DataFrame(
        [
            RECC_COLUMNS,  # header row repeated inside the sheet, as in DOE's split parts
            recc_row("XX000201", 2.2414, "", 5000, [("E2", 500, 2500)]),
            recc_row("XX000202", 3.4155, "K", 1000, [("W1", 10, 900)]),
            recc_row("XX000203", 2.8114, "N", -50, [("EF", None, 1200)]),
            recc_row("XX000301", 2.4236, "I", 800, [("EC", 40_000, 2800)]),  # plant rejected
            recc_row("XX000204", 2.4236, "Q", 800, [("EC", 40_000, 2800)]),  # bad status
        ],
        columns=RECC_COLUMNS,
    )  # fmt: skip
    with pd.ExcelWriter(path) as writer:
        assess.to_excel(writer, sheet_name="ASSESS", index=False)
        part1.to_excel(writer, sheet_name="RECC1", index=False)
        part2.to_excel(writer, sheet_name="RECC2", index=False)


def test_official_workbook_layout(tmp_path: Path) -> None:
    path = tmp_path / "IAC_Database.xlsx"
    write_official_workbook(path)
    data = read_iac(path)
    report = data.report
    assert report.rows_in == {"factories": 3, "outcomes": 9}
    assert report.rows_used == {"factories": 2, "outcomes": 6}
    reasons = dict(zip(report.rejected["row"].astype(str) + report.rejected["table"],
                       report.rejected["reason"], strict=True))  # fmt: skip
    assert "state not one of" in reasons["2factories"]
    assert reasons["3outcomes"] == "repeated header row"
    assert "not among the accepted ASSESS rows" in reasons["7outcomes"]
    assert "implementation status" in reasons["8outcomes"]
    repairs = set(report.repaired["reason"])
    assert "NAICS missing; sector from SIC" in repairs
    assert "plant_area outlier" in repairs
    assert any("implementation cost negative" in r for r in repairs)

    f = data.factories.set_index("factory_id")
    assert f.loc["XX0002", "sector"] == "light_industry"  # SIC 2026, no NAICS
    assert pd.isna(f.loc["XX0002", "floor_area_m2"])  # 2e9 ft2 cleared
    # 20,000 MMBtu gas (HHV) -> 20,000 x 1.055056 x 0.90 GJ LHV
    assert f.loc["XX0001", "natural_gas_gj"] == pytest.approx(20_000 * 1.055056 * 0.9)
    # FY2015 bills in 2024 dollars: x CPI-U 2024 / 2015 = 313.689 / 237.017
    assert f.loc["XX0001", "electricity_cost_per_year"] == pytest.approx(
        (4e5 + 1e5 + 2e3) * CPI_2024 / CPI_2015
    )

    o = data.outcomes.set_index("outcome_id")
    vsd = o.loc["XX000101"]
    assert vsd["measure_id"] == "variable_speed_drives"
    assert vsd["implemented"]
    assert vsd["demand_kw_months_saved"] == 120
    assert vsd["cost_savings_per_year"] == pytest.approx(8500 * CPI_2024 / CPI_2015)
    assert vsd["implementation_cost"] == pytest.approx(12000 * CPI_2024 / CPI_2015)
    electrification = o.loc["XX000102"]
    assert electrification["measure_id"] == "process_electrification"
    assert electrification[SAVED_COLUMN[Carrier.ELECTRICITY]] == -300_000
    # Ohio 2015 falls back to eGRID2022 with the bundled table: 0.527115 kg/kWh; gas 53.1145
    # kg/MMBtu -> -300,000 kWh x 0.527115 + 2,000 MMBtu x 53.1145 = -158.13 + 106.23 t
    assert electrification["tco2e_saved"] == pytest.approx(
        -300_000 * 1162.089 * 0.45359237 / 1e6 + 2_000 * 53.1145 / 1000, rel=1e-6
    )
    assert o.loc["XX000103", "implementation_status"] == "pending"
    assert pd.isna(o.loc["XX000103", "implemented"])
    assert o.loc["XX000201", "implementation_status"] == "not_reported"
    assert o.loc["XX000202", "measure_group"].startswith("non_energy")
    assert o.loc["XX000203", "measure_group"].startswith("unmapped")
    assert pd.isna(o.loc["XX000203", "implementation_cost"])
    assert o["streams_complete"].all()


def test_money_comes_out_in_2024_dollars(tmp_path: Path) -> None:
    # A 1990 plant, a 2015 plant and a 2026 plant (past the CPI-U table); one recommendation
    # carries its own fiscal year, one has none and takes its plant's.
    (tmp_path / "ASSESS.csv").write_text(
        "ID,FY,SIC,STATE,SALES,EC_plant_usage,EC_plant_cost,E2_plant_usage,E2_plant_cost\n"
        "AA0001,1990,2026,OH,1000000,1000000,50000,1000,4000\n"
        "AA0002,2015,2026,OH,2000000,2000000,90000,,\n"
        "AA0003,2026,2026,OH,3000000,3000000,100000,,\n"
    )
    (tmp_path / "RECC.csv").write_text(
        "SUPERID,ID,ARC2,IMPSTATUS,IMPCOST,PSOURCCODE,PCONSERVED,PSAVED,FY\n"
        "AA000101,AA0001,2,I,1000,EC,10000,500,1990\n"
        "AA000102,AA0001,2,N,2000,E2,100,300,\n"
        "AA000201,AA0002,3,I,1000,EC,10000,500,1991\n"
        "AA000301,AA0003,2,I,1000,EC,10000,500,2026\n"
    )
    data = read_iac(tmp_path)
    report = data.report
    report.check_balance()
    assert report.rows_used == {"factories": 3, "outcomes": 4}
    assert report.money_base_year == 2024
    assert any("money in 2024 USD, deflated with CPI-U" in n for n in report.notes)

    o = data.outcomes.set_index("outcome_id")
    real_1990 = CPI_2024 / CPI_1990
    assert o.loc["AA000101", "implementation_cost"] == pytest.approx(1000 * real_1990)
    assert o.loc["AA000101", "cost_savings_per_year"] == pytest.approx(500 * real_1990)
    # no fiscal year on the recommendation: the plant's (1990)
    assert o.loc["AA000102", "implementation_cost"] == pytest.approx(2000 * real_1990)
    # the recommendation's own year wins over its plant's: FY1991 (CPI-U 136.2)
    assert o.loc["AA000201", "implementation_cost"] == pytest.approx(1000 * CPI_2024 / 136.2)
    # energy is not money: the saving itself is untouched
    assert o.loc["AA000101", SAVED_COLUMN[Carrier.ELECTRICITY]] == 10_000

    f = data.factories.set_index("factory_id")
    assert f.loc["AA0001", "annual_revenue"] == pytest.approx(1e6 * real_1990)
    assert f.loc["AA0001", "electricity_cost_per_year"] == pytest.approx(50_000 * real_1990)
    assert f.loc["AA0001", "fuel_cost_per_year"] == pytest.approx(4_000 * real_1990)
    assert f.loc["AA0002", "annual_revenue"] == pytest.approx(2e6 * CPI_2024 / CPI_2015)
    # FY2026 is past the table: its money is cleared and the repair says why, rows still used
    assert pd.isna(f.loc["AA0003", "annual_revenue"])
    assert pd.isna(o.loc["AA000301", "implementation_cost"])
    outside = report.repaired[report.repaired["reason"].str.contains("outside the CPI-U table")]
    assert set(outside["id"]) == {"AA0003", "AA000301"}


def test_missing_required_column_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ASSESS.csv").write_text("ID,FY,STATE\nA1,2010,OH\n")
    (tmp_path / "RECC.csv").write_text("SUPERID,ID,ARC2,IMPSTATUS\nA101,A1,2.4146,I\n")
    with pytest.raises(InvalidValueError, match=r"RECC columns.*impcost"):
        read_iac(tmp_path)


def test_uconn_full_schema_sample(shared_data: Path) -> None:
    data = read_iac(shared_data / "iac-uconn-fullschema-sample")
    assert data.report.rows_used == {"factories": 46, "outcomes": 412}
    o = data.outcomes
    assert o["streams_complete"].all()
    assert o["measure_id"].notna().mean() > 0.8
    first = o.set_index("outcome_id").loc["UC220101"]
    assert first["arc_code"] == "2.7232"
    assert first["measure_id"] == "hvac_efficiency"
    # FY2022 dollars in 2024 dollars: x 313.689 / 292.655 (CPI-U)
    assert first["cost_savings_per_year"] == pytest.approx(
        (4376.02 + 1193.4 + 7472.0) * CPI_2024 / 292.655
    )
    # blank status of recent audits is kept as not reported, never guessed
    assert (o["implementation_status"] == "not_reported").sum() == 171


def test_primary_stream_release_with_full_assess(shared_data: Path) -> None:
    eia = shared_data / "eia-state-electric-co2-1990-2024/state_carbon_intensity_derived.csv"
    table = FactorTable.default().extended(load_eia_state_intensity(eia))
    data = read_iac(
        shared_data / "iac-recc-primary-stream-2025",
        assess_path=shared_data / "iac-assess-itac2026/assess.csv.gz",
        table=table,
    )
    report = data.report
    report.check_balance()
    assert report.rows_in == {"factories": 19_759, "outcomes": 148_486}
    assert report.rows_rejected("outcomes") < 100
    assert report.rows_used["factories"] >= 19_750
    o = data.outcomes
    assert not o["streams_complete"].any()
    assert o["measure_group"].str.startswith("iac_arc_rounded_").mean() > 0.99
    assert any("rounded" in n for n in report.notes)
    # the four ARCs that lost their decimal point are repaired, not rounded
    assert (report.repaired["reason"].str.startswith("ARC decimal point lost")).sum() == 5
    # Known implementation rate of the release: I / (I + N) = 48.4%
    known = o["implemented"].dropna().astype(bool)
    assert known.mean() == pytest.approx(0.484, abs=0.005)
    # pre-2000 plants get their sector from SIC, and say so
    assert (report.repaired["reason"] == "NAICS missing; sector from SIC").sum() > 10_000
    # a 1995 Ohio plant's electricity saving uses Ohio's 1995 grid factor
    f = data.factories.set_index("factory_id")
    ohio_1995 = o[(o["factory_id"].map(f["region"]) == "OH") & (o["year"] == 1995)]
    row = ohio_1995[ohio_1995[SAVED_COLUMN[Carrier.ELECTRICITY]] > 0].iloc[0]
    # primary stream only: the electricity row carries no other carrier
    assert (row[[SAVED_COLUMN[c] for c in Carrier if c != Carrier.ELECTRICITY]] == 0).all()
    expected = row[SAVED_COLUMN[Carrier.ELECTRICITY]] * 0.8352703227730769 / 1000
    assert row["tco2e_saved"] == pytest.approx(expected, rel=1e-9)


def test_assess_2026_release_through_load_dataset(shared_data: Path, tmp_path: Path) -> None:
    # The 2026 ASSESS table joined to the one-centre RECC export via the common interface.
    data = load_dataset(
        "iac",
        shared_data / "iac-uconn-fullschema-sample/recommendations.csv",
        assess_path=shared_data / "iac-assess-itac2026/assess.csv.gz",
    )
    # UC plants of FY2022+ are withheld from the 2026 ASSESS copy: their outcomes are rejected
    # with a reason, not dropped.
    assert data.report.rows_in["factories"] == 19_759
    assert data.report.rows_rejected("outcomes") == 412
    assert set(data.report.rejected["reason"]) >= {
        "assessment id not among the accepted ASSESS rows"
    }
