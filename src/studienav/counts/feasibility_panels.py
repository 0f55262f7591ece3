"""What patient counts add to a study request's pages (found by feasibility by name): the
protected answers of the count questions it carries, and their lines in the compiled answer."""

from __future__ import annotations

from typing import Any

from studienav.core.models import User
from studienav.counts.results import count_answer_lines, study_request_count_answers
from studienav.feasibility.models import StudyRequest


def request_panel(user: User, study_request: StudyRequest) -> dict[str, Any] | None:
    """The panel for the request's page, or None when it carries no count question."""
    questions = study_request_count_answers(user, study_request)
    if not questions:
        return None
    return {"template": "counts/_request_answers.html", "count_questions": questions}


def answer_lines(study_request: StudyRequest) -> list[str]:
    """Lines for the draft of the compiled answer to the sponsor."""
    return count_answer_lines(study_request)
