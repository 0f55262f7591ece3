"""`studienav feasibility-export REFERENCE [--answer]`: a request or its answer as JSON."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studienav.core.errors import DomainError
from studienav.feasibility.exchange import answer_to_document, request_to_document
from studienav.feasibility.models import StudyRequest


class Command(BaseCommand):
    help = "Write a study request (or, with --answer, its compiled answer) as JSON to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference")
        parser.add_argument("--answer", action="store_true", help="export the compiled answer")

    def handle(self, *args: Any, **options: Any) -> None:
        request = StudyRequest.objects.filter(reference=options["reference"]).first()
        if request is None:
            raise CommandError(f"reference: no study request {options['reference']!r}")
        try:
            document = (
                answer_to_document(request) if options["answer"] else request_to_document(request)
            )
        except DomainError as error:
            raise CommandError(f"{error.field}: {error.message}") from error
        self.stdout.write(document.model_dump_json(indent=2))
