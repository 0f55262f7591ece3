"""The statistics filters (read from the URL) and the node office's target form."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from studienav.core.models import Region
from studienav.core.selectors import node_regions
from studienav.registry.models import CareSetting, Phase, SponsorType, StudyType, TherapeuticArea
from studienav.stats.definitions import FIRST_YEAR
from studienav.stats.framework import BREAKDOWNS, Filters
from studienav.stats.models import Target


def region_label(region: Region) -> str:
    return region.short_name


def _any(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


class FilterForm(forms.Form):
    """Every filter of the public statistics; a view's URL is this form's query string."""

    region = forms.ModelMultipleChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    year_from = forms.IntegerField(label=_("From year"), required=False)
    year_to = forms.IntegerField(label=_("To year"), required=False)
    study_type = forms.ChoiceField(
        label=_("Study type"), choices=_any(StudyType.choices), required=False
    )
    sponsor_type = forms.ChoiceField(
        label=_("Sponsor type"), choices=_any(SponsorType.choices), required=False
    )
    phase = forms.ChoiceField(label=_("Phase"), choices=_any(Phase.choices), required=False)
    therapeutic_area = forms.ChoiceField(
        label=_("Therapeutic area"), choices=_any(TherapeuticArea.choices), required=False
    )
    care_setting = forms.ChoiceField(
        label=_("Care setting"), choices=_any(CareSetting.choices), required=False
    )
    by = forms.ChoiceField(label=_("Show by"), choices=list(BREAKDOWNS.items()), required=False)

    def __init__(self, data: QueryDict | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        regions = self.fields["region"]
        assert isinstance(regions, forms.ModelMultipleChoiceField)
        regions.queryset = node_regions()
        regions.label_from_instance = region_label  # type: ignore[method-assign,assignment]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        this_year = date.today().year
        start = data.get("year_from") or FIRST_YEAR
        end = data.get("year_to") or this_year
        for name, value in (("year_from", start), ("year_to", end)):
            if not FIRST_YEAR <= value <= this_year:
                self.add_error(
                    name,
                    _("Choose a year from %(first)s to %(last)s.")
                    % {"first": FIRST_YEAR, "last": this_year},
                )
        if FIRST_YEAR <= start <= this_year and FIRST_YEAR <= end <= this_year and start > end:
            self.add_error("year_to", _("The last year must not be before the first year."))
        return data

    def filters(self) -> Filters:
        """The validated filters; call only after is_valid()."""
        data = self.cleaned_data
        return Filters(
            year_from=data.get("year_from") or FIRST_YEAR,
            year_to=data.get("year_to") or date.today().year,
            regions=tuple(sorted(r.pk for r in data.get("region") or [])),
            study_type=data.get("study_type") or "",
            sponsor_type=data.get("sponsor_type") or "",
            phase=data.get("phase") or "",
            therapeutic_area=data.get("therapeutic_area") or "",
            care_setting=data.get("care_setting") or "",
            by=data.get("by") or "region",
        )


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = (
            "region",
            "year",
            "new_studies",
            "industry_studies",
            "participants",
            "status_check_share",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = node_regions()

    def validate_unique(self) -> None:
        # Setting a target again for the same region and year changes it (target_set).
        return None


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=2100)
