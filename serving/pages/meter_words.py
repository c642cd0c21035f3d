"""A meter file's bad cells in plain words in the page's language: each one by its row (as a
spreadsheet numbers them, the header row 1) and column, with the value found and what is
allowed, as :func:`features.verification.meters.read_meters` reports them in English."""

from __future__ import annotations

import re

from features.errors import InvalidValueError
from features.i18n import Lang, field_words, has_chinese, word
from features.verification.meters import REQUIRED, MeterFileError
from features.verification.periods import PERIOD_FORMATS

#: A cell as the reader names it: "row 7: quantity", or "row 1" for the header as a whole.
_CELL = re.compile(r"^row (?P<row>\d+)(?::\s*(?P<column>\S+))?$")
#: What the reader allows, in the shapes it says it (features/verification/meters.py).
_NUMBER = re.compile(r"^a number from (?P<low>\S+) to (?P<high>\S+)$")
_AFTER = re.compile(r"^a day on or after (?P<day>\S+)$")
_UNIT = re.compile(r"^a unit of (?P<carrier>\w+): (?P<units>.+)$")
_OVERLAP = re.compile(
    r"^one reading per period and carrier; it (?P<kind>duplicates|overlaps) row (?P<row>\d+) "
    r"\((?P<period>[^,]+), (?P<carrier>\w+)\)$"
)
#: Longest value quoted back (as the profile form quotes, serving.pages.form_check._QUOTED).
_QUOTED = 40
#: The sentences, (English, Chinese); ``{cell}`` is the file, row and column in words.
_SAID: dict[str, tuple[str, str]] = {
    "bad": (
        "{cell}: {value} is not allowed; allowed: {allowed}.",
        "{cell}：{value}不可用；应为{allowed}。",
    ),
    "bad_plain": ("{cell}: {value} is not allowed.", "{cell}：{value}不可用。"),
    "empty": ("{cell} is empty; it needs a value.", "{cell}为空，请填写。"),
    "header": (
        "{file}, header (row 1): the columns {value} are missing; needed: {needed}.",
        "{file}表头（第1行）缺少列：{value}；必需列：{needed}。",
    ),
    "more": ("And {n} more.", "另有{n}处问题。"),
    "cell": ("{file}, row {row}, column {column}", "{file}第{row}行{column}列"),
}
#: What is allowed, said in Chinese (the English is the reader's own words).
_ALLOWED_ZH: dict[str, str] = {
    PERIOD_FORMATS: "YYYY-MM（公历月份），或YYYY-MM-DD并以period_end填写结束日期YYYY-MM-DD",
    "each column once": "每列只出现一次",
    "a month YYYY-MM": "YYYY-MM格式的月份",
    "a date YYYY-MM-DD": "YYYY-MM-DD格式的日期",
}


def meter_file_said(exc: InvalidValueError, lang: Lang) -> str | None:
    """Every bad cell ``exc`` names (one, or the listed ones of a :class:`MeterFileError`) in
    ``lang``, one sentence each; None when ``exc`` names no cell (a file that is no table)."""
    problems = exc.problems if isinstance(exc, MeterFileError) else [exc]
    said = [_cell_said(p, lang) for p in problems]
    if any(s is None for s in said):
        return None
    more = exc.total - len(problems) if isinstance(exc, MeterFileError) else 0
    if more > 0:
        said.append(_say("more", lang, n=more))
    return " ".join(s for s in said if s is not None)


def _cell_said(exc: InvalidValueError, lang: Lang) -> str | None:
    found = _CELL.match(exc.field)
    if found is None:
        return None
    row, column = found["row"], found["column"]
    file = field_words("meter_file", lang)
    if column is None:
        needed = ("、" if lang == "zh" else ", ").join(REQUIRED)
        file = file[:1].upper() + file[1:]
        return _say("header", lang, file=file, value=_quote(exc.value, lang), needed=needed)
    cell = _say("cell", lang, file=file, row=row, column=column)
    cell = cell[:1].upper() + cell[1:]  # it opens the sentence
    if exc.value is None or str(exc.value).strip() == "":
        return _say("empty", lang, cell=cell)
    value = _quote(exc.value, lang)
    allowed = _allowed(exc.allowed, lang)
    if allowed is None:
        return _say("bad_plain", lang, cell=cell, value=value)
    return _say("bad", lang, cell=cell, value=value, allowed=allowed)


def _allowed(allowed: str, lang: Lang) -> str | None:
    """What is allowed in ``lang`` (None: not sayable in Chinese, the sentence goes without)."""
    if lang != "zh":
        return allowed
    if allowed in _ALLOWED_ZH:
        return _ALLOWED_ZH[allowed]
    number = _NUMBER.match(allowed)
    if number is not None:
        return f"{_plain(number['low'])}至{_plain(number['high'])}之间的数"
    after = _AFTER.match(allowed)
    if after is not None:
        return f"不早于{after['day']}的日期"
    unit = _UNIT.match(allowed)
    if unit is not None:
        return f"{word(unit['carrier'], 'zh')}的单位：{unit['units'].replace(', ', '、')}"
    overlap = _OVERLAP.match(allowed)
    if overlap is not None:
        how = "重复" if overlap["kind"] == "duplicates" else "重叠"
        return (
            f"每个能源品种每个期间一条读数（与第{overlap['row']}行的{overlap['period']}"
            f"{word(overlap['carrier'], 'zh')}读数{how}）"
        )
    names = allowed.split(", ")
    if all(re.fullmatch(r"\S+", n) for n in names):  # a list of names (headers, carriers)
        chinese = [n for n in names if has_chinese(n)]
        return "、".join(chinese or names)
    return None


def _plain(number: str) -> str:
    """A bound as digits ("1e+15" -> "1,000,000,000,000,000"): no Latin letter in Chinese."""
    value = float(number)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,}"


def _quote(value: object, lang: Lang) -> str:
    shown = str(value)
    if len(shown) > _QUOTED:
        shown = shown[: _QUOTED - 1] + "…"
    return f"“{shown}”" if lang == "zh" else repr(shown)


def _say(key: str, lang: Lang, **values: object) -> str:
    en, zh = _SAID[key]
    return (zh if lang == "zh" else en).format(**values)
