"""Countries and regions: China's provinces and their regional power grids, US states.

China's average electricity CO2 factors (MEE/NBS, since the 2021 data year) are published for seven
regional grids; Sichuan, Chongqing and Tibet form the Southwest grid, split out of Central China.
Inner Mongolia is listed under the North China grid (its western part, the larger load, belongs to
it; the eastern leagues are served by the Northeast grid).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from enum import StrEnum

from features.errors import InvalidValueError, UnknownRegionError


class Country(StrEnum):
    """Countries the accounting has grid factors for."""

    CN = "CN"
    US = "US"


class ChinaGrid(StrEnum):
    """China's seven regional power grids (MEE/NBS factor regions)."""

    NORTH = "North China grid"
    NORTHEAST = "Northeast China grid"
    EAST = "East China grid"
    CENTRAL = "Central China grid"
    NORTHWEST = "Northwest China grid"
    SOUTH = "South China (China Southern) grid"
    SOUTHWEST = "Southwest China grid"


#: Province (English name) -> (Chinese name, regional grid).
CHINA_PROVINCES: dict[str, tuple[str, ChinaGrid]] = {
    "Beijing": ("北京", ChinaGrid.NORTH),
    "Tianjin": ("天津", ChinaGrid.NORTH),
    "Hebei": ("河北", ChinaGrid.NORTH),
    "Shanxi": ("山西", ChinaGrid.NORTH),
    "Shandong": ("山东", ChinaGrid.NORTH),
    "Inner Mongolia": ("内蒙古", ChinaGrid.NORTH),
    "Liaoning": ("辽宁", ChinaGrid.NORTHEAST),
    "Jilin": ("吉林", ChinaGrid.NORTHEAST),
    "Heilongjiang": ("黑龙江", ChinaGrid.NORTHEAST),
    "Shanghai": ("上海", ChinaGrid.EAST),
    "Jiangsu": ("江苏", ChinaGrid.EAST),
    "Zhejiang": ("浙江", ChinaGrid.EAST),
    "Anhui": ("安徽", ChinaGrid.EAST),
    "Fujian": ("福建", ChinaGrid.EAST),
    "Henan": ("河南", ChinaGrid.CENTRAL),
    "Hubei": ("湖北", ChinaGrid.CENTRAL),
    "Hunan": ("湖南", ChinaGrid.CENTRAL),
    "Jiangxi": ("江西", ChinaGrid.CENTRAL),
    "Shaanxi": ("陕西", ChinaGrid.NORTHWEST),
    "Gansu": ("甘肃", ChinaGrid.NORTHWEST),
    "Qinghai": ("青海", ChinaGrid.NORTHWEST),
    "Ningxia": ("宁夏", ChinaGrid.NORTHWEST),
    "Xinjiang": ("新疆", ChinaGrid.NORTHWEST),
    "Guangdong": ("广东", ChinaGrid.SOUTH),
    "Guangxi": ("广西", ChinaGrid.SOUTH),
    "Yunnan": ("云南", ChinaGrid.SOUTH),
    "Guizhou": ("贵州", ChinaGrid.SOUTH),
    "Hainan": ("海南", ChinaGrid.SOUTH),
    "Sichuan": ("四川", ChinaGrid.SOUTHWEST),
    "Chongqing": ("重庆", ChinaGrid.SOUTHWEST),
    "Tibet": ("西藏", ChinaGrid.SOUTHWEST),
}

#: US states, DC and Puerto Rico (USPS codes).
US_STATES: tuple[str, ...] = (
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL",
    "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE",
    "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX",
    "UT", "VA", "VT", "WA", "WI", "WV", "WY",
)  # fmt: skip

_PROVINCE_LOOKUP: dict[str, str] = {}
for _english, (_chinese, _grid) in CHINA_PROVINCES.items():
    _PROVINCE_LOOKUP[_english.lower()] = _english
    _PROVINCE_LOOKUP[_english.lower().replace(" ", "")] = _english
    _PROVINCE_LOOKUP[_chinese] = _english


#: What official names add to a province's short name: 省 (province), 市 (municipality),
#: 自治区 with the titular nationality (autonomous region), 特别行政区 (special administrative
#: region); longest first, so that 广西壮族自治区 loses 壮族自治区 whole.
_CHINESE_SUFFIXES = ("维吾尔自治区", "特别行政区", "壮族自治区", "回族自治区", "自治区", "省", "市")
#: The same in English ("Jiangsu Province", "Guangxi Zhuang Autonomous Region").
_ENGLISH_SUFFIXES = re.compile(
    r"\s+(?:(?:zhuang|hui|uy[g]?hur|uygur)\s+)?(?:autonomous\s+region|province|municipality|"
    r"special\s+administrative\s+region|shi|sheng)$"
)


@functools.lru_cache(maxsize=4096)  # answers look a plant's province up about 20 times
def _province(typed: str) -> str | None:
    """The English province name for a short or official name, Chinese or English."""
    key = unicodedata.normalize("NFKC", typed).strip()
    for candidate in (key, key.lower(), _ENGLISH_SUFFIXES.sub("", key.lower())):
        found = _PROVINCE_LOOKUP.get(candidate) or _PROVINCE_LOOKUP.get(candidate.replace(" ", ""))
        if found is not None:
            return found
    for suffix in _CHINESE_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in _PROVINCE_LOOKUP:
            return _PROVINCE_LOOKUP[key[: -len(suffix)]]
    return None


def parse_country(value: str, field: str = "country") -> Country:
    """Return the :class:`Country` for an ISO code such as ``"CN"`` (case-insensitive)."""
    try:
        return Country(value.strip().upper())
    except ValueError:
        raise InvalidValueError(field, value, [c.value for c in Country]) from None


def normalise_region(country: Country, region: str, field: str = "region") -> str:
    """Return the canonical region name: English province name for China, USPS code for the US.

    A Chinese province may be named short or in full, in Chinese or English: 江苏, 江苏省,
    广西壮族自治区, 北京市, "Jiangsu Province" all name theirs.

    Raises
    ------
    UnknownRegionError
        If the region is not a province (China) or state (US).
    """
    key = region.strip()
    if country == Country.CN:
        found = _province(key)
        if found is None:
            raise UnknownRegionError(
                field,
                region,
                [f"{name} ({CHINA_PROVINCES[name][0]})" for name in sorted(CHINA_PROVINCES)],
            )
        return found
    code = key.upper()
    if code not in US_STATES:
        raise UnknownRegionError(field, region, US_STATES)
    return code


def grid_region(country: Country, region: str) -> str | None:
    """The grid a region buys from: China's regional grid; ``None`` for US states (state rates)."""
    if country == Country.CN:
        return CHINA_PROVINCES[normalise_region(country, region)][1].value
    return None
