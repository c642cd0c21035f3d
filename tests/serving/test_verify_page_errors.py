"""A meter file with bad rows on the verification page: answered on the form in the page's
language (English and Chinese), each bad cell by its row and column with the value found and
what is allowed, and what was typed kept in the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from features.i18n import has_chinese
from serving.app import create_app
from serving.verify import EXAMPLE_FACTORY, EXAMPLE_INSTALLED, EXAMPLE_MEASURE
from tests.serving.conftest import settings_for
from tests.serving.test_zh_words import METERS, WORD, _read, assert_chinese

#: The form as typed, besides the file.
TYPED = {"measure_id": EXAMPLE_MEASURE, "installed": EXAMPLE_INSTALLED,
         "factory_id": EXAMPLE_FACTORY, "country": "CN", "region": "江苏",
         "confidence": "0.8"}  # fmt: skip


@pytest.fixture(scope="module")
def client(model_store: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(model_store, auth_enabled=False))) as test_client:
        yield test_client


def _meter_file(*edits: tuple[int, str, str]) -> bytes:
    """The shipped meter file with ``(data row, column, cell)`` edits (data row 1 is the
    spreadsheet's row 2, under the header)."""
    lines = METERS.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("period"))
    columns = lines[header].split(",")
    for row, column, cell in edits:
        cells = lines[header + row].split(",")
        cells[columns.index(column)] = cell
        lines[header + row] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _post(client: TestClient, lang: str, content: bytes) -> tuple[int, str, str]:
    """Status, the meter file's error beside its input, and the page."""
    files = {"meter_file": ("readings.csv", content, "text/csv")}
    page = client.post("/verify/results", data={**TYPED, "lang": lang}, files=files)
    found = re.search(r'<span class="error" id="error-meter_file">([^<]*)</span>', page.text)
    return page.status_code, unescape(found.group(1)) if found else "", page.text


def _kept(page: str) -> None:
    """What was typed is in the form again."""
    for name in ("installed", "factory_id", "region", "confidence"):
        assert f'name="{name}" id="{name}" value="{TYPED[name]}"' in page, name
    assert f'<option value="{EXAMPLE_MEASURE}" selected>' in page


def test_a_bad_cell_is_named_by_row_and_column_in_english(client: TestClient) -> None:
    status, error, page = _post(client, "en", _meter_file((3, "quantity", "lots")))
    assert status == 422
    assert error == (
        "Meter readings file, row 4, column quantity: 'lots' is not allowed; allowed: a number "
        "from 0 to 1e+15."
    )
    _kept(page)


def test_a_bad_cell_is_named_by_row_and_column_in_chinese(client: TestClient) -> None:
    status, error, page = _post(client, "zh", _meter_file((3, "quantity", "lots")))
    assert status == 422
    assert error == (
        "计量数据文件第4行quantity列：“lots”不可用；应为0至1,000,000,000,000,000之间的数。"
    )
    _kept(page)
    seen, _ = _read(page)
    assert_chinese(seen, {w for v in TYPED.values() for w in WORD.findall(v)} | {"lots"})


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_bad_cell_is_listed_with_its_row(client: TestClient, lang: str) -> None:
    bad = _meter_file((3, "quantity", "lots"), (6, "carrier", "plasma"), (7, "unit", ""),
                      (9, "period", "2023-13"))  # fmt: skip
    status, error, page = _post(client, lang, bad)
    assert status == 422
    rows = [int(r) for r in re.findall(r"row (\d+)" if lang == "en" else r"第(\d+)行", error)]
    assert rows == [4, 7, 8, 10], error
    for column in ("quantity", "carrier", "unit", "period"):
        assert column in error
    for value in ("lots", "plasma", "2023-13"):
        assert value in error
    if lang == "zh":
        # Carriers as Chinese plants name them, an empty cell and the month format in Chinese.
        assert "天然气" in error
        assert "natural_gas" not in error
        assert "为空，请填写" in error
        assert "YYYY-MM格式的月份" in error
        assert has_chinese(error)
    else:
        assert "row 8, column unit is empty; it needs a value" in error
    _kept(page)


def test_a_missing_column_is_said_with_the_columns_needed(client: TestClient) -> None:
    content = METERS.read_text(encoding="utf-8").replace("quantity", "qty", 1).encode("utf-8")
    for lang, expected in (("en", "header (row 1): the columns 'quantity' are missing"),
                           ("zh", "表头（第1行）缺少列：“quantity”")):  # fmt: skip
        status, error, _ = _post(client, lang, content)
        assert status == 422
        assert expected in error, error
