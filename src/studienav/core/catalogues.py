"""Catalogue upkeep for `make messages`: English entries take their msgid as translation."""

from __future__ import annotations

import sys
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def tidy_header(catalogue: Catalog, language: str) -> None:
    """Our own header: no 'fuzzy' (compilers skip fuzzy catalogues), the language's plurals."""
    catalogue.fuzzy = False
    catalogue.project = "studienav"
    catalogue.version = ""
    catalogue.msgid_bugs_address = ""
    catalogue.last_translator = "studienav"
    catalogue.language_team = language
    catalogue.locale = Locale.parse(language)
    catalogue.header_comment = "# Translations of studienav's user-facing text."


def fill_english(path: Path) -> int:
    """Make every English msgstr its msgid (source strings are English); returns the count."""
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    tidy_header(catalogue, "en")
    filled = 0
    for message in catalogue:
        if not message.id:
            continue
        # Always the msgid itself: msgmerge's fuzzy guesses would otherwise survive.
        wanted = tuple(message.id) if isinstance(message.id, tuple | list) else message.id
        if message.string != wanted:
            message.string = wanted
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=0, omit_header=False)
    return filled


def tidy(path: Path, language: str) -> None:
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    tidy_header(catalogue, language)
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=0)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "fill-english":
        sys.stdout.write(f"filled {fill_english(Path(sys.argv[2]))} English entries\n")
    elif len(sys.argv) == 4 and sys.argv[1] == "tidy":
        tidy(Path(sys.argv[2]), sys.argv[3])
    else:
        sys.exit("usage: python -m studienav.core.catalogues fill-english PATH | tidy PATH LANG")
