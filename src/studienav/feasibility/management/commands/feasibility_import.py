"""`studienav feasibility-import FILE --by EMAIL`: register a request from a JSON document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studienav.core.errors import DomainError
from studienav.core.models import Organisation, User
from studienav.feasibility.exchange import RequestDocument, document_parse, request_data_from_record
from studienav.feasibility.models import RequestChannel
from studienav.feasibility.services import request_register


class Command(BaseCommand):
    help = "Register a study request from a studienav.feasibility/1 JSON document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--by", required=True, help="e-mail of the node office person")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        by = User.objects.filter(email__iexact=options["by"]).first()
        if by is None:
            raise CommandError(f"--by: no person with e-mail {options['by']!r}")
        try:
            document = document_parse(path.read_bytes())
            if not isinstance(document, RequestDocument):
                raise CommandError(f"{path}: kind: only request documents are imported")
            record = document.request
            organisation = Organisation.objects.filter(
                name__iexact=record.sponsor.name, country=record.sponsor.country
            ).first()
            if organisation is None:
                raise CommandError(
                    f"{path}: request.sponsor.name: no organisation named "
                    f"{record.sponsor.name!r}; add it in the people and organisations pages first"
                )
            request = request_register(
                by=by,
                organisation=organisation,
                channel=RequestChannel.NATIONAL,
                data=request_data_from_record(record),
                received_at=record.received_at,
                reference=record.reference,
            )
        except DomainError as error:
            raise CommandError(f"{path}: {error.field}: {error.message}") from error
        self.stdout.write(f"{request.reference} registered")
