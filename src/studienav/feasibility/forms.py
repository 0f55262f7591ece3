"""Forms of the study-request pages, with error messages people can act on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Organisation, Region
from studienav.feasibility.models import (
    DeclineReason,
    Outcome,
    RequestChannel,
    StudyRequest,
)
from studienav.feasibility.services import REQUEST_FIELDS
from studienav.registry.models import Study


class DateInput(forms.DateInput):
    input_type = "date"


class RequestForm(forms.ModelForm):
    """What a sponsor tells the node about the planned study."""

    organisation = forms.ModelChoiceField(
        label=_("Sponsor organisation"), queryset=Organisation.objects.none()
    )
    attachment = forms.FileField(
        label=_("Protocol synopsis (PDF, at most 20 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    class Meta:
        model = StudyRequest
        fields = list(REQUEST_FIELDS)
        widgets = {
            "planned_start": DateInput(),
            "answer_deadline": DateInput(),
            "inclusion_criteria": forms.Textarea(attrs={"rows": 4}),
            "exclusion_criteria": forms.Textarea(attrs={"rows": 4}),
            "suggested_sites": forms.Textarea(attrs={"rows": 3}),
            "ce_marked": forms.NullBooleanSelect(),
        }

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations
        if organisations.count() == 1:
            field.initial = organisations.first()
        self.order_fields(["organisation", *REQUEST_FIELDS, "attachment"])

    def request_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in REQUEST_FIELDS}


class RegisterForm(RequestForm):
    """Node office registers a request received by e-mail or from the national portal."""

    channel = forms.ChoiceField(
        label=_("Received through"),
        choices=[
            (RequestChannel.EMAIL, RequestChannel.EMAIL.label),
            (RequestChannel.NATIONAL, RequestChannel.NATIONAL.label),
        ],
    )
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Question to the sponsor"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )


class ClarificationForm(forms.Form):
    clarification = forms.CharField(
        label=_("Clarification"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class ForwardForm(forms.Form):
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions to forward to"),
        queryset=Region.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["regions"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = regions


class NotForwardForm(forms.Form):
    reason = forms.CharField(label=_("Why it is not forwarded"), max_length=2000)


class RecipientsForm(forms.Form):
    """Suggested clinics to tick, and further people one per line: name, e-mail."""

    suggested = forms.MultipleChoiceField(
        label=_("Suggested from the registry"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = forms.CharField(
        label=_("Others to ask"),
        help_text=_("One per line: name, e-mail address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, suggestions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["suggested"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = suggestions

    def clean_others(self) -> list[tuple[str, str]]:
        people = []
        validator = forms.EmailField()
        for number, line in enumerate(self.cleaned_data["others"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, email = line.rpartition(",")
            try:
                email = validator.clean(email.strip())
            except forms.ValidationError as error:
                raise forms.ValidationError(
                    _("Line %(number)s: write a name, a comma and an e-mail address."),
                    params={"number": number},
                ) from error
            people.append((name.strip(), email))
        return people

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("suggested") and not data.get("others") and not self.errors:
            raise forms.ValidationError(_("Choose at least one clinic or person to ask."))
        return data


class AnswerForm(forms.Form):
    is_interested = forms.TypedChoiceField(
        label=_("Are you interested in taking part?"),
        choices=[("yes", _("Yes, interested")), ("no", _("No, not this time"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    eligible_patients_per_year = forms.IntegerField(
        label=_("Estimated eligible patients per year"),
        required=False,
        min_value=0,
        max_value=1_000_000,
    )
    capacity = forms.CharField(
        label=_("Capacity (staff, rooms, equipment)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    competing_studies = forms.CharField(
        label=_("Competing studies at your clinic"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    decline_reason = forms.ChoiceField(
        label=_("Main reason for declining"),
        required=False,
        choices=[("", "—"), *DeclineReason.choices],
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CompileForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary of the region's answers"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
    )


class SendForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer to the sponsor"),
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=20000,
    )
    late_reason = forms.CharField(
        label=_("Why the answer goes without some regions"),
        help_text=_(
            "Only when some regions have not compiled: the sponsor sees them as no answer by "
            "the deadline, and each can be sent later as a supplement."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class SupplementForm(forms.Form):
    text = forms.CharField(
        label=_("Supplement to the answer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
    )


class DocumentImportForm(forms.Form):
    document = forms.FileField(
        label=_("Request or compiled answer (JSON, format studienav.feasibility/1)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[c for c in Outcome.choices if c[0]])
    study = forms.ModelChoiceField(
        label=_("Study in the registry"), queryset=Study.objects.none(), required=False
    )

    def __init__(self, *args: Any, studies: QuerySet[Study], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["study"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = studies
