"""The builder's steps: any number of criteria, concepts from the vocabulary into a row, ATLAS/
Circe definitions pasted, uploaded and converted (every unconverted part named), and export."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from studienav.core.models import Region, User
from studienav.counts import services
from studienav.counts.circe import definition_load
from studienav.counts.definition import definition_fingerprint, definition_parse
from studienav.counts.forms import MAX_ROWS
from studienav.counts.models import CohortDefinition, CohortVersion
from tests.counts.test_circe import OA_CELECOXIB

pytestmark = pytest.mark.django_db

SignIn = Callable[[Client, User], Client]
VIRAL_SINUSITIS = 40481087  # a standard SNOMED condition of the Eunomia vocabulary


def _post(rows: int | str = 1, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Osteoarthritis",
        "primary_domain": "observation_period",
        "descendants": "on",
        "prior_days": "0",
        "rows": str(rows),
        "note": "",
        "pasted": "",
    }
    data.update(fields)
    return data


def _criterion(row: int, label: str, concept: int = 80180) -> dict[str, str]:
    return {
        f"c{row}_side": "with",
        f"c{row}_domain": "condition",
        f"c{row}_concepts": str(concept),
        f"c{row}_label": label,
    }


@pytest.fixture
def coordinator(client: Client, bertil: User, signed_in: SignIn, english: None) -> Client:
    return signed_in(client, bertil)


# --- Rows ---


def test_add_a_criterion_shows_one_more_row_and_saves_nothing(coordinator: Client) -> None:
    response = coordinator.post(reverse("counts:build"), _post(action="add"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Criterion 2" in page
    assert 'name="c1_side"' in page
    assert not CohortDefinition.objects.exists()


def test_adding_keeps_what_was_typed(coordinator: Client) -> None:
    response = coordinator.post(
        reverse("counts:build"), _post(action="add", **_criterion(0, "Knee"))
    )
    assert 'value="Knee"' in response.content.decode()


def test_remove_a_criterion_moves_the_later_rows_up(coordinator: Client) -> None:
    data = _post(rows=3, action="remove-1")
    for row, label in enumerate(("First", "Second", "Third")):
        data.update(_criterion(row, label))
    page = coordinator.post(reverse("counts:build"), data).content.decode()
    assert 'value="First"' in page
    assert 'value="Second"' not in page
    assert 'id="id_c1_label" value="Third"' in page or (
        'value="Third"' in page and 'name="c1_label"' in page
    )
    assert 'name="c2_side"' not in page


def test_builder_saves_more_criteria_than_the_old_four_rows(coordinator: Client) -> None:
    data = _post(rows=6)
    for row in range(6):
        data.update(_criterion(row, f"Criterion {row}", 80180 + row))
    response = coordinator.post(reverse("counts:build"), data)
    assert response.status_code == 302
    assert len(CohortVersion.objects.get().content["inclusions"]) == 6


def test_adding_stops_at_the_most_criteria_a_definition_holds(coordinator: Client) -> None:
    response = coordinator.post(reverse("counts:build"), _post(rows=MAX_ROWS, action="add"))
    assert response.status_code == 422
    assert f"at most {MAX_ROWS} criteria" in response.content.decode()


def test_a_forged_row_count_is_kept_in_bounds(coordinator: Client) -> None:
    response = coordinator.post(reverse("counts:build"), _post(rows="100000", action="add"))
    assert response.status_code == 422
    assert f'name="c{MAX_ROWS}_side"' not in response.content.decode()


def test_an_unknown_step_saves_as_usual(coordinator: Client) -> None:
    response = coordinator.post(reverse("counts:build"), _post(action="drop-tables"))
    assert response.status_code == 302


def test_a_bad_window_names_the_criterion_and_field(coordinator: Client) -> None:
    data = _post(rows=2, **_criterion(0, "Knee"), **_criterion(1, "Hip"))
    data.update({"c1_start": "30", "c1_end": "0"})
    response = coordinator.post(reverse("counts:build"), data)
    assert response.status_code == 422
    assert "Criterion 2, From day: The first day is after the last day." in (
        response.content.decode()
    )
    assert not CohortDefinition.objects.exists()


def test_a_bad_field_is_named_in_swedish_too(
    client: Client, bertil: User, signed_in: SignIn
) -> None:
    signed_in(client, bertil)
    data = _post(rows=1, **_criterion(0, "Knä"))
    data["c0_icd10"] = "knä"
    with translation.override("sv"):
        response = client.post(reverse("counts:build"), data)
    page = response.content.decode()
    assert response.status_code == 422
    assert "Kriterium 1, ICD-10-koder: KNÄ är ingen ICD-10-kod" in page


def test_a_value_on_a_condition_is_named(coordinator: Client) -> None:
    data = _post(rows=1, **_criterion(0, "Knee"), c0_value_min="5")
    response = coordinator.post(reverse("counts:build"), data)
    assert "Criterion 1, Value from: Only measurements and observations have values." in (
        response.content.decode()
    )


# --- Concepts from the vocabulary ---


@pytest.fixture
def vocabulary(eunomia_store: str) -> str:
    return eunomia_store


def test_search_hits_in_the_builder_offer_to_add_a_criterion(
    coordinator: Client, vocabulary: str
) -> None:
    response = coordinator.get(
        reverse("counts:concepts"), {"q": "sinusitis", "builder": "1"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert f'value="concept-{VIRAL_SINUSITIS}"' in page
    assert 'form="definition-form"' in page


def test_search_page_of_its_own_offers_no_buttons_it_cannot_submit(
    coordinator: Client, vocabulary: str
) -> None:
    page = coordinator.get(reverse("counts:concepts"), {"q": "sinusitis", "builder": "1"})
    assert 'value="concept-' not in page.content.decode()


def test_a_found_concept_fills_the_empty_criterion_row(
    coordinator: Client, vocabulary: str
) -> None:
    data = _post(action=f"concept-{VIRAL_SINUSITIS}", q="sinusitis", c0_domain="condition")
    response = coordinator.post(reverse("counts:build"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'name="c0_concepts" value="{VIRAL_SINUSITIS}"' in page or (
        f'value="{VIRAL_SINUSITIS}"' in page
    )
    assert 'value="Viral sinusitis"' in page
    assert "Viral sinusitis" in page.split('id="concept-matches"')[1]  # the hits stay
    assert 'name="c1_side"' not in page


def test_a_second_concept_goes_into_a_row_of_its_own(coordinator: Client, vocabulary: str) -> None:
    data = _post(action=f"concept-{VIRAL_SINUSITIS}", **_criterion(0, "Knee"))
    page = coordinator.post(reverse("counts:build"), data).content.decode()
    assert 'name="c1_concepts"' in page
    assert 'value="Knee"' in page


def test_a_found_concept_can_be_the_index_event(coordinator: Client, vocabulary: str) -> None:
    data = _post(action=f"index-{VIRAL_SINUSITIS}")
    page = coordinator.post(reverse("counts:build"), data).content.decode()
    assert f'name="primary_concepts" value="{VIRAL_SINUSITIS}"' in page or (
        'id="id_primary_concepts"' in page and str(VIRAL_SINUSITIS) in page
    )
    assert '<option value="condition" selected>' in page


def test_an_unknown_concept_is_refused_clearly(coordinator: Client, vocabulary: str) -> None:
    response = coordinator.post(reverse("counts:build"), _post(action="concept-999999999"))
    assert response.status_code == 422
    assert "Concept 999999999 is not in the vocabulary." in response.content.decode()


def test_a_concept_without_a_vocabulary_is_refused_clearly(
    coordinator: Client, settings: Any, tmp_path: Any
) -> None:
    settings.COUNTS_DATA_DIR = tmp_path
    response = coordinator.post(reverse("counts:build"), _post(action="concept-4329847"))
    assert response.status_code == 422
    assert "No vocabulary is loaded" in response.content.decode()


# --- ATLAS/Circe ---


def test_a_pasted_circe_definition_is_converted_and_saved(coordinator: Client) -> None:
    response = coordinator.post(reverse("counts:build"), _post(pasted=json.dumps(OA_CELECOXIB)))
    assert response.status_code == 302
    version = CohortVersion.objects.get()
    expected = definition_load(OA_CELECOXIB).definition
    assert version.fingerprint == definition_fingerprint(expected)
    assert version.note == "Imported from ATLAS/Circe."


def test_an_uploaded_circe_file_is_converted(coordinator: Client) -> None:
    upload = SimpleUploadedFile(
        "cohort.json", json.dumps(OA_CELECOXIB).encode(), content_type="application/json"
    )
    response = coordinator.post(reverse("counts:build"), {**_post(), "upload": upload})
    assert response.status_code == 302
    assert CohortVersion.objects.get().content["primary"]["source"] == "era"


def test_convert_shows_the_result_and_keeps_eras_whole_in_the_paste_box(
    coordinator: Client,
) -> None:
    response = coordinator.post(
        reverse("counts:build"), _post(action="convert", pasted=json.dumps(OA_CELECOXIB))
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Converted from ATLAS/Circe" in page
    assert "CollapseSettings does not change who is counted and is ignored." in page
    assert "kept whole in the paste box" in page
    assert "&quot;era&quot;" in page  # our JSON, in the paste box
    assert not CohortDefinition.objects.exists()


def test_convert_fills_the_fields_when_they_hold_the_definition(coordinator: Client) -> None:
    circe = json.loads(json.dumps(OA_CELECOXIB))
    circe["PrimaryCriteria"]["CriteriaList"] = [{"ConditionOccurrence": {"CodesetId": 0}}]
    circe["InclusionRules"] = circe["InclusionRules"][:1]
    page = coordinator.post(
        reverse("counts:build"), _post(action="convert", pasted=json.dumps(circe))
    ).content.decode()
    assert "The fields below now hold the definition." in page
    assert 'value="80180"' in page
    assert 'name="age_min" value="40"' in page or 'value="40"' in page


def test_every_unconverted_circe_part_is_named_and_the_text_kept(coordinator: Client) -> None:
    circe = json.loads(json.dumps(OA_CELECOXIB))
    rule = circe["InclusionRules"][1]["expression"]
    rule["CriteriaList"][0]["RestrictVisit"] = True
    rule["Groups"] = [{"Type": "ANY"}]
    response = coordinator.post(reverse("counts:build"), _post(pasted=json.dumps(circe)))
    page = response.content.decode()
    assert response.status_code == 422
    assert "InclusionRules.1.expression.Groups: nested groups" in page
    assert "InclusionRules.1.expression.CriteriaList.0.RestrictVisit" in page
    assert "RestrictVisit&quot;: true" in page  # the pasted text stays as it was
    assert not CohortDefinition.objects.exists()


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ('{"PrimaryCriteria": ', "The definition is not valid JSON"),
        ("[" * 40 + "]" * 40, "The definition nests deeper than 32 levels."),
        ('{"x": "' + "a" * 300_000 + '"}', "The definition is larger than 256 kB."),
        ("[1, 2]", "The definition must be a JSON object."),
        ('{"ConceptSets": [1]}', "The ATLAS/Circe definition is malformed"),
    ],
    ids=["malformed", "too-deep", "too-big", "not-an-object", "malformed-circe"],
)
@pytest.mark.parametrize("action", ["save", "convert"])
def test_bad_definition_text_gets_a_clear_error(
    coordinator: Client, pasted: str, message: str, action: str
) -> None:
    response = coordinator.post(reverse("counts:build"), _post(action=action, pasted=pasted))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not CohortDefinition.objects.exists()


def test_a_circe_expression_text_nested_too_deep_is_refused(coordinator: Client) -> None:
    pasted = json.dumps({"expression": "[" * 40 + "]" * 40})
    response = coordinator.post(reverse("counts:build"), _post(pasted=pasted))
    assert response.status_code == 422
    assert "nested deeper than 32 levels" in response.content.decode()


def test_an_upload_that_is_not_text_is_refused(coordinator: Client) -> None:
    upload = SimpleUploadedFile("cohort.json", b"\xff\xfe\x00{", content_type="application/json")
    response = coordinator.post(reverse("counts:build"), {**_post(), "upload": upload})
    assert response.status_code == 422
    assert "The file is not UTF-8 text." in response.content.decode()


def test_an_upload_too_big_is_refused(coordinator: Client) -> None:
    upload = SimpleUploadedFile("cohort.json", b" " * 300_000, content_type="application/json")
    response = coordinator.post(reverse("counts:build"), {**_post(), "upload": upload})
    assert response.status_code == 422
    assert "The file is larger than 256 kB." in response.content.decode()


def test_convert_without_a_definition_asks_for_one(coordinator: Client) -> None:
    response = coordinator.post(reverse("counts:build"), _post(action="convert"))
    assert response.status_code == 422
    assert "Paste or upload a definition to convert." in response.content.decode()


# --- Export and editing ---


def test_a_definition_exports_as_circe_json_that_reads_back_the_same(
    coordinator: Client, bertil: User, orebro: Region
) -> None:
    content = definition_load(OA_CELECOXIB).definition.model_dump(mode="json")
    definition = services.definition_create(
        by=bertil, title="OA", content=content, regions=[orebro]
    )
    response = coordinator.get(reverse("counts:circe", args=[definition.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    again = definition_load(json.loads(response.content)).definition
    assert definition_fingerprint(again) == definition_fingerprint(definition_parse(content))


def test_a_definition_with_icd10_codes_is_not_exported_and_says_why(
    coordinator: Client, bertil: User, orebro: Region
) -> None:
    content = {"primary": {"domain": "condition", "concepts": {"icd10_codes": ["E11"]}}}
    definition = services.definition_create(
        by=bertil, title="T2D", content=content, regions=[orebro]
    )
    response = coordinator.get(reverse("counts:circe", args=[definition.pk]), follow=True)
    assert "cannot be exported for ATLAS" in response.content.decode()


def test_another_researcher_cannot_export_the_definition(
    client: Client, anna: User, bertil: User, orebro: Region, signed_in: SignIn
) -> None:
    definition = services.definition_create(
        by=bertil, title="OA", content={"title": "OA"}, regions=[orebro]
    )
    signed_in(client, anna)
    assert client.get(reverse("counts:circe", args=[definition.pk])).status_code == 404


def test_editing_keeps_what_the_fields_cannot_hold_in_the_paste_box(
    coordinator: Client, bertil: User, orebro: Region
) -> None:
    content = definition_load(OA_CELECOXIB).definition.model_dump(mode="json")
    definition = services.definition_create(
        by=bertil, title="OA", content=content, regions=[orebro]
    )
    page = coordinator.get(reverse("counts:edit", args=[definition.pk])).content.decode()
    assert "&quot;era&quot;" in page


def test_editing_shows_every_criterion_in_the_fields(
    coordinator: Client, bertil: User, orebro: Region
) -> None:
    content = {
        "title": "Many",
        "inclusions": [
            {"domain": "condition", "concepts": {"concept_ids": [80180 + n]}, "label": f"C{n}"}
            for n in range(6)
        ],
    }
    definition = services.definition_create(
        by=bertil, title="Many", content=content, regions=[orebro]
    )
    page = coordinator.get(reverse("counts:edit", args=[definition.pk])).content.decode()
    assert 'value="C5"' in page
    assert "Criterion 6" in page
    assert "&quot;inclusions&quot;" not in page


def test_the_converter_names_every_part_it_cannot_convert() -> None:
    from studienav.counts.circe import CirceUnsupported

    circe = json.loads(json.dumps(OA_CELECOXIB))
    circe["ConceptSets"][1]["expression"]["items"][0]["includeMapped"] = True
    circe["PrimaryCriteria"]["PrimaryCriteriaLimit"] = {"Type": "All"}
    with pytest.raises(CirceUnsupported) as raised:
        definition_load(circe)
    assert [part.split(":")[0] for part in raised.value.parts] == [
        "ConceptSets.1.items.0.includeMapped",
        "PrimaryCriteria.PrimaryCriteriaLimit",
    ]


def test_definition_page_states_the_rule_a_count_follows(
    coordinator: Client, bertil: User, orebro: Region
) -> None:
    from django.utils.html import escape

    from studienav.counts.compiler import OBSERVATION_RULE

    definition = services.definition_create(
        by=bertil, title="OA", content={"title": "OA"}, regions=[orebro]
    )
    page = coordinator.get(definition.get_absolute_url()).content.decode()
    assert escape(str(OBSERVATION_RULE)) in page
    assert reverse("counts:circe", args=[definition.pk]) in page
