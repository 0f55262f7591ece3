"""Input of the registry's staff pages: the study form in WHO TRDS sections, sites, workflow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from studienav.core.errors import ValidationFailed
from studienav.core.models import Region
from studienav.core.selectors import node_regions
from studienav.registry import identifiers as ids
from studienav.registry.icd10 import icd10_normalise
from studienav.registry.importers._limits import size
from studienav.registry.models import (
    IdentifierScheme,
    InterventionType,
    OutcomeKind,
    Site,
    SiteStatus,
    Study,
    StudyState,
)

# The form's sections, in the order of the WHO Trial Registration Data Set (TRDS).
SECTIONS: list[tuple[str, Any, tuple[str, ...]]] = [
    (
        "titles",
        _("Identification and titles"),
        ("public_title", "public_title_en", "scientific_title", "acronym", "registered_on"),
    ),
    ("summary", _("Summary in plain language"), ("summary_sv", "summary_en", "description")),
    (
        "design",
        _("Type, phase and design"),
        (
            "study_type",
            "phase",
            "design",
            "keywords",
            "in_hospital_care",
            "in_primary_care",
            "in_dental_care",
            "lead_region",
        ),
    ),
    (
        "sponsor",
        _("Sponsor and funding"),
        ("sponsor_type", "primary_sponsor_name", "secondary_sponsors", "funding_sources"),
    ),
    (
        "contacts",
        _("Contacts"),
        (
            "public_contact_name",
            "public_contact_email",
            "public_contact_phone",
            "scientific_contact_name",
            "scientific_contact_email",
            "scientific_contact_affiliation",
        ),
    ),
    (
        "eligibility",
        _("Eligibility"),
        (
            "min_age_years",
            "max_age_years",
            "sex",
            "healthy_volunteers",
            "inclusion_criteria",
            "exclusion_criteria",
        ),
    ),
    (
        "dates",
        _("Dates, status and enrolment"),
        (
            "overall_status",
            "planned_start_date",
            "actual_start_date",
            "planned_end_date",
            "actual_end_date",
            "target_enrolment",
            "actual_enrolment",
            "countries",
        ),
    ),
    ("ethics", _("Ethics review"), ("ethics_status", "ethics_approved_on", "ethics_committee")),
    (
        "results",
        _("Results and data sharing"),
        ("results_summary", "results_url", "ipd_sharing", "ipd_sharing_statement"),
    ),
]

STUDY_FIELDS = tuple(name for _key, _title, names in SECTIONS for name in names)

# Help per field, after the WHO TRDS item it implements (WHO n).
HELP: dict[str, Any] = {
    "public_title": _(
        "WHO 9. A title the public understands, in Swedish: the condition and what is tested."
    ),
    "public_title_en": _("WHO 9. The public title in English."),
    "scientific_title": _(
        "WHO 10. The full scientific title as in the protocol, with the design and acronym."
    ),
    "acronym": _("WHO 10. The study's short name, if it has one."),
    "registered_on": _("WHO 2. The date the study was first registered in a primary registry."),
    "summary_sv": _("A short summary in plain Swedish: why the study is done and what it means."),
    "summary_en": _("The same summary in plain English."),
    "description": _("Optional longer description of the study for the public."),
    "study_type": _(
        "WHO 15. Drug trial, medical device investigation, other interventional or observational."
    ),
    "phase": _("WHO 15. The phase for drug trials; not applicable for other studies."),
    "design": _(
        "WHO 15. Allocation, masking, purpose and model, for example randomised, double-blind."
    ),
    "keywords": _("Words people may search for, one a line."),
    "in_hospital_care": _("The study runs in hospital care."),
    "in_primary_care": _("The study runs in primary care."),
    "in_dental_care": _("The study runs in dental care."),
    "lead_region": _("The region whose node coordinators review the record."),
    "sponsor_type": _("Academic, industry or other public sponsor."),
    "primary_sponsor_name": _("WHO 5. The organisation responsible for the study."),
    "secondary_sponsors": _("WHO 6. Other organisations that share responsibility, one a line."),
    "funding_sources": _("WHO 4. Where the money comes from, one source a line."),
    "public_contact_name": _("WHO 7. Who answers questions from the public about taking part."),
    "public_contact_email": _("WHO 7. A work e-mail address; it is published."),
    "public_contact_phone": _("WHO 7. A work telephone number; it is published."),
    "scientific_contact_name": _(
        "WHO 8. Who answers scientific questions, usually the principal investigator."
    ),
    "scientific_contact_email": _("WHO 8. A work e-mail address; it is published."),
    "scientific_contact_affiliation": _(
        "WHO 8. The scientific contact's department or organisation."
    ),
    "min_age_years": _("WHO 14. The youngest age in years that may take part; empty if none."),
    "max_age_years": _("WHO 14. The oldest age in years that may take part; empty if none."),
    "sex": _("WHO 14. Which sexes may take part."),
    "healthy_volunteers": _("WHO 14. Tick if people without the condition may take part."),
    "inclusion_criteria": _("WHO 14. The key criteria a participant must meet, one a line."),
    "exclusion_criteria": _("WHO 14. The key criteria that rule a participant out, one a line."),
    "overall_status": _("WHO 18. Whether the study recruits now."),
    "planned_start_date": _("WHO 16. When the first participant is expected."),
    "actual_start_date": _("WHO 16. The date the first participant was enrolled."),
    "planned_end_date": _("WHO 22. When the last participant is expected to finish."),
    "actual_end_date": _("WHO 22. The date the last participant finished (completion)."),
    "target_enrolment": _("WHO 17. How many participants the study plans to enrol in total."),
    "actual_enrolment": _("WHO 17. How many participants have been enrolled so far."),
    "countries": _("WHO 11. Countries of recruitment as two-letter codes (SE, NO), one a line."),
    "ethics_status": _(
        "WHO 21. Whether the Swedish Ethical Review Authority has approved the study."
    ),
    "ethics_approved_on": _("WHO 21. The date of the ethics approval."),
    "ethics_committee": _("WHO 21. The ethics committee that reviewed the study."),
    "results_summary": _("WHO 23. A summary of the results once the study is finished."),
    "results_url": _("WHO 23. A link to the results or the publication."),
    "ipd_sharing": _("WHO 24. Whether individual participant data will be shared."),
    "ipd_sharing_statement": _("WHO 24. What will be shared, when, with whom and how."),
}

LIST_FIELDS = ("keywords", "secondary_sponsors", "funding_sources", "countries")

# Pairs that must be in order: (earlier, later); the error is shown at the later one.
ORDERED_PAIRS = (
    ("planned_start_date", "planned_end_date"),
    ("actual_start_date", "actual_end_date"),
    ("min_age_years", "max_age_years"),
)


class LinesField(forms.CharField):
    """A list of short texts entered one a line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return [str(item).strip() for item in value if str(item).strip()]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class StudyForm(forms.ModelForm):
    """The whole study record; a draft needs only a title, a study type and a sponsor type."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        help_text=_("Needed when you change a published record: kept in the record history."),
    )
    results_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Study
        fields = list(STUDY_FIELDS)
        widgets = {
            "registered_on": forms.DateInput(attrs={"type": "date"}),
            "planned_start_date": forms.DateInput(attrs={"type": "date"}),
            "actual_start_date": forms.DateInput(attrs={"type": "date"}),
            "planned_end_date": forms.DateInput(attrs={"type": "date"}),
            "actual_end_date": forms.DateInput(attrs={"type": "date"}),
            "ethics_approved_on": forms.DateInput(attrs={"type": "date"}),
            "scientific_title": forms.Textarea(attrs={"rows": 2}),
            "design": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in LIST_FIELDS:
            old = self.fields[name]
            self.fields[name] = LinesField(label=old.label, required=False)
        lead_region = self.fields["lead_region"]
        assert isinstance(lead_region, forms.ModelChoiceField)
        lead_region.queryset = Region.objects.all().order_by("code")
        for name, text in HELP.items():
            self.fields[name].help_text = text
        self.fields["results_url"].label = capfirst(
            Study._meta.get_field("results_url").verbose_name
        )

    def clean_countries(self) -> list[str]:
        codes = [code.upper() for code in self.cleaned_data.get("countries") or []]
        wrong = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if wrong:
            raise forms.ValidationError(
                _("%(code)s is not a two-letter country code such as SE."),
                params={"code": wrong[0]},
            )
        return codes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for earlier, later in ORDERED_PAIRS:
            first, second = data.get(earlier), data.get(later)
            if first is not None and second is not None and first > second:
                self.add_error(
                    later,
                    _("%(later)s must not be before %(earlier)s.")
                    % {
                        "later": self.fields[later].label,
                        "earlier": str(self.fields[earlier].label).lower(),
                    },
                )
        return data

    def _post_clean(self) -> None:
        # The model's own checks run in the services; the form keeps the instance untouched.
        pass

    @property
    def sections(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "title": title, "fields": [self[name] for name in names]}
            for key, title, names in SECTIONS
        ]

    def study_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in STUDY_FIELDS}


class ConditionForm(forms.Form):
    name = forms.CharField(
        label=_("Condition"),
        max_length=300,
        required=False,
        help_text=_("WHO 12. The disease or health problem studied, in words."),
    )
    icd10 = forms.CharField(
        label=_("ICD-10 code"),
        max_length=8,
        required=False,
        help_text=_("Optional, for example C50 or C50.9."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = data.get("icd10", "")
        if code:
            normalised = icd10_normalise(code)
            if normalised is None:
                self.add_error(
                    "icd10",
                    _("%(code)s is not an ICD-10 code (for example C50 or C50.9).")
                    % {"code": code},
                )
            else:
                data["icd10"] = normalised
            if not data.get("name"):
                self.add_error("name", _("Name the condition as well as its code."))
        return data


class InterventionForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Type of intervention"),
        choices=InterventionType.choices,
        initial=InterventionType.OTHER,
        required=False,
    )
    name = forms.CharField(
        label=_("Intervention"),
        max_length=300,
        required=False,
        help_text=_("WHO 13. The drug, device, procedure or other intervention studied."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("WHO 13. Dose, duration, comparator."),
    )


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of outcome"), choices=OutcomeKind.choices, initial=OutcomeKind.PRIMARY
    )
    measure = forms.CharField(
        label=_("Outcome measure"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("WHO 19 and 20. What is measured, for example death from any cause."),
    )
    time_frame = forms.CharField(
        label=_("Time frame"),
        max_length=500,
        required=False,
        help_text=_("When it is measured, for example 12 months after inclusion."),
    )


ConditionFormSet = forms.formset_factory(ConditionForm, extra=2, max_num=200)
OutcomeFormSet = forms.formset_factory(OutcomeForm, extra=1, max_num=200)
InterventionFormSet = forms.formset_factory(InterventionForm, extra=1, max_num=200)


def filled_rows(formset: forms.BaseFormSet[Any], key: str = "name") -> list[dict[str, Any]]:
    """The rows of a valid formset that hold something."""
    return [form.cleaned_data for form in formset.forms if form.cleaned_data.get(key)]


class IdentifierForm(forms.Form):
    scheme = forms.ChoiceField(label=_("Scheme"), choices=IdentifierScheme.choices)
    value = forms.CharField(
        label=_("Identifier"),
        max_length=80,
        help_text=_(
            "WHO 1 and 3. For example NCT01234567, 2023-501234-12-00 (EU CT), "
            "2004-001234-12 (EudraCT) or 2023-01234-01 (ethics review)."
        ),
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Only for local numbers: the region that issued it."),
    )
    is_primary = forms.BooleanField(label=_("Primary identifier"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = node_regions()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scheme, value = data.get("scheme"), data.get("value")
        if scheme and value:
            try:
                data["value"] = ids.validate(scheme, value)
            except ValidationFailed as error:
                self.add_error("value", error.message)
        if scheme == IdentifierScheme.LOCAL and not data.get("region"):
            self.add_error("region", _("A local number needs its region."))
        return data


class OrganisationSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search organisations"),
        max_length=100,
        required=False,
        help_text=_("Part of the name or the city, for example Akademiska or Örebro."),
    )


SITE_FIELDS = Site.DETAIL_FIELDS


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = list(SITE_FIELDS)
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "principal_investigator": _("The investigator responsible at this site."),
            "contact_name": _("Who answers questions about taking part at this site."),
            "target_enrolment": _("How many participants this site plans to enrol."),
            "start_date": _("The date the site opened for the study."),
        }

    def _post_clean(self) -> None:
        pass

    def site_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SITE_FIELDS}


class SiteEditForm(SiteForm):
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        required=False,
        help_text=_("Kept in the audit trail."),
    )


class SiteAddForm(SiteForm):
    organisation = forms.IntegerField(widget=forms.HiddenInput)

    class Meta(SiteForm.Meta):
        fields = list(SITE_FIELDS)


class RecruitmentForm(forms.Form):
    recruitment_status = forms.ChoiceField(
        label=_("Recruitment status"), choices=SiteStatus.choices
    )
    actual_enrolment = forms.IntegerField(
        label=_("Participants enrolled so far"),
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text=_("The total at this site, not the number since last time."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        help_text=_("Needed when the number enrolled goes down."),
    )

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site = site

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, old = data.get("actual_enrolment"), self.site.actual_enrolment
        if new is not None and old is not None and new < old and not data.get("reason", "").strip():
            self.add_error(
                "reason",
                _("Enrolment goes down from %(old)s to %(new)s: say why.")
                % {"old": old, "new": new},
            )
        return data


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the coordinator"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comments"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What needs to change before the record can be published."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        help_text=_("Kept in the audit trail."),
    )


class RequiredReasonForm(ReasonForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        help_text=_("Kept in the audit trail and sent to the people concerned."),
    )


class CloseForm(RequiredReasonForm):
    state = forms.ChoiceField(
        label=_("New state"),
        choices=[
            (StudyState.COMPLETED, StudyState.COMPLETED.label),
            (StudyState.WITHDRAWN, StudyState.WITHDRAWN.label),
            (StudyState.ARCHIVED, StudyState.ARCHIVED.label),
        ],
    )


class StudyFilterForm(forms.Form):
    q = forms.CharField(label=_("Title contains"), max_length=100, required=False)
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any")), *StudyState.choices], required=False
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False, empty_label=_("Any")
    )
    status = forms.ChoiceField(label=_("Recruitment status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from studienav.registry.models import OverallStatus

        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = node_regions()
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [("", _("Any")), *OverallStatus.choices]


class MergeChooseForm(forms.Form):
    duplicate = forms.IntegerField(
        label=_("Number of the duplicate study"),
        min_value=1,
        help_text=_("The study number shown on its page; its sites and identifiers move here."),
    )


class MergeConfirmForm(RequiredReasonForm):
    duplicate = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    confirm = forms.BooleanField(
        label=_("I have compared both records: they describe the same study."),
    )


IMPORT_EXTENSIONS = (".json", ".jsonl", ".xml", ".csv", ".xlsx")
IMPORT_FORMATS = [
    ("auto", _("Detect from the file")),
    ("ctgov", _("ClinicalTrials.gov API v2 JSON")),
    ("ctgov-classic", _("ClinicalTrials.gov classic JSON")),
    ("ctgov-xml", _("ClinicalTrials.gov XML")),
    ("ctis", _("EU CTIS export")),
    ("spreadsheet", _("Spreadsheet (CSV or XLSX)")),
    ("jsonl", _("studienav export (JSON lines)")),
]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"))
    format = forms.ChoiceField(label=_("Format"), choices=IMPORT_FORMATS, initial="auto")
    publish = forms.BooleanField(
        label=_("Publish what is created"),
        required=False,
        help_text=_(
            "Only for data already public in a registry; "
            "otherwise records wait for the quality check."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "JSON, JSON lines, XML, CSV or XLSX, at most %(size)s."
        ) % {"size": size(settings.IMPORT_WEB_MAX_BYTES)}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(IMPORT_EXTENSIONS):
            raise forms.ValidationError(
                _("The file must end in one of %(extensions)s."),
                params={"extensions": ", ".join(IMPORT_EXTENSIONS)},
            )
        if upload.size > settings.IMPORT_WEB_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s."),
                params={"size": size(settings.IMPORT_WEB_MAX_BYTES)},
            )
        return upload


def upload_name(name: str) -> str:
    """A safe file name for an upload: letters, digits, dot, dash, underscore; never hidden."""
    stem, _dot, suffix = Path(name).name.lower().rpartition(".")
    safe = re.sub(r"[^\w\-.]", "_", stem, flags=re.ASCII).lstrip(".")[:80] or "upload"
    return f"{safe}.{suffix}"


class ImportNoteForm(forms.Form):
    """Which of a study's import notes a coordinator marks as checked."""

    key = forms.RegexField(regex=re.compile(r"^[0-9a-f]{16}$"), widget=forms.HiddenInput)


class ImportApplyForm(forms.Form):
    """Apply a previewed upload: only the token the preview gave this session."""

    token = forms.RegexField(regex=re.compile(r"^[A-Za-z0-9_-]{32}$"), widget=forms.HiddenInput)
