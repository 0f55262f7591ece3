"""What the count pages and the CSV show: each region's protected answer, the total of the
protected answers, the officer's log in plain language, and the concept finder's matches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from studienav.core.errors import DomainError
from studienav.core.selectors import node_regions
from studienav.counts.definition import definition_describe, definition_parse
from studienav.counts.models import AnswerStatus, CountQuestion, FederatedQuestion, RegionAnswer


@dataclass(frozen=True)
class Total:
    """The sum of the regions' protected answers (never an exact count), and what it leaves out."""

    value: int
    hidden: int  # regions answering "fewer than 11"
    waiting: int
    refused: int


def total_of(answers: list[RegionAnswer]) -> Total:
    return Total(
        value=sum(a.value or 0 for a in answers if a.status == AnswerStatus.ANSWERED),
        hidden=sum(
            1 for a in answers if a.status == AnswerStatus.ANSWERED and a.value is None and a.shown
        ),
        waiting=sum(1 for a in answers if a.status == AnswerStatus.WAITING),
        refused=sum(1 for a in answers if a.status == AnswerStatus.REFUSED),
    )


def shown_text(shown: str) -> str:
    """A hidden count in words: "<11" becomes "fewer than 11"."""
    if shown.startswith("<"):
        return _("fewer than %(n)s") % {"n": shown[1:]}
    return shown


def question_context(question: FederatedQuestion) -> dict[str, Any]:
    answers = list(question.answers.select_related("region"))
    content = question.version.content
    return {
        "question": question,
        "answers": answers,
        "rows": [
            {
                "answer": a,
                "shown": shown_text(a.shown),
                "attrition": [(n, shown_text(str(s))) for n, s in a.attrition],
            }
            for a in answers
        ],
        "total": total_of(answers),
        "description": definition_describe(definition_parse(content)),
    }


def question_rows(question: FederatedQuestion) -> list[list[Any]]:
    """The CSV: one row per region, then the total of the protected answers."""
    answers = list(question.answers.select_related("region"))
    rows: list[list[Any]] = [
        [
            _("Region code"),
            _("Region"),
            _("Status"),
            _("Protected count"),
            _("Rule"),
            _("Protection"),
            _("Answered"),
        ]
    ]
    for answer in answers:
        rows.append(
            [
                answer.region.code,
                answer.region.short_name,
                answer.get_status_display(),
                answer.shown,
                answer.get_rule_display() if answer.rule else "",
                answer.get_mode_display() if answer.mode else "",
                answer.answered_at.isoformat() if answer.answered_at else "",
            ]
        )
    total = total_of(answers)
    rows.append(["", _("Total of the protected answers"), "", total.value, "", "", ""])
    return rows


def log_rows(log: list[CountQuestion]) -> list[dict[str, Any]]:
    """The officer's log: each question with its definition in plain language."""
    rows = []
    for question in log:
        try:
            description = definition_describe(definition_parse(question.content))
        except DomainError:
            description = []
        rows.append(
            {
                "question": question,
                "shown": shown_text(question.shown_total),
                "description": description,
            }
        )
    return rows


def vocabulary_region() -> str | None:
    """A region whose store this installation holds, to search its vocabulary."""
    from studienav.counts.store import store_path

    for region in node_regions():
        if (store_path(region=region.code) / "concept.parquet").exists():
            return region.code
    return None


def concept_search(search: Any) -> dict[str, Any]:
    """Matches for the concept finder, or why there are none."""
    from studienav.counts.engines import concepts_find

    if not search.is_bound or not search.is_valid():
        return {"matches": [], "searched": False, "no_vocabulary": False}
    region = vocabulary_region()
    if region is None:
        return {"matches": [], "searched": True, "no_vocabulary": True}
    try:
        matches = concepts_find(region=region, text=search.cleaned_data["q"], limit=25)
    except DomainError:
        matches = []
    return {"matches": matches, "searched": True, "no_vocabulary": False}


class ConceptUnknown(DomainError):
    """A concept chosen for the builder is not in the vocabulary this installation holds."""

    default_code = "concept_unknown"


def concept_for_builder(concept_id: int) -> Any:
    """The vocabulary's concept for a builder row (a `ConceptMatch`), or ConceptUnknown."""
    from studienav.counts.concepts import concept_get

    region = vocabulary_region()
    if region is None:
        raise ConceptUnknown(
            code="no_vocabulary",
            message=_("No vocabulary is loaded on this installation: type the concept ids."),
        )
    match = concept_get(region=region, concept_id=concept_id)
    if match is None:
        raise ConceptUnknown(
            message=_("Concept %(id)s is not in the vocabulary.") % {"id": concept_id}
        )
    return match


def study_request_count_answers(user: Any, study_request: Any) -> list[dict[str, Any]]:
    """For the study request's panel (`feasibility_panels.py`): each count question it
    carries with each region's protected answer and the total."""
    from studienav.counts.selectors import study_request_answers

    return [question_context(q) for q in study_request_answers(user, study_request)]


def count_answer_lines(study_request: Any) -> list[str]:
    """Lines for the compiled feasibility answer: per question, each answered region's
    protected count and the total of the protected answers."""
    lines = []
    for question in study_request.count_questions.select_related("version__definition"):
        answers = list(question.answers.select_related("region"))
        parts = [
            f"{a.region.short_name} {shown_text(a.shown)}"
            for a in answers
            if a.status == AnswerStatus.ANSWERED
        ]
        total = total_of(answers)
        lines.append(
            _(
                "Patient counts for “%(title)s” (protected): %(regions)s; "
                "total of the protected answers %(total)s."
            )
            % {
                "title": question.version.definition.title,
                "regions": ", ".join(parts) or "—",
                "total": total.value,
            }
        )
    return lines
