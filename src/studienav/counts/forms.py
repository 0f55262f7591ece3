"""Forms of the count pages: the builder's fields become one definition (our JSON), or a
pasted or uploaded definition (ours, or ATLAS/Circe JSON converted) is taken instead."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Region
from studienav.counts.circe import CirceUnsupported, LoadedDefinition, definition_load
from studienav.counts.definition import (
    ICD10_CODE,
    MAX_CODES,
    MAX_CONCEPTS,
    MAX_CRITERIA,
    MAX_LABEL,
    MAX_TEXT_BYTES,
    DefinitionInvalid,
    definition_fingerprint,
    definition_json,
    definition_parse,
)
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
# As many criterion rows as a definition holds (inclusions and exclusions together).
MAX_ROWS = 2 * MAX_CRITERIA
ROW_FIELDS = (
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


def _ids(text: str) -> list[int]:
    return [int(part) for part in re.split(r"[\s,;]+", text.strip()) if part]


def _codes(text: str) -> list[str]:
    return [part.upper() for part in re.split(r"[\s,;]+", text.strip()) if part]


def _concepts(ids: str, codes: str, descendants: bool = True) -> dict[str, Any] | None:
    if not ids.strip() and not codes.strip():
        return None
    return {"concept_ids": _ids(ids), "icd10_codes": _codes(codes), "descendants": descendants}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def row_count(values: Any, default: int = 1) -> int:
    """How many criterion rows the builder shows: the posted or initial `rows`, within bounds."""
    try:
        rows = int(values.get("rows") or default)
    except (TypeError, ValueError):
        rows = default
    return max(1, min(rows, MAX_ROWS))


def content_from(values: dict[str, Any], rows: int) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """Our JSON from the builder's values (cleaned or initial), and for each inclusion and
    exclusion of the result the row it came from."""
    primary: dict[str, Any] = {"domain": values.get("primary_domain") or "observation_period"}
    concepts = _concepts(
        _text(values.get("primary_concepts")),
        _text(values.get("primary_icd10")),
        bool(values.get("descendants")),
    )
    if concepts:
        primary["concepts"] = concepts
    content: dict[str, Any] = {
        "version": 1,
        "title": values.get("title") or "",
        "primary": primary,
        "observation": {"prior_days": values.get("prior_days") or 0, "post_days": 0},
        "inclusions": [],
        "exclusions": [],
    }
    if values.get("age_min") is not None or values.get("age_max") is not None:
        content["age"] = {"min": values.get("age_min"), "max": values.get("age_max")}
    if values.get("sex"):
        content["sex"] = [values["sex"]]
    origin: dict[str, list[int]] = {"inclusions": [], "exclusions": []}
    for row in range(rows):
        side = values.get(f"c{row}_side")
        if not side:
            continue
        criterion: dict[str, Any] = {
            "domain": values.get(f"c{row}_domain") or "condition",
            "label": values.get(f"c{row}_label") or "",
            "window": {"start": values.get(f"c{row}_start"), "end": values.get(f"c{row}_end")},
        }
        concepts = _concepts(
            _text(values.get(f"c{row}_concepts")),
            _text(values.get(f"c{row}_icd10")),
            bool(values.get("descendants")),
        )
        if concepts:
            criterion["concepts"] = concepts
        low, high = values.get(f"c{row}_value_min"), values.get(f"c{row}_value_max")
        if low is not None or high is not None:
            criterion["value"] = {"min": low, "max": high}
        key = "inclusions" if side == "with" else "exclusions"
        content[key].append(criterion)
        origin[key].append(row)
    return content, origin


class ConceptIdsField(forms.CharField):
    """Concept ids separated by commas or spaces."""

    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "")
        if text and not re.fullmatch(r"[\d\s,;]*", text):
            raise forms.ValidationError(_("Concept ids are numbers, separated by commas."))
        if len(_ids(text)) > MAX_CONCEPTS:
            raise forms.ValidationError(
                _("At most %(n)s concept ids per criterion.") % {"n": MAX_CONCEPTS}
            )
        if any(number > 2_147_483_647 for number in _ids(text)):
            raise forms.ValidationError(_("A concept id is at most 2147483647."))
        return text


class Icd10Field(forms.CharField):
    """ICD-10 codes separated by commas or spaces (`E11`, `E11.9`, `E11*`)."""

    def clean(self, value: Any) -> str:
        text = str(super().clean(value) or "")
        bad = [code for code in _codes(text) if not ICD10_CODE.match(code)]
        if bad:
            raise forms.ValidationError(
                _("%(code)s is not an ICD-10 code (for example E11, E11.9 or E11*).")
                % {"code": bad[0][:20]}
            )
        if len(_codes(text)) > MAX_CODES:
            raise forms.ValidationError(
                _("At most %(n)s ICD-10 codes per criterion.") % {"n": MAX_CODES}
            )
        return text


@dataclass(frozen=True)
class TextRefused:
    """Why an uploaded file cannot be read as a definition."""

    message: str


def definition_text(*, upload: Any, pasted: str) -> str | TextRefused | None:
    """The uploaded file's text, else the pasted text; None when neither is given."""
    if upload:
        if upload.size > MAX_TEXT_BYTES:
            return TextRefused(
                str(_("The file is larger than %(limit)s kB.") % {"limit": MAX_TEXT_BYTES // 1024})
            )
        try:
            return str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            return TextRefused(str(_("The file is not UTF-8 text.")))
    return pasted or None


def definition_read(text: str) -> LoadedDefinition:
    """Our JSON or an ATLAS/Circe definition as text, bounded in size and depth before parsing.

    Raises `DefinitionInvalid` (or `CirceUnsupported`, naming every part that does not convert).
    """
    return definition_load(definition_json(text))


def _error_field(path: str, rows: dict[str, list[int]]) -> str | None:
    """The builder field for the dotted path of a bad part of the definition."""
    head, _dot, rest = path.partition(".")
    simple = {"age": "age_min", "sex": "sex", "observation": "prior_days", "title": "title"}
    if head in simple:
        return simple[head]
    if head == "primary":
        return "primary_icd10" if "icd10" in rest else "primary_concepts"
    if head in ("inclusions", "exclusions"):
        number, _dot, part = rest.partition(".")
        if not number.isdigit() or int(number) >= len(rows[head]):
            return None
        return _row_field(rows[head][int(number)], part)
    return None


def _row_field(row: int, part: str) -> str:
    for prefix, name in (
        ("window", "start"),
        ("value", "value_min"),
        ("concepts.icd10", "icd10"),
        ("concepts", "concepts"),
        ("label", "label"),
        ("domain", "domain"),
    ):
        if part.startswith(prefix):
            return f"c{row}_{name}"
    return f"c{row}_side"


class DefinitionForm(forms.Form):
    """The builder: an index event, age, sex, observation, and any number of criteria; or a
    whole definition pasted or uploaded (ours, or ATLAS/Circe JSON, converted)."""

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
    primary_icd10 = Icd10Field(label=_("Index event: ICD-10 codes"), required=False)
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
        label=_("Or paste a whole definition (JSON: ours or ATLAS/Circe)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("When given, it is used instead of the fields above."),
    )
    upload = forms.FileField(
        label=_("Or upload a definition file (JSON: ours or ATLAS/Circe)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["regions"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = regions
        self.rows = row_count(self.data if self.is_bound else self.initial)
        self.loaded: LoadedDefinition | None = None
        for row in range(self.rows):
            self.fields[f"c{row}_side"] = forms.ChoiceField(
                label=_("With or without"), choices=SIDES, required=False
            )
            self.fields[f"c{row}_domain"] = forms.ChoiceField(
                label=_("Kind"), choices=DOMAINS, required=False
            )
            self.fields[f"c{row}_concepts"] = ConceptIdsField(
                label=_("Concept ids"), required=False
            )
            self.fields[f"c{row}_icd10"] = Icd10Field(label=_("ICD-10 codes"), required=False)
            self.fields[f"c{row}_start"] = forms.IntegerField(
                label=_("From day"), required=False, min_value=-54750, max_value=54750
            )
            self.fields[f"c{row}_end"] = forms.IntegerField(
                label=_("To day"), required=False, min_value=-54750, max_value=54750
            )
            self.fields[f"c{row}_value_min"] = forms.FloatField(
                label=_("Value from"), required=False, min_value=-1e12, max_value=1e12
            )
            self.fields[f"c{row}_value_max"] = forms.FloatField(
                label=_("Value to"), required=False, min_value=-1e12, max_value=1e12
            )
            self.fields[f"c{row}_label"] = forms.CharField(
                label=_("Name"), max_length=MAX_LABEL, required=False
            )

    def step_error(self, field: str | None, message: str | list[str]) -> None:
        """An error found by a builder step, on the form shown again (unbound) after it."""
        if not hasattr(self, "cleaned_data"):
            self.cleaned_data = {}
        self.add_error(field, message)

    def criterion_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"c{row}_{name}"] for name in ROW_FIELDS] for row in range(self.rows)]

    def error_summary(self) -> list[tuple[str, str]]:
        """Each field's errors with the field's name (and its criterion), for the summary."""
        lines: list[tuple[str, str]] = []
        for name, errors in self.errors.items():
            if name == NON_FIELD_ERRORS or name not in self.fields:
                continue
            label = str(self.fields[name].label)
            match = re.fullmatch(r"c(\d+)_\w+", name)
            if match:
                label = _("Criterion %(n)s, %(field)s") % {
                    "n": int(match.group(1)) + 1,
                    "field": label,
                }
            lines.extend((self[name].id_for_label, f"{label}: {error}") for error in errors)
        return lines

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = "upload" if data.get("upload") else "pasted"
        text = definition_text(upload=data.get("upload"), pasted=data.get("pasted") or "")
        if isinstance(text, TextRefused):
            self.add_error(source, text.message)
            return data
        if text is not None:
            try:
                self.loaded = definition_read(text)
            except CirceUnsupported as error:
                self.add_error(source, list(error.parts) or [error.message])
            except DefinitionInvalid as error:
                self.add_error(source, error.message)
            return data
        if self.errors:
            return data
        if data.get("primary_domain") not in (None, "observation_period", "visit") and not (
            data.get("primary_concepts") or data.get("primary_icd10")
        ):
            self.add_error(
                "primary_concepts", _("Give concept ids or ICD-10 codes for the index event.")
            )
        if (
            data.get("age_min") is not None
            and data.get("age_max") is not None
            and data["age_min"] > data["age_max"]
        ):
            self.add_error("age_min", _("The age from is above the age to."))
        for row in range(self.rows):
            self._row_check(row, data)
        if not self.errors:
            content, rows = content_from(data, self.rows)
            try:
                definition_parse(content)
            except DefinitionInvalid as error:
                field = _error_field(error.field or "", rows)
                self.add_error(field if field in self.fields else None, error.message)
        return data

    def _row_check(self, row: int, data: dict[str, Any]) -> None:
        if not data.get(f"c{row}_side"):
            return
        if not (data.get(f"c{row}_concepts") or data.get(f"c{row}_icd10")) and (
            data.get(f"c{row}_domain") != "visit"
        ):
            self.add_error(f"c{row}_concepts", _("Give concept ids or ICD-10 codes."))
        start, end = data.get(f"c{row}_start"), data.get(f"c{row}_end")
        if start is not None and end is not None and start > end:
            self.add_error(f"c{row}_start", _("The first day is after the last day."))
        low, high = data.get(f"c{row}_value_min"), data.get(f"c{row}_value_max")
        if low is not None or high is not None:
            if data.get(f"c{row}_domain") not in ("measurement", "observation"):
                self.add_error(
                    f"c{row}_value_min", _("Only measurements and observations have values.")
                )
            elif low is not None and high is not None and low > high:
                self.add_error(f"c{row}_value_min", _("The lowest value is above the highest."))

    def content(self) -> Any:
        """The definition as our JSON (to be validated by `definition_parse`)."""
        if self.loaded is not None:
            content = self.loaded.definition.model_dump(mode="json")
            if self.loaded.format == "circe" or not content.get("title"):
                content["title"] = self.cleaned_data["title"]
            return content
        return content_from(self.cleaned_data, self.rows)[0]


def initial_from(content: dict[str, Any], title: str) -> dict[str, Any]:
    """The builder's fields for a definition. What the fields cannot hold (eras, per-criterion
    descendants, counts, units, days after the index, ...) is never dropped: the definition
    then goes into the paste box whole."""
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
    for row, (side, criterion) in enumerate(rows):
        c_concepts = criterion.get("concepts") or {}
        window = criterion.get("window") or {}
        value = criterion.get("value") or {}
        if not initial["primary_concepts"] and not initial["primary_icd10"] and c_concepts:
            initial["descendants"] = c_concepts.get("descendants", True)
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
    initial["rows"] = max(1, len(rows))
    if not _fields_hold(content, initial):
        return {**initial, "pasted": json.dumps(content, ensure_ascii=False, indent=1)}
    return initial


def _fields_hold(content: dict[str, Any], initial: dict[str, Any]) -> bool:
    """Whether the fields give back the same definition, labels included."""
    if len(content.get("inclusions", [])) + len(content.get("exclusions", [])) > MAX_ROWS:
        return False
    try:
        original = definition_parse(content)
        rebuilt = definition_parse(content_from(initial, row_count(initial))[0])
    except DefinitionInvalid:
        return False
    labels = [c.label for c in (*original.inclusions, *original.exclusions)]
    rebuilt_labels = [c.label for c in (*rebuilt.inclusions, *rebuilt.exclusions)]
    return (
        definition_fingerprint(original) == definition_fingerprint(rebuilt)
        and labels == rebuilt_labels
    )


def posted_values(form: DefinitionForm) -> dict[str, Any]:
    """What a bound builder form holds, as initial values for the same form shown again
    (after a row is added or removed, or a concept chosen)."""
    values: dict[str, Any] = {"rows": form.rows}
    data = form.data if isinstance(form.data, QueryDict) else QueryDict(mutable=True)
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            continue
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            values[name] = data.getlist(name)
        elif isinstance(field, forms.BooleanField):
            values[name] = name in data
        else:
            values[name] = data.get(name, "")
    return values


def row_is_empty(values: dict[str, Any], row: int) -> bool:
    """Whether nothing is typed or chosen in a row (its kind always has a value)."""
    return not any(
        values.get(f"c{row}_{name}") not in (None, "") for name in ROW_FIELDS if name != "domain"
    )


def row_remove(values: dict[str, Any], row: int) -> dict[str, Any]:
    """The values with criterion `row` taken out and the rows after it moved up."""
    rows = row_count(values)
    if not 0 <= row < rows:
        return values
    moved = dict(values)
    for later in range(row, rows - 1):
        for name in ROW_FIELDS:
            moved[f"c{later}_{name}"] = values.get(f"c{later + 1}_{name}")
    for name in ROW_FIELDS:
        moved.pop(f"c{rows - 1}_{name}", None)
    moved["rows"] = max(1, rows - 1)  # the last row left is emptied, not taken away
    return moved


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
