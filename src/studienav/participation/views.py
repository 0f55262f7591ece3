"""Thin views: the public registration, "my registrations", and the coordinator's follow-up."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from studienav.core.access import role_required
from studienav.core.errors import DomainError
from studienav.core.models import Role, User
from studienav.participation import services
from studienav.participation.forms import (
    ContactForm,
    DecisionForm,
    InterestForm,
    PersonForm,
    PurposeChoice,
    PurposeForm,
    ReferralForm,
    SignInForm,
    TaskForm,
)
from studienav.participation.matching import interest_match, recruiting_studies
from studienav.participation.models import (
    ExpressionOfInterest,
    FollowUpTask,
    InterestKind,
    InterestStatus,
    ReferralStatus,
)
from studienav.participation.ratelimit import rate_limit_exceeded
from studienav.participation.selectors import (
    access_log_of,
    current_consent,
    interests_of_person,
    interests_visible_to,
    queue_for,
    referrals_visible_to,
)
from studienav.participation.signin import person_sign_out, sign_in_method, signed_in_person
from studienav.participation.tokens import interest_from_token
from studienav.registry.models import Site

View = TypeVar("View", bound=Callable[..., HttpResponse])
coordinator_required = role_required(Role.NODE_COORDINATOR)


def no_store(view: View) -> View:
    """Pages with personal data are never kept by browsers or proxies."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return cast(View, wrapped)


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "participation/too_many.html", status=429)


# Public registration


def _register(request: HttpRequest, *, kind: str, study: Any = None) -> HttpResponse:
    language = translation.get_language() or "sv"
    consent_text = services.consent_text_current(kind=kind, language=language)
    form = InterestForm(request.POST or None, kind=kind, initial={"consent_text": consent_text.pk})
    context = {"form": form, "consent_text": consent_text, "study": study, "kind": kind}
    if request.method != "POST":
        return render(request, "participation/interest_form.html", context)
    if rate_limit_exceeded(request, form="interest"):
        return _too_many(request)
    if form.is_robot:
        return redirect("participation:interest_sent")  # tell a robot nothing
    if not form.is_valid():
        return render(request, "participation/interest_form.html", context, status=422)
    seen = services.ConsentText.objects.filter(
        pk=form.cleaned_data["consent_text"], kind=kind
    ).first()
    try:
        services.interest_register(
            kind=kind,
            study=study,
            data=form.person_data(),
            consent_text=seen or consent_text,
            language=language,
            notify_new_studies=form.cleaned_data.get("notify_new_studies", False),
            share_for_referral=form.cleaned_data["share_for_referral"],
        )
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return render(request, "participation/interest_form.html", context, status=422)
    return redirect("participation:interest_sent")


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@no_store
def interest_general(request: HttpRequest) -> HttpResponse:
    return _register(request, kind=InterestKind.GENERAL)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@no_store
def interest_study(request: HttpRequest, study_id: int) -> HttpResponse:
    study = get_object_or_404(recruiting_studies(), pk=study_id)
    return _register(request, kind=InterestKind.STUDY, study=study)


@require_http_methods(["GET"])
@no_store
def interest_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "participation/interest_sent.html")


@require_http_methods(["GET", "POST"])
@no_store
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # A GET only shows the button: mail scanners that follow links must not confirm.
    if request.method != "POST":
        return render(request, "participation/confirm.html")
    try:
        services.interest_confirm(token=token)
    except DomainError as error:
        return render(request, "participation/link_invalid.html", {"error": error}, status=404)
    return render(request, "participation/confirmed.html")


@require_http_methods(["GET", "POST"])
@no_store
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    interest_id = interest_from_token(purpose="withdraw", token=token)
    interest = ExpressionOfInterest.objects.filter(
        pk=interest_id or 0, erased_at__isnull=True
    ).first()
    if interest is None:
        return render(request, "participation/withdrawn.html", {"already": True})
    if request.method != "POST":
        return render(request, "participation/withdraw.html", {"reference": interest.reference})
    services.interest_withdraw(interest=interest)
    return render(request, "participation/withdrawn.html")


@require_http_methods(["GET", "POST"])
@no_store
def keep(request: HttpRequest, token: str) -> HttpResponse:
    interest_id = interest_from_token(purpose="keep", token=token)
    interest = ExpressionOfInterest.objects.filter(
        pk=interest_id or 0, erased_at__isnull=True
    ).first()
    if interest is None:
        raise Http404
    if request.method == "POST":
        services.interest_keep(interest=interest)
        messages.success(request, _("Thank you: your registration is kept."))
        return redirect("participation:my_sign_in")
    return render(request, "participation/keep.html")


