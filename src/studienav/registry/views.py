"""Staff pages of the registry: thin views over the services and selectors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from studienav.core.access import staff_required
from studienav.registry.selectors import pending_change, studies_visible_to


@require_GET
@staff_required
def study_detail(request: HttpRequest, pk: int) -> HttpResponse:
    study = get_object_or_404(studies_visible_to(request.user), pk=pk)
    context = {"study": study, "pending": pending_change(study)}
    return render(request, "registry/study_detail.html", context)
