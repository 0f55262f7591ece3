"""What an import could not understand waits for the study's coordinator, who checks it off.

Bertil coordinates Region Örebro län; a study imported with a site in Örebro and an age the
import could not read shows him a "to check" box and appears in his attention list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from studienav.core.errors import PermissionDenied, ValidationFailed
from studienav.core.models import AuditEvent, User
from studienav.registry.importers import import_file
from studienav.registry.models import Study, StudyVersion
from studienav.registry.selectors import studies_needing_attention
from studienav.registry.services import study_import_note_resolve
from tests.registry.test_importers import v2_study, write_page

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]
OREBRO = {"facility": "Örebro University Hospital", "city": "Örebro", "country": "Sweden"}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def odd_file(tmp_path: Path) -> Path:
    study = v2_study("NCT09100001", OREBRO)
    study["protocolSection"]["eligibilityModule"]["minimumAge"] = "old enough"
    study["protocolSection"]["eligibilityModule"]["sex"] = "Sometimes"
    return write_page(tmp_path / "odd.json", study)


@pytest.fixture
def imported(odd_file: Path) -> Study:
    report = import_file(path=odd_file, publish=True)
    assert (report.created, report.flagged) == (1, 1), report.lines
    return Study.objects.get()


def _key(study: Study, field: str) -> str:
    return str(next(n["key"] for n in study.import_notes if n["field"] == field))


def test_coordinator_sees_what_to_check_on_the_study_page(
    client: Client, signed_in: SignIn, bertil: User, imported: Study
) -> None:
    signed_in(client, bertil)
    page = client.get(reverse("registry:study", args=[imported.pk])).content.decode()
    assert "To check after import" in page
    assert "&#x27;old enough&#x27; is not an age (for example 18 Years)" in page
    assert "Mark as checked" in page


def test_the_notes_are_not_part_of_the_public_record(imported: Study) -> None:
    (version,) = StudyVersion.objects.filter(study=imported)
    assert "import_notes" not in version.data
    assert "old enough" not in str(version.data)


def test_the_attention_list_counts_the_studies_notes(
    client: Client, signed_in: SignIn, bertil: User, imported: Study
) -> None:
    assert list(studies_needing_attention(bertil)) == [imported]
    signed_in(client, bertil)
    page = client.get(reverse("registry:queue")).content.decode()
    assert "2 things to check after import" in page


def test_coordinator_marks_a_note_checked_and_it_is_audited(
    client: Client, signed_in: SignIn, bertil: User, imported: Study
) -> None:
    signed_in(client, bertil)
    url = reverse("registry:study_resolve_note", args=[imported.pk])
    response = client.post(url, {"key": _key(imported, "min_age_years")})
    assert response.status_code == 302
    imported.refresh_from_db()
    assert imported.import_notes_open == 1
    event = AuditEvent.objects.get(action="study.import_note_resolve")
    assert event.actor == bertil
    client.post(url, {"key": _key(imported, "sex")})
    imported.refresh_from_db()
    assert imported.import_notes_open == 0
    assert imported not in studies_needing_attention(bertil)


def test_a_checked_note_stays_checked_when_the_same_file_comes_again(
    bertil: User, imported: Study, odd_file: Path
) -> None:
    study_import_note_resolve(study=imported, key=_key(imported, "sex"), by=bertil)
    events = AuditEvent.objects.count()
    again = import_file(path=odd_file)
    assert (again.unchanged, again.updated) == (1, 0)
    assert AuditEvent.objects.count() == events
    imported.refresh_from_db()
    assert imported.import_notes_open == 1


def test_a_researcher_cannot_mark_notes_checked(
    client: Client, signed_in: SignIn, anna: User, imported: Study
) -> None:
    imported.editors.add(anna)
    signed_in(client, anna)
    url = reverse("registry:study_resolve_note", args=[imported.pk])
    assert client.post(url, {"key": _key(imported, "sex")}).status_code == 403
    with pytest.raises(PermissionDenied):
        study_import_note_resolve(study=imported, key=_key(imported, "sex"), by=anna)
    imported.refresh_from_db()
    assert imported.import_notes_open == 2


def test_a_note_checked_already_is_refused_clearly(
    client: Client, signed_in: SignIn, bertil: User, imported: Study
) -> None:
    key = _key(imported, "sex")
    study_import_note_resolve(study=imported, key=key, by=bertil)
    with pytest.raises(ValidationFailed):
        study_import_note_resolve(study=imported, key=key, by=bertil)
    signed_in(client, bertil)
    url = reverse("registry:study_resolve_note", args=[imported.pk])
    response = client.post(url, {"key": key})
    assert response.status_code == 422
    assert "already handled" in response.content.decode()


def test_notes_from_another_source_stay_when_one_source_is_imported_again(
    imported: Study, tmp_path: Path, settings: Any
) -> None:
    # A spreadsheet row for the same study (same NCT) with an odd phase of its own.
    path = tmp_path / "rows.csv"
    path.write_text(
        "Titel;NCT-nummer;Studietyp;Sponsortyp;Fas\n"
        "Läkemedel vid alkoholberoende;NCT09100001;Läkemedelsprövning;Industri;Fas 9\n",
        encoding="utf-8",
    )
    report = import_file(path=path)
    assert (report.updated, report.flagged) == (1, 1), report.lines
    imported.refresh_from_db()
    assert sorted(n["source"] for n in imported.import_notes) == ["ctgov", "ctgov", "spreadsheet"]
