"""Staff pages of network activity under /network/: course sessions, attendance and
certificates for course leaders; networks and meetings for their members; the library and
the activity report for node office."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.db.models import Avg, Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studienav.core.access import (
    role_required,
    signed_in_required,
    staff_required,
)
from studienav.core.errors import DomainError, PermissionDenied
from studienav.core.forms import form_attempt
from studienav.core.models import Role, User
from studienav.network import forms as f
from studienav.network import library, networks, services
from studienav.network.models import (
    SEAT_STATES,
    ActionItem,
    Evaluation,
    RegistrationState,
)
from studienav.network.report import activity_report, activity_report_pdf, activity_report_xlsx
from studienav.network.selectors import (
    can_lead_courses,
    can_manage_documents,
    can_manage_networks,
    documents_visible_to,
    meetings_visible_to,
    networks_visible_to,
    sessions_managed_by,
)

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _forbidden(step: Callable[[], Any]) -> Any:
    try:
        return step()
    except PermissionDenied as error:
        raise Forbidden(error.message) from error


# Overview ------------------------------------------------------------------------------------


@require_GET
@signed_in_required
def home(request: HttpRequest) -> HttpResponse:
    """What the person can reach in network activity."""
    user = _user(request)
    context = {
        "can_lead": can_lead_courses(user),
        "can_manage": can_manage_networks(user),
        "networks": networks_visible_to(user),
        "sessions": sessions_managed_by(user).filter(ends_at__gte=timezone.now())[:10],
        "open_actions": ActionItem.objects.filter(
            Q(owner__user=user) | Q(owner__email__iexact=user.email),
            meeting__network__in=networks_visible_to(user),
            done_on__isnull=True,
        ).select_related("meeting__network"),
    }
    return render(request, "network/staff/home.html", context)


# Sessions ------------------------------------------------------------------------------------


@require_GET
@role_required(Role.COURSE_LEADER)
def sessions(request: HttpRequest) -> HttpResponse:
    managed = sessions_managed_by(_user(request)).annotate(
        taken=Count("registrations", filter=Q(registrations__state__in=SEAT_STATES)),
        waiting=Count("registrations", filter=Q(registrations__state=RegistrationState.WAITING)),
    )
    context = {
        "sessions": managed.order_by("-starts_at"),
        "can_add_course": can_manage_networks(_user(request)),
    }
    return render(request, "network/staff/sessions.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def course_new(request: HttpRequest) -> HttpResponse:
    form = f.CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = form_attempt(
            form, lambda: services.course_create(by=_user(request), data=form.cleaned_data)
        )
        if created is not None:
            messages.success(request, _("The course is added; plan its sessions."))
            return redirect("network:session_new")
    status = 422 if form.errors else 200
    return render(request, "network/staff/course_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.COURSE_LEADER)
def session_new(request: HttpRequest) -> HttpResponse:
    form = f.SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = form_attempt(
            form,
            lambda: services.session_create(
                by=_user(request), course=form.cleaned_data["course"], data=form.session_data()
            ),
        )
        if created is not None:
            return redirect("network:session_manage", pk=created.pk)
    status = 422 if form.errors else 200
    return render(request, "network/staff/session_new.html", {"form": form}, status=status)


def _evaluation_summary(session_pk: int) -> dict[str, Any]:
    evaluations = Evaluation.objects.filter(registration__session_id=session_pk)
    summary = evaluations.aggregate(
        count=Count("id"),
        overall=Avg("overall"),
        relevance=Avg("relevance"),
        leader=Avg("leader"),
        recommend=Count("id", filter=Q(would_recommend=True)),
    )
    summary["comments"] = [c for c in evaluations.values_list("comment", flat=True) if c.strip()]
    return summary


@require_http_methods(["GET", "POST"])
@role_required(Role.COURSE_LEADER)
def session_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """Participants and waiting list; attendance; certificates; evaluation results."""
    user = _user(request)
    found = get_object_or_404(sessions_managed_by(user), pk=pk)
    seat_holders = found.registrations.filter(state__in=SEAT_STATES).order_by("full_name")
    form = f.AttendanceForm(request.POST or None, registrations=seat_holders)
    if request.method == "POST" and request.POST.get("step") == "cancel":
        reason = str(request.POST.get("reason", ""))
        try:
            _forbidden(lambda: services.session_cancel(session=found, by=user, reason=reason))
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("The session is cancelled and everyone registered is told.")
            )
        return redirect("network:session_manage", pk=pk)
    if request.method == "POST" and request.POST.get("step") == "certificates":
        issued = _forbidden(lambda: services.certificates_issue(session=found, by=user))
        messages.success(
            request,
            ngettext("%(count)s certificate issued.", "%(count)s certificates issued.", len(issued))
            % {"count": len(issued)},
        )
        return redirect("network:session_manage", pk=pk)
    if request.method == "POST" and form.is_valid():
        saved = _forbidden(
            lambda: form_attempt(
                form,
                lambda: services.attendance_mark(
                    session=found, by=user, attended=form.attended_ids()
                ),
            )
        )
        if saved is not None:
            messages.success(request, _("Attendance saved."))
            return redirect("network:session_manage", pk=pk)
    context = {
        "session": found,
        "form": form,
        "registrations": found.registrations.select_related("certificate").order_by(
            "registered_at", "id"
        ),
        "waiting": found.registrations.filter(state=RegistrationState.WAITING).order_by(
            "registered_at", "id"
        ),
        "attendees_without_certificate": found.registrations.filter(
            state=RegistrationState.ATTENDED, certificate__isnull=True
        ).count(),
        "can_mark": timezone.localdate(found.starts_at) <= timezone.localdate(),
        "evaluation": _evaluation_summary(found.pk),
    }
    status = 422 if form.errors else 200
    return render(request, "network/staff/session_manage.html", context, status=status)


# Networks and meetings -----------------------------------------------------------------------


@require_GET
@signed_in_required
def network_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    visible = networks_visible_to(user).annotate(
        member_count=Count("members", filter=Q(members__left_on__isnull=True), distinct=True),
        meeting_count=Count("meetings", distinct=True),
    )
    return render(request, "network/staff/networks.html", {"networks": visible})


@require_http_methods(["GET", "POST"])
@signed_in_required
def network_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Members and meetings of one network; node office adds members here."""
    user = _user(request)
    network = get_object_or_404(networks_visible_to(user), slug=slug)
    can_manage = can_manage_networks(user)
    form = f.MemberForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise Forbidden
        if form.is_valid():
            data = form.cleaned_data
            added = form_attempt(
                form,
                lambda: networks.member_add(
                    by=user,
                    network=network,
                    full_name=data["full_name"],
                    email=data["email"],
                    region_id=data["region"].pk if data["region"] else None,
                    organisation=data["organisation"],
                    role=data["role"],
                ),
            )
            if added is not None:
                messages.success(request, _("%(name)s is a member.") % {"name": added.full_name})
                return redirect(network)
    context = {
        "network": network,
        "members": network.members.filter(left_on__isnull=True).select_related("region"),
        "meetings": network.meetings.all(),
        "can_manage": can_manage,
        "form": form,
    }
    status = 422 if form is not None and form.errors else 200
    return render(request, "network/staff/network.html", context, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def meeting_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    """Plan a meeting, or write its minutes and decisions (node office)."""
    user = _user(request)
    network = get_object_or_404(networks_visible_to(user), slug=slug)
    meeting = get_object_or_404(network.meetings, pk=pk) if pk is not None else None
    initial: dict[str, Any] = {}
    if meeting is not None:
        initial = {name: getattr(meeting, name) for name in networks.MEETING_FIELDS}
        initial["starts_at"] = timezone.localtime(meeting.starts_at)
        initial["documents"] = list(meeting.documents.all())
    form = f.MeetingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        documents = list(data.pop("documents"))
        saved = form_attempt(
            form,
            lambda: networks.meeting_save(
                by=user, network=network, data=data, documents=documents, meeting=meeting
            ),
        )
        if saved is not None:
            return redirect(saved)
    context = {"network": network, "meeting": meeting, "form": form}
    status = 422 if form.errors else 200
    return render(request, "network/staff/meeting_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@signed_in_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Agenda, documents, minutes, decisions and actions; node office adds actions."""
    user = _user(request)
    meeting = get_object_or_404(meetings_visible_to(user), pk=pk)
    can_manage = can_manage_networks(user)
    members = meeting.network.members.filter(left_on__isnull=True)
    form = f.ActionForm(request.POST or None, members=members) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise Forbidden
        if form.is_valid():
            data = form.cleaned_data
            added = form_attempt(
                form,
                lambda: networks.action_add(
                    by=user,
                    meeting=meeting,
                    text=data["text"],
                    owner=data["owner"],
                    due_on=data["due_on"],
                ),
            )
            if added is not None:
                return redirect(meeting)
    context = {
        "meeting": meeting,
        "network": meeting.network,
        "actions": meeting.actions.select_related("owner"),
        "documents": meeting.documents.all(),
        "can_manage": can_manage,
        "form": form,
        "today": timezone.localdate(),
    }
    status = 422 if form is not None and form.errors else 200
    return render(request, "network/staff/meeting.html", context, status=status)


@require_POST
@signed_in_required
def action_done(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    action = get_object_or_404(
        ActionItem.objects.filter(meeting__in=meetings_visible_to(user)), pk=pk
    )
    _forbidden(lambda: networks.action_complete(by=user, action=action))
    return redirect(action.meeting)


# Library -------------------------------------------------------------------------------------


@require_GET
@staff_required
def library_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    documents = documents_visible_to(user).prefetch_related("versions").order_by("topic", "title")
    context = {
        "documents": documents,
        "can_manage": can_manage_documents(user),
        "today": timezone.localdate(),
    }
    return render(request, "network/staff/library.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.NODE_OFFICE)
def document_new(request: HttpRequest) -> HttpResponse:
    form = f.DocumentForm(
        request.POST or None, request.FILES or None, initial={"owner": request.user}
    )
    if request.method == "POST" and form.is_valid():
        created = form_attempt(
            form,
            lambda: library.document_create(
                by=_user(request),
                data=form.document_data(),
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            ),
        )
        if created is not None:
            return redirect(created)
    status = 422 if form.errors else 200
    return render(request, "network/staff/document_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@signed_in_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A document with every version; node office uploads a new version here."""
    user = _user(request)
    document = get_object_or_404(documents_visible_to(user), pk=pk)
    can_manage = can_manage_documents(user)
    form = f.VersionForm(request.POST or None, request.FILES or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise Forbidden
        if form.is_valid():
            added = form_attempt(
                form,
                lambda: library.document_version_add(
                    by=user,
                    document=document,
                    upload=form.cleaned_data["file"],
                    note=form.cleaned_data["note"],
                ),
            )
            if added is not None:
                messages.success(request, _("Version %(n)s added.") % {"n": added.number})
                return redirect(document)
    context = {
        "document": document,
        "versions": document.versions.select_related("uploaded_by"),
        "form": form,
        "can_manage": can_manage,
        "today": timezone.localdate(),
    }
    status = 422 if form is not None and form.errors else 200
    return render(request, "network/staff/document.html", context, status=status)


# The activity report -------------------------------------------------------------------------


@require_GET
@role_required(Role.NODE_OFFICE)
def report(request: HttpRequest) -> HttpResponse:
    """The activity report of a year, as a page with PDF and XLSX downloads."""
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or this_year - 1)
    except ValueError:
        year = this_year - 1
    year = min(max(year, 2016), this_year)
    built = activity_report(year=year, language=translation.get_language() or "sv")
    fmt = request.GET.get("format", "")
    if fmt == "pdf":
        response = HttpResponse(activity_report_pdf(built), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="activity-report-{year}.pdf"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(
            activity_report_xlsx(built),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="activity-report-{year}.xlsx"'
        return response
    years = list(range(this_year, 2015, -1))
    return render(request, "network/staff/report.html", {"report": built, "years": years})
