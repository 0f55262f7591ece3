"""Writes of the statistics app: the node office's targets, imported national files."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import PermissionDenied, ValidationFailed, model_validate
from studienav.core.models import Region, User
from studienav.core.selectors import is_node_office
from studienav.stats.models import Target

TARGET_FIELDS = ("new_studies", "industry_studies", "participants", "status_check_share")


@transaction.atomic
def target_set(*, region: Region, year: int, by: User, **values: int | None) -> Target:
    """Set (or change) one region's targets for one year; node office only."""
    if not is_node_office(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only the node office sets targets.")
        )
    unknown = set(values) - set(TARGET_FIELDS)
    if unknown:
        raise ValidationFailed(code="unknown_target", field=sorted(unknown)[0])
    target = Target.objects.select_for_update().filter(region=region, year=year).first()
    before: dict[str, Any] | None = snapshot(target) if target else None
    if target is None:
        target = Target(region=region, year=year)
    for name, value in values.items():
        setattr(target, name, value)
    target.updated_at = timezone.now()
    model_validate(target, code="invalid_target", unique=before is None)
    target.save()
    audit_record(
        actor=by,
        action="stats.target_set",
        obj=target,
        before=before or {},
        label=f"{region.short_name} {year}",
    )
    return target
