"""Keep the registry in step with ClinicalTrials.gov: studies with sites in Sweden, via API v2.

`GET {CTGOV_API_URL}/studies?query.locn=Sweden&pageSize=...` page by page with `pageToken`
(and `filter.advanced=AREA[LastUpdatePostDate]RANGE[DATE,MAX]` for changes since a date);
each study is applied like an imported record. Transient failures (timeouts, connection
errors, 5xx) are retried a bounded number of times with exponential backoff; when the
service still cannot be reached the sync stops with one clear error line.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from studienav.core.json_nesting import json_loads
from studienav.core.models import User
from studienav.registry.importers import ImportReport, apply_parsed
from studienav.registry.importers._common import ImportFileError, ParsedRecord
from studienav.registry.importers._limits import ImportLimits
from studienav.registry.importers.ctgov import parse_study

DEFAULT_URL = "https://clinicaltrials.gov/api/v2"
PAGE_SIZE = 100
ATTEMPTS = 4
BACKOFF = 1.0  # seconds before the first retry; doubles each time
LABEL = "sync-ctgov"


class SyncFailed(ImportFileError):
    default_code = "ctgov_unreachable"


def base_url() -> str:
    return str(getattr(settings, "CTGOV_API_URL", DEFAULT_URL)).rstrip("/")


def _get(
    client: httpx.Client, url: str, params: dict[str, Any], *, attempts: int, backoff: float
) -> dict[str, Any]:
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            response = client.get(url, params=params)
        except httpx.TimeoutException:
            problem = _("timed out")
            continue
        except httpx.TransportError as error:
            problem = _("connection failed (%(error)s)") % {"error": type(error).__name__}
            continue
        if response.status_code >= 500:
            problem = f"HTTP {response.status_code}"
            continue
        if response.status_code != 200:
            raise SyncFailed(
                message=_(
                    "ClinicalTrials.gov refused the request (%(url)s): HTTP %(status)s %(body)s"
                )
                % {"url": url, "status": response.status_code, "body": response.text[:200]}
            )
        try:
            data = json_loads(response.content, max_depth=ImportLimits.from_settings().depth)
        except ValueError:  # not JSON, or nested deeper than any page (TooDeep)
            raise SyncFailed(
                message=_("ClinicalTrials.gov sent a page that is not JSON (%(url)s)")
                % {"url": url}
            ) from None
        if not isinstance(data, dict):
            raise SyncFailed(
                message=_("ClinicalTrials.gov sent an unexpected page (%(url)s)") % {"url": url}
            )
        return data
    raise SyncFailed(
        message=_(
            "cannot reach ClinicalTrials.gov at %(url)s: %(problem)s after %(attempts)s attempts"
        )
        % {"url": url, "problem": problem, "attempts": attempts}
    )


def fetch(
    *,
    since: dt.date | None = None,
    url: str | None = None,
    page_size: int = PAGE_SIZE,
    attempts: int | None = None,
    backoff: float | None = None,
    timeout: float = 30.0,
) -> Iterator[ParsedRecord]:
    """Every study the API lists for Sweden (since a date), parsed, page after page."""
    endpoint = f"{(url or base_url()).rstrip('/')}/studies"
    params: dict[str, Any] = {"query.locn": "Sweden", "pageSize": page_size, "format": "json"}
    if since is not None:
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]"
    number = 0
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0))) as client:
        while True:
            page = _get(
                client,
                endpoint,
                params,
                attempts=ATTEMPTS if attempts is None else attempts,
                backoff=BACKOFF if backoff is None else backoff,
            )
            studies = page.get("studies")
            for study in studies if isinstance(studies, list) else []:
                number += 1
                yield parse_study(number, study)
            token = page.get("nextPageToken")
            if not token:
                return
            params["pageToken"] = token


def sync_ctgov(
    *,
    since: dt.date | None = None,
    publish: bool = False,
    by: User | None = None,
    url: str | None = None,
    attempts: int | None = None,
    backoff: float | None = None,
    timeout: float = 30.0,
) -> ImportReport:
    """Apply what ClinicalTrials.gov holds for Sweden; the audit reason names the sync."""
    return apply_parsed(
        fetch(since=since, url=url, attempts=attempts, backoff=backoff, timeout=timeout),
        label=LABEL,
        reason=f"{LABEL} {dt.date.today().isoformat()}",
        publish=publish,
        by=by,
    )