# My registrations


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@no_store
def my_sign_in(request: HttpRequest) -> HttpResponse:
    if signed_in_person(request) and request.method == "GET":
        return redirect("participation:my_list")
    form = SignInForm(request.POST or None)
    if request.method == "POST":
        if rate_limit_exceeded(request, form="sign-in"):
            return _too_many(request)
        if form.is_valid():
            if not form.cleaned_data["website"]:
                sign_in_method().start(request, email=form.cleaned_data["email"])
            return render(request, "participation/sign_in_sent.html")
        return render(request, "participation/sign_in.html", {"form": form}, status=422)
    return render(request, "participation/sign_in.html", {"form": form})


@require_http_methods(["GET", "POST"])
@no_store
def my_sign_in_complete(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":
        return render(request, "participation/sign_in_complete.html")
    if not sign_in_method().complete(request, token=token):
        return render(request, "participation/link_invalid.html", status=404)
    return redirect("participation:my_list")


@require_POST
def my_sign_out(request: HttpRequest) -> HttpResponse:
    person_sign_out(request)
    return redirect("participation:my_sign_in")


def _mine(request: HttpRequest) -> Any:
    person = signed_in_person(request)
    if person is None:
        return None
    return interests_of_person(**person)


def _my_interest(request: HttpRequest, pk: int) -> ExpressionOfInterest:
    mine = _mine(request)
    if mine is None:
        raise Http404
    return cast(ExpressionOfInterest, get_object_or_404(mine, pk=pk))


@require_http_methods(["GET"])
@no_store
def my_list(request: HttpRequest) -> HttpResponse:
    mine = _mine(request)
    if mine is None:
        return redirect("participation:my_sign_in")
    return render(
        request, "participation/my_list.html", {"interests": mine.select_related("study")}
    )


def _access_rows(interest: ExpressionOfInterest) -> list[tuple[Any, str]]:
    entries = list(access_log_of(interest))
    names = dict(
        User.objects.filter(pk__in={e.actor_id for e in entries}).values_list("pk", "full_name")
    )
    return [(e, names.get(e.actor_id, "")) for e in entries]


@require_http_methods(["GET"])
@no_store
def my_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _my_interest(request, pk)
    context = {
        "interest": interest,
        "consents": interest.consents.select_related("text"),
        "contacts": interest.contacts.all(),
        "referrals": interest.referrals.select_related("site__organisation", "to_region"),
        "access_rows": _access_rows(interest),
    }
    return render(request, "participation/my_detail.html", context)


@require_http_methods(["GET"])
@no_store
def my_export(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _my_interest(request, pk)
    response = JsonResponse(
        services.interest_export(interest=interest),
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Content-Disposition"] = f'attachment; filename="registration-{interest.pk}.json"'
    return response


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@no_store
def my_edit(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _my_interest(request, pk)
    form = PersonForm(
        request.POST or None, kind=interest.kind, initial=PersonForm.initial_from(interest)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.interest_correct(interest=interest, data=form.person_data())
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Your data is corrected."))
                return redirect("participation:my_list")
        return render(
            request, "participation/my_edit.html", {"form": form, "interest": interest}, status=422
        )
    return render(request, "participation/my_edit.html", {"form": form, "interest": interest})


@require_http_methods(["GET", "POST"])
@no_store
def my_delete(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _my_interest(request, pk)
    if request.method == "POST":
        services.interest_delete(interest=interest, reason="deleted by the person")
        messages.success(request, _("Your registration and all data about you are deleted."))
        return redirect("participation:my_list")
    return render(request, "participation/my_delete.html", {"interest": interest})


@require_POST
@no_store
def my_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _my_interest(request, pk)
    services.interest_withdraw(interest=interest)
    messages.success(request, _("Your consent is withdrawn and your data erased."))
    return redirect("participation:my_list")


# The coordinator's follow-up


@require_http_methods(["GET"])
@coordinator_required
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in InterestStatus.values:
        status = ""
    interests = queue_for(_staff(request), status=status).prefetch_related("tasks")
    return render(
        request,
        "participation/queue.html",
        {"interests": interests, "status": status, "statuses": InterestStatus.choices},
    )


def _visible(request: HttpRequest, pk: int) -> ExpressionOfInterest:
    return get_object_or_404(interests_visible_to(_staff(request)), pk=pk)


def _person_url(interest: ExpressionOfInterest, purpose: str = "follow_up") -> str:
    return reverse("participation:person", args=[interest.pk]) + f"?purpose={purpose}"


@require_http_methods(["GET"])
@coordinator_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _visible(request, pk)
    purpose_form = PurposeForm(request.GET if "purpose" in request.GET else None)
    if not purpose_form.is_valid():
        return render(
            request, "participation/purpose.html", {"form": purpose_form, "interest": interest}
        )
    purpose = dict(PurposeChoice.CHOICES)[purpose_form.cleaned_data["purpose"]]
    services.interest_open(interest=interest, by=_staff(request), purpose=str(purpose))
    matches = interest_match(interest=interest, limit=10)
    other_sites = (
        Site.objects.filter(study__in=[m.study for m in matches])
        .exclude(region=interest.region)
        .select_related("organisation", "region", "study")
    )
    context = {
        "interest": interest,
        "consent": current_consent(interest),
        "matches": matches,
        "contacts": interest.contacts.select_related("by", "study"),
        "tasks": interest.tasks.all(),
        "referrals": interest.referrals.select_related("site__organisation", "to_region"),
        "referral_sites": [s for s in other_sites if s.is_recruiting],
        "contact_form": ContactForm(),
        "task_form": TaskForm(),
        "purpose": purpose_form.cleaned_data["purpose"],
    }
    return render(request, "participation/person.html", context)


def _after_action(
    request: HttpRequest, interest: ExpressionOfInterest, error: DomainError | None
) -> HttpResponse:
    if error is not None:
        messages.error(request, error.message)
    return redirect(_person_url(interest))


@require_POST
@coordinator_required
def person_contact(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _visible(request, pk)
    form = ContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how you contacted the person."))
        return redirect(_person_url(interest))
    error = None
    try:
        services.contact_log_add(
            interest=interest,
            by=_staff(request),
            channel=form.cleaned_data["channel"],
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("The contact is recorded."))
    except DomainError as caught:
        error = caught
    return _after_action(request, interest, error)


@require_POST
@coordinator_required
def person_task(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _visible(request, pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a task and a valid due date."))
        return redirect(_person_url(interest))
    services.task_add(interest=interest, by=_staff(request), **form.cleaned_data)
    messages.success(request, _("The task is added."))
    return redirect(_person_url(interest))


@require_POST
@coordinator_required
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(
        FollowUpTask.objects.filter(interest__in=interests_visible_to(_staff(request))), pk=pk
    )
    services.task_done(task=task, by=_staff(request))
    return redirect(_person_url(task.interest))


@require_POST
@coordinator_required
def person_send(request: HttpRequest, pk: int, study_id: int) -> HttpResponse:
    interest = _visible(request, pk)
    study = get_object_or_404(recruiting_studies(), pk=study_id)
    error = None
    try:
        services.interest_send_study_information(interest=interest, study=study, by=_staff(request))
        messages.success(request, _("The study information is sent."))
    except DomainError as caught:
        error = caught
    return _after_action(request, interest, error)


@require_POST
@coordinator_required
def person_refer(request: HttpRequest, pk: int) -> HttpResponse:
    interest = _visible(request, pk)
    form = ReferralForm(request.POST)
    error = None
    if form.is_valid():
        site = get_object_or_404(Site, pk=form.cleaned_data["site"])
        try:
            services.referral_create(
                interest=interest, site=site, by=_staff(request), note=form.cleaned_data["note"]
            )
            messages.success(request, _("The person is referred."))
        except DomainError as caught:
            error = caught
    else:
        messages.error(request, _("Choose a site."))
    return _after_action(request, interest, error)


@require_http_methods(["GET"])
@coordinator_required
def referrals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "participation/referrals.html",
        {"referrals": referrals_visible_to(_staff(request))},
    )


@require_http_methods(["GET", "POST"])
@coordinator_required
def referral(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(referrals_visible_to(_staff(request)), pk=pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_decide(
                referral=item,
                by=_staff(request),
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("The decision is recorded."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("participation:referral", pk=item.pk)
    shared = services.referral_open(referral=item, by=_staff(request))
    return render(
        request,
        "participation/referral.html",
        {
            "referral": item,
            "shared": shared,
            "form": form,
            "can_decide": item.status == ReferralStatus.PENDING
            and services.referrals_to_decide_exists(referral=item, by=_staff(request)),
        },
    )
