"""`studienav feasibility-import FILE --by EMAIL`: register a request or record an answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studienav.core.errors import DomainError
from studienav.core.models import User
from studienav.feasibility.exchange import (
    MAX_BYTES,
    AnswerDocument,
    RequestDocument,
    document_parse,
    too_large,
)
from studienav.feasibility.services import answer_import, request_import


class Command(BaseCommand):
    help = (
        "Import a studienav.feasibility/1 JSON document: register a request, or record the "
        "compiled answer of a known request (importing the same answer again changes nothing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--by", required=True, help="e-mail of the node office person")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        by = User.objects.filter(email__iexact=options["by"]).first()
        if by is None:
            raise CommandError(f"--by: no person with e-mail {options['by']!r}")
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(f"{path}: {too_large().message}")
            text = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        try:
            document = document_parse(text)
            if isinstance(document, AnswerDocument):
                self._answer(document, by)
            else:
                self._request(document, by)
        except DomainError as error:
            raise CommandError(f"{path}: {error.field or ''}: {error.message}") from error

    def _answer(self, document: AnswerDocument, by: User) -> None:
        result = answer_import(by=by, record=document.answer)
        if result.changed:
            changed = ", ".join(result.changed)
            self.stdout.write(f"{result.request.reference}: answer recorded ({changed})")
        else:
            self.stdout.write(f"{result.request.reference}: unchanged, already recorded")

    def _request(self, document: RequestDocument, by: User) -> None:
        request = request_import(by=by, record=document.request)
        self.stdout.write(f"{request.reference} registered")
