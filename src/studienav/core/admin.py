"""Django's admin, for superusers only and only after their second factor."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_otp.admin import OTPAdminSite

from studienav.core.models import (
    AccessLogEntry,
    AuditEvent,
    Municipality,
    Organisation,
    Region,
    RoleAssignment,
    User,
)

admin.site.__class__ = OTPAdminSite


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    exclude = ["password"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "organisation", "revoked_at"]
    list_filter = ["role", "region"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "region", "needs_review"]
    list_filter = ["type", "region", "needs_review"]
    search_fields = ["name", "name_en"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "node"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    search_fields = ["name", "code"]


class ReadOnlyAdmin(admin.ModelAdmin):
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
