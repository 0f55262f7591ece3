"""Staff dashboard panels and the report page: each for the right person only."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from studienav.core.models import User
from studienav.network.dashboard import dashboard_panels


def test_a_course_leader_sees_the_sessions_panel(lena: User) -> None:
    titles = [panel["title"] for panel in dashboard_panels(lena)]
    assert "Kurstillfällen" in titles or "Course sessions" in titles


def test_a_researcher_without_networks_gets_no_panels(anna: User) -> None:
    assert dashboard_panels(anna) == []


def test_the_report_page_is_for_node_office_only(
    client: Client, signed_in: Any, bertil: User, cecilia: User
) -> None:
    signed_in(client, bertil)
    assert client.get(reverse("network:report")).status_code == 403
    signed_in(client, cecilia)
    response = client.get(reverse("network:report") + "?year=2025&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="activity-report-2025.xlsx"'


def test_a_course_leader_cannot_open_the_library_admin(
    client: Client, signed_in: Any, lena: User
) -> None:
    signed_in(client, lena)
    assert client.get(reverse("network:document_new")).status_code == 403


def test_a_course_leader_plans_a_session_and_leads_it(
    client: Client, signed_in: Any, lena: User
) -> None:
    from studienav.network.models import CourseSession
    from tests.network.factories import CourseFactory

    course = CourseFactory.create()
    signed_in(client, lena)
    data = {
        "course": course.pk,
        "starts_at": "2025-04-10T09:00",
        "ends_at": "2025-04-10T16:00",
        "place": "",
        "language": "sv",
        "seats": "20",
    }
    response = client.post(reverse("network:session_new"), data)
    assert response.status_code == 422
    assert "Give the place, or tick online." in response.content.decode() or (
        "Ange plats" in response.content.decode()
    )
    response = client.post(reverse("network:session_new"), {**data, "is_online": "on"})
    assert response.status_code == 302
    assert CourseSession.objects.get().leader == lena


def test_a_wrong_file_is_named_on_the_upload_form(
    client: Client, signed_in: Any, cecilia: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed_in(client, cecilia)
    response = client.post(
        reverse("network:document_new"),
        {
            "title": "Mall",
            "topic": "agreements",
            "language": "sv",
            "owner": cecilia.pk,
            "review_on": "2026-01-01",
            "visibility": "public",
            "file": SimpleUploadedFile("mall.pdf", b"not really a pdf"),
        },
    )
    assert response.status_code == 422
    assert "DOCX" in response.content.decode()


def test_node_office_adds_a_gcp_course_only_with_its_validity(
    client: Client, signed_in: Any, cecilia: User, lena: User
) -> None:
    from studienav.network.models import Course

    data = {"kind": "gcp_refresher", "name": "GCP repetition", "name_en": "GCP refresher"}
    signed_in(client, lena)
    assert client.post(reverse("network:course_new"), data).status_code == 403
    signed_in(client, cecilia)
    response = client.post(reverse("network:course_new"), data)
    assert response.status_code == 422
    assert (
        client.post(reverse("network:course_new"), {**data, "validity_months": "36"}).status_code
        == 302
    )
    assert Course.objects.get().validity_months == 36
