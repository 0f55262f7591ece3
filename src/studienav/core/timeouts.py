"""How long one database statement of a web request may run, and the answer when it runs out.

`StatementTimeoutMiddleware` bounds every statement a request (or its streamed body) runs by
DATABASE_STATEMENT_TIMEOUT seconds, and answers a statement stopped by the bound with 503 and
Retry-After: problem+json under /api/, an OperationOutcome under /fhir/, a page in the
visitor's language elsewhere. Only requests are bounded: commands (migrate, imports, the
statistics, benchmarks) run in processes of their own and are never cut short.

- PostgreSQL: the server's own `statement_timeout`, set on the connection before the request's
  first statement and reset after its last. The server stops the statement itself, so nothing
  runs on after the answer is given or the client has gone.
- SQLite: a progress handler stops a statement that has run longer than the bound.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 30
# SQLite calls the progress handler after this many virtual machine steps (a few microseconds):
# often enough to stop in time, seldom enough to cost nothing measurable.
_SQLITE_STEPS = 10_000

View = Callable[[HttpRequest], HttpResponseBase]


def statement_timed_out(error: BaseException) -> bool:
    """Whether a database error is a statement stopped by its time bound."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, pg_errors.QueryCanceled):
            return True
        if isinstance(cause, sqlite3.OperationalError) and str(cause) == "interrupted":
            return True
        cause = cause.__cause__
    return False


class StatementBound:
    """The bound on the statements of one request on one connection: an execute wrapper
    (`connection.execute_wrapper`), ended with `end()`."""

    def __init__(self, db: BaseDatabaseWrapper, seconds: float) -> None:
        self.db = db
        self.seconds = seconds
        self.deadline = math.inf  # SQLite: when the running statement must stop
        self.applied_to: Any = None  # PostgreSQL: the connection statement_timeout is set on

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        if self.db.vendor == "sqlite":
            self.deadline = time.monotonic() + self.seconds
            # Set on each statement: the connection may have been opened again since the last.
            self.db.connection.set_progress_handler(self._expired, _SQLITE_STEPS)
        elif self.db.vendor == "postgresql" and self.applied_to is not self.db.connection:
            self._postgresql_set(max(1, round(self.seconds * 1000)))
            self.applied_to = self.db.connection
        return execute(sql, params, many, context)

    def _expired(self) -> bool:
        return time.monotonic() > self.deadline

    def _postgresql_set(self, milliseconds: int | None) -> None:
        """Set (or with None reset) statement_timeout for the session, outside any transaction
        when none has begun yet, so that no later rollback takes it back. (In a transaction
        begun before the request, as in tests, it ends with that transaction.)"""
        raw = self.db.connection
        outside = raw.info.transaction_status == TransactionStatus.IDLE and not raw.autocommit
        if outside:
            raw.autocommit = True
        try:
            with self.db.wrap_database_errors, raw.cursor() as cursor:
                if milliseconds is None:
                    cursor.execute("RESET statement_timeout")
                else:
                    cursor.execute(
                        "SELECT set_config('statement_timeout', %s, false)", [str(milliseconds)]
                    )
        finally:
            if outside:
                raw.autocommit = False

    def end(self) -> None:
        """Lift the bound from the connection: what runs next is not a request's."""
        raw = self.db.connection
        if raw is None:
            return
        if self.db.vendor == "sqlite":
            raw.set_progress_handler(None, 0)
        elif raw is self.applied_to and raw.info.transaction_status != TransactionStatus.INERROR:
            # A connection that fails here is broken, and Django closes it after the request.
            with contextlib.suppress(DatabaseError):
                self._postgresql_set(None)
        self.applied_to = None


def _bounded_stream(content: Iterable[Any], seconds: float) -> Iterator[Any]:
    """A streamed body's parts, read with its statements bounded as the request's were."""
    bound = StatementBound(connection, seconds)
    try:
        with connection.execute_wrapper(bound):
            yield from content
    finally:
        bound.end()


def _problem(detail: str) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": _("Service unavailable"),
        "status": 503,
        "detail": detail,
        "errors": [],
    }
    return HttpResponse(json.dumps(body), status=503, content_type="application/problem+json")


def _operation_outcome(detail: str) -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout", "diagnostics": detail}],
    }
    return HttpResponse(json.dumps(body), status=503, content_type="application/fhir+json")


def _page(request: HttpRequest, detail: str) -> HttpResponse:
    try:
        content = render_to_string("core/unavailable.html", {"detail": detail}, request=request)
    except DatabaseError:  # the page's header reads the database, which may be struggling
        return HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse(content, status=503)


def timed_out_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, in the form the address answers in."""
    detail = _(
        "Finding the answer took too long, and the request was stopped. Try again in a while, "
        "or narrow your search with fewer words or more filters."
    )
    if request.path.startswith("/api/"):
        response = _problem(detail)
    elif request.path.startswith("/fhir/"):
        response = _operation_outcome(detail)
    else:
        response = _page(request, detail)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class StatementTimeoutMiddleware:
    """Bound the statements of each request by DATABASE_STATEMENT_TIMEOUT seconds (0: no
    bound), and answer one stopped by it with 503 instead of an error."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        seconds = float(getattr(settings, "DATABASE_STATEMENT_TIMEOUT", 0) or 0)
        if seconds <= 0:
            return self.get_response(request)
        bound = StatementBound(connection, seconds)
        try:
            with connection.execute_wrapper(bound):
                response = self.get_response(request)
        finally:
            bound.end()
        if isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse):
            content = response.streaming_content
            if isinstance(content, Iterator):  # not an asynchronous one (ASGI)
                response.streaming_content = _bounded_stream(content, seconds)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DatabaseError) or not statement_timed_out(exception):
            return None
        logger.warning("Statement stopped by DATABASE_STATEMENT_TIMEOUT: %s", request.path)
        return timed_out_response(request)
