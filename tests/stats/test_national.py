"""Signed exports (studienav.stats/1), imports that refuse bad or altered files, national sums."""

from __future__ import annotations

import json
import stat
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone, translation

from studienav.stats.models import NationalFile
from studienav.stats.national import (
    InvalidStatsFile,
    national_figures,
    public_key_pem,
    signing_key,
    stats_export,
    stats_import,
)
from studienav.stats.refresh import facts_refresh
from tests.stats.conftest import MakeStudy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
OTHER_NODE = "forum-stockholm-gotland"


def private_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(private: str) -> str:
    key = serialization.load_pem_private_key(private.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return public_key_pem(key)


@pytest.fixture
def keys() -> dict[str, str]:
    return {"ours": private_pem(), "theirs": private_pem()}


@pytest.fixture
def two_nodes(make_study: MakeStudy) -> None:
    """A study in Uppsala and Stockholm (both nodes), one only in each node."""
    make_study(sites=[("03", date(2024, 3, 1)), ("01", date(2024, 4, 1))], nct="NCT00000001")
    make_study(sites=[("03", date(2024, 1, 10))], nct="NCT00000002")
    make_study(sites=[("01", date(2024, 2, 1))])


def their_export(keys: dict[str, str], **changes: Any) -> dict[str, Any]:
    with override_settings(STUDIENAV_NODE=OTHER_NODE, STATS_SIGNING_KEY=keys["theirs"]):
        facts_refresh(full=True)
        payload = stats_export(year=2024, **changes)
    facts_refresh(full=True)
    return payload


def raw(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def test_export_holds_figures_and_identifiers_and_is_signed(
    two_nodes: None, keys: dict[str, str]
) -> None:
    with override_settings(STATS_SIGNING_KEY=keys["ours"]):
        facts_refresh(full=True)
        payload = stats_export(year=2024)
    assert payload["format"] == "studienav.stats/1"
    assert payload["node"] == "forum-mellansverige"
    assert payload["figures"]["studies_ongoing"] == {"total": 2, "regions": {"03": 2}}
    assert sorted(s["ids"][0] for s in payload["studies"]) == ["nct:NCT00000001", "nct:NCT00000002"]
    assert payload["signature"]["algorithm"] == "ed25519"


def test_two_nodes_add_up_and_a_study_in_both_counts_once_nationally(
    two_nodes: None, keys: dict[str, str]
) -> None:
    theirs = their_export(keys)
    trusted = {OTHER_NODE: public_pem(keys["theirs"])}
    with override_settings(STATS_SIGNING_KEY=keys["ours"], STATS_TRUSTED_KEYS=trusted):
        outcome = stats_import(raw=raw(theirs))
        assert (outcome.node, outcome.replaced, outcome.skipped) == (OTHER_NODE, False, False)
        national = national_figures(year=2024)
    assert [n["node"] for n in national.nodes] == ["forum-mellansverige", OTHER_NODE]
    assert national.sum_of_nodes["ongoing"] == 4
    assert national.totals["ongoing"] == 3  # NCT00000001 runs in both nodes
    assert national.totals["started"] == 3


def test_tampered_file_is_refused_with_the_reason(two_nodes: None, keys: dict[str, str]) -> None:
    theirs = their_export(keys)
    theirs["figures"]["studies_ongoing"]["total"] = 999
    trusted = {OTHER_NODE: public_pem(keys["theirs"])}
    with (
        override_settings(STATS_TRUSTED_KEYS=trusted),
        pytest.raises(InvalidStatsFile, match="signature does not match") as error,
    ):
        stats_import(raw=raw(theirs))
    assert error.value.field == "signature"
    assert not NationalFile.objects.exists()


def test_file_from_an_untrusted_node_is_refused(two_nodes: None, keys: dict[str, str]) -> None:
    theirs = their_export(keys)
    with pytest.raises(InvalidStatsFile, match="No trusted key for node"):
        stats_import(raw=raw(theirs))


def test_file_signed_with_another_key_is_refused(two_nodes: None, keys: dict[str, str]) -> None:
    theirs = their_export(keys)
    trusted = {OTHER_NODE: public_pem(private_pem())}
    with (
        override_settings(STATS_TRUSTED_KEYS=trusted),
        pytest.raises(InvalidStatsFile, match="signature does not match"),
    ):
        stats_import(raw=raw(theirs))


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"not json", ""),
        (b"[]", ""),
        (b'{"format": "studienav.stats/2"}', "format"),
        (b'{"format": "studienav.stats/1", "node": "x", "year": 1999}', "year"),
    ],
)
def test_malformed_files_are_refused_naming_the_field(content: bytes, field: str) -> None:
    with pytest.raises(InvalidStatsFile) as error:
        stats_import(raw=content)
    assert error.value.field == field


def test_a_file_nested_too_deep_is_refused_without_parsing_it() -> None:
    deep = b'{"format": "studienav.stats/1", "figures": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with translation.override("en"), pytest.raises(InvalidStatsFile, match="deeper than 64"):
        stats_import(raw=deep)


def test_newer_file_replaces_the_old_and_an_older_one_is_skipped(
    two_nodes: None, keys: dict[str, str]
) -> None:
    older = their_export(keys, now=timezone.now() - timedelta(days=2))
    newer = their_export(keys)
    with override_settings(STATS_TRUSTED_KEYS={OTHER_NODE: public_pem(keys["theirs"])}):
        stats_import(raw=raw(older))
        assert stats_import(raw=raw(newer)).replaced
        assert stats_import(raw=raw(older)).skipped
    assert NationalFile.objects.get().generated_at.isoformat() == newer["generated_at"]


def test_export_and_import_commands(two_nodes: None, keys: dict[str, str], tmp_path: Path) -> None:
    ours, theirs_file, bad = tmp_path / "ours.json", tmp_path / "theirs.json", tmp_path / "bad.json"
    theirs = their_export(keys)
    theirs_file.write_bytes(raw(theirs))
    theirs["year"] = 2023
    bad.write_bytes(raw(theirs))
    trusted = {OTHER_NODE: public_pem(keys["theirs"])}
    with override_settings(STATS_SIGNING_KEY=keys["ours"], STATS_TRUSTED_KEYS=trusted):
        call_command("stats_export", year=2024, output=str(ours))
        assert json.loads(ours.read_text())["format"] == "studienav.stats/1"
        with pytest.raises(CommandError, match="1 file"):
            call_command("stats_import", str(theirs_file), str(bad))
    assert NationalFile.objects.get().node == OTHER_NODE


def test_development_key_is_made_under_var_dir_readable_only_by_its_owner(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path, STATS_SIGNING_KEY=""):
        first = public_key_pem(signing_key())
        assert public_key_pem(signing_key()) == first
    mode = (tmp_path / "stats_signing_key.pem").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
