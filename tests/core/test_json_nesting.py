"""JSON nesting measured on the bytes: the depth a parser would reach, whole or chunk by chunk."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from studienav.core.json_nesting import TooDeep, deepest_allowed, json_loads, nesting

# Strings full of what could be taken for structure: brackets, quotes, backslashes.
_TEXT = st.text(alphabet='[]{}"\\ab\n', max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_TEXT, children, max_size=3),
    max_leaves=25,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


@given(_JSON)
def test_nesting_is_the_depth_of_the_value(value: Any) -> None:
    measured = nesting(json.dumps(value).encode())
    assert (measured.peak, measured.end, measured.open_string) == (_depth(value), 0, b"")


@given(_JSON, st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=50))
def test_nesting_chunk_by_chunk_is_the_nesting_of_the_whole(value: Any, cuts: list[int]) -> None:
    data = json.dumps(value).encode()
    depth, carry, peak, start = 0, b"", 0, 0
    for index in range(len(data)):  # enough chunks to reach the end, whatever the cuts
        if start >= len(data):
            break
        size = cuts[index % len(cuts)]
        measured = nesting(carry + data[start : start + size], depth)
        peak, depth, carry = max(peak, measured.peak), measured.end, measured.open_string
        start += size
    assert (peak, depth, carry) == (_depth(value), 0, b"")


@given(_JSON)
def test_the_text_before_the_first_bracket_too_deep_stays_within_the_limit(value: Any) -> None:
    data = json.dumps(value).encode()
    limit = max(_depth(value) - 1, 0)
    offset = deepest_allowed(data, 0, limit)
    assert nesting(data[:offset]).peak <= limit
    assert (offset < len(data)) == (_depth(value) > limit)


def test_json_loads_refuses_deep_text_before_parsing_it() -> None:
    with pytest.raises(TooDeep):
        json_loads("[" * 100_000 + "]" * 100_000, max_depth=64)
    assert json_loads('{"a": ["[[[[", {"b": "\\"]]"}]}', max_depth=3) == {
        "a": ["[[[[", {"b": '"]]'}]
    }
