"""The profile form's words in Chinese: a help text per input (the English ones are the profile
model's field descriptions), the choices of its lists in words, and the units each energy
carrier may be typed in. Ids stay as the values sent; only what a person reads changes."""

from __future__ import annotations

from features.catalogue.measures import Catalogue, measure_name
from features.i18n import Lang, field_words, word
from features.units import Carrier, allowed_units, unit_words

#: Help beside each input of the Chinese form (the English help is the field's description).
HELP_ZH: dict[str, str] = {
    "factory_id": "本厂的编号或名称，可用中文，如 苏州汽配7厂。",
    "country": "中国或美国。",
    "region": "中国填写省份（江苏、江苏省、广西壮族自治区均可）；美国填写州的两字母代码，如 TX。",
    "sector": "零碳工厂建设的行业；填写了NAICS行业代码时可不选。",
    "naics_code": "北美产业分类代码，2至6位数字（美国工厂）。",
    "reporting_year": "能源数据所属年份，1980至2100。",
    "employees": "员工人数，不小于0。",
    "floor_area_m2": "建筑面积，平方米（m2）。",
    "operating_hours_per_year": "年运行小时数，0至8784。",
    "measures_in_place": "已实施的措施，填写中文名称、英文名称或编号均可，以分号分隔，"
    "如 LED照明改造；压缩空气泄漏检测与修复。",
    "it_load_kwh": "数据中心：IT设备年用电量，千瓦时（kWh/年）。",
    "pue": "数据中心：电能利用效率，1.0至4.0。",
    "heat_sink_temperature_c": "蒸汽或热水系统的供热温度，摄氏度（用于热泵能效）；"
    "未填写按120 °C计。",
    "byproduct_hydrogen_nm3": "厂内可利用的副产氢气，立方米/年（Nm3/年，用于燃料电池）。",
    "electricity_kwh": "外购电网电量，千瓦时/年；可带单位填写，如 3,200万千瓦时。",
    "natural_gas_gj": "天然气，吉焦（低位发热量）/年；可带单位填写，如 120万立方米。",
    "coal_gj": "煤炭，吉焦（低位发热量）/年；可带单位填写，如 5,000吨。",
    "diesel_gj": "柴油，吉焦（低位发热量）/年；可带单位填写，如 80吨。",
    "fuel_oil_gj": "燃料油，吉焦（低位发热量）/年；可带单位填写，如 80吨。",
    "lpg_gj": "液化石油气，吉焦（低位发热量）/年；可带单位填写，如 30吨。",
    "purchased_heat_gj": "外购蒸汽或热力，吉焦/年。",
    "biomass_gj": "生物质燃料，吉焦（低位发热量）/年；可带单位填写，如 500吨。",
    "other_fuel_gj": "其他化石燃料，吉焦（低位发热量）/年。",
    "annual_revenue": "年营业收入，按下方币种的全额填写；也可带单位，如 3.5亿元、1200万元。",
    "revenue_currency": "所有金额的币种；填写带单位的金额时可不选。",
    "electricity_cost_per_year": "年电费（含需量电费），按上方币种。",
    "fuel_cost_per_year": "年燃料和外购热力费用，按上方币种。",
    "electricity_price": "电价（含需量电费和附加费），每千瓦时的金额；优先于年电费和地区默认电价。",
    "onsite_renewable_kwh": "厂内可再生能源自发自用电量，千瓦时/年；可带单位，如 50万千瓦时。",
    "green_electricity_contract_kwh": "外购电量中以绿电交易或购电协议购买的部分，千瓦时/年；"
    "可带单位，如 200万千瓦时。",
    "green_certificates_kwh": "本年度注销的绿证电量，千瓦时/年；与绿电交易电量之和不超过外购电量。",
    "roof_area_available_m2": "可安装光伏的屋顶面积，平方米。",
    "onsite_wind_hydro_kwh_potential": "资源评估给出的厂内风能或水能可发电量，千瓦时/年；"
    "0表示未知，此时不推荐厂内风电水电。",
    "co2_captured_stored_t": "厂内捕集并永久封存的二氧化碳，吨/年：单列为碳移除并从净排放中扣除。",
    "offsets_tco2e": "本年度注销的碳信用（如CCER），tCO2e/年：作为路径中最后一步的碳抵消，"
    "不从碳排放中扣除。",
}

#: Help beside the options.
OPTION_HELP: dict[str, tuple[str, str]] = {
    "objective": (
        "How the measures are ranked.",
        "措施的排序方式。",
    ),
    "top_k": ("1-60 measures.", "列出1至60项措施。"),
    "target_reduction": (
        "Share to cut, 0-1 or a percentage such as 50% (100% = net zero).",
        "减排比例，0至1或百分比，如50%（100%即净零）。",
    ),
    "currency": (
        "Currency of the answer: CNY, USD, EUR, ...",
        "结果所用币种：CNY（人民币）、USD、EUR等。",
    ),
}
OBJECTIVES = ("most_tco2e", "lowest_cost_per_tco2e", "most_adopted_tco2e")

#: Countries in words.
_COUNTRY_ZH = {"CN": "中国", "US": "美国"}
#: Currencies in words (the code stays beside them).
_CURRENCY_ZH = {
    "CNY": "人民币", "EUR": "欧元", "GBP": "英镑", "INR": "印度卢比", "JPY": "日元",
    "KRW": "韩元", "USD": "美元",
}  # fmt: skip


def help_text(name: str, english: str, lang: Lang) -> str:
    """The help beside input ``name``: ``english`` (the field's description) or its Chinese."""
    if lang == "zh":
        if name == "measures_in_place":
            return f"{HELP_ZH[name]}可选措施：{measure_names(lang)}。"
        return HELP_ZH.get(name, "")
    if name == "measures_in_place":
        ids = ", ".join(sorted(Catalogue.default().measures))
        return f"{english} Ids: {ids}."
    return english


def choice_words(name: str, value: str, lang: Lang) -> str:
    """A list choice as a person reads it (the value sent stays the id)."""
    if lang == "en":
        return value
    if name == "country":
        return _COUNTRY_ZH.get(value, value)
    if name in ("revenue_currency", "currency"):
        return f"{_CURRENCY_ZH[value]}（{value}）" if value in _CURRENCY_ZH else value
    return word(value, lang)


def row_hint(column: str, lang: Lang) -> str:
    """The placeholder of a row's cell."""
    if column == "more":
        example = "clinker_ratio=0.7; anode_type=cwpb"
        return f"如 {example}" if lang == "zh" else example
    return field_words(column, lang)


def unit_help(lang: Lang) -> str:
    """The units each carrier may be given in (energy_use rows), with the Chinese unit words."""
    parts = []
    for c in Carrier:
        units = [*allowed_units(c), *(unit_words(c) if lang == "zh" else [])]
        parts.append(f"{word(c.value, lang)}{'：' if lang == 'zh' else ': '}{', '.join(units)}")
    return "；".join(parts) if lang == "zh" else "; ".join(parts)


def measure_names(lang: Lang) -> str:
    """The catalogue's measures by name, for the help of measures already in place."""
    catalogue = Catalogue.default()
    return "、".join(measure_name(m, lang) for m in catalogue.measures.values())
