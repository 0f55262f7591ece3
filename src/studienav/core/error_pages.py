"""The site's own error pages (400, 403, 404, 500 and a refused form) in the visitor's language,
with the site's header and a search box; Django's default pages are never shown."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import requires_csrf_token

from studienav.core.context_processors import other_language

TEMPLATE = "errors/error.html"


@dataclass(frozen=True)
class ErrorPage:
    status: int
    title: str | Promise
    explanation: str | Promise


BAD_REQUEST = ErrorPage(
    400,
    _("The request was not valid"),
    _("The site could not understand the request. Check the address, or search for a study."),
)
TOO_LARGE = ErrorPage(
    413,
    _("What you sent is too large"),
    _(
        "A form takes at most 2.5 MB of text and a file at most 50 MB. Send less, or a smaller "
        "file."
    ),
)
FORBIDDEN = ErrorPage(
    403,
    _("You do not have access"),
    _(
        "This page needs a role you do not hold. If you think you should have access, "
        "ask the node office."
    ),
)
NOT_FOUND = ErrorPage(
    404,
    _("Page not found"),
    _(
        "There is no page at this address. The study may no longer be published, or the "
        "address may be mistyped. Search for a study instead."
    ),
)
SERVER_ERROR = ErrorPage(
    500,
    _("Something went wrong"),
    _(
        "An error on our side stopped the page. It has been logged and we will look into it. "
        "Try again in a moment."
    ),
)
FORM_REFUSED = ErrorPage(
    403,
    _("The form could not be sent"),
    _(
        "For your security the form is sent only with the code it was given when it was shown, "
        "and with cookies allowed for this site. Go back, reload the page and send the form "
        "again."
    ),
)


def _page(request: HttpRequest, error: ErrorPage) -> HttpResponse:
    return render(request, TEMPLATE, {"error": error}, status=error.status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # a body over the limits (settings.py)
        return _page(request, TOO_LARGE)
    return _page(request, BAD_REQUEST)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, FORBIDDEN)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, NOT_FOUND)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, FORM_REFUSED)


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without context processors: the database, the session or the user may be what
    failed, so the page reads none of them (it shows the site as to a visitor signed out)."""
    context = {"error": SERVER_ERROR, **other_language(request)}
    html = loader.get_template(TEMPLATE).render(context)
    return HttpResponse(html, status=SERVER_ERROR.status)
