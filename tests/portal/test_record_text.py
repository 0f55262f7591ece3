"""A registry's texts on the study page: Markdown read as written, English marked as English,
a foreign site with its town and country."""

from __future__ import annotations

import pytest
from django.test import Client

from studienav.portal.markup import criteria_html, record_text_html
from tests.search.conftest import StudyMaker

pytestmark = pytest.mark.django_db

# As the importers keep a criteria text: one criterion a paragraph, API v2's escapes kept.
CTGOV_CRITERIA = (
    "Main criteria:\n\nAge \\>= 18 years\n\nHbA1c \\<126 mg/dl \\& stable\n\n"
    "Patients with *severe* disease"
)


def test_ctgov_escapes_and_lists_read_as_written() -> None:
    html = record_text_html("* Age \\>= 18 years\n* HbA1c \\<126\n\nWith *severe* disease")
    assert "<li>Age &gt;= 18 years</li>" in html
    assert "\\" not in html
    assert "<em>severe</em>" in html


def test_criteria_paragraphs_become_a_list_under_their_heading() -> None:
    html = criteria_html(CTGOV_CRITERIA)
    assert html.startswith("<p>Main criteria:</p><ul><li>Age &gt;= 18 years</li>")
    assert "<li>HbA1c &lt;126 mg/dl &amp; stable</li>" in html


def test_raw_html_headings_and_images_stay_text() -> None:
    html = record_text_html("<script>alert(1)</script>\n\n# Big\n\n![x](http://example.org/x.png)")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<h1>" not in html and "<img" not in html


def test_swedish_page_marks_an_english_registry_record_as_english(
    client: Client, make_study: StudyMaker
) -> None:
    study = make_study(
        source="ctgov",
        public_title="Insulin pump in adults",
        public_title_en="Insulin pump in adults",
        summary_sv="",
        summary_en="Brief summary.",
        inclusion_criteria=CTGOV_CRITERIA,
        exclusion_criteria="Pregnancy",
        conditions=[{"name": "Diabetes Mellitus, Type 1"}],
        interventions=[{"type": "device", "name": "Pump", "description": "Closed loop"}],
    )
    text = client.get(f"/studies/{study.pk}/").content.decode()
    assert '<h1 lang="en">Insulin pump in adults</h1>' in text
    assert '<span lang="en">Diabetes Mellitus, Type 1</span>' in text
    assert '<span lang="en">Pump</span>' in text
    assert '<div class="record-text" lang="en"><p>Main criteria:</p><ul><li>Age &gt;= 18' in text
    assert "\\&gt;" not in text and "\\&lt;" not in text
    english = client.get(f"/en/studies/{study.pk}/").content.decode()
    assert 'lang="en"' not in english.split("<main", 1)[1]


def test_foreign_site_shows_its_town_and_country(client: Client, make_study: StudyMaker) -> None:
    study = make_study(
        sites=[
            {
                "organisation": "As0006 101",
                "city": "Palm Desert",
                "country": "US",
                "recruitment_status": "recruiting",
            }
        ]
    )
    text = client.get(f"/studies/{study.pk}/").content.decode()
    assert "Palm Desert, USA" in text
    assert "Palm Desert, United States" in client.get(f"/en/studies/{study.pk}/").content.decode()
