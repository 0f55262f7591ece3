"""Swedish first, English second: both catalogues complete and current; Swedish order."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from studienav.core.collation import swedish_sort_key

LOCALE = Path(__file__).resolve().parents[2] / "src" / "studienav" / "locale"


def _catalogue(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_catalogue_has_every_string_translated(language: str) -> None:
    catalogue = _catalogue(language)
    missing = [
        m.id
        for m in catalogue
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not missing, f"untranslated in {language}: {missing[:10]}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy[:10]}"


def test_catalogues_hold_every_string_of_the_code(tmp_path: Path) -> None:
    """Extract the strings afresh and compare: a new gettext call without a translation fails."""
    package = LOCALE.parent
    work = tmp_path / "studienav"
    shutil.copytree(package, work, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "studienav",
            "makemessages",
            "-l",
            "sv",
            "--no-location",
            "--ignore",
            "migrations/*",
            "--no-obsolete",
        ],
        cwd=work,
        check=True,
        capture_output=True,
    )
    with (work / "locale" / "sv" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        fresh = {m.id for m in read_po(handle) if m.id}
    current = {m.id for m in _catalogue("sv") if m.id}
    assert fresh - current == set(), "run `make messages` and translate the new strings"


def test_swedish_sort_puts_a_ring_a_umlaut_o_umlaut_after_z() -> None:
    names = ["Örebro", "Ängelholm", "Åre", "Zinkgruvan", "Arboga", "Östersund", "Växjö"]
    assert sorted(names, key=swedish_sort_key) == [
        "Arboga",
        "Växjö",
        "Zinkgruvan",
        "Åre",
        "Ängelholm",
        "Örebro",
        "Östersund",
    ]


def test_english_catalogue_says_what_the_code_says() -> None:
    """Source strings are English: a fuzzy guess from msgmerge must never replace them."""
    wrong = [
        m.id
        for m in _catalogue("en")
        if m.id and m.string != (tuple(m.id) if isinstance(m.id, tuple | list) else m.id)
    ]
    assert not wrong, f"English entries that differ from their msgid: {wrong[:10]}"
