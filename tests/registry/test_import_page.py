"""The staff import page: a preview of every record before anything is written, then apply.

Cecilia (node office) uploads real ClinicalTrials.gov files; the preview lists each record
with its outcome and writes nothing; applying names only a token her session holds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from studienav.core.models import AuditEvent, Role, User
from studienav.registry.importers import import_file
from studienav.registry.models import Study, StudyState
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]
V2 = Path(__file__).parent / "data" / "ctgov-v2"


@pytest.fixture(autouse=True)
def _uploads_here(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.VAR_DIR = tmp_path
    with translation.override("en"):
        yield


@pytest.fixture
def dora(db: None) -> User:
    """A second person at the node office, with a session of her own."""
    user = UserFactory.create(email="dora@test.example", full_name="Dora Lind")
    RoleFactory.create(user=user, role=Role.NODE_OFFICE)
    return user


def _study(name: str, **identification: Any) -> dict[str, Any]:
    study = json.loads((V2 / name).read_text(encoding="utf-8"))
    study["protocolSection"]["identificationModule"].update(identification)
    return study


def _page(*studies: Any) -> bytes:
    return json.dumps({"studies": list(studies)}).encode("utf-8")


def _odd_age(study: dict[str, Any]) -> dict[str, Any]:
    study["protocolSection"]["eligibilityModule"]["minimumAge"] = "old enough"
    return study


def _preview(client: Client, name: str, content: bytes, **extra: str) -> Any:
    upload = SimpleUploadedFile(name, content)
    return client.post(reverse("registry:import"), {"file": upload, "format": "auto", **extra})


def _kept(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "import-uploads"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _token(response: Any) -> str:
    return str(response.context["apply_form"].initial["token"])


def test_only_the_node_office_imports(client: Client, signed_in: SignIn, anna: User) -> None:
    signed_in(client, anna)
    assert client.get(reverse("registry:import")).status_code == 403
    assert client.post(reverse("registry:import_apply"), {"token": "x" * 32}).status_code == 403


def test_a_file_of_another_kind_is_refused_next_to_the_field(
    client: Client, signed_in: SignIn, cecilia: User, tmp_path: Path
) -> None:
    signed_in(client, cecilia)
    response = _preview(client, "x.exe", b"MZ")
    assert response.status_code == 422
    assert "file" in response.context["form"].errors
    assert _kept(tmp_path) == []


def test_the_preview_lists_every_record_with_its_outcome_and_writes_nothing(
    client: Client, signed_in: SignIn, cecilia: User, tmp_path: Path
) -> None:
    signed_in(client, cecilia)
    content = _page(
        _study("NCT02552212.json"),
        _odd_age(_study("NCT03418623.json")),
        "not a study",
        _study("NCT02278341.json"),
    )
    response = _preview(client, "page.json", content)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r["number"], r["outcome"]) for r in rows] == [
        (1, "created"),
        (2, "created"),
        (3, "rejected"),
        (4, "unchanged"),  # the twin: the same study as the first, seen in the same file
    ]
    assert rows[0]["title"].startswith("Multicenter Study Evaluating Certolizumab")
    assert rows[0]["identifiers"][0] == "NCT02552212"
    assert [(n.field, n.value) for n in rows[1]["notes"]] == [("min_age_years", "old enough")]
    assert rows[2]["errors"][0][0] == "record"
    page = response.content.decode()
    assert "#3" in page and "Flagged" in page and "NCT03418623" in page
    assert "Apply the import" in page
    assert str(tmp_path) not in page
    assert not Study.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="study.").exists()
    (folder,) = _kept(tmp_path)
    assert folder.name == _token(response)


def test_the_preview_of_an_update_shows_which_fields_change_old_and_new(
    client: Client, signed_in: SignIn, cecilia: User, tmp_path: Path
) -> None:
    import_file(path=V2 / "NCT03418623.json")
    signed_in(client, cecilia)
    changed = _study("NCT03418623.json", acronym="GABA-MRS")
    response = _preview(client, "changed.json", _page(changed))
    (row,) = response.context["rows"]
    assert row["outcome"] == "updated"
    assert ("Acronym", "–", "GABA-MRS") in row["changes"]
    assert Study.objects.get().acronym == ""


def test_applying_writes_what_the_preview_showed_and_forgets_the_upload(
    client: Client, signed_in: SignIn, cecilia: User, tmp_path: Path
) -> None:
    signed_in(client, cecilia)
    preview = _preview(client, "page.json", _page(_study("NCT02552212.json"), "not a study"))
    token = _token(preview)
    applied = client.post(reverse("registry:import_apply"), {"token": token})
    assert applied.status_code == 200
    report = applied.context["report"]
    assert (report.created, report.rejected) == (1, 1)
    study = Study.objects.get()
    assert study.state == StudyState.SUBMITTED
    assert AuditEvent.objects.filter(action="study.import_create", reason="page.json").exists()
    assert _kept(tmp_path) == []
    again = client.post(reverse("registry:import_apply"), {"token": token})
    assert again.status_code == 404
    assert Study.objects.count() == 1


def test_a_file_that_cannot_be_read_shows_one_message_and_no_apply_button(
    client: Client, signed_in: SignIn, cecilia: User, tmp_path: Path
) -> None:
    signed_in(client, cecilia)
    response = _preview(client, "garbage.json", b"\x00\x01 this is no study file {{{")
    assert response.status_code == 200
    page = response.content.decode()
    assert "garbage.json cannot be read" in page
    assert response.context["file_error"]
    assert "apply_form" not in response.context
    assert "Apply the import" not in page
    assert str(tmp_path) not in page
    assert _kept(tmp_path) == []


def test_another_persons_token_is_refused_and_writes_nothing(
    client: Client, signed_in: SignIn, cecilia: User, dora: User, tmp_path: Path
) -> None:
    signed_in(client, cecilia)
    token = _token(_preview(client, "page.json", _page(_study("NCT02552212.json"))))
    other = Client()
    signed_in(other, dora)
    refused = other.post(reverse("registry:import_apply"), {"token": token})
    assert refused.status_code == 404
    assert not Study.objects.exists()
    assert len(_kept(tmp_path)) == 1  # still Cecilia's to apply
    assert client.post(reverse("registry:import_apply"), {"token": token}).status_code == 200
    assert Study.objects.count() == 1


def test_a_path_instead_of_a_token_is_refused(
    client: Client, signed_in: SignIn, cecilia: User
) -> None:
    signed_in(client, cecilia)
    response = client.post(reverse("registry:import_apply"), {"token": "../../secret_key"})
    assert response.status_code == 404


def test_an_upload_not_applied_within_an_hour_is_deleted(
    client: Client, signed_in: SignIn, cecilia: User, tmp_path: Path, settings: Any
) -> None:
    settings.SESSION_IDLE_SECONDS = 3 * 60 * 60  # she is still signed in, only the file is old
    signed_in(client, cecilia)
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        token = _token(_preview(client, "page.json", _page(_study("NCT02552212.json"))))
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        response = client.post(reverse("registry:import_apply"), {"token": token})
    assert response.status_code == 404
    assert _kept(tmp_path) == []
    assert not Study.objects.exists()


def test_the_help_names_the_configured_upload_limit(
    client: Client, signed_in: SignIn, cecilia: User, settings: Any
) -> None:
    settings.IMPORT_WEB_MAX_BYTES = 2 * 1024 * 1024
    signed_in(client, cecilia)
    page = client.get(reverse("registry:import")).content.decode()
    assert "at most 2.0 MB" in page
    response = _preview(client, "big.json", b" " * (3 * 1024 * 1024))
    assert response.status_code == 422
    assert "larger than 2.0 MB" in str(response.context["form"].errors["file"])
