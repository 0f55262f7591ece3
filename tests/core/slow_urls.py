"""The root URLs with views whose one statement outlasts any sensible time bound, at an
address of each kind: a page, the API and FHIR. Only tests reach them."""

from collections.abc import Iterator
from typing import cast

from django.conf.urls.i18n import i18n_patterns
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import URLPattern, URLResolver, path

from studienav import urls as root
from studienav.api.views import StudyApi

Patterns = list[URLPattern | URLResolver]

# Counting to a billion: minutes of work for SQLite, stopped only by the statement's bound.
_SQLITE_SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
    "SELECT count(*) FROM n"
)


def slow_statement() -> None:
    """One statement that runs for minutes, inside a transaction as a search's are."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_sleep(300)")
        else:
            cursor.execute(_SQLITE_SLOW)


def slow(request: HttpRequest) -> HttpResponse:
    slow_statement()
    return HttpResponse("done")


def slow_stream(request: HttpRequest) -> StreamingHttpResponse:
    def lines() -> Iterator[str]:
        yield "first line\n"
        slow_statement()
        yield "never\n"

    return StreamingHttpResponse(lines(), content_type="text/plain")


def quick(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return HttpResponse(str(one))


def broken(request: HttpRequest) -> HttpResponse:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    return HttpResponse("unreachable")


# The open API's own class, whose handlers answer every error itself.
slow_api = StudyApi(urls_namespace="slow-api", docs_url=None)


@slow_api.get("/search")
def slow_search(request: HttpRequest) -> dict[str, str]:
    slow_statement()
    return {"done": "yes"}


urlpatterns: Patterns = [
    path("api/v1/test-slow/", slow_api.urls),
    path("fhir/TestSlow", slow),
    path("test-slow-stream", slow_stream),
    path("test-quick", quick),
    path("test-broken", broken),
    *i18n_patterns(path("test-slow/", slow), prefix_default_language=False),
    *cast(Patterns, root.urlpatterns),
]
