"""Forms of the network pages, with error messages people can act on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studienav.core.models import User
from studienav.core.selectors import node_regions
from studienav.network.models import (
    Course,
    CourseSession,
    Document,
    Evaluation,
    MemberRole,
    NetworkMember,
    Registration,
)


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class RegistrationForm(forms.ModelForm):
    """Who registers: name, e-mail, organisation and the language for e-mails."""

    class Meta:
        model = Registration
        fields = ["full_name", "email", "organisation", "language"]
        labels = {"language": _("Language of e-mails and certificate")}
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
        }


class CourseForm(forms.ModelForm):
    """A course of the node, in both languages."""

    class Meta:
        model = Course
        fields = ["kind", "name", "name_en", "description", "description_en", "validity_months"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }


class SessionForm(forms.ModelForm):
    """A new session of a course."""

    class Meta:
        model = CourseSession
        fields = [
            "course",
            "starts_at",
            "ends_at",
            "is_online",
            "place",
            "region",
            "language",
            "seats",
            "audience",
            "fee_sek",
        ]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = node_regions()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("is_online") and not (data.get("place") or "").strip():
            self.add_error("place", _("Give the place, or tick online."))
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The session must end after it starts."))
        return data

    def session_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name != "course"}


class AttendanceForm(forms.Form):
    """One checkbox per seat holder: ticked means present."""

    attended = forms.MultipleChoiceField(
        label=_("Present"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, registrations: QuerySet[Registration], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attended"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(r.pk), f"{r.full_name} ({r.email})") for r in registrations]
        self.initial.setdefault(
            "attended", [str(r.pk) for r in registrations if r.state == "attended"]
        )

    def attended_ids(self) -> set[int]:
        return {int(pk) for pk in self.cleaned_data["attended"]}


GRADES = [(str(n), str(n)) for n in range(1, 6)]


def _grade(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=GRADES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 is poor, 5 is excellent."),
    )


class EvaluationForm(forms.ModelForm):
    """The participant's answers: three grades from 1 (poor) to 5 (excellent), and free text."""

    overall = _grade(_("Overall, how good was the course?"))
    relevance = _grade(_("How useful is it for your work?"))
    leader = _grade(_("How good was the course leader?"))
    would_recommend = forms.TypedChoiceField(
        label=_("Would you recommend the course to a colleague?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Evaluation
        fields = ["overall", "relevance", "leader", "would_recommend", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 4})}

    def answers(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CertificateLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=20,
        help_text=_("Twelve letters and digits, as printed on the certificate."),
    )


class MemberForm(forms.ModelForm):
    """A member by name and e-mail; an account with that e-mail is linked."""

    class Meta:
        model = NetworkMember
        fields = ["full_name", "email", "region", "organisation", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = node_regions()
        self.fields["role"].initial = MemberRole.MEMBER

    def validate_unique(self) -> None:
        """The service checks membership (the network is not a field here)."""


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeInput())
    place = forms.CharField(label=_("Place or link"), max_length=300, required=False)
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    decisions = forms.CharField(
        label=_("Decisions"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    documents = forms.ModelMultipleChoiceField(
        label=_("Attached documents"),
        queryset=Document.objects.order_by("title"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ActionForm(forms.Form):
    text = forms.CharField(label=_("Action"), max_length=500)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=NetworkMember.objects.none())
    due_on = forms.DateField(label=_("Due"), widget=DateInput())

    def __init__(self, *args: Any, members: QuerySet[NetworkMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = members


class DocumentForm(forms.ModelForm):
    """A document's description; the first file comes with it."""

    file = forms.FileField(
        label=_("File (PDF, DOCX or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx"}),
    )
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    class Meta:
        model = Document
        fields = ["title", "description", "topic", "language", "owner", "review_on", "visibility"]
        widgets = {"review_on": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = User.objects.filter(roles__revoked_at__isnull=True).distinct()

    def document_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class VersionForm(forms.Form):
    file = forms.FileField(
        label=_("New version (PDF, DOCX or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx"}),
    )
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)
