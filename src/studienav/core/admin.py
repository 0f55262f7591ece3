"""Django's admin, for superusers only and only after their second factor.

Every add, change and delete made here is written to the audit trail in the same transaction,
with the fields before and after (AuditedModelAdmin); the admin classes other apps register
(authenticators, sign-in lockouts, groups) are wrapped in it as they are registered.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.db.models.query import QuerySet
from django.http import HttpRequest
from django_otp.admin import OTPAdminSite

from studienav.core.audit import audit_record, diff, json_ready, snapshot
from studienav.core.models import (
    AccessLogEntry,
    AuditEvent,
    Municipality,
    Organisation,
    Region,
    RoleAssignment,
    User,
)

ADMIN_REASON = "django-admin"
# Recorded as changed, never with their values: authenticator secrets and the like.
SECRET_FIELDS = frozenset({"key", "bin_key", "token", "secret"})
HIDDEN = "(hidden)"

# What an object held before the admin saved it, from save_model until save_related.
_stored_before: WeakKeyDictionary[forms.BaseForm, dict[str, Any]] = WeakKeyDictionary()


def _admin_snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's fields and, once it is saved, its many-to-many links (as sorted keys)."""
    data = snapshot(obj)
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            linked = getattr(obj, field.name).values_list("pk", flat=True)
            data[field.name] = json_ready(sorted(linked))
    return data


def _stored(obj: models.Model) -> dict[str, Any]:
    """The object as the database holds it now ({} if it is not there): read back, so that
    before and after compare alike (a time from a form and the same time read back differ
    in their zone)."""
    if obj.pk is None:
        return {}
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return _admin_snapshot(stored) if stored is not None else {}


def _hidden(name: str, value: Any) -> Any:
    return HIDDEN if name in SECRET_FIELDS and value is not None else value


def admin_audit_record(
    *,
    request: HttpRequest,
    action: str,
    obj: models.Model,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """One event for a change made in the admin: who, which object, each field old and new."""
    user = request.user
    actor = user if isinstance(user, User) else None
    changes = {
        name: [_hidden(name, old), _hidden(name, new)]
        for name, (old, new) in diff(before, after).items()
    }
    audit_record(
        actor=actor,
        action=f"admin.{action}",
        obj=obj,
        changes=changes,
        reason=ADMIN_REASON,
        role="superuser" if actor is not None and actor.is_superuser else "",
    )


class AuditedModelAdmin(admin.ModelAdmin):
    """A model admin whose every add, change and delete writes an audit event."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            _stored_before[form] = _stored(obj) if change else {}
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            obj = form.instance
            before = _stored_before.pop(form, {})
            admin_audit_record(
                request=request,
                action="change" if change else "add",
                obj=obj,
                before=before,
                after=_stored(obj),
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            before = {f.instance.pk: _stored(f.instance) for f in formset.initial_forms}
            for deleted in formset.deleted_forms:
                if deleted.instance.pk is not None:
                    self._record_deletion(request, deleted.instance)
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                admin_audit_record(
                    request=request, action="add", obj=obj, before={}, after=_stored(obj)
                )
            for obj, _fields in formset.changed_objects:
                admin_audit_record(
                    request=request,
                    action="change",
                    obj=obj,
                    before=before.get(obj.pk, {}),
                    after=_stored(obj),
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            self._record_deletion(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._record_deletion(request, obj)
            super().delete_queryset(request, queryset)

    def _record_deletion(self, request: HttpRequest, obj: models.Model) -> None:
        # Written before the row goes, while it still has its key; one transaction with it.
        admin_audit_record(request=request, action="delete", obj=obj, before=_stored(obj), after={})


def audited(admin_class: type[admin.ModelAdmin]) -> type[AuditedModelAdmin]:
    """The admin class itself if it writes the trail, else a subclass of it that does."""
    if issubclass(admin_class, AuditedModelAdmin):
        return admin_class
    return type(f"Audited{admin_class.__name__}", (AuditedModelAdmin, admin_class), {})


class AuditedAdminSite(OTPAdminSite):
    """The admin behind the second factor, where every registered model admin is audited."""

    def register(
        self,
        model_or_iterable: type[models.Model] | Iterable[type[models.Model]],
        admin_class: type[admin.ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        super().register(model_or_iterable, audited(admin_class or admin.ModelAdmin), **options)


admin.site.__class__ = AuditedAdminSite
# Apps listed before core registered theirs already: wrap them now.
for _model, _model_admin in list(admin.site._registry.items()):
    if not isinstance(_model_admin, AuditedModelAdmin):
        admin.site.unregister(_model)
        admin.site.register(_model, type(_model_admin))


@admin.register(User)
class UserAdmin(AuditedModelAdmin):
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    exclude = ["password"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedModelAdmin):
    list_display = ["user", "role", "region", "organisation", "revoked_at"]
    list_filter = ["role", "region"]


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["name", "type", "region", "needs_review"]
    list_filter = ["type", "region", "needs_review"]
    search_fields = ["name", "name_en"]


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "node"]


@admin.register(Municipality)
class MunicipalityAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "region"]
    search_fields = ["name", "code"]


class ReadOnlyAdmin(AuditedModelAdmin):
    """The trail and the access log are append-only: no one edits them, here or anywhere."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "accessed_at", "actor", "subject_type", "subject_id", "purpose"]
