"""How deep JSON text nests, measured on the bytes before any parser builds objects from them.

A parser given `[[[[…` thirty thousand levels deep either recurses until Python stops it
(`json.loads`: RecursionError) or keeps a path per level (ijson: memory that grows with the
square of the depth). Measuring first keeps both from ever seeing such input. The measure
runs in C (escapes dropped by a regular expression, everything but quotes and brackets by
`bytes.translate`, the strings' brackets by a split on the quotes, the running depth by
`accumulate`), at about a tenth of the cost of parsing, and it goes chunk by chunk through
a stream.
"""

from __future__ import annotations

import json
import re
from array import array
from itertools import accumulate
from typing import Any, NamedTuple

_ESCAPE = re.compile(rb"\\.", re.DOTALL)  # a backslash and the character it escapes
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


class Nesting(NamedTuple):
    """What a piece of JSON text does to the nesting depth."""

    peak: int
    """The deepest level reached in the piece."""
    end: int
    """The level at its end."""
    open_string: bytes
    """When the piece ends inside a string: what to put before the next piece so that it is
    read as inside that string (a quote, and a backslash when an escape was cut in two)."""


class TooDeep(ValueError):
    """JSON text nests deeper than allowed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"nested deeper than {limit} levels")


def nesting(data: bytes, depth: int = 0) -> Nesting:
    """The nesting of `data` read from level `depth`, outside any string (to go on inside
    one, put the previous piece's `open_string` before it)."""
    unescaped = _ESCAPE.sub(b"", data) if b"\\" in data else data
    # Quotes and brackets only; `""` is an empty string or a string's end and the next one's
    # start with no structure between them: dropping the pair changes no bracket's side.
    structure = unescaped.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    open_string = b""
    if b'"' in structure:
        pieces = structure.split(b'"')
        if len(pieces) % 2 == 0:  # an odd number of quotes: the piece ends inside a string
            open_string = b'"\\' if unescaped.endswith(b"\\") else b'"'
        structure = b"".join(pieces[0::2])  # what lies between the strings
    opening = structure.count(b"[") + structure.count(b"{")
    end = depth + opening - (len(structure) - opening)
    if not opening:
        return Nesting(depth, end, open_string)
    peak = max(accumulate(array("b", structure.translate(_STEPS)), initial=depth))
    return Nesting(peak, end, open_string)


def deepest_allowed(data: bytes, depth: int, limit: int) -> int:
    """The offset in `data` (read from level `depth`) of the first bracket that goes deeper
    than `limit`, or len(data) when none does. Slow, for the rare piece that goes too deep."""
    inside = escaped = False
    for offset, byte in enumerate(data):
        if inside:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                inside = False
        elif byte == 0x22:
            inside = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return offset
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return len(data)


def json_loads(data: bytes | str, *, max_depth: int) -> Any:
    """`json.loads`, refusing text nested deeper than `max_depth` (TooDeep) before parsing."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if nesting(raw).peak > max_depth:
        raise TooDeep(max_depth)
    return json.loads(data)
