"""The form's check: every problem at once, beside its input, in plain words in English and
Chinese (never a Python repr), and the form that comes back filled (language switch, edit)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from features.errors import InvalidValueError
from features.i18n import Lang, has_chinese
from serving.app import create_app
from serving.pages.form import REQUIRED, profile_from_form, profile_from_upload
from serving.pages.form_check import check_options, check_profile, rendered, upload_problem
from tests.serving.conftest import settings_for

#: Latin letters in a Chinese message: only units and ids may have them.
LATIN = re.compile(r"[A-Za-z]+")

#: One wrong value per kind of mistake, with what the message must say in each language.
WRONG = {
    "factory_id": "p1",
    "country": "CN",
    "region": "Atlantis",
    "sector": "machinery",
    "reporting_year": "1800",
    "employees": "many",
    "electricity_kwh": "-5",
    "pue": "0.5",
    "energy_use.2.carrier": "natural_gas",
    "energy_use.2.value": "5000",
    "energy_use.2.unit": "bananas",
    "measures_in_place": "no_such_measure",
}
SAID = {
    "region": ("The region cannot be Atlantis", "地区不能为Atlantis"),
    "reporting_year": ("between 1980 and 2100 (you entered 1800)", "应在1980到2100之间"),
    "employees": ("The employees must be a number (you entered many)", "员工人数应为数字"),
    "electricity_kwh": ("The electricity use cannot be negative", "用电量不能为负"),
    "pue": ("between 1 and 4 (you entered 0.5)", "PUE（电能利用效率）应在1到4之间"),
    "energy_use.2.unit": ("row 3, unit cannot be bananas", "第3行单位不能为bananas"),
    "measures_in_place": ("cannot include no_such_measure", "不能包含no_such_measure"),
}


#: The required inputs, filled.
FILLED = {"factory_id": "p1", "country": "CN", "region": "江苏", "sector": "machinery",
          "reporting_year": "2024"}  # fmt: skip


def _check(form: dict[str, str]) -> tuple[Any, list[Any]]:
    submitted = profile_from_form(form)
    return check_profile(submitted.profile, submitted.row_of)


def test_an_empty_form_flags_every_required_input_at_once_in_chinese_words() -> None:
    profile, problems = _check({})
    assert profile is None
    zh = rendered(problems, "zh")
    assert list(zh) == list(REQUIRED)
    assert zh["factory_id"] == "请填写工厂编号。"
    for message in zh.values():
        assert message.startswith("请填写"), message
        assert not LATIN.search(message), message
    en = rendered(problems, "en")
    assert en["reporting_year"] == "Please fill in the reporting year."


def test_every_wrong_input_is_flagged_at_once_in_plain_words() -> None:
    profile, problems = _check(WRONG)
    assert profile is None
    langs: tuple[tuple[Lang, int], ...] = (("en", 0), ("zh", 1))
    for lang, index in langs:
        messages = rendered(problems, lang)
        assert set(messages) == set(SAID), messages
        for where, said in SAID.items():
            assert said[index] in messages[where], (where, messages[where])
        for message in messages.values():
            assert "invalid value" not in message, message
            assert "'" not in message, message
            # Chinese names of regions and units are allowed in English too.
            assert has_chinese(message) or lang == "en", message


def test_a_wrong_country_does_not_blame_the_region_and_the_rest_is_still_checked() -> None:
    form = {**WRONG, "country": "Narnia", "region": "Jiangsu"}
    _, problems = _check({k: v for k, v in form.items() if k != "factory_id"})
    messages = rendered(problems, "zh")
    assert messages["country"] == "国家不能为Narnia，请从列表中选择。"
    assert messages["factory_id"] == "请填写工厂编号。"
    assert "region" not in messages
    assert "用电量不能为负" in messages["electricity_kwh"]


def test_a_right_form_gives_the_profile_and_leaves_the_rows_it_was_given() -> None:
    form = {**WRONG, "region": "Jiangsu", "reporting_year": "2024", "employees": "80"}
    form |= {"electricity_kwh": "5", "pue": "1.4", "energy_use.2.unit": "GJ"}
    form.pop("measures_in_place")
    submitted = profile_from_form(form)
    rows = json.dumps(submitted.profile)
    profile, problems = check_profile(submitted.profile, submitted.row_of)
    assert problems == []
    assert profile is not None
    assert profile.factory_id == "p1"
    assert profile.pue == 1.4
    # A bad row is set aside on a copy: the raw profile still refills the form whole.
    check_profile({**submitted.profile, "energy_use": [{"unit": "x"}]}, submitted.row_of)
    assert json.dumps(submitted.profile) == rows


def test_a_field_no_profile_has_is_named_and_the_rest_still_checked() -> None:
    raw = {**profile_from_form(WRONG).profile, "colour": "green"}
    _, problems = check_profile(raw, {})
    messages = rendered(problems, "zh")
    assert messages["profile"] == "工厂档案没有colour这一字段：档案的字段即本表单中的各项。"
    assert "用电量不能为负" in messages["electricity_kwh"]


RIGHT = {k: v for k, v in WRONG.items() if k in REQUIRED} | {
    "region": "Jiangsu",
    "reporting_year": "2024",
}


@pytest.mark.parametrize(
    ("typed", "where", "zh"),
    [
        ({"energy_use.1.carrier": "diesel", "energy_use.1.value": "4"}, "energy_use.1.unit",
         "请填写其他单位的能源量第2行单位。"),
        ({"end_uses.0.carrier": "electricity", "end_uses.0.end_use": "lighting"},
         "end_uses.0.share", "请填写已知终端用能分配第1行占比。"),
        ({"fuel_prices.0.carrier": "coal", "fuel_prices.0.price": "3",
          "fuel_prices.2.carrier": "diesel", "fuel_prices.2.price": "abc"},
         "fuel_prices.2.price", "燃料价格第3行价格应为数字（填写的是abc）。"),
        ({"annual_revenue": "9 亿美元", "revenue_currency": "CNY"}, "annual_revenue",
         "年营业收入应为数字或带已知单位的金额，例如 9 亿元、1200 万元（填写的是9 亿美元）。"),
        ({"green_certificates_kwh": "500", "electricity_kwh": "100"},
         "green_electricity_contract_kwh",
         "绿电交易电量与绿证电量之和（500 kWh）不能超过外购电网电量（100 kWh）。"),
    ],
)  # fmt: skip
def test_rows_prices_money_and_green_power_are_said_in_words(
    typed: dict[str, str], where: str, zh: str
) -> None:
    _, problems = _check({**RIGHT, **typed})
    assert rendered(problems, "zh") == {where: zh}
    assert "{" not in rendered(problems, "en")[where]


def test_options_are_checked_each_on_its_own() -> None:
    options, problems = check_options({"top_k": "100", "target_reduction": "half"}, "zh")
    assert options.top_k == 10  # the default stands in
    messages = rendered(problems, "en")
    assert messages["top_k"] == "The number of measures must be between 1 and 60 (you entered 100)."
    assert rendered(problems, "zh")["target_reduction"] == (
        "减排目标应为0到1之间的比例（如0.5）或百分比（如50%）（填写的是half）。"
    )
    # A target is typed as a share or a percentage.
    for typed in ("0.5", "50%", "５０％"):
        options, problems = check_options({"target_reduction": typed}, "zh")
        assert (options.target_reduction, problems) == (0.5, []), typed
    # A number field given text that is no number is answered with its range.
    for typed in ("inf", "nan", "1e999"):
        _, found = _check({**FILLED, "operating_hours_per_year": typed})
        assert rendered(found, "zh")["operating_hours_per_year"] == (
            f"年运行小时数应为0到8784之间的数字（填写的是{typed}）。"
        )


@pytest.mark.parametrize(
    ("name", "content", "en", "zh"),
    [
        ("plant.json", b"{not json", "is not readable JSON", "不是有效的JSON"),
        ("plant.json", b"[1, 2]", "is not readable JSON", "不是有效的JSON"),
        ("plant.csv", b"a,b\n1,2\n3,4\n", "holds 2 factories", "含有2家工厂"),
        ("plant.xlsx", b"PK", "is neither .json nor .csv", "既不是 .json 也不是 .csv"),
    ],
)
def test_a_broken_upload_is_said_in_words(name: str, content: bytes, en: str, zh: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        profile_from_upload(name, content)
    problem = upload_problem(raised.value)
    assert problem.where == "profile_file"
    assert en in problem.render("en")
    assert name in problem.render("en")
    assert zh in problem.render("zh")
    assert "Expecting" not in problem.render("zh")


@pytest.fixture
def open_client(model_store: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(model_store, auth_enabled=False))) as client:
        yield client


def _values(html: str) -> dict[str, str]:
    """Input id -> value, and select id -> selected option, of a form page."""
    html = unescape(html)
    found = dict(re.findall(r'<input name="([^"]+)" id="[^"]+" value="([^"]*)"', html))
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        found[name] = chosen.group(1) if chosen else ""
    return found


def test_the_form_comes_back_filled_in_the_other_language_and_from_the_results(
    open_client: TestClient, example_profile: dict[str, Any]
) -> None:
    typed = {"factory_id": "苏州-7", "country": "CN", "employees": "850", "lang": "en"}
    typed |= {"energy_use.1.carrier": "diesel", "energy_use.1.value": "40", "top_k": "5"}
    page = open_client.post("/form", data={**typed, "switch_to": "zh"})
    assert page.status_code == 200
    values = _values(page.text)
    for name in ("factory_id", "country", "employees", "energy_use.1.carrier", "top_k"):
        assert values[name] == typed[name], name
    assert 'name="lang" value="zh"' in page.text
    assert "工厂编号" in page.text

    # The results page's edit button posts the profile behind it: the form comes back with it.
    body = {"profile_json": json.dumps(example_profile), "lang": "zh", "top_k": "5"}
    edit = open_client.post("/form", data=body)
    values = _values(edit.text)
    assert values["factory_id"] == example_profile["factory_id"]
    assert values["region"] == example_profile["region"]
    assert values["top_k"] == "5"
    broken = open_client.post("/results", data={**body, "profile_json": "{oops"})
    assert broken.status_code == 422
    assert "工厂档案有1处错误" in broken.text
    results = open_client.post("/results", data=body)
    assert 'id="edit"' in results.text
    assert 'action="/form"' in results.text
