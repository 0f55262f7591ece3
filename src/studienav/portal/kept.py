"""Public pages kept whole in the shared cache for visitors who are not signed in.

A page for the public (start, results, study) is the same for every anonymous visitor, and
changes only when the search index does: every change to a published study writes the index
(`studienav.search.index`), which gives it a new generation when the change commits. A page
is kept under the generation it was rendered in, with the search answers
(`studienav.search.answers`) and for as long (`SEARCH_CACHE_SECONDS`), so no visitor sees a
page from before a committed change. A request with a session or messages cookie (someone
signed in, or a message waiting to be shown) is rendered as usual and never kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from studienav.search.answers import answers_kept_seconds, kept_key

View = Callable[..., HttpResponse]


def _personal(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES or (
        CookieStorage.cookie_name in request.COOKIES
    )


def _key(request: HttpRequest) -> str:
    # htmx asks for the results alone (a fragment) at the page's own address.
    return kept_key("page", f"{request.headers.get('HX-Request', '')} {request.get_full_path()}")


def kept_for_the_public(view: View) -> View:
    """Answer an anonymous GET from the kept page when there is one; keep a 200 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        seconds = answers_kept_seconds()
        if not seconds or request.method != "GET" or _personal(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        kept = cache.get(key)
        if kept is not None:
            content, content_type = kept
            response = HttpResponse(content, content_type=content_type)
        else:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming and not response.cookies:
                cache.set(key, (response.content, response["Content-Type"]), seconds)
        # A signed-in visitor, and htmx, get another page at the same address.
        patch_vary_headers(response, ("Cookie", "HX-Request"))
        return response

    return wrapped
