"""Input validation for sign-in, invitations, roles and profiles, in words people act on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied as Forbidden
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from studienav.core.errors import DomainError, PermissionDenied
from studienav.core.models import (
    ROLES_PER_ORGANISATION,
    ROLES_PER_REGION,
    Language,
    Organisation,
    Region,
    Role,
    User,
)
from studienav.core.outbox import outbox_enqueue
from studienav.core.selectors import node_regions

T = TypeVar("T")


def form_attempt(form: forms.BaseForm, step: Callable[[], T]) -> T | None:
    """Run a service for a form: a domain error lands next to its field (or above the form),
    a refusal becomes 403."""
    try:
        return step()
    except PermissionDenied as error:
        raise Forbidden(error.message) from error
    except DomainError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)
        return None


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        # The same words whether the address exists or not: no user enumeration.
        "invalid_login": _("The e-mail address or the password is wrong."),
        "inactive": _("The e-mail address or the password is wrong."),
    }


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's password reset, with the link sent through the outbox like every e-mail."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        language = get_language() or Language.SWEDISH
        outbox_enqueue(
            to=to_email,
            subject=render_to_string(subject_template_name, context),
            body=render_to_string(email_template_name, context),
            language=language if language in Language.values else Language.SWEDISH,
        )


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. Avoid common words and patterns."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        validate_password(password, self.user)
        return password

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class RoleScopeForm(forms.Form):
    """A role and what it is held for; shared by invitations and grants."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("For node coordinators and data-disclosure officers."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("For sponsors and site staff; optional for researchers."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region_field = self.fields["region"]
        organisation_field = self.fields["organisation"]
        assert isinstance(region_field, forms.ModelChoiceField)
        assert isinstance(organisation_field, forms.ModelChoiceField)
        region_field.queryset = node_regions()
        organisation_field.queryset = Organisation.objects.filter(
            parent__isnull=True
        ) | Organisation.objects.filter(type="clinic")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role in ROLES_PER_REGION and not data.get("region"):
            self.add_error("region", _("Choose the region this role is held for."))
        if role in ROLES_PER_ORGANISATION and not data.get("organisation"):
            self.add_error("organisation", _("Choose the organisation this role is held for."))
        return data


class InvitationForm(RoleScopeForm):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    language = forms.ChoiceField(
        label=_("Language of the invitation"), choices=Language.choices, initial=Language.SWEDISH
    )
    field_order = ["full_name", "email", "language", "role", "region", "organisation"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.TextInput(),
        help_text=_("Kept in the audit trail."),
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "phone", "language"]
