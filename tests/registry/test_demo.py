"""`studienav demo-data`: realistic studies that hang together, the synthetic generator, the
vocabulary and the templates they are drawn from."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max, Min
from django.test import override_settings
from django.utils import timezone

from studienav.core import demo as core_demo
from studienav.core.audit import audit_verify
from studienav.core.demo import REGION_SLUGS, organisations_load
from studienav.core.models import AuditEvent, Organisation, OrganisationType, Region
from studienav.registry import identifiers as ids
from studienav.registry.demo import SYNTHETIC_SOURCE
from studienav.registry.demo_draw import StudyDraft, condition_by_code, study_draw
from studienav.registry.demo_history import demo_studies_load
from studienav.registry.demo_sites import pools_load
from studienav.registry.demo_templates import COMPANIES, DENTAL, PAEDIATRICS, Template, templates
from studienav.registry.icd10 import icd10_chapter, icd10_normalise
from studienav.registry.models import (
    ChangeRequest,
    EnrolmentReport,
    IdentifierScheme,
    Phase,
    Sex,
    Site,
    SponsorType,
    Study,
    StudyIdentifier,
    StudyState,
    StudyType,
    StudyVersion,
)
from studienav.registry.quality import ERROR, quality_issues
from studienav.registry.selectors import STATUS_CHECK_DAYS
from studienav.search.conditions import conditions

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 15)

# Development settings; a fast hasher for the demo people's passwords.
development = override_settings(
    DEBUG=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
)


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo_data", "--quiet", *args, stdout=out)
    return out.getvalue()


def _drafts(count: int = 800, seed: str = "registry-synthetic-2025") -> list[StudyDraft]:
    """Studies as the generator draws them, without writing them."""
    organisations_load()
    pools = pools_load()
    rng = random.Random(seed)
    return [study_draw(rng, pools, seq, TODAY) for seq in range(count)]


def _allowed_interventions(template: Template) -> set[str]:
    names = {name for drug in template.drugs for name in (drug.sv, drug.en)}
    return names | {name for t in (*template.devices, *template.methods) for name in (t.sv, t.en)}


def _is_company_code(name: str, template: Template) -> bool:
    for company in template.companies:
        for pattern in COMPANIES[company].codes:
            shape = re.escape(pattern).replace("\\#", "#").replace("#", r"\d")
            if re.fullmatch(shape, name):
                return True
    return False


# --- the realistic set, through the services -----------------------------------------------


@development
def test_demo_studies_cover_every_state_and_load_twice_without_duplicates() -> None:
    _demo()
    counts = {
        "studies": Study.objects.count(),
        "sites": Site.objects.count(),
        "identifiers": StudyIdentifier.objects.count(),
        "versions": StudyVersion.objects.count(),
        "reports": EnrolmentReport.objects.count(),
        "changes": ChangeRequest.objects.count(),
        "events": AuditEvent.objects.filter(object_type__startswith="registry.").count(),
    }
    _demo()
    assert counts["studies"] == 120
    assert counts == {
        "studies": Study.objects.count(),
        "sites": Site.objects.count(),
        "identifiers": StudyIdentifier.objects.count(),
        "versions": StudyVersion.objects.count(),
        "reports": EnrolmentReport.objects.count(),
        "changes": ChangeRequest.objects.count(),
        "events": AuditEvent.objects.filter(object_type__startswith="registry.").count(),
    }
    studies = Study.objects.all()
    assert set(studies.values_list("state", flat=True)) == set(StudyState.values)
    assert set(studies.values_list("study_type", flat=True)) == set(StudyType.values)
    assert set(Site.objects.values_list("region__code", flat=True)) >= set(REGION_SLUGS)
    assert Site.objects.exclude(country="SE").exists()
    assert ChangeRequest.objects.filter(status="pending").exists()
    assert EnrolmentReport.objects.exists()
    assert StudyVersion.objects.filter(number__gt=1).exists()
    assert not Organisation.objects.filter(needs_review=True).exists()
    created = AuditEvent.objects.filter(action="study.import_create").count()
    assert created == studies.count()
    for identifier in StudyIdentifier.objects.all():
        assert ids.validate(identifier.scheme, identifier.value) == identifier.value
    published = studies.filter(state=StudyState.PUBLISHED).first()
    assert published is not None
    assert not [i for i in quality_issues(published) if i.severity == ERROR]


def _load_people_and_studies(count: int) -> None:
    core_demo.demo_data_load(rng=random.Random(1), options={"quiet": True}, stdout=StringIO())
    demo_studies_load(seed=2025, count=count)


@development
def test_demo_histories_spread_over_the_years_with_believable_reasons() -> None:
    _load_people_and_studies(40)
    spans = []
    for study in Study.objects.filter(state__in=[StudyState.PUBLISHED, StudyState.COMPLETED]):
        published = study.versions.aggregate(first=Min("published_at"), last=Max("published_at"))
        if study.versions.count() > 1:
            spans.append(published["last"] - published["first"])
    assert spans
    assert sum(span > timedelta(days=1) for span in spans) >= 0.8 * len(spans)
    assert max(spans) > timedelta(days=365)
    reasons = set(StudyVersion.objects.values_list("reason", flat=True))
    assert "demo data" not in reasons
    assert {"Rekryteringen har startat", "Antal inkluderade deltagare uppdaterat"} & reasons
    assert any(reason.startswith("Ny prövningsplats i ") for reason in reasons) or any(
        reason.startswith("Nytt prövningsställe: ") for reason in reasons
    )


@development
def test_demo_histories_happen_in_the_past_and_keep_the_audit_trail_intact() -> None:
    _load_people_and_studies(25)
    registry = AuditEvent.objects.filter(object_type__startswith="registry.")
    first = registry.aggregate(first=Min("occurred_at"))["first"]
    assert first is not None and first < timezone.now() - timedelta(days=365)
    assert not registry.filter(occurred_at__gt=timezone.now()).exists()
    assert not StudyVersion.objects.filter(published_at__gt=timezone.now()).exists()
    assert audit_verify().is_intact


@development
def test_demo_studies_are_registered_no_earlier_than_their_ethics_application() -> None:
    _load_people_and_studies(25)
    for study in Study.objects.exclude(registered_on=None):
        ethics = study.identifiers.get(scheme=IdentifierScheme.ETHICS).value
        assert study.registered_on is not None
        assert int(ethics[:4]) <= study.registered_on.year
        assert study.created_at.date() <= timezone.localdate()


# --- the synthetic generator, in bulk -------------------------------------------------------


@development
def test_generator_makes_n_studies_with_sites_in_all_seven_regions() -> None:
    _demo("--studies", "200")
    synthetic = Study.objects.filter(source=SYNTHETIC_SOURCE)
    assert synthetic.count() == 200
    regions = set(Site.objects.filter(study__in=synthetic).values_list("region__code", flat=True))
    assert regions >= set(REGION_SLUGS)
    assert Site.objects.filter(study__in=synthetic).exclude(country="SE").exists()
    assert EnrolmentReport.objects.filter(site__study__in=synthetic).exists()
    this_year = timezone.localdate().year
    years = {d.year for d in synthetic.values_list("planned_start_date", flat=True) if d}
    assert min(years) >= this_year - 10 and max(years) <= this_year + 1
    assert len(set(synthetic.values_list("state", flat=True))) >= 5
    assert AuditEvent.objects.filter(action="study.generate").count() == 1
    for identifier in StudyIdentifier.objects.filter(study__in=synthetic)[:100]:
        assert ids.validate(identifier.scheme, identifier.value) == identifier.value
    study = synthetic.order_by("id").first()
    assert study is not None and study.public_title and study.summary_sv and study.summary_en
    assert study.conditions.exists() and study.sites.exists()
    stale = timezone.now() - timedelta(days=STATUS_CHECK_DAYS)
    assert synthetic.filter(state="published", status_confirmed_at__lt=stale).exists()
    for generated in synthetic.order_by("id")[:20]:
        assert [i for i in quality_issues(generated) if i.severity == ERROR] == []


@development
def test_generated_studies_were_created_over_the_years_not_all_today() -> None:
    _demo("--studies", "100")
    synthetic = Study.objects.filter(source=SYNTHETIC_SOURCE)
    days = {d.date() for d in synthetic.values_list("created_at", flat=True)}
    assert len(days) > 50
    assert min(days) < timezone.localdate() - timedelta(days=3 * 365)


@development
def test_generator_again_adds_new_studies_with_new_identifiers() -> None:
    _demo("--studies", "30")
    _demo("--studies", "30")
    assert Study.objects.filter(source=SYNTHETIC_SOURCE).count() == 60
    values = list(StudyIdentifier.objects.values_list("scheme", "value"))
    assert len(values) == len(set(values))


def test_generator_draws_the_same_studies_for_a_seed() -> None:
    def draw(seed: str) -> list[tuple[Any, ...]]:
        return [
            (d.fields["public_title"], d.fields["planned_start_date"], d.identifiers)
            for d in _drafts(25, seed)
        ]

    assert draw("registry-synthetic-7") == draw("registry-synthetic-7")
    assert draw("registry-synthetic-7") != draw("registry-synthetic-8")


def test_demo_data_refuses_when_debug_is_off() -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        _demo("--studies", "5")
    assert not Study.objects.exists()


# --- studies hang together ------------------------------------------------------------------


def test_no_device_or_observational_study_has_a_drug_phase() -> None:
    for draft in _drafts():
        if draft.fields["study_type"] == StudyType.DRUG:
            assert draft.fields["phase"] != Phase.NOT_APPLICABLE
        else:
            assert draft.fields["phase"] == Phase.NOT_APPLICABLE, draft.template.key


def test_observational_studies_test_nothing() -> None:
    for draft in _drafts():
        if draft.fields["study_type"] == StudyType.OBSERVATIONAL:
            assert draft.interventions == []


def test_every_intervention_belongs_to_its_conditions_template() -> None:
    for draft in _drafts():
        allowed = _allowed_interventions(draft.template)
        for _kind, name, _description in draft.interventions:
            assert name in allowed or _is_company_code(name, draft.template), (
                draft.template.key,
                name,
            )


def test_dental_clinics_run_only_dental_studies() -> None:
    for draft in _drafts():
        dental_sites = [s for s in draft.sites if s.organisation.type == OrganisationType.DENTAL]
        if draft.template.units == {DENTAL}:
            assert len(dental_sites) == len(draft.sites)
            assert draft.fields["in_dental_care"] and not draft.fields["in_hospital_care"]
        else:
            assert dental_sites == [], draft.template.key


def test_childrens_studies_take_place_at_childrens_clinics() -> None:
    drafts = _drafts()
    pools = pools_load()
    children = [
        d
        for d in drafts
        if d.fields["max_age_years"] is not None
        and d.fields["max_age_years"] <= 17
        and d.template.units != {DENTAL}
    ]
    assert children
    for draft in children:
        for site in draft.sites:
            assert PAEDIATRICS in pools.units[site.organisation.pk], site.organisation.name


def test_pregnancy_studies_take_only_women_aged_18_to_45() -> None:
    drafts = [d for d in _drafts(1500) if d.template.icd10.startswith("O")]
    assert drafts
    for draft in drafts:
        assert draft.fields["sex"] == Sex.FEMALE
        assert draft.fields["min_age_years"] >= 18 and draft.fields["max_age_years"] <= 45
        assert "Graviditet eller amning" not in draft.fields["exclusion_criteria"]


def test_prostate_cancer_studies_take_only_men() -> None:
    drafts = [d for d in _drafts() if d.template.key == "prostate_cancer"]
    assert drafts
    assert {d.fields["sex"] for d in drafts} == {Sex.MALE}


def test_newborn_jaundice_studies_take_newborns_and_no_heart_monitor() -> None:
    drafts = [d for d in _drafts(2500) if d.template.key == "neonatal_jaundice"]
    assert drafts
    for draft in drafts:
        assert (draft.fields["min_age_years"], draft.fields["max_age_years"]) == (0, 0)
        assert draft.fields["study_type"] != StudyType.DRUG
        assert not [i for i in draft.interventions if "hjärtmonitor" in i[1]]


def test_type2_diabetes_is_never_treated_with_radiotherapy() -> None:
    drafts = [d for d in _drafts(1500) if d.template.key == "type2_diabetes"]
    assert drafts
    for draft in drafts:
        assert not [i for i in draft.interventions if i[0] == "radiation"]


def test_eligibility_differs_between_conditions() -> None:
    inclusion: dict[str, set[str]] = defaultdict(set)
    for draft in _drafts():
        inclusion[draft.template.key].add(draft.fields["inclusion_criteria"])
    keys = sorted(inclusion)
    assert len(keys) > 20
    for position, key in enumerate(keys):
        for other in keys[position + 1 :]:
            assert not inclusion[key] & inclusion[other], (key, other)


def test_eligibility_varies_within_a_condition() -> None:
    texts = [d.fields["inclusion_criteria"] for d in _drafts() if d.template.key == "breast_cancer"]
    assert len(set(texts)) >= 3


def test_industry_studies_state_eligibility_in_english_academic_ones_in_swedish() -> None:
    for draft in _drafts():
        criteria = draft.fields["inclusion_criteria"]
        if draft.fields["sponsor_type"] == SponsorType.INDUSTRY:
            assert "consent" in criteria and "samtycke" not in criteria
        else:
            assert "samtycke" in criteria and "consent" not in criteria


def test_summaries_name_the_condition_and_what_is_tested_in_both_languages() -> None:
    for draft in _drafts():
        condition = condition_by_code()[draft.template.icd10]
        summary_sv = draft.fields["summary_sv"].lower()
        summary_en = draft.fields["summary_en"].lower()
        assert any(n.lower() in summary_sv for n in (condition.name_sv, *condition.synonyms_sv))
        assert any(n.lower() in summary_en for n in (condition.name_en, *condition.synonyms_en))
        for _kind, name, _description in draft.interventions:
            assert name.lower() in summary_sv or name.lower() in summary_en


def test_sponsors_are_companies_for_industry_and_the_nodes_regions_or_universities() -> None:
    organisations_load()
    academic = set(Region.objects.filter(code__in=REGION_SLUGS).values_list("name", flat=True))
    academic |= set(
        Organisation.objects.filter(
            type=OrganisationType.UNIVERSITY, region__code__in=REGION_SLUGS
        ).values_list("name", flat=True)
    )
    companies = {c.name for c in COMPANIES.values()}
    for draft in _drafts():
        name = draft.fields["primary_sponsor_name"]
        if draft.fields["sponsor_type"] == SponsorType.INDUSTRY:
            assert name in companies
        else:
            assert name in academic


def test_care_settings_follow_the_sites() -> None:
    for draft in _drafts():
        types = {s.organisation.type for s in draft.sites}
        assert draft.fields["in_primary_care"] == (OrganisationType.PRIMARY_CARE in types)
        assert draft.fields["in_dental_care"] == (OrganisationType.DENTAL in types)


def test_the_lead_site_is_in_the_lead_region() -> None:
    for draft in _drafts():
        lead = draft.sites[0].organisation
        assert lead.region is not None and lead.region.code == draft.lead_region.code


# --- identifiers ----------------------------------------------------------------------------


def test_identifiers_pass_the_validators_and_never_repeat() -> None:
    seen: set[tuple[str, str]] = set()
    for draft in _drafts(3000):
        for scheme, value in draft.identifiers:
            assert ids.validate(scheme, value) == value
            assert (scheme, value) not in seen
            seen.add((scheme, value))


def test_identifier_shapes_follow_the_registries_and_the_years() -> None:
    for draft in _drafts():
        schemes = dict(draft.identifiers)
        applied = draft.days["applied"]
        assert applied is not None
        assert draft.identifiers[0][0] == IdentifierScheme.ETHICS
        ethics = schemes[IdentifierScheme.ETHICS]
        if applied.year >= 2019:
            assert re.fullmatch(rf"{applied.year}-\d{{5}}-\d{{2}}", ethics)
        else:
            assert re.fullmatch(rf"{applied.year}/\d{{1,5}}-\d{{1,2}}", ethics)
        if draft.fields["study_type"] == StudyType.DRUG:
            if applied.year >= 2023:
                assert re.fullmatch(rf"{applied.year}-5\d{{5}}-\d{{2}}-00", schemes["eu_ct"])
            else:
                assert re.fullmatch(rf"{applied.year}-\d{{6}}-\d{{2}}", schemes["eudract"])
        else:
            assert "eu_ct" not in schemes and "eudract" not in schemes
        if IdentifierScheme.NCT in schemes:
            assert re.fullmatch(r"NCT0\d{7}", schemes[IdentifierScheme.NCT])


def test_industry_studies_are_registered_at_clinicaltrials_gov() -> None:
    for draft in _drafts():
        if draft.fields["sponsor_type"] == SponsorType.INDUSTRY:
            assert IdentifierScheme.NCT in dict(draft.identifiers)


# --- the vocabulary and the templates -------------------------------------------------------


def test_condition_vocabulary_has_valid_codes_over_every_area() -> None:
    vocabulary = conditions()
    assert len(vocabulary) >= 200
    assert len({c.icd10 for c in vocabulary}) == len(vocabulary)
    for condition in vocabulary:
        assert icd10_normalise(condition.icd10) == condition.icd10
        assert condition.name_sv and condition.name_en
    chapters = {icd10_chapter(c.icd10) for c in vocabulary}
    assert len(chapters) >= 20
    by_code = {c.icd10: c for c in vocabulary}
    assert by_code["C50"].name_sv == "bröstcancer"
    assert "mammary cancer" in by_code["C50"].synonyms_en
    assert "slaganfall" in by_code["I63"].synonyms_sv


def test_templates_name_known_conditions_each_once() -> None:
    keys = [t.key for t in templates()]
    assert len(keys) == len(set(keys))
    codes = [t.icd10 for t in templates()]
    assert len(codes) == len(set(codes))
    for template in templates():
        assert template.icd10 in condition_by_code()
        for code in template.related:
            assert code in condition_by_code()


def test_templates_give_each_condition_several_criteria_and_outcomes() -> None:
    for template in templates():
        assert len(template.inclusion) >= 2 and len(template.exclusion) >= 2
        assert template.outcomes and template.observational
        assert all(sv and en and sv != en for sv, en in template.inclusion)


def test_every_kind_of_unit_a_template_names_is_found_in_the_node() -> None:
    organisations_load()
    pools = pools_load()
    for template in templates():
        wanted = [template.units] + [t.units for t in (*template.devices, *template.methods)]
        for units in wanted:
            if units:
                assert any(pools.candidates(units).values()), (template.key, sorted(units))


def test_templates_cover_the_areas_a_node_sees_most() -> None:
    weights: dict[str, int] = defaultdict(int)
    for template in templates():
        weights[icd10_chapter(template.icd10) or ""] += template.weight
    most = sorted(weights, key=lambda chapter: -weights[chapter])
    assert most[:2] == ["II", "IX"]
    assert len(weights) >= 14
