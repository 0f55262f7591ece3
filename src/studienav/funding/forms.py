"""Forms of the funding pages, with error messages people can act on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Language, Organisation, Region, User
from studienav.funding.models import (
    FEASIBILITY_MAX,
    FEASIBILITY_MIN,
    Application,
    Call,
    ConflictKind,
    DecisionOutcome,
)
from studienav.funding.services import CALL_FIELDS
from studienav.registry.models import Study


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value: Any) -> str | None:
        if hasattr(value, "strftime"):
            return str(timezone.localtime(value).strftime("%Y-%m-%dT%H:%M"))
        return super().format_value(value)


class JSONListField(forms.CharField):
    """A list of {key, title_sv, title_en, ...} written one per line as `key | sv | en`."""

    def __init__(self, *, extra: str = "", **kwargs: Any) -> None:
        self.extra = extra
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            lines = []
            for item in value:
                parts = [
                    str(item.get("key", "")),
                    item.get("title_sv", ""),
                    item.get("title_en", ""),
                ]
                if self.extra and item.get(self.extra):
                    parts.append(str(item[self.extra]))
                lines.append(" | ".join(str(p) for p in parts))
            return "\n".join(lines)
        return value

    def clean(self, value: Any) -> list[dict[str, Any]]:
        text = super().clean(value) or ""
        items = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 3 or not parts[0] or not parts[1] or not parts[2]:
                raise forms.ValidationError(
                    _("Line %(n)s: write key | Swedish title | English title."),
                    params={"n": number},
                )
            item: dict[str, Any] = {"key": parts[0], "title_sv": parts[1], "title_en": parts[2]}
            if self.extra and len(parts) > 3 and parts[3]:
                if not parts[3].isdigit():
                    raise forms.ValidationError(
                        _("Line %(n)s: the last part must be a whole number."),
                        params={"n": number},
                    )
                item[self.extra] = int(parts[3])
            items.append(item)
        return items


class CallForm(forms.ModelForm):
    """What node office sets for a call."""

    sections = JSONListField(
        label=_("Sections of the application form"),
        required=False,
        extra="max_chars",
        help_text=_("One per line: key | Swedish title | English title | most characters."),
    )
    criteria = JSONListField(
        label=_("Review criteria (scored 1–7)"),
        help_text=_("One per line: key | Swedish title | English title."),
    )
    required_documents = JSONListField(
        label=_("Required documents (PDF)"),
        required=False,
        help_text=_("One per line: key | Swedish title | English title."),
    )

    class Meta:
        model = Call
        fields = list(CALL_FIELDS)
        widgets = {
            "opens_on": DateInput(),
            "closes_at": DateTimeInput(),
            "decision_on": DateInput(),
            "text_sv": forms.Textarea(attrs={"rows": 6}),
            "text_en": forms.Textarea(attrs={"rows": 6}),
        }

    def call_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def _post_clean(self) -> None:
        """The services validate the model: the form only parses."""


class StartForm(forms.Form):
    title = forms.CharField(label=_("Project title"), max_length=300)
    organisation = forms.ModelChoiceField(
        label=_("Your organisation"), queryset=Organisation.objects.none()
    )
    language = forms.ChoiceField(
        label=_("Language of the decision letter"), choices=Language.choices
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations


class ApplicationForm(forms.Form):
    """The texts of an application: title, description, plan and the call's own sections."""

    title = forms.CharField(label=_("Project title"), max_length=300)
    description = forms.CharField(
        label=_("Project description"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    plan = forms.CharField(
        label=_("Project plan"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    language = forms.ChoiceField(
        label=_("Language of the decision letter"), choices=Language.choices
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": application.title,
                "description": application.description,
                "plan": application.plan,
                "language": application.language,
                **{f"section_{k}": v for k, v in application.section_texts.items()},
            },
        )
        super().__init__(*args, **kwargs)
        self.section_keys = []
        for section in application.call.sections_localised:
            key = str(section["key"])
            limit = int(str(section.get("max_chars") or 20_000))
            self.fields[f"section_{key}"] = forms.CharField(
                label=str(section["title"]),
                required=False,
                max_length=limit,
                help_text=_("At most %(n)s characters.") % {"n": limit},
                widget=forms.Textarea(attrs={"rows": 6}),
            )
            self.section_keys.append(key)

    def application_data(self) -> dict[str, Any]:
        data = {n: self.cleaned_data[n] for n in ("title", "description", "plan", "language")}
        data["section_texts"] = {k: self.cleaned_data[f"section_{k}"] for k in self.section_keys}
        return data


class CoApplicantForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"))
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none()
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations


class BudgetForm(forms.Form):
    """One number field per region and year: `amount_<code>_<year>`."""

    def __init__(self, *args: Any, regions: list[Region], years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = regions
        self.years = years
        for region in regions:
            for year in years:
                self.fields[f"amount_{region.code}_{year}"] = forms.IntegerField(
                    label=_("%(region)s, %(year)s (SEK)")
                    % {"region": region.short_name, "year": year},
                    min_value=0,
                    max_value=100_000_000,
                    required=False,
                    widget=forms.NumberInput(attrs={"step": 1000, "inputmode": "numeric"}),
                )

    def amounts(self) -> list[tuple[Region, int, int]]:
        return [
            (region, year, self.cleaned_data.get(f"amount_{region.code}_{year}") or 0)
            for region in self.regions
            for year in self.years
        ]

    def grid(self) -> list[dict[str, Any]]:
        """Rows per region with their fields, for the budget table."""
        return [
            {
                "region": region,
                "cells": [self[f"amount_{region.code}_{year}"] for year in self.years],
            }
            for region in self.regions
        ]


class AttachmentForm(forms.Form):
    document_key = forms.ChoiceField(label=_("Document"))
    upload = forms.FileField(
        label=_("File (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args: Any, documents: list[dict[str, object]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["document_key"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(d["key"]), str(d["title"])) for d in documents]


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest with this application?"),
        choices=[("no", _("No, I have no conflict of interest")), ("yes", _("Yes, I have"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label=_("Kind of conflict"),
        choices=[("", "—"), *[c for c in ConflictKind.choices if c[0]]],
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        label=_("Reviewers"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    rapporteur = forms.ModelChoiceField(label=_("Rapporteur"), queryset=User.objects.none())

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("reviewers", "rapporteur"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = members


class ReviewForm(forms.Form):
    """Scores per criterion on the call's scale, feasibility 1–3, comments."""

    feasibility = forms.TypedChoiceField(
        label=_("Feasibility (1–3)"),
        choices=[(str(n), str(n)) for n in range(FEASIBILITY_MIN, FEASIBILITY_MAX + 1)],
        coerce=int,
    )
    comments = forms.CharField(
        label=_("Comments"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(self, *args: Any, criteria: list[dict[str, object]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria_keys = []
        for criterion in criteria:
            key = str(criterion["key"])
            low, high = int(str(criterion.get("min", 1))), int(str(criterion.get("max", 7)))
            self.fields[f"score_{key}"] = forms.TypedChoiceField(
                label=_("%(title)s (%(low)s–%(high)s)")
                % {"title": criterion["title"], "low": low, "high": high},
                choices=[("", "—")] + [(str(n), str(n)) for n in range(low, high + 1)],
                coerce=int,
                required=False,
                empty_value=None,
            )
            self.criteria_keys.append(key)
        self.order_fields([f"score_{k}" for k in self.criteria_keys] + ["feasibility", "comments"])

    def scores(self) -> dict[str, int]:
        return {
            k: self.cleaned_data[f"score_{k}"]
            for k in self.criteria_keys
            if self.cleaned_data.get(f"score_{k}") is not None
        }


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note from the meeting"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=DecisionOutcome.choices, widget=forms.RadioSelect
    )
    amount = forms.IntegerField(
        label=_("Amount granted (SEK)"), min_value=0, max_value=100_000_000, required=False
    )
    reasons = forms.CharField(
        label=_("Reasons"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    letter_language = forms.ChoiceField(label=_("Language of the letter"), choices=Language.choices)


class ReportForm(forms.Form):
    progress = forms.CharField(
        label=_("Progress during the year"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    publications = forms.CharField(
        label=_("Publications (one DOI per line)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    studies = forms.ModelMultipleChoiceField(
        label=_("Studies registered in the study registry"),
        queryset=Study.objects.none(),
        required=False,
    )
    further_funding = forms.CharField(
        label=_("Further funding received"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    further_funding_amount = forms.IntegerField(
        label=_("Further funding in total (SEK)"), min_value=0, required=False
    )

    def __init__(self, *args: Any, studies: QuerySet[Study], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["studies"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = studies
