"""The public forms (each field says why it is asked) and the coordinator's forms."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.errors import DomainError
from studienav.core.models import Municipality, Region
from studienav.core.places import place_resolve
from studienav.core.selectors import node_regions
from studienav.participation.identity import identity_number_normalise
from studienav.participation.models import (
    ContactChannel,
    ExpressionOfInterest,
    InterestKind,
    InterestStatus,
    PersonSex,
)
from studienav.participation.services import PersonData

HONEYPOT = "website"


class PersonForm(forms.Form):
    """The person's own data, with the reason for each field."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("So that the coordinator can address you."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("To confirm your registration and send you study information."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        help_text=_("If you prefer a call. Give an e-mail address, a phone number or both."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    year_of_birth = forms.IntegerField(
        label=_("Year of birth"),
        required=False,
        help_text=_("Studies accept people of certain ages only."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=[("", _("Do not say")), *PersonSex.choices],
        help_text=_("Only some studies need it (for example studies of women or of men only)."),
    )
    municipality = forms.CharField(
        label=_("Municipality you live in"),
        max_length=100,
        help_text=_("To find the nearest study site and the region that answers you."),
    )
    conditions = forms.CharField(
        label=_("Conditions or diagnoses"),
        required=False,
        max_length=1000,
        help_text=_("Separate them with commas. Used only to find studies that suit you."),
    )
    regions_of_interest = forms.ModelMultipleChoiceField(
        label=_("Regions where you could take part"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every region."),
    )
    free_text = forms.CharField(
        label=_("Anything else you want to tell us"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Read only by the research coordinators. Do not write more than needed."),
    )
    identity_number = forms.CharField(
        label=_("Personal identity number"),
        required=False,
        max_length=20,
        help_text=_(
            "Optional. Personnummer or samordningsnummer, so that we can find double "
            "registrations. Stored encrypted and never sent by e-mail."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, kind: str = InterestKind.GENERAL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        regions = self.fields["regions_of_interest"]
        assert isinstance(regions, forms.ModelMultipleChoiceField)
        regions.queryset = node_regions()
        if kind != InterestKind.GENERAL:
            del self.fields["regions_of_interest"]

    def clean_year_of_birth(self) -> int | None:
        year = self.cleaned_data.get("year_of_birth")
        this_year = timezone.localdate().year
        if year is not None and not (this_year - 120 <= year <= this_year):
            raise forms.ValidationError(
                _("Give a year between %(first)s and %(last)s."),
                params={"first": this_year - 120, "last": this_year},
            )
        return year

    def clean_municipality(self) -> Municipality:
        text = self.cleaned_data.get("municipality", "")
        place = place_resolve(text)
        if place is None or place.municipality is None:
            raise forms.ValidationError(
                _("We do not know this municipality. Write its name, for example Uppsala or Falun.")
            )
        return place.municipality

    def clean_identity_number(self) -> str:
        text = self.cleaned_data.get("identity_number", "")
        if not text.strip():
            return ""
        try:
            return identity_number_normalise(text)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None

    def clean_conditions(self) -> list[str]:
        text = self.cleaned_data.get("conditions", "")
        return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()][:20]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone") and not self.has_error("email"):
            self.add_error(
                "email", _("Give an e-mail address or a phone number so that we can reach you.")
            )
        return data

    def person_data(self) -> PersonData:
        data = self.cleaned_data
        return PersonData(
            name=data["name"],
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            year_of_birth=data.get("year_of_birth"),
            sex=data.get("sex") or "",
            municipality=data["municipality"],
            conditions=data.get("conditions") or [],
            free_text=data.get("free_text") or "",
            identity_number=data.get("identity_number") or "",
            regions_of_interest=list(data.get("regions_of_interest") or []),
        )

    @classmethod
    def initial_from(cls, interest: ExpressionOfInterest) -> dict[str, Any]:
        return {
            "name": interest.name,
            "email": interest.email,
            "phone": interest.phone,
            "year_of_birth": interest.year_of_birth,
            "sex": interest.sex,
            "municipality": interest.municipality.name if interest.municipality else "",
            "conditions": ", ".join(interest.conditions or []),
            "regions_of_interest": list(interest.regions_of_interest.all()),
            "free_text": interest.free_text,
            "identity_number": interest.identity_number,
        }


class InterestForm(PersonForm):
    """Registration of interest: the person's data, consent, and a honeypot for robots."""

    notify_new_studies = forms.BooleanField(
        label=_("E-mail me when a new study that suits me is published"),
        required=False,
    )
    share_for_referral = forms.BooleanField(
        label=_(
            "My name, contact details, year of birth, sex and conditions may be passed to a study "
            "site in another region if a study there suits me"
        ),
        required=False,
    )
    consent = forms.BooleanField(
        label=_("I have read the consent text above and agree to it"),
        error_messages={"required": _("We can register your interest only with your consent.")},
    )
    consent_text = forms.IntegerField(widget=forms.HiddenInput)
    # Hidden from people by the stylesheet; robots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args: Any, kind: str = InterestKind.GENERAL, **kwargs: Any) -> None:
        super().__init__(*args, kind=kind, **kwargs)
        if kind != InterestKind.GENERAL:
            del self.fields["notify_new_studies"]
        self.fields[HONEYPOT].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get(HONEYPOT))


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The address you registered with. We e-mail you a link that signs you in."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    website = forms.CharField(required=False, label=_("Leave this field empty"))


class PurposeChoice:
    CHOICES = [
        ("follow_up", _("Follow-up of the registration")),
        ("matching", _("Finding suitable studies")),
        ("referral", _("Referral to another region")),
        ("person_request", _("The person's own request")),
    ]


class PurposeForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Why do you open this person's data?"),
        choices=PurposeChoice.CHOICES,
        help_text=_("Your reading is logged with this purpose and shown to the person."),
    )


class ContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("Contact by"), choices=ContactChannel.choices)
    status = forms.ChoiceField(
        label=_("New status"),
        required=False,
        choices=[("", _("Unchanged"))]
        + [c for c in InterestStatus.choices if c[0] != InterestStatus.WITHDRAWN],
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TaskForm(forms.Form):
    due_on = forms.DateField(
        label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}), initial=datetime.date.today
    )
    description = forms.CharField(label=_("Task"), max_length=500)


class ReferralForm(forms.Form):
    site = forms.IntegerField(label=_("Site"))
    note = forms.CharField(label=_("Note to the receiving region"), required=False, max_length=1000)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("accept", _("Accept")), ("decline", _("Decline"))]
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000)
