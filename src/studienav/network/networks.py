"""Every write of networks and meetings: members, meetings with agenda, minutes and
decisions, and the action items that come out of them. Node office runs them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studienav.core.audit import audit_record, snapshot
from studienav.core.errors import PermissionDenied, ValidationFailed, model_validate
from studienav.core.models import User
from studienav.network.models import ActionItem, Document, Meeting, Network, NetworkMember
from studienav.network.selectors import can_manage_networks, networks_visible_to


def _require_manager(by: User) -> None:
    if not can_manage_networks(by):
        raise PermissionDenied(
            code="not_node_office", message=_("Only node office manages networks.")
        )


@transaction.atomic
def network_create(*, by: User, slug: str, name: str, name_en: str, purpose: str = "") -> Network:
    """Start a network of the node."""
    _require_manager(by)
    network = Network(slug=slug, name=name.strip(), name_en=name_en.strip(), purpose=purpose)
    model_validate(network)
    network.save()
    audit_record(actor=by, action="network.create", obj=network, before={})
    return network


@transaction.atomic
def member_add(
    *,
    by: User,
    network: Network,
    full_name: str,
    email: str,
    user: User | None = None,
    region_id: int | None = None,
    organisation: str = "",
    role: str = "member",
) -> NetworkMember:
    """Add a member: a person with an account (found by e-mail) or only name and e-mail."""
    _require_manager(by)
    email = email.strip().lower()
    if network.members.filter(email__iexact=email).exists():
        raise ValidationFailed(
            code="already_member",
            field="email",
            message=_("This e-mail address is already a member of the network."),
        )
    if user is None:
        user = User.objects.filter(email__iexact=email).first()
    member = NetworkMember(
        network=network,
        user=user,
        full_name=full_name.strip() or (user.full_name if user else ""),
        email=email,
        region_id=region_id,
        organisation=organisation.strip(),
        role=role,
    )
    model_validate(member)
    member.save()
    audit_record(actor=by, action="network_member.add", obj=member, before={})
    return member


@transaction.atomic
def member_leave(*, by: User, member: NetworkMember, reason: str = "") -> NetworkMember:
    """A member leaves; they stay on the minutes and actions of the meetings they attended."""
    _require_manager(by)
    before = snapshot(member)
    member.left_on = timezone.localdate()
    member.save(update_fields=["left_on"])
    audit_record(actor=by, action="network_member.leave", obj=member, before=before, reason=reason)
    return member


MEETING_FIELDS = ("title", "starts_at", "place", "agenda", "minutes", "decisions")


@transaction.atomic
def meeting_save(
    *,
    by: User,
    network: Network,
    data: dict[str, Any],
    documents: list[Document] | None = None,
    meeting: Meeting | None = None,
    reason: str = "",
) -> Meeting:
    """Plan a meeting (agenda) or write its minutes and decisions afterwards."""
    _require_manager(by)
    if meeting is not None and meeting.network_id != network.pk:
        raise PermissionDenied(code="wrong_network")
    before = snapshot(meeting) if meeting is not None else {}
    meeting = meeting or Meeting(network=network)
    for name in MEETING_FIELDS:
        if name in data:
            setattr(meeting, name, data[name])
    model_validate(meeting)
    meeting.save()
    if documents is not None:
        meeting.documents.set(documents)
    audit_record(
        actor=by,
        action="meeting.update" if before else "meeting.create",
        obj=meeting,
        before=before,
        changes={"documents": [d.pk for d in documents]} if documents is not None else None,
        reason=reason,
    )
    return meeting


@transaction.atomic
def action_add(
    *, by: User, meeting: Meeting, text: str, owner: NetworkMember, due_on: date
) -> ActionItem:
    """Record an action decided at a meeting, owned by a member of the network."""
    _require_manager(by)
    if owner.network_id != meeting.network_id:
        raise ValidationFailed(
            code="owner_not_member",
            field="owner",
            message=_("The owner must be a member of the network."),
        )
    action = ActionItem(meeting=meeting, text=text.strip(), owner=owner, due_on=due_on)
    model_validate(action)
    action.save()
    audit_record(actor=by, action="action_item.create", obj=action, before={})
    return action


@transaction.atomic
def action_complete(*, by: User, action: ActionItem) -> ActionItem:
    """Mark an action done: node office, or the member who owns it."""
    owns = action.owner.user_id == by.pk or action.owner.email.lower() == by.email.lower()
    visible = networks_visible_to(by).filter(pk=action.meeting.network_id).exists()
    if not (can_manage_networks(by) or (owns and visible)):
        raise PermissionDenied(code="not_owner", message=_("Only the owner can close an action."))
    before = snapshot(action)
    action.done_on = timezone.localdate()
    action.save(update_fields=["done_on"])
    audit_record(actor=by, action="action_item.complete", obj=action, before=before)
    return action
