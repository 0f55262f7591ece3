"""The edge of the open API and the FHIR facade: CORS for reads, rate limit, conditional GET,
the answers about published studies kept whole in the shared cache, and every failure (a
method not taken, an unexpected error) answered as a problem a machine reads, never a page.

`ApiEdgeMiddleware` sits in MIDDLEWARE after CommonMiddleware (and LocaleMiddleware).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe
from django.utils.log import log_response
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from studienav.core.clients import open_data_rate_limited
from studienav.search.answers import answers_kept_seconds, kept_key

PREFIXES = ("/api/", "/fhir/")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# Searches, studies and their histories: what only a change to a published study changes, and
# every such change gives the search index a new generation (`studienav.search.answers`). The
# bulk streams are not kept.
KEPT = re.compile(r"^/api/v1/studies(?:/[^/]+(?:/history)?)?$")
_NOT_KEPT_HEADERS = frozenset({"vary", "set-cookie"})
# FHIR's issue codes for the failures answered here.
_FHIR_CODES = {405: "not-supported", 429: "throttled", 500: "exception"}

View = Callable[..., HttpResponseBase]


def edge_problem(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    """A failure as the part of the site asked speaks it: an OperationOutcome under /fhir/,
    otherwise `application/problem+json` (RFC 9457)."""
    if request.path.startswith("/fhir/"):
        body: dict[str, Any] = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": _FHIR_CODES.get(status, "processing"),
                    "diagnostics": detail,
                }
            ],
        }
        content_type = "application/fhir+json"
    else:
        body = {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "errors": [],
        }
        content_type = "application/problem+json"
    return HttpResponse(json.dumps(body), status=status, content_type=content_type)


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    detail = _("Too many requests from this address; try again in %(seconds)s seconds.") % {
        "seconds": retry_after
    }
    response = edge_problem(request, 429, _("Too many requests"), detail)
    response["Retry-After"] = str(retry_after)
    return response


def _not_allowed(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """A 405 from a view (ninja's, or require_GET's) as a problem naming the methods taken."""
    if response.status_code != 405 or response.get("Content-Type", "").startswith(
        ("application/problem+json", "application/fhir+json")
    ):
        return response
    allowed = response.get("Allow", "")
    problem = edge_problem(
        request,
        405,
        _("Method not allowed"),
        _("This address answers only %(methods)s.") % {"methods": allowed or "GET"},
    )
    if allowed:
        problem["Allow"] = allowed
    return problem


def server_error(request: HttpRequest, error: Exception) -> HttpResponse:
    """An unexpected error as a problem without its details (they go to the log, with the
    request id), whether DEBUG is on or off."""
    response = edge_problem(
        request,
        500,
        _("Server error"),
        _("Something went wrong on our side and has been logged; try again later."),
    )
    log_response(
        "Internal Server Error: %s",
        request.path,
        response=response,
        request=request,
        exception=error,
    )
    return response


def _cors(response: HttpResponseBase) -> HttpResponseBase:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Retry-After, Link"
    return response


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
    response["Access-Control-Allow-Headers"] = (
        "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since"
    )
    response["Access-Control-Max-Age"] = "86400"
    return response


def _conditional(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.streaming or not isinstance(response, HttpResponse):
        return response
    if not response.has_header("ETag"):
        digest = hashlib.sha256(response.content).hexdigest()[:32]
        response["ETag"] = f'"{digest}"'
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    conditional = get_conditional_response(
        request, etag=response["ETag"], last_modified=last_modified, response=response
    )
    return conditional if conditional is not None else response


def _kept_key(request: HttpRequest) -> str | None:
    """Where the answer to this read is kept (by the index's generation, the language of its
    labels and the whole address), or None when it is not kept."""
    if request.method != "GET" or not KEPT.match(request.path) or not answers_kept_seconds():
        return None
    return kept_key("api", f"{get_language()} {request.get_full_path()}")


def _answered(request: HttpRequest, get_response: View) -> HttpResponseBase:
    """The view's answer, or the same answer kept from an identical earlier read."""
    key = _kept_key(request)
    kept = cache.get(key) if key else None
    if kept is not None:
        content, headers = kept
        replayed = HttpResponse(content)
        for name, value in headers:
            replayed[name] = value
        return replayed
    response = get_response(request)
    if (
        key
        and response.status_code == 200
        and isinstance(response, HttpResponse)
        and not response.streaming
        and not response.cookies
    ):
        headers = [(k, v) for k, v in response.items() if k.lower() not in _NOT_KEPT_HEADERS]
        cache.set(key, (response.content, headers), answers_kept_seconds())
    return response


def _handle(request: HttpRequest, get_response: View) -> HttpResponseBase:
    # One budget a client, the same as the Atom feed's and the CSV of a search.
    retry_after = open_data_rate_limited(request)
    if retry_after is not None:
        return _cors(_too_many(request, retry_after))
    if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
        return _cors(_preflight())
    head = request.method == "HEAD"
    if head:  # answered like GET, without the body
        request.method = "GET"
    response = _not_allowed(request, _answered(request, get_response))
    response = _conditional(request, response)
    if head:
        request.method = "HEAD"
        if isinstance(response, HttpResponse) and not response.streaming:
            response["Content-Length"] = str(len(response.content))
            response.content = b""
    if request.method in READ_METHODS:
        _cors(response)
    response.setdefault("Vary", "Accept-Encoding")
    return response


class ApiEdgeMiddleware:
    """The language asked for, CORS, rate limit, kept answers and conditional GET for every
    request under /api/ and /fhir/."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(PREFIXES):
            return self.get_response(request)
        # Outside the language prefixes LocaleMiddleware gives every address the default
        # language; a machine asks in its own with Accept-Language (Swedish when it does not).
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()
        return _handle(request, self.get_response)

    def process_exception(self, request: HttpRequest, error: Exception) -> HttpResponse | None:
        """A view's unexpected error under /api/ or /fhir/: a problem, never a page with a
        traceback. Not found is left to Django (the API's own views answer it themselves)."""
        if not request.path.startswith(PREFIXES) or isinstance(error, Http404):
            return None
        return server_error(request, error)
