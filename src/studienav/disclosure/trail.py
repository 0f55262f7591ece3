"""The audit trail of one disclosure request and its cases, as far as the reader may see it.

Everyone who may read the request sees the steps of the request and of every region's case
(state changes, clarifications, decisions, deliveries). Secrecy assessments appear only for
the officers of their own region; common notes not for the requester.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet

from studienav.core.audit import object_type_of
from studienav.core.models import AuditEvent
from studienav.core.selectors import AnyUser
from studienav.disclosure.models import (
    Attachment,
    ClarificationMessage,
    CommonNote,
    DataWanted,
    Decision,
    Delivery,
    DisclosureRequest,
    EthicsApproval,
    RegionCase,
    SecrecyAssessment,
)
from studienav.disclosure.selectors import (
    common_notes_visible_to,
    officer_regions,
)


def _of(model: type[Model], ids: QuerySet[Any, Any]) -> Q:
    return Q(object_type=object_type_of(model()), object_id__in=[str(i) for i in ids])


def events_visible_to(user: AnyUser, request: DisclosureRequest) -> QuerySet[AuditEvent]:
    """Events of the request, oldest first; the caller has checked that the user may read it."""
    cases = RegionCase.objects.filter(request=request)
    case_ids = cases.values_list("pk", flat=True)
    own_cases = cases.filter(region__in=officer_regions(user)).values_list("pk", flat=True)
    parts = (
        Q(object_type=object_type_of(request), object_id=str(request.pk))
        | _of(EthicsApproval, request.ethics_approvals.values_list("pk", flat=True))
        | _of(DataWanted, DataWanted.objects.filter(request=request).values_list("pk", flat=True))
        | _of(Attachment, request.attachments.values_list("pk", flat=True))
        | _of(RegionCase, case_ids)
        | _of(
            ClarificationMessage,
            ClarificationMessage.objects.filter(case__in=case_ids).values_list("pk", flat=True),
        )
        | _of(Decision, Decision.objects.filter(case__in=case_ids).values_list("pk", flat=True))
        | _of(Delivery, Delivery.objects.filter(case__in=case_ids).values_list("pk", flat=True))
        | _of(
            SecrecyAssessment,
            SecrecyAssessment.objects.filter(case__in=own_cases).values_list("pk", flat=True),
        )
        | _of(CommonNote, common_notes_visible_to(user, request).values_list("pk", flat=True))
    )
    return AuditEvent.objects.filter(parts).select_related("actor").order_by("id")


def events_of_case(case: RegionCase) -> QuerySet[AuditEvent]:
    """Every event of one region's case and of the request it answers, for its case file
    (read by the region's own officers only)."""
    request = case.request
    wanted = request.data_wanted.filter(region=case.region).values_list("pk", flat=True)
    parts = (
        Q(object_type=object_type_of(request), object_id=str(request.pk))
        | _of(EthicsApproval, request.ethics_approvals.values_list("pk", flat=True))
        | _of(DataWanted, wanted)
        | _of(Attachment, request.attachments.values_list("pk", flat=True))
        | Q(object_type=object_type_of(case), object_id=str(case.pk))
        | _of(ClarificationMessage, case.messages.values_list("pk", flat=True))
        | _of(SecrecyAssessment, case.assessments.values_list("pk", flat=True))
        | _of(Decision, Decision.objects.filter(case=case).values_list("pk", flat=True))
        | _of(Delivery, Delivery.objects.filter(case=case).values_list("pk", flat=True))
    )
    return AuditEvent.objects.filter(parts).select_related("actor").order_by("id")
