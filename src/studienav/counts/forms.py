"""Forms of the count pages: the builder's fields become one definition (our JSON), or a
pasted definition is taken as it is."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Region
from studienav.counts.models import PRIVACY_FIELDS, RegionPrivacy
from studienav.feasibility.models import StudyRequest

DOMAINS = [
    ("condition", _("Condition")),
    ("drug", _("Drug")),
    ("procedure", _("Procedure")),
    ("measurement", _("Measurement")),
    ("observation", _("Observation")),
    ("visit", _("Visit")),
]
INDEX_DOMAINS = [*DOMAINS, ("observation_period", _("Start of an observation period"))]
SEX = [("", _("Women and men")), ("female", _("Women only")), ("male", _("Men only"))]
SIDES = [("", _("Not used")), ("with", _("With")), ("without", _("Without"))]
CRITERIA_ROWS = 4


def _ids(text: str) -> list[int]:
    return [int(part) for part in re.split(r"[\s,;]+", text.strip()) if part]


def _codes(text: str) -> list[str]:
    return [part.upper() for part in re.split(r"[\s,;]+", text.strip()) if part]


def _concepts(ids: str, codes: str, descendants: bool = True) -> dict[str, Any] | None:
    if not ids.strip() and not codes.strip():
        return None
    return {"concept_ids": _ids(ids), "icd10_codes": _codes(codes), "descendants": descendants}


class ConceptIdsField(forms.CharField):
    """Concept ids separated by commas or spaces."""

    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "")
        if text and not re.fullmatch(r"[\d\s,;]*", text):
            raise forms.ValidationError(_("Concept ids are numbers, separated by commas."))
        return text


class DefinitionForm(forms.Form):
    """The builder: an index event, age, sex, observation, and up to four criteria."""

    title = forms.CharField(label=_("Title"), max_length=200)
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions to ask"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every region of the node."),
    )
    primary_domain = forms.ChoiceField(label=_("Index event"), choices=INDEX_DOMAINS)
    primary_concepts = ConceptIdsField(label=_("Index event: concept ids"), required=False)
    primary_icd10 = forms.CharField(label=_("Index event: ICD-10 codes"), required=False)
    descendants = forms.BooleanField(
        label=_("Include more specific concepts (descendants)"), required=False, initial=True
    )
    prior_days = forms.IntegerField(
        label=_("Days of observation before the index date"),
        min_value=0,
        max_value=36500,
        initial=0,
    )
    age_min = forms.IntegerField(label=_("Age from"), min_value=0, max_value=150, required=False)
    age_max = forms.IntegerField(label=_("Age to"), min_value=0, max_value=150, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX, required=False)
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)
    pasted = forms.CharField(
        label=_("Or paste a whole definition (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("When given, it is used instead of the fields above."),
    )

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["regions"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = regions
        for row in range(CRITERIA_ROWS):
            self.fields[f"c{row}_side"] = forms.ChoiceField(
                label=_("With or without"), choices=SIDES, required=False
            )
            self.fields[f"c{row}_domain"] = forms.ChoiceField(
                label=_("Kind"), choices=DOMAINS, required=False
            )
            self.fields[f"c{row}_concepts"] = ConceptIdsField(
                label=_("Concept ids"), required=False
            )
            self.fields[f"c{row}_icd10"] = forms.CharField(label=_("ICD-10 codes"), required=False)
            self.fields[f"c{row}_start"] = forms.IntegerField(
                label=_("From day"), required=False, min_value=-54750, max_value=54750
            )
            self.fields[f"c{row}_end"] = forms.IntegerField(
                label=_("To day"), required=False, min_value=-54750, max_value=54750
            )
            self.fields[f"c{row}_value_min"] = forms.FloatField(
                label=_("Value from"), required=False
            )
            self.fields[f"c{row}_value_max"] = forms.FloatField(label=_("Value to"), required=False)
            self.fields[f"c{row}_label"] = forms.CharField(
                label=_("Name"), max_length=200, required=False
            )

    @property
    def more_used(self) -> bool:
        """Whether criteria beyond the first are filled in (their section opens)."""
        return any(self[f"c{row}_side"].value() for row in range(1, CRITERIA_ROWS))

    def criterion_rows(self) -> list[list[forms.BoundField]]:
        names = (
            "side",
            "domain",
            "concepts",
            "icd10",
            "start",
            "end",
            "value_min",
            "value_max",
            "label",
        )
        return [[self[f"c{row}_{name}"] for name in names] for row in range(CRITERIA_ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pasted"):
            try:
                json.loads(data["pasted"])
            except ValueError:
                self.add_error("pasted", _("This is not valid JSON."))
            return data
        if data.get("primary_domain") not in (None, "observation_period", "visit") and not (
            data.get("primary_concepts") or data.get("primary_icd10")
        ):
            self.add_error(
                "primary_concepts", _("Give concept ids or ICD-10 codes for the index event.")
            )
        for row in range(CRITERIA_ROWS):
            if (
                data.get(f"c{row}_side")
                and not (data.get(f"c{row}_concepts") or data.get(f"c{row}_icd10"))
                and data.get(f"c{row}_domain") != "visit"
            ):
                self.add_error(f"c{row}_concepts", _("Give concept ids or ICD-10 codes."))
        return data

    def content(self) -> Any:
        """The definition as our JSON (to be validated by `definition_parse`)."""
        data = self.cleaned_data
        if data.get("pasted"):
            return json.loads(data["pasted"])
        primary: dict[str, Any] = {"domain": data["primary_domain"]}
        concepts = _concepts(
            data.get("primary_concepts") or "",
            data.get("primary_icd10") or "",
            bool(data.get("descendants")),
        )
        if concepts:
            primary["concepts"] = concepts
        content: dict[str, Any] = {
            "version": 1,
            "title": data["title"],
            "primary": primary,
            "observation": {"prior_days": data.get("prior_days") or 0, "post_days": 0},
            "inclusions": [],
            "exclusions": [],
        }
        if data.get("age_min") is not None or data.get("age_max") is not None:
            content["age"] = {"min": data.get("age_min"), "max": data.get("age_max")}
        if data.get("sex"):
            content["sex"] = [data["sex"]]
        for row in range(CRITERIA_ROWS):
            side = data.get(f"c{row}_side")
            if not side:
                continue
            criterion: dict[str, Any] = {
                "domain": data.get(f"c{row}_domain") or "condition",
                "label": data.get(f"c{row}_label") or "",
                "window": {"start": data.get(f"c{row}_start"), "end": data.get(f"c{row}_end")},
            }
            concepts = _concepts(
                data.get(f"c{row}_concepts") or "",
                data.get(f"c{row}_icd10") or "",
                bool(data.get("descendants")),
            )
            if concepts:
                criterion["concepts"] = concepts
            low, high = data.get(f"c{row}_value_min"), data.get(f"c{row}_value_max")
            if low is not None or high is not None:
                criterion["value"] = {"min": low, "max": high}
            content["inclusions" if side == "with" else "exclusions"].append(criterion)
        return content


def initial_from(content: dict[str, Any], title: str) -> dict[str, Any]:
    """The builder's fields for a stored definition (criteria beyond the rows: paste JSON)."""
    primary = content.get("primary") or {}
    concepts = primary.get("concepts") or {}
    initial: dict[str, Any] = {
        "title": title,
        "primary_domain": primary.get("domain", "observation_period"),
        "primary_concepts": ", ".join(str(i) for i in concepts.get("concept_ids", [])),
        "primary_icd10": ", ".join(concepts.get("icd10_codes", [])),
        "descendants": concepts.get("descendants", True),
        "prior_days": (content.get("observation") or {}).get("prior_days", 0),
        "age_min": (content.get("age") or {}).get("min"),
        "age_max": (content.get("age") or {}).get("max"),
        "sex": (content.get("sex") or [""])[0] if len(content.get("sex") or []) == 1 else "",
    }
    rows = [("with", c) for c in content.get("inclusions", [])] + [
        ("without", c) for c in content.get("exclusions", [])
    ]
    if len(rows) > CRITERIA_ROWS:
        initial["pasted"] = json.dumps(content, ensure_ascii=False)
        return initial
    for row, (side, criterion) in enumerate(rows):
        c_concepts = criterion.get("concepts") or {}
        window = criterion.get("window") or {}
        value = criterion.get("value") or {}
        initial.update(
            {
                f"c{row}_side": side,
                f"c{row}_domain": criterion.get("domain"),
                f"c{row}_concepts": ", ".join(str(i) for i in c_concepts.get("concept_ids", [])),
                f"c{row}_icd10": ", ".join(c_concepts.get("icd10_codes", [])),
                f"c{row}_start": window.get("start"),
                f"c{row}_end": window.get("end"),
                f"c{row}_value_min": value.get("min"),
                f"c{row}_value_max": value.get("max"),
                f"c{row}_label": criterion.get("label", ""),
            }
        )
    return initial


class AskForm(forms.Form):
    """Send a version to its regions, perhaps for a study request."""

    study_request = forms.ModelChoiceField(
        label=_("For study request"), queryset=StudyRequest.objects.none(), required=False
    )

    def __init__(self, *args: Any, requests: QuerySet[StudyRequest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["study_request"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = requests


class ConceptSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a concept by name or code"), max_length=100)


class PrivacyForm(forms.ModelForm):
    """A region's rules, set by its disclosure officer, with the reason."""

    reason = forms.CharField(label=_("Why the change"), max_length=500)

    class Meta:
        model = RegionPrivacy
        fields = list(PRIVACY_FIELDS)


class AgentForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    url = forms.URLField(label=_("Address"), max_length=300, assume_scheme="https")
    public_key = forms.CharField(label=_("Public key (Ed25519, base64)"), max_length=64)

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = regions
