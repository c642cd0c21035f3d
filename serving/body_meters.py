"""Meters that read a JSON body as it arrives, before anything parses it: its nesting depth
(:class:`DepthMeter`, :func:`json_depth`) and the number of factories in a batch
(:class:`BatchCounter`), so a body past a limit is refused while it is still arriving."""

from __future__ import annotations

import re

import numpy as np

#: Deepest nesting of objects and arrays a JSON body (or an uploaded profile) may have. The
#: deepest real request, a batch of factories with production lines and money given as
#: {"value", "unit"} objects, needs 4; past a few hundred levels the parsers and serialisers
#: under the service fail (RecursionError, "maximum serialization depth"), so such a body is
#: refused while it arrives, before anything parses it.
MAX_JSON_DEPTH = 32

#: A JSON string from its opening quote to its closing one (group 1), or to the end of what has
#: arrived (group 2: a backslash whose escaped character is still to come).
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*(?:(")|(\\?)\Z)', re.DOTALL)
#: The rest of a string begun in an earlier piece of the body, the same way.
_REST_OF_STRING = re.compile(rb'(?:[^"\\]|\\.)*(?:(")|(\\?)\Z)', re.DOTALL)
#: Every byte but the brackets (bytes.translate deletes them).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"{}[]")


class DepthMeter:
    """The deepest nesting of objects and arrays in a JSON text that arrives in pieces.

    Strings are skipped whole, escaped quotes included, so brackets inside them do not count;
    each piece is read once (a regular expression over the strings, numpy over the brackets).
    """

    def __init__(self) -> None:
        self.depth = 0
        self.deepest = 0
        self.in_string = False  # the last piece ended inside a string
        self.escaped = False  # ... right after a backslash

    def feed(self, chunk: bytes) -> int:
        """Take the next piece; return the deepest nesting seen so far."""
        start = 0
        if self.in_string:
            if self.escaped and chunk:
                start, self.escaped = 1, False
            rest = _REST_OF_STRING.match(chunk, start)
            assert rest is not None  # the pattern matches up to the end of any text
            if rest.group(1) is None:
                self.escaped = rest.group(2) == b"\\"
                return self.deepest
            start, self.in_string = rest.end(), False
        last: list[re.Match[bytes]] = []

        def skip(match: re.Match[bytes]) -> bytes:
            last[:] = [match]
            return b""

        outside = _STRING.sub(skip, chunk[start:] if start else chunk)
        if last and last[0].group(1) is None:  # the piece ends inside a string
            self.in_string, self.escaped = True, last[0].group(2) == b"\\"
        brackets = outside.translate(None, _NOT_BRACKETS)
        if brackets:
            levels = self.depth + np.cumsum(_STEP[np.frombuffer(brackets, dtype=np.uint8)])
            self.deepest = max(self.deepest, int(levels.max()))
            self.depth = int(levels[-1])
        return self.deepest


def too_deep_detail(field: str, depth: int) -> dict[str, object]:
    """The 422 item of a JSON text nested deeper than :data:`MAX_JSON_DEPTH`."""
    allowed = f"JSON nested at most {MAX_JSON_DEPTH} levels deep (objects and arrays)"
    value = f"nested {depth} levels deep" if depth else f"nested over {MAX_JSON_DEPTH} levels"
    return {
        "field": field,
        "value": value,
        "allowed": allowed,
        "message": f"{field}: {value}; allowed: {allowed}",
    }


def json_depth(text: bytes) -> int:
    """The deepest nesting of objects and arrays in a whole JSON text."""
    return DepthMeter().feed(text)


#: JSON tokens that matter for counting: a whole string, a lone quote (a string cut off at the
#: end of what has arrived so far), a structural character, or a number or literal (a run of
#: other characters). Blanks are skipped by the search itself.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|"|[{}\[\],:]|[^\s"{}\[\],:]+')
_QUOTE = ord('"')
#: Per byte value: is it a structural character, and how it moves the depth.
_STRUCTURAL = np.zeros(256, dtype=bool)
_STRUCTURAL[list(b"{}[],:")] = True
_STEP = np.zeros(256, dtype=np.int64)
_STEP[list(b"{[")] = 1
_STEP[list(b"}]")] = -1
#: Bytes of numbers and literals: not structural, not a quote, not JSON whitespace.
_VALUE = ~_STRUCTURAL
_VALUE[list(b'" \t\r\n')] = False


class BatchCounter:
    """Counts the items of a request's top-level ``factories`` array as the body streams in,
    so an oversized batch is refused before the rest is read or anything is parsed."""

    def __init__(self) -> None:
        self.pending = b""
        self.depth = 0
        self.key: bytes | None = None  # the last key seen in the top-level object
        self.after_colon = False
        self.in_factories = False  # inside the top-level "factories" array
        self.items = 0
        self.empty = True  # no item has started in the array yet

    def feed(self, chunk: bytes) -> int:
        """Take the next piece of the body; return the items counted so far."""
        data = self.pending + chunk
        if b"\\" in data:  # escaped characters: the token-by-token reading handles them
            return self._feed_tokens(data)
        # No escapes: strings run from one quote to the next, so where strings are and how deep
        # every bracket sits is a few array operations; only tokens at the depth of the batch's
        # items and above are read one by one (not the tens of fields inside each factory).
        raw = np.frombuffer(data, dtype=np.uint8)
        quotes = np.flatnonzero(raw == _QUOTE)
        end = len(data)
        if len(quotes) % 2:  # a string not complete yet: wait for more of the body
            end = int(quotes[-1])
            quotes = quotes[:-1]
        self.pending = data[end:]
        raw = raw[:end]
        opened = np.cumsum(raw == _QUOTE)  # odd inside a string (and on its opening quote)
        structural = np.flatnonzero(_STRUCTURAL[raw] & (opened % 2 == 0))
        step = _STEP[raw[structural]]
        before = self.depth + np.cumsum(step) - step  # depth before each structural token
        after = np.concatenate([[self.depth], before + step])
        # strings and the first byte of each number or literal, with the depth they sit at
        values = _VALUE[raw] & (opened % 2 == 0)
        values[1:] &= ~values[:-1]
        others = np.concatenate([quotes[0::2], np.flatnonzero(values)])
        other_ends = np.concatenate([quotes[1::2] + 1, np.flatnonzero(values) + 1])
        other_depth = after[np.searchsorted(structural, others)]
        keep = (before <= 2) | ((step < 0) & (before == 3))
        near = other_depth <= 2
        positions = np.concatenate([structural[keep], others[near]])
        ends = np.concatenate([structural[keep] + 1, other_ends[near]])
        depths = np.concatenate([before[keep], other_depth[near]])
        order = np.argsort(positions, kind="stable")
        for p, e, d in zip(positions[order].tolist(), ends[order].tolist(),
                           depths[order].tolist(), strict=True):  # fmt: skip
            self.depth = d
            self._token(data[p:e])
        self.depth = int(after[-1])
        return self.items

    def _feed_tokens(self, data: bytes) -> int:
        for match in _TOKEN.finditer(data):
            token = match.group()
            if token == b'"':  # a string not complete yet: wait for more of the body
                self.pending = data[match.start() :]
                return self.items
            self._token(token)
        self.pending = b""
        return self.items

    def _token(self, token: bytes) -> None:
        first = token[:1]
        if self.in_factories and self.depth == 2 and self.empty and token not in (b"]", b","):
            self.items, self.empty = 1, False
        if first == b'"':
            if self.depth == 1 and not self.after_colon:
                self.key = token[1:-1]
            self.after_colon = False
        elif first == b":":
            self.after_colon = self.depth == 1
        elif first in (b"{", b"["):
            if first == b"[" and self.depth == 1 and self.after_colon and self.key == b"factories":
                self.in_factories = True
            self.depth += 1
            self.after_colon = False
        elif first in (b"}", b"]"):
            self.depth -= 1
            if self.depth == 1:
                self.in_factories = False
            self.after_colon = False
        elif first == b",":
            if self.in_factories and self.depth == 2:
                # the item before this comma may have been a number or literal (no token)
                self.items += 2 if self.empty else 1
                self.empty = False
            self.after_colon = False
        else:  # a number or literal
            self.after_colon = False
