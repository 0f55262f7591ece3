"""The quality checks a node coordinator sees before publishing a study, and likely duplicates.

Required before publication (an `error` when missing), after the WHO Trial Registration
Data Set and what the Swedish nodes need:

- public title (WHO 9) and scientific title (WHO 10);
- plain-language summary in Swedish;
- study type (WHO 15), and a phase other than "not applicable" for drug trials;
- primary sponsor (WHO 5), as an organisation or a name;
- public contact (WHO 7) with an e-mail address;
- at least one condition (WHO 12);
- key inclusion criteria (WHO 14);
- target enrolment (WHO 17);
- planned or actual start date (WHO 16);
- for studies with a Swedish site: an ethics review that is not refused (WHO 21), and when
  approved, the approval date and the Swedish Ethical Review Authority case number as an
  identifier. A review still pending is a `warning`.

Recommended (a `warning` when missing): at least one primary outcome (WHO 19) and at least
one registry identifier (WHO 1).

The other checks: dates in the wrong order (start after end, ethics approval after the actual
start), recruiting with the end date passed, no Swedish site, nobody to contact, a site
recruiting while the study is over, and a likely duplicate (a warning: the coordinator
decides, and merges).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.registry.labels import field_label
from studienav.registry.models import (
    RECRUITING_STATUSES,
    EthicsStatus,
    IdentifierScheme,
    OutcomeKind,
    OverallStatus,
    Phase,
    Site,
    SiteStatus,
    Study,
    StudyCondition,
    StudyIdentifier,
    StudyState,
    StudyType,
)

ERROR = "error"
WARNING = "warning"

DUPLICATE_RATIO = 0.9
# Statuses and states that say the study is over: no site may still recruit.
_OVER_STATUSES = (OverallStatus.COMPLETED, OverallStatus.TERMINATED, OverallStatus.WITHDRAWN)
_OVER_STATES = (StudyState.COMPLETED, StudyState.WITHDRAWN, StudyState.ARCHIVED)
_RECRUITING_SITE = (SiteStatus.RECRUITING, SiteStatus.BY_INVITATION)
# Text fields that must not be empty before publication.
_REQUIRED_TEXT = (
    "public_title",
    "scientific_title",
    "summary_sv",
    "study_type",
    "inclusion_criteria",
)
_DUPLICATE_CANDIDATES = 200


@dataclass(frozen=True)
class QualityIssue:
    code: str
    field: str
    message: str
    severity: str  # "error" | "warning"


def _missing(field: str, label: str | None = None) -> QualityIssue:
    return QualityIssue(
        code="missing",
        field=field,
        message=_("%(field)s is missing: it is required before publication.")
        % {"field": label or field_label(field)},
        severity=ERROR,
    )


def _required_fields(
    study: Study, *, has_conditions: bool, has_contact_anywhere: bool
) -> list[QualityIssue]:
    issues = [_missing(field) for field in _REQUIRED_TEXT if not getattr(study, field).strip()]
    if study.study_type == StudyType.DRUG and study.phase in ("", Phase.NOT_APPLICABLE):
        issues.append(
            QualityIssue(
                code="missing",
                field="phase",
                message=_("Phase is missing: a drug trial needs its phase (1 to 4)."),
                severity=ERROR,
            )
        )
    if study.primary_sponsor_id is None and not study.primary_sponsor_name.strip():
        issues.append(_missing("primary_sponsor_name"))
    if has_contact_anywhere:
        if not study.public_contact_name.strip():
            issues.append(_missing("public_contact_name"))
        if not study.public_contact_email.strip():
            issues.append(_missing("public_contact_email"))
    if not has_conditions:
        issues.append(_missing("conditions", _("Condition")))
    if study.target_enrolment is None:
        issues.append(_missing("target_enrolment"))
    if study.planned_start_date is None and study.actual_start_date is None:
        issues.append(
            QualityIssue(
                code="missing",
                field="planned_start_date",
                message=_("%(field)s is missing: give the planned or the actual start date.")
                % {"field": field_label("planned_start_date")},
                severity=ERROR,
            )
        )
    return issues


def _ethics(study: Study, *, has_ethics_number: bool) -> list[QualityIssue]:
    """Ethics review, for studies with a Swedish site (Swedish law requires it)."""
    if study.ethics_status == EthicsStatus.NOT_APPROVED:
        return [
            QualityIssue(
                code="ethics_not_approved",
                field="ethics_status",
                message=_("%(field)s: the ethics review did not approve the study.")
                % {"field": field_label("ethics_status")},
                severity=ERROR,
            )
        ]
    if study.ethics_status == EthicsStatus.PENDING:
        return [
            QualityIssue(
                code="ethics_pending",
                field="ethics_status",
                message=_("%(field)s: the study is not yet approved by the ethics review.")
                % {"field": field_label("ethics_status")},
                severity=WARNING,
            )
        ]
    issues = []
    if study.ethics_status == EthicsStatus.APPROVED:
        if study.ethics_approved_on is None:
            issues.append(_missing("ethics_approved_on"))
        if not has_ethics_number:
            issues.append(
                QualityIssue(
                    code="missing",
                    field="identifiers",
                    message=_(
                        "Ethics review case number is missing: add the Swedish Ethical Review "
                        "Authority's case number (for example 2023-01234-01) as an identifier."
                    ),
                    severity=ERROR,
                )
            )
    return issues


def _date_order(study: Study) -> list[QualityIssue]:
    pairs = (
        ("planned_start_date", "planned_end_date"),
        ("actual_start_date", "actual_end_date"),
        ("ethics_approved_on", "actual_start_date"),
    )
    issues = []
    for first, then in pairs:
        early, late = getattr(study, first), getattr(study, then)
        if early is not None and late is not None and early > late:
            issues.append(
                QualityIssue(
                    code="dates_out_of_order",
                    field=then,
                    message=_("%(later)s (%(late)s) is before %(earlier)s (%(early)s).")
                    % {
                        "later": field_label(then),
                        "late": late.isoformat(),
                        "earlier": field_label(first),
                        "early": early.isoformat(),
                    },
                    severity=ERROR,
                )
            )
    return issues


def _recruiting_after_end(study: Study, today: date) -> list[QualityIssue]:
    if study.overall_status not in RECRUITING_STATUSES:
        return []
    for field, severity in (("actual_end_date", ERROR), ("planned_end_date", WARNING)):
        end = getattr(study, field)
        if end is not None and end < today:
            return [
                QualityIssue(
                    code="recruiting_after_end",
                    field="overall_status",
                    message=_("%(status)s is recruiting, but %(field)s (%(date)s) has passed.")
                    % {
                        "status": field_label("overall_status"),
                        "field": field_label(field).lower(),
                        "date": end.isoformat(),
                    },
                    severity=severity,
                )
            ]
    return []


def _sites(study: Study, sites: list[Site]) -> list[QualityIssue]:
    issues = []
    if not any(site.country == "SE" for site in sites):
        issues.append(
            QualityIssue(
                code="no_swedish_site",
                field="sites",
                message=_("Sites: the study has no site in Sweden."),
                severity=ERROR,
            )
        )
    if study.overall_status in _OVER_STATUSES or study.state in _OVER_STATES:
        for index, site in enumerate(sites):
            if site.recruitment_status in _RECRUITING_SITE:
                issues.append(
                    QualityIssue(
                        code="site_recruiting_after_completion",
                        field=f"sites.{index}.recruitment_status",
                        message=_(
                            "Recruitment status of the site %(site)s is recruiting, "
                            "but the study is %(status)s."
                        )
                        % {
                            "site": site.organisation.name,
                            "status": str(study.get_overall_status_display()).lower()
                            if study.overall_status in _OVER_STATUSES
                            else str(study.get_state_display()).lower(),
                        },
                        severity=ERROR,
                    )
                )
    return issues


def quality_issues(study: Study) -> list[QualityIssue]:
    """Everything a coordinator should fix or look at before publishing, errors first."""
    today = timezone.localdate()
    sites = list(study.sites.select_related("organisation").order_by("id"))
    has_conditions = study.conditions.exists()
    has_contact_anywhere = bool(
        study.public_contact_email.strip()
        or study.public_contact_phone.strip()
        or study.scientific_contact_email.strip()
        or any(site.contact_email.strip() or site.contact_phone.strip() for site in sites)
    )
    issues = _required_fields(
        study, has_conditions=has_conditions, has_contact_anywhere=has_contact_anywhere
    )
    if not has_contact_anywhere:
        issues.append(
            QualityIssue(
                code="no_contact",
                field="public_contact_email",
                message=_(
                    "Public contact e-mail: nobody to contact. Give a public contact, or a "
                    "contact at a site, with an e-mail address or phone number."
                ),
                severity=ERROR,
            )
        )
    if any(site.country == "SE" for site in sites):
        has_ethics_number = study.identifiers.filter(scheme=IdentifierScheme.ETHICS).exists()
        issues += _ethics(study, has_ethics_number=has_ethics_number)
    issues += _date_order(study)
    issues += _recruiting_after_end(study, today)
    issues += _sites(study, sites)
    if not study.outcomes.filter(kind=OutcomeKind.PRIMARY).exists():
        issues.append(
            QualityIssue(
                code="no_primary_outcome",
                field="outcomes",
                message=_("Primary outcome: the study has none; add at least one."),
                severity=WARNING,
            )
        )
    if not study.identifiers.exists():
        issues.append(
            QualityIssue(
                code="no_identifier",
                field="identifiers",
                message=_(
                    "Identifiers: the study has no registry identifier (NCT, EU CT, ethics "
                    "case number...)."
                ),
                severity=WARNING,
            )
        )
    for other, score in likely_duplicates(study):
        issues.append(
            QualityIssue(
                code="likely_duplicate",
                field="public_title",
                message=_(
                    "Public title: very like study #%(id)s, %(title)s (similarity %(score)s "
                    "%%, overlapping dates): merge them if they are the same study."
                )
                % {"id": other.pk, "title": other.public_title[:80], "score": round(score * 100)},
                severity=WARNING,
            )
        )
    return sorted(issues, key=lambda issue: issue.severity != ERROR)


# --- likely duplicates ---------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+")


def title_fold(title: str) -> str:
    """Casefolded, no diacritics, punctuation as spaces: 'Läkemedel X!' -> 'lakemedel x'."""
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", plain).split())


def _title_words(title: str, count: int = 3) -> list[str]:
    """The longest words of a title, as written, to narrow candidates in the database."""
    words = {w for w in _NON_WORD.split(title) if len(w) >= 4}
    return sorted(words, key=lambda w: (-len(w), w))[:count]


def _start(study: Study) -> date | None:
    return study.actual_start_date or study.planned_start_date


def _end(study: Study) -> date | None:
    return study.actual_end_date or study.planned_end_date


def _dates_overlap(a: Study, b: Study) -> bool:
    """Unknown dates overlap anything; an open end runs on."""
    a_start, b_start = _start(a), _start(b)
    if a_start is None or b_start is None:
        return True
    a_end, b_end = _end(a) or date.max, _end(b) or date.max
    return a_start <= b_end and b_start <= a_end


def _similarity(study: Study, other: Study) -> float:
    pairs = [(study.public_title, other.public_title)]
    if study.public_title_en and other.public_title_en:
        pairs.append((study.public_title_en, other.public_title_en))
    best = 0.0
    for mine, theirs in pairs:
        a, b = title_fold(mine), title_fold(theirs)
        if not a or not b:
            continue
        best = max(best, 1.0 if a == b else difflib.SequenceMatcher(None, a, b).ratio())
    return best


def _duplicate_candidates(study: Study) -> QuerySet[Study]:
    """Same study type, start year within one year, and a long title word in common."""
    words = Q()
    for word in _title_words(study.public_title):
        words |= Q(public_title__icontains=word)
    for word in _title_words(study.public_title_en):
        words |= Q(public_title_en__icontains=word)
    if not words:
        return Study.objects.none()
    query = Study.objects.filter(words, study_type=study.study_type, merged_into__isnull=True)
    start = _start(study)
    if start is not None:
        low = date(max(start.year - 1, 1), 1, 1)
        high = date(min(start.year + 1, 9999), 12, 31)
        query = query.filter(
            Q(actual_start_date__range=(low, high))
            | Q(actual_start_date__isnull=True, planned_start_date__range=(low, high))
            | Q(actual_start_date__isnull=True, planned_start_date__isnull=True)
        )
    if study.pk is not None:
        query = query.exclude(pk=study.pk)
    return query.only(
        "id",
        "public_title",
        "public_title_en",
        "study_type",
        "planned_start_date",
        "actual_start_date",
        "planned_end_date",
        "actual_end_date",
    )[:_DUPLICATE_CANDIDATES]


def likely_duplicates(study: Study) -> list[tuple[Study, float]]:
    """Unmerged studies with the same or a very similar title and overlapping dates, best first."""
    if study.merged_into_id is not None:
        return []
    found = []
    for other in _duplicate_candidates(study):
        score = _similarity(study, other)
        if score >= DUPLICATE_RATIO and _dates_overlap(study, other):
            found.append((other, score))
    return sorted(found, key=lambda pair: (-pair[1], pair[0].pk))


# --- the coordinator's counts ----------------------------------------------------------------


def _blank(field: str) -> Q:
    return Q(**{field: ""})


def quality_error_q(today: date) -> Q:
    """The error checks that need no per-study Python, as one filter (for counting)."""
    sites = Site.objects.filter(study=OuterRef("pk"))
    swedish_site = Exists(sites.filter(country="SE"))
    recruiting_site = Exists(sites.filter(recruitment_status__in=_RECRUITING_SITE))
    site_contact = Exists(sites.exclude(contact_email="", contact_phone=""))
    has_condition = Exists(StudyCondition.objects.filter(study=OuterRef("pk")))
    ethics_number = Exists(
        StudyIdentifier.objects.filter(study=OuterRef("pk"), scheme=IdentifierScheme.ETHICS)
    )
    no_contact = (
        _blank("public_contact_email")
        & _blank("public_contact_phone")
        & _blank("scientific_contact_email")
        & ~site_contact
    )
    missing = (
        _blank("public_title")
        | _blank("scientific_title")
        | _blank("summary_sv")
        | _blank("inclusion_criteria")
        | Q(study_type=StudyType.DRUG, phase=Phase.NOT_APPLICABLE)
        | Q(primary_sponsor__isnull=True, primary_sponsor_name="")
        | ((_blank("public_contact_name") | _blank("public_contact_email")) & ~no_contact)
        | ~has_condition
        | Q(target_enrolment__isnull=True)
        | Q(planned_start_date__isnull=True, actual_start_date__isnull=True)
    )
    ethics = swedish_site & (
        Q(ethics_status=EthicsStatus.NOT_APPROVED)
        | Q(ethics_status=EthicsStatus.APPROVED, ethics_approved_on__isnull=True)
        | (Q(ethics_status=EthicsStatus.APPROVED) & ~ethics_number)
    )
    dates = (
        Q(planned_start_date__gt=F("planned_end_date"))
        | Q(actual_start_date__gt=F("actual_end_date"))
        | Q(ethics_approved_on__gt=F("actual_start_date"))
    )
    recruiting_ended = Q(overall_status__in=RECRUITING_STATUSES, actual_end_date__lt=today)
    over = Q(overall_status__in=_OVER_STATUSES) | Q(state__in=_OVER_STATES)
    return (
        missing
        | no_contact
        | ethics
        | dates
        | recruiting_ended
        | ~swedish_site
        | (over & recruiting_site)
    )
