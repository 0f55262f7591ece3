"""The edge of the open API and the FHIR facade: CORS for reads, rate limit, conditional GET.

`ApiEdgeMiddleware` sits in MIDDLEWARE after CommonMiddleware.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe
from django.utils.translation import gettext as _

PREFIXES = ("/api/", "/fhir/")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
WINDOW_SECONDS = 60

View = Callable[..., HttpResponseBase]


def _client(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def rate_limited(request: HttpRequest) -> int | None:
    """Seconds until the client may ask again when over `API_RATE_LIMIT` a minute, else None."""
    limit = int(getattr(settings, "API_RATE_LIMIT", 600))
    if limit <= 0:
        return None
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{_client(request)}:{window}"
    cache.add(key, 0, WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS + 5)
        count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    detail = _("Too many requests from this address; try again in %(seconds)s seconds.") % {
        "seconds": retry_after
    }
    if request.path.startswith("/fhir/"):
        body: dict[str, Any] = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "throttled", "diagnostics": detail}],
        }
        content_type = "application/fhir+json"
    else:
        body = {
            "type": "about:blank",
            "title": _("Too many requests"),
            "status": 429,
            "detail": detail,
            "errors": [],
        }
        content_type = "application/problem+json"
    response = HttpResponse(json.dumps(body), status=429, content_type=content_type)
    response["Retry-After"] = str(retry_after)
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


def _handle(
    request: HttpRequest, get_response: View, *args: Any, **kwargs: Any
) -> HttpResponseBase:
    retry_after = rate_limited(request)
    if retry_after is not None:
        return _cors(_too_many(request, retry_after))
    if request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
        return _cors(_preflight())
    head = request.method == "HEAD"
    if head:  # answered like GET, without the body
        request.method = "GET"
    response = get_response(request, *args, **kwargs)
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
    """CORS, rate limit and conditional GET for every request under /api/ and /fhir/."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith(PREFIXES):
            return self.get_response(request)
        return _handle(request, self.get_response)
