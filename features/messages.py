"""Sentences carried as a template key with its values, rendered once per language.

A :class:`Message` is the sentence ``key`` of :data:`features.i18n.TEXTS` filled with its values in
one language. It is a ``str`` (its rendering), so whatever reads the answer (pages, terminal,
JSON) reads the sentence as before; and it keeps its key, values and language, so
:meth:`Message.in_lang` renders the same sentence in another language from the key and values,
never by reading rendered English back. Values that are themselves Messages follow the language
of the sentence they sit in.

Two kinds have no template of their own: :meth:`Message.joined` (sentences joined by "; " in
English, "；" in Chinese, or another pair of separators) and :meth:`Message.plain` (a sentence
that came as text, e.g. an answer parsed back from JSON: it reads the same in every language).

Answer fields that are sentences are typed :data:`MessageText`: a Message in Python, a plain
string in JSON and in the OpenAPI schema; validating a plain string makes a plain Message. (A field
typed plain ``str`` would turn a Message into a bare ``str``: MessageText's validator keeps it.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, NoReturn

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from features.i18n import TEXTS, Lang, slot_value

#: Keys of the kinds without a template (never keys of TEXTS: those are words).
PLAIN = "<plain>"
JOIN = "<join>"

#: Separators of joined sentences: (English, Chinese).
SEMICOLON = ("; ", "；")
COMMA = (", ", "，")

Values = tuple[tuple[str, object], ...]
#: A Message's values by name. The Message's own attribute dict is this dict with its ``key`` and
#: ``lang`` added: the collector does not track a dict of numbers and words, so a sentence is one
#: tracked object, not 2 (or about 5 with a tuple per value). Answers hold thousands, and the
#: collector walks them once when a paused batch ends. So no placeholder may be named ``key``,
#: ``lang`` or like an attribute of Message or ``str`` (it would hide it; a test checks TEXTS).
_Held = dict[str, object]
#: Not values: the names a Message's attribute dict holds besides its values.
_OWN = ("key", "lang")
_set_dict = object.__setattr__  # Message.__setattr__ refuses every attribute

#: Sentences without values by (key, language): immutable, so one object serves every answer
#: (bounded by the keys of TEXTS times the two languages).
_CONSTANT: dict[tuple[str, str], Message] = {}


class Message(str):
    """The sentence ``key`` in ``lang`` with ``values`` (see the module docstring).

    ``Message("no_year_factor", "zh", year=2030, used=2023)`` reads "无2030年排放因子，采用2023年";
    its ``in_lang("en")`` reads "no 2030 factor, used 2023". Equal to, and hashed as, its text.
    """

    key: str
    lang: Lang

    def __new__(cls, key: str, lang: Lang = "en", /, **values: object) -> Message:
        # The common case in full here (a template sentence): answers build thousands of them.
        # A sentence without values is the same object every time (a third of an answer's).
        if not values and cls is Message:
            held_before = _CONSTANT.get((key, lang))
            if held_before is not None:
                return held_before
        templates = TEXTS.get(key)
        if templates is None:
            raise KeyError(f"message key {key!r} is not in features.i18n.TEXTS")
        if lang == "en":
            for name, value in values.items():
                if isinstance(value, Message) and value.lang != "en":
                    values[name] = value.in_lang("en")
            self = str.__new__(cls, templates[0].format_map(values))
        elif lang == "zh":
            filled: dict[str, object] = {}
            for name, value in values.items():
                if isinstance(value, Message):
                    values[name] = filled[name] = value.in_lang("zh")
                else:
                    filled[name] = slot_value(name, value, "zh")
            self = str.__new__(cls, templates[1].format_map(filled))
        else:
            raise ValueError(f"lang: invalid value {lang!r}; allowed: ['en', 'zh']")
        constant = not values
        values["key"], values["lang"] = key, lang
        _set_dict(self, "__dict__", values)
        if constant and cls is Message:
            _CONSTANT[(key, lang)] = self
        return self

    @classmethod
    def _make(cls, key: str, values: _Held | Values, lang: Lang) -> Message:
        if lang not in ("en", "zh"):
            raise ValueError(f"lang: invalid value {lang!r}; allowed: ['en', 'zh']")
        values = dict(values)
        # Most sentences hold no sentence: their values need no change of language.
        if key == JOIN or any(isinstance(v, Message) for v in values.values()):
            values = _values_in(key, values, lang)
        self = str.__new__(cls, _render(key, values, lang))
        values["key"], values["lang"] = key, lang
        _set_dict(self, "__dict__", values)
        return self

    @classmethod
    def plain(cls, text: str, lang: Lang = "en") -> Message:
        """A sentence that came as text: the same in every language."""
        return cls._make(PLAIN, {"text": str(text)}, lang)

    @classmethod
    def joined(
        cls,
        parts: Iterable[Message],
        separators: tuple[str, str] = SEMICOLON,
        lang: Lang | None = None,
    ) -> Message:
        """``parts`` as one sentence, joined by ``separators`` (English, Chinese); empty parts are
        left out. In ``lang``, else in the first part's language (English when none)."""
        listed = [p for p in parts if p]
        for p in listed:
            if not isinstance(p, Message):
                raise TypeError(f"Message.joined: parts must be Messages, got {type(p).__name__}")
        if lang is None:
            lang = listed[0].lang if listed else "en"
        if lang not in ("en", "zh"):
            raise ValueError(f"lang: invalid value {lang!r}; allowed: ['en', 'zh']")
        kept = tuple([p if p.lang == lang else p.in_lang(lang) for p in listed])
        self = str.__new__(cls, separators[1 if lang == "zh" else 0].join(kept))
        _set_dict(
            self, "__dict__", {"parts": kept, "separators": separators, "key": JOIN, "lang": lang}
        )
        return self

    def render(self) -> str:
        """The sentence as a plain ``str``."""
        return str.__str__(self)

    def in_lang(self, lang: Lang) -> Message:
        """The same sentence in ``lang``."""
        if lang == self.lang:
            return self
        return Message._make(self.key, self._values, lang)

    @property
    def _values(self) -> _Held:
        return {name: v for name, v in self.__dict__.items() if name not in _OWN}

    @property
    def values(self) -> Values:
        """(name, value) of each value the sentence is filled with, in order."""
        return tuple(self._values.items())

    @property
    def parts(self) -> tuple[Message, ...]:
        """The sentences it joins (itself when it joins none)."""
        return self.__dict__["parts"] if self.key == JOIN else (self,)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Message is immutable: cannot set {name}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message._make, (self.key, self._values, self.lang))


