"""Which language a record's one-language texts are written in, for the `lang` attribute."""

from __future__ import annotations

from studienav.portal.presentation import record_language, text_language
from studienav.registry.models import Study


def test_english_criteria_are_told_from_swedish_ones() -> None:
    assert text_language("Adults aged 18 or older with the disease and able to consent") == "en"
    assert text_language("Vuxna med diagnosen som kan ge samtycke och är över 18 år") == "sv"


def test_too_few_words_to_tell_say_nothing() -> None:
    assert text_language("HbA1c > 48 mmol/mol") == ""


def test_a_swedish_record_with_english_criteria_marks_them_english() -> None:
    study = Study(
        source="manual",
        summary_sv="En studie av ett nytt läkemedel.",
        summary_en="A study of a new drug.",
        inclusion_criteria="Patients aged 18 years or older with the condition",
        exclusion_criteria="Pregnancy or any other trial within the last 30 days",
    )
    assert record_language(study) == "en"


def test_a_record_with_swedish_criteria_stays_swedish() -> None:
    study = Study(
        source="manual",
        summary_sv="En studie.",
        inclusion_criteria="Ålder 18 år eller äldre och diagnos som ska bekräftas",
    )
    assert record_language(study) == "sv"
