"""Sentences in English and Chinese, and numbers rounded for people."""

from __future__ import annotations

import string

import pytest

from features.i18n import TEXTS, has_chinese, human, text
from features.messages import Message


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_sentence_has_chinese_with_the_same_placeholders(key: str) -> None:
    en, zh = TEXTS[key]
    # A template of placeholders and punctuation only (e.g. "{sentence} ({note})") has no words.
    words = "".join(literal for literal, *_ in string.Formatter().parse(en))
    assert has_chinese(zh) or not any(ch.isalpha() for ch in words), key
    assert not has_chinese(en), key
    assert _names(en) == _names(zh), key


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_a_message_renders_in_either_language_from_its_key_and_values(key: str) -> None:
    values = {name: f"V{i}" for i, name in enumerate(sorted(_names(TEXTS[key][0])))}
    english = Message(key, "en", **values)
    assert english == text(key, "en", **values)
    assert english.in_lang("zh") == text(key, "zh", **values)
    assert english.in_lang("zh").in_lang("en") == english


def test_no_placeholder_hides_an_attribute_of_a_message() -> None:
    # A Message keeps its values in its own attribute dict (features/messages.py): a value named
    # like a method or a plain attribute would hide it on that sentence (a property is not hidden).
    properties = {n for n in dir(Message) if isinstance(getattr(Message, n, None), property)}
    taken = (set(dir(Message)) - properties) | {"key", "lang"}
    clashes = {key: _names(en) & taken for key, (en, _) in TEXTS.items() if _names(en) & taken}
    assert clashes == {}
    sentence = Message("unseen_category", field="sector", value="'x'", times=2)
    assert sentence.count("x") == 1
    assert (sentence.key, sentence.lang) == ("unseen_category", "en")
    assert sentence.values == (("field", "sector"), ("value", "'x'"), ("times", 2))
    assert Message("saves", parts=Message("nothing")).parts == (Message("saves", parts="nothing"),)


def test_no_two_sentences_share_their_english() -> None:
    english = [en for en, _ in TEXTS.values()]
    assert len(english) == len(set(english))


def test_words_inside_sentences_are_translated() -> None:
    note = Message.joined(
        [
            Message("no_level_factor", level="province", region="Tibet", label="national"),
            Message("no_year_factor", year=2030, used=2023),
        ]
    )
    assert note == "no province factor for Tibet, used national; no 2030 factor, used 2023"
    assert note.in_lang("zh") == "无Tibet的省级排放因子，采用全国；无2030年排放因子，采用2023年"
    reason = Message("nothing_to_act_on", carriers="natural_gas, coal", uses="lighting")
    assert reason.in_lang("zh") == "无作用对象：照明未使用天然气、煤炭"
    warning = Message(
        "outside_training_range", field="employees", value="5,000", side="above", span="1-100"
    )
    assert warning.in_lang("zh").startswith("员工人数 5,000高于训练工厂的范围")


def test_a_sentence_that_came_as_text_reads_the_same_in_every_language() -> None:
    assert Message.plain("a free sentence").in_lang("zh") == "a free sentence"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (12345.678, "12,300"),
        (0.012345, "0.0123"),
        (-3.14159, "-3.14"),
        (999.96, "1,000"),
        (1.0, "1"),
        (0.0, "0"),
        (1.5e9, "1,500,000,000"),
        (None, "-"),
        (float("nan"), "-"),
    ],
)
def test_numbers_for_people_have_three_significant_figures(value: float, shown: str) -> None:
    assert human(value) == shown
