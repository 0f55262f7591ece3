"""Every write to people, roles, organisations and second factors, each one audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from studienav.core.models import (
    ROLES_PER_ORGANISATION,
    ROLES_PER_REGION,
    Invitation,
    Organisation,
    Region,
    Role,
    RoleAssignment,
    User,
)
from studienav.core.outbox import outbox_enqueue
from studienav.core.selectors import can_manage_people

INVITATION_DAYS = 7
RECOVERY_CODE_COUNT = 10


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_templated_mail(*, to: str, language: str, template: str, context: dict[str, Any]) -> None:
    """Write a plain-text e-mail in the recipient's language to the outbox, in the caller's
    transaction; the `outbox-deliver` job sends it (a rollback sends nothing)."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    outbox_enqueue(to=to, subject=subject, body=body, language=language)


def _check_scope(*, role: str, region: Region | None, organisation: Organisation | None) -> None:
    if role in ROLES_PER_REGION and region is None:
        raise ValidationFailed(
            code="region_required", field="region", message=_("This role is held for a region.")
        )
    if role in ROLES_PER_ORGANISATION and organisation is None:
        raise ValidationFailed(
            code="organisation_required",
            field="organisation",
            message=_("This role is held for an organisation."),
        )


@transaction.atomic
def user_invite(
    *,
    by: User,
    email: str,
    full_name: str,
    role: str,
    region: Region | None = None,
    organisation: Organisation | None = None,
    language: str = "sv",
) -> tuple[Invitation, str]:
    """Invite a person by e-mail to create an account with one role; returns the token."""
    if not can_manage_people(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office invites people.")
        )
    _check_scope(role=role, region=region, organisation=organisation)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email.strip().lower(),
        full_name=full_name.strip(),
        language=language,
        role=role,
        region=region if role in ROLES_PER_REGION else None,
        organisation=organisation,
        token_hash=_token_hash(token),
        invited_by=by,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    audit_record(
        actor=by, action="invitation.create", obj=invitation, before={}, role=Role.NODE_OFFICE
    )
    link = settings.SITE_URL + reverse("core:invitation_accept", args=[token])
    send_templated_mail(
        to=invitation.email,
        language=invitation.language,
        template="core/email/invitation",
        context={"invitation": invitation, "link": link, "days": INVITATION_DAYS},
    )
    return invitation, token


def invitation_by_token(token: str) -> Invitation | None:
    invitation = Invitation.objects.filter(token_hash=_token_hash(token)).first()
    return invitation if invitation is not None and invitation.is_open else None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Create the account (or add the role to an existing one) and close the invitation."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise InvalidTransition(code="invitation_closed", message=_("This invitation has expired."))
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        user = User(
            email=invitation.email, full_name=invitation.full_name, language=invitation.language
        )
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationFailed(
                code="password_invalid", field="password", message=" ".join(error.messages)
            ) from error
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        audit_record(actor=user, action="user.create", obj=user, before={}, reason="invitation")
    _role_grant(
        user=user,
        role=invitation.role,
        region=invitation.region,
        organisation=invitation.organisation,
        by=invitation.invited_by,
        reason=_("Invitation accepted"),
    )
    before = snapshot(invitation)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(actor=user, action="invitation.accept", obj=invitation, before=before)
    return user


def _role_grant(
    *,
    user: User,
    role: str,
    region: Region | None,
    organisation: Organisation | None,
    by: User,
    reason: str,
) -> RoleAssignment:
    _check_scope(role=role, region=region, organisation=organisation)
    existing = (
        RoleAssignment.objects.active()
        .filter(user=user, role=role, region=region, organisation=organisation)
        .first()
    )
    if existing is not None:
        return existing
    assignment = RoleAssignment(
        user=user, role=role, region=region, organisation=organisation, granted_by=by
    )
    assignment.full_clean()
    assignment.save()
    audit_record(
        actor=by,
        action="role.grant",
        obj=assignment,
        before={},
        reason=reason,
        label=f"{user.email}: {assignment}",
    )
    return assignment


@transaction.atomic
def role_grant(
    *,
    by: User,
    user: User,
    role: str,
    region: Region | None = None,
    organisation: Organisation | None = None,
    reason: str = "",
) -> RoleAssignment:
    """Give a person a role, for a region, an organisation or the whole node."""
    if not can_manage_people(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office grants roles."))
    return _role_grant(
        user=user, role=role, region=region, organisation=organisation, by=by, reason=reason
    )


@transaction.atomic
def role_revoke(*, by: User, assignment: RoleAssignment, reason: str) -> RoleAssignment:
    """End a role; the assignment stays in the record with the time it ended."""
    if not can_manage_people(by):
        raise PermissionDenied(code="not_node_office", message=_("Only node office revokes roles."))
    if not reason.strip():
        raise ValidationFailed(code="reason_required", field="reason", message=_("Give a reason."))
    if assignment.revoked_at is not None:
        raise InvalidTransition(code="already_revoked", message=_("The role has already ended."))
    before = snapshot(assignment)
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["revoked_at"])
    audit_record(
        actor=by,
        action="role.revoke",
        obj=assignment,
        before=before,
        reason=reason,
        label=f"{assignment.user.email}: {assignment}",
    )
    return assignment


@transaction.atomic
def user_update_profile(*, user: User, full_name: str, phone: str, language: str) -> User:
    """A person changes their own name, work phone and language."""
    before = snapshot(user)
    user.full_name = full_name.strip()
    user.phone = phone.strip()
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "phone", "language"])
    audit_record(actor=user, action="user.update_profile", obj=user, before=before)
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    if user.language == language:
        return user
    before = snapshot(user)
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["language"])
    audit_record(actor=user, action="user.set_language", obj=user, before=before)
    return user


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """Begin enrolment: a new unconfirmed authenticator secret (replacing an unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm enrolment with a first code; returns fresh one-time recovery codes."""
    if device.user_id != user.pk or device.confirmed:
        raise InvalidTransition(code="device_not_pending")
    if not device.verify_token(token.strip()):
        raise ValidationFailed(
            code="totp_wrong", field="token", message=_("The code is wrong or has expired.")
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action="totp.enrol", obj=user, changes={"totp": ["none", "confirmed"]})
    return recovery_codes_regenerate(user=user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Replace the person's recovery codes; each works once in place of a TOTP code."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery")
    device.confirmed = True
    device.save()
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    audit_record(
        actor=user,
        action="totp.recovery_codes",
        obj=user,
        changes={"recovery_codes": ["", "regenerated"]},
    )
    return codes
