"""Swedish alphabetical order (å, ä, ö after z), independent of the database's collation."""

from __future__ import annotations

import unicodedata

# The three characters after "z" in ASCII stand in for å, ä, ö (æ and ø sort as ä and ö).
_LAST = {"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"}


def swedish_sort_key(text: str) -> str:
    """A key that sorts strings as a Swedish reader expects: a–z, then å, ä, ö."""
    out = []
    for char in text.casefold():
        if char in _LAST:
            out.append(_LAST[char])
            continue
        base = unicodedata.normalize("NFKD", char)[0]
        out.append(base)
    return "".join(out)
