"""Staff pages for running the node: the e-mail outbox and the scheduled jobs."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from studienav.core import outbox as outbox_services
from studienav.core.access import role_required
from studienav.core.errors import DomainError
from studienav.core.jobs import jobs_status
from studienav.core.models import Role, User

OUTBOX_PAGE_SIZE = 200


@require_GET
@role_required(Role.ADMINISTRATOR)
def outbox(request: HttpRequest) -> HttpResponse:
    unsent = outbox_services.outbox_for_staff().defer("body")
    stuck_after = settings.EMAIL_OUTBOX_STUCK_ATTEMPTS
    rows = [
        {
            "message": message,
            "recipient": outbox_services.address_masked(message.to),
            "is_stuck": message.attempts >= stuck_after,
        }
        for message in unsent[:OUTBOX_PAGE_SIZE]
    ]
    context = {
        "rows": rows,
        "unsent": unsent.count(),
        "stuck": outbox_services.outbox_stuck().count(),
        "stuck_after": stuck_after,
    }
    return render(request, "core/outbox.html", context)


@require_POST
@role_required(Role.ADMINISTRATOR)
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)
    message = get_object_or_404(outbox_services.outbox_unsent(), pk=pk)
    try:
        outbox_services.outbox_retry(message=message, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The e-mail will be sent within a minute."))
    return redirect("core:outbox")


@require_GET
@role_required(Role.ADMINISTRATOR)
def jobs(request: HttpRequest) -> HttpResponse:
    return render(request, "core/jobs.html", {"statuses": jobs_status()})
