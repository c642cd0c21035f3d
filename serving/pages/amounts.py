"""Amounts and words as people read them on the factory's pages and report: energy in the unit
the user typed (or the one people use: 万kWh and tce in Chinese, MWh and MMBtu for a US plant),
money in 万元, the answer's English unit words and price sources in Chinese."""

from __future__ import annotations

import re

from features.i18n import Lang, human, text
from features.profile import FactoryProfile
from features.regions import CHINA_PROVINCES
from features.units import GJ_PER_TCE, WAN_PREFIX, Carrier, from_canonical

WAN = 1e4  # 万
#: Units and dates of the English data in Chinese (units of explanations, readiness cells).
_ZH_UNITS: tuple[tuple[str, str], ...] = (
    ("currency units/yr", "{cur}/年"),
    ("currency units", "{cur}"),
    ("% of available generation", "%（占总可用发电量）"),
    ("% of generation", "%（占发电量）"),
    (" persons", " 人"),
    ("persons", "人"),
    ("(date of the copy)", "（副本日期）"),
    ("(news date)", "（新闻发布日期）"),
    (" h/yr", " 小时/年"),
    ("/yr", "/年"),
    ("deg C", "°C"),
)
#: Where a price comes from, in Chinese (features/accounting/prices.py writes it in English;
#: the China rows of features/data/energy_prices.csv are said here).
_PRICE_SOURCE_ZH = {
    "profile: electricity_price": "档案中填写的电价",
    "profile: electricity_cost_per_year / electricity use": "年电费除以用电量",
    "profile: fuel_cost_per_year / fuel use (one blended price)": (
        "年燃料费除以燃料用量（统一折算价）"
    ),
    "ASSUMPTION: typical general industrial and commercial tariff incl. surcharges": (
        "假设：一般工商业典型电价（含附加费）"
    ),
    "ASSUMPTION: 3.5 CNY/Nm3 industrial gas at 0.0389 GJ/Nm3": (
        "假设：工业用气3.5元/Nm3，按0.0389 GJ/Nm3折算"
    ),
    "ASSUMPTION: 1,000 CNY/t thermal coal at 20.9 GJ/t": "假设：动力煤1,000元/吨，按20.9 GJ/吨折算",
    "ASSUMPTION: 7.5 CNY/L": "假设：7.5元/升",
    "ASSUMPTION: 4,500 CNY/t": "假设：4,500元/吨",
    "ASSUMPTION: 6,000 CNY/t": "假设：6,000元/吨",
    "ASSUMPTION: industrial steam": "假设：工业蒸汽价格",
    "ASSUMPTION: biomass pellets": "假设：生物质颗粒价格",
    "ASSUMPTION": "假设值",
}
_DEFAULT_PRICE = re.compile(
    r"^default for (?P<where>[^(]+) \((?P<year>\d{4}), (?P<price>.+?)\): (?P<src>.*)$"
)


def price_source(source: str, lang: Lang) -> str:
    """Where a price comes from, in ``lang`` (a cited statistic stays as published)."""
    if lang != "zh":
        return source
    if source.startswith("profile: fuel_prices."):
        return "档案中填写的燃料价格"
    found = _DEFAULT_PRICE.match(source)
    if found is None:
        return _PRICE_SOURCE_ZH.get(source, source)
    where = found["where"].strip()
    place = (
        CHINA_PROVINCES[where][0]
        if where in CHINA_PROVINCES
        else {"CN": "中国", "US": "美国"}.get(where, where)
    )
    price = found["price"].replace(" CNY", "元")
    said = _PRICE_SOURCE_ZH.get(found["src"], found["src"])
    return f"{place}默认价格（{found['year']}年，{price}）：{said}"


def zh_units(value: str, lang: Lang, currency: str = "CNY") -> str:
    """English unit words of the answer's data in Chinese (``kWh/yr`` -> ``kWh/年``); other
    languages unchanged."""
    if lang != "zh":
        return value
    cur = "元" if currency == "CNY" else currency
    for english, chinese in _ZH_UNITS:
        value = value.replace(english, chinese.format(cur=cur))
    return value


def per_tonne(currency: str, lang: Lang) -> str:
    """Money per tonne of CO2e: 元/tCO2e in Chinese for CNY."""
    return "元/tCO2e" if lang == "zh" and currency == "CNY" else f"{currency}/tCO2e"


def say(key: str, lang: Lang, **values: object) -> str:
    """A page sentence in ``lang``."""
    return text(key, lang, **values)


def energy(
    carrier: Carrier, value: float, lang: Lang, units: dict[Carrier, str] | None = None
) -> str:
    """An annual quantity in the unit people use: the unit the user typed the carrier in
    (``units``: 万Nm3 stays 万Nm3, MMBtu stays MMBtu), else electricity in kWh (万kWh in Chinese
    when large), fuels and heat in GJ (tce in Chinese)."""
    typed = (units or {}).get(carrier)
    if typed is not None:
        base = typed.removeprefix(WAN_PREFIX)
        amount = from_canonical(carrier, value, base)
        if lang == "zh" and base in ("kWh", "Nm3", "t", "tce") and abs(amount) >= WAN:
            return f"{human(amount / WAN)} 万{base}"
        return f"{human(amount)} {base}"
    if carrier == Carrier.ELECTRICITY:
        if lang == "zh" and abs(value) >= WAN:
            return f"{human(value / WAN)} 万kWh"
        return f"{human(value)} kWh"
    if lang == "zh":
        return f"{human(value / GJ_PER_TCE)} tce"
    return f"{human(value)} GJ"


def typed_units(profile: FactoryProfile | None) -> dict[Carrier, str]:
    """The unit each carrier is shown in (:meth:`FactoryProfile.shown_units`)."""
    return {} if profile is None else profile.shown_units()


def money(value: float | None, currency: str, lang: Lang) -> str:
    """An amount for people: 万元 (or 万 of another currency) in Chinese when large."""
    if value is None:
        return "-"
    if lang == "zh" and abs(value) >= WAN:
        unit = "万元" if currency == "CNY" else f"万{currency}"
        return f"{human(value / WAN)} {unit}"
    if lang == "zh" and currency == "CNY":
        return f"{human(value)} 元"
    return f"{human(value)} {currency}"
