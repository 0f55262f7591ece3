"""Forms of the disclosure pages: the harmonised request form and each step of a case."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Language, Organisation, Region, User
from studienav.disclosure.models import (
    ApprovalKind,
    AttachmentKind,
    Condition,
    DataWanted,
    DecisionKind,
    DisclosureRequest,
    HarmOutcome,
    SecureChannel,
)
from studienav.disclosure.services import DATA_WANTED_FIELDS, REQUEST_FIELDS
from studienav.registry.models import Study

TEXT_MAX = 10_000


class DateInput(forms.DateInput):
    input_type = "date"


def _rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


class RequestForm(forms.ModelForm):
    """The harmonised form: the same for every region, in Swedish and English."""

    is_pseudonymised = forms.TypedChoiceField(
        label=_("Is the data to be pseudonymised?"),
        choices=[("", _("Not answered yet")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )
    accepted_conditions = forms.MultipleChoiceField(
        label=_("Confidentiality conditions I accept"),
        choices=Condition.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Every region requires all of them."),
    )

    class Meta:
        model = DisclosureRequest
        fields = list(REQUEST_FIELDS)
        widgets = {
            "purpose": _rows(5),
            "legal_basis_details": _rows(3),
            "delivery_details": _rows(3),
            "deletion_plan": _rows(3),
            "retain_until": DateInput(),
        }
        help_texts = {
            "key_holder": _("The person or body that keeps the key linking codes to people."),
            "study": _("If the project is a study in the registry, link it."),
            "decision_language": _("Decisions are written in Swedish; ask for English here."),
        }

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation],
        studies: QuerySet[Study],
        **kwargs: Any,
    ) -> None:
        instance = kwargs.get("instance")
        if instance is not None and instance.is_pseudonymised is not None:
            kwargs.setdefault("initial", {})["is_pseudonymised"] = (
                "yes" if instance.is_pseudonymised else "no"
            )
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)
        organisation.queryset = organisations
        if organisations.count() == 1 and instance is None:
            organisation.initial = organisations.first()
        study = self.fields["study"]
        assert isinstance(study, forms.ModelChoiceField)
        study.queryset = studies
        for name in ("purpose", "legal_basis_details", "delivery_details", "deletion_plan"):
            field = self.fields[name]
            assert isinstance(field, forms.CharField)
            field.max_length = TEXT_MAX

    def request_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in REQUEST_FIELDS}

    def _post_clean(self) -> None:
        # The service validates the model; the form only parses the input.
        return None


class EthicsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ApprovalKind.choices)
    case_number = forms.CharField(
        label=_("Case number (dnr)"),
        max_length=40,
        help_text=_("Like 2023-01234-01 (the Ethical Review Authority since 2019)."),
    )
    decided_on = forms.DateField(label=_("Decision date"), widget=DateInput())
    decision = forms.FileField(
        label=_("The decision (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )


class DataWantedForm(forms.ModelForm):
    """What is wanted; saved for each region ticked."""

    regions = forms.ModelMultipleChoiceField(
        label=_("From the regions"),
        queryset=Region.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = DataWanted
        fields = list(DATA_WANTED_FIELDS)
        widgets = {
            "registers": _rows(2),
            "variables": _rows(3),
            "population": _rows(3),
            "images": _rows(2),
            "period_start": DateInput(),
            "period_end": DateInput(),
        }

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["regions"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = regions
        self.order_fields(["regions", *DATA_WANTED_FIELDS])

    def wanted_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in DATA_WANTED_FIELDS}

    def _post_clean(self) -> None:
        return None


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of document"),
        choices=[c for c in AttachmentKind.choices if c[0] != AttachmentKind.ETHICS_DECISION],
    )
    file = forms.FileField(
        label=_("Document (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (for the record)"), max_length=2000, required=False)


class AssignForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("Case handler"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason (for the record)"), max_length=2000, required=False)

    def __init__(self, *args: Any, officers: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["handler"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = officers


class AssessmentForm(forms.Form):
    data_concerned = forms.CharField(
        label=_("Which data the assessment concerns"), widget=_rows(2), max_length=TEXT_MAX
    )
    harm_test = forms.CharField(
        label=_("Harm test (ch. 25 sec. 1)"),
        widget=_rows(4),
        max_length=TEXT_MAX,
        help_text=_(
            "Can the data be disclosed without the person concerned or someone close to them "
            "being harmed?"
        ),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=HarmOutcome.choices, widget=forms.RadioSelect
    )
    legal_basis_checked = forms.BooleanField(label=_("Legal basis checked"), required=False)
    ethics_covers = forms.BooleanField(
        label=_("The ethics approval covers the data wanted"), required=False
    )
    minimisation = forms.CharField(
        label=_("Minimisation (what is left out and why)"),
        widget=_rows(2),
        max_length=TEXT_MAX,
        required=False,
    )
    internal_notes = forms.CharField(
        label=_("Internal notes (only your region's officers read them)"),
        widget=_rows(3),
        max_length=TEXT_MAX,
        required=False,
    )


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message"), widget=_rows(4), max_length=TEXT_MAX)


class QuestionToRequesterForm(forms.Form):
    text = forms.CharField(
        label=_("Question to the requester"), widget=_rows(4), max_length=TEXT_MAX
    )


class ClarificationAnswerForm(forms.Form):
    text = forms.CharField(label=_("Your answer"), widget=_rows(4), max_length=TEXT_MAX)


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Decision"), choices=DecisionKind.choices, widget=forms.RadioSelect
    )
    scope = forms.CharField(
        label=_("What is disclosed (when approved in part)"),
        widget=_rows(2),
        max_length=TEXT_MAX,
        required=False,
    )
    conditions = forms.CharField(
        label=_("Conditions (förbehåll)"), widget=_rows(3), max_length=TEXT_MAX, required=False
    )
    reasons = forms.CharField(
        label=_("Reasons (when rejected, or approved in part)"),
        widget=_rows(3),
        max_length=TEXT_MAX,
        required=False,
    )
    appeal = forms.CharField(
        label=_("How to appeal"),
        widget=_rows(3),
        max_length=TEXT_MAX,
        required=False,
        help_text=_("Leave empty for the region's standard text."),
    )
    language = forms.ChoiceField(label=_("Language of the decision"), choices=Language.choices)


class DeliveryForm(forms.Form):
    description = forms.CharField(
        label=_("What was delivered"), widget=_rows(2), max_length=TEXT_MAX
    )
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput())
    channel = forms.ChoiceField(label=_("Channel"), choices=SecureChannel.choices)
    manifest = forms.CharField(
        label=_("Checksum manifest"),
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        max_length=2_000_000,
        help_text=_(
            "One line per file, as sha256sum writes it: the SHA-256 checksum, a space, the "
            "file name. The files themselves are never uploaded here."
        ),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=_rows(3), max_length=TEXT_MAX)