def _values_in(key: str, values: _Held, lang: Lang) -> _Held:
    """``values`` with the sentences among them (or the parts of a join) in ``lang``."""
    if key == JOIN:
        parts = tuple(p.in_lang(lang) for p in values["parts"])  # type: ignore[attr-defined]
        return {"parts": parts, "separators": values["separators"]}
    return {
        name: value.in_lang(lang) if isinstance(value, Message) else value
        for name, value in values.items()
    }


def _render(key: str, values: _Held, lang: Lang) -> str:
    if key == PLAIN:
        return str(values["text"])
    if key == JOIN:
        separator: str = values["separators"][1 if lang == "zh" else 0]  # type: ignore[index]
        parts: tuple[Message, ...] = values["parts"]  # type: ignore[assignment]
        return separator.join(parts)
    en, zh = TEXTS[key]
    if lang == "en":  # English shows every value as it is
        return en.format_map(values)
    filled = {
        name: value if isinstance(value, Message) else slot_value(name, value, lang)
        for name, value in values.items()
    }
    return zh.format_map(filled)


#: The empty sentence (default of optional notes).
EMPTY = Message.plain("")


def as_message(value: object) -> Message:
    """A Message as it is; a plain ``str`` (an answer read back from JSON) as a plain Message."""
    if isinstance(value, Message):
        return value
    if isinstance(value, str):
        return Message.plain(value)
    raise ValueError(f"a sentence must be a string, got {type(value).__name__}")


#: An answer field that is a sentence: a :class:`Message` in Python, a string in JSON and in the
#: OpenAPI schema.
MessageText = Annotated[
    Message,
    PlainValidator(as_message),
    PlainSerializer(Message.render, return_type=str),
    WithJsonSchema({"type": "string"}),
]
