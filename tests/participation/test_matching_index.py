"""Matching through the search index's condition keys, and people told of new studies by cron."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from studienav.core.audit import AuditEvent
from studienav.core.models import Region, User
from studienav.participation import matching, services
from studienav.participation.matching import interest_match, interests_matching_study
from studienav.participation.models import ExpressionOfInterest, NewStudyNotice
from studienav.registry.models import SiteStatus, StudyState
from studienav.registry.services import study_publish
from studienav.search.index import search_index_study
from studienav.search.models import SearchCondition
from tests.participation.conftest import RegisterFn, StudyMaker

pytestmark = pytest.mark.django_db


def _titles(interest: ExpressionOfInterest) -> list[str]:
    return [m.study.public_title for m in interest_match(interest=interest)]


def test_study_that_stops_recruiting_is_no_longer_suggested(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    study = make_study("Astma", conditions=[("asthma", "J45")], sites=["1880"])
    interest = register(conditions=["astma"])
    assert _titles(interest) == ["Astma"]
    study.overall_status = "active_not_recruiting"
    study.save()
    search_index_study(study.pk)
    assert _titles(interest) == []


def test_study_whose_only_site_closes_is_found_but_without_a_site(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    study = make_study("Astma", conditions=[("asthma", "J45")], sites=["1880"])
    study.sites.update(recruitment_status=SiteStatus.CLOSED)
    search_index_study(study.pk)
    [match] = interest_match(interest=register(conditions=["astma"]))
    assert match.nearest_site is None and match.distance_km is None


def test_unpublished_study_leaves_the_index_and_the_suggestions(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    study = make_study("Astma", conditions=[("asthma", "J45")], sites=["1880"])
    interest = register(conditions=["astma"])
    study.state = StudyState.DRAFT
    study.save()
    search_index_study(study.pk)
    assert not SearchCondition.objects.filter(entry_id=study.pk).exists()
    assert _titles(interest) == []


def test_persons_word_is_found_from_the_start_of_a_word_in_the_study(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    make_study("Fibros", conditions=[("Cystisk-fibrosliknande tillstånd", "")], sites=["1880"])
    assert _titles(register(conditions=["fibrosliknande"])) == ["Fibros"]
    assert _titles(register(conditions=["ibrosliknande"], email="b@test.example")) == []


def test_study_condition_inside_the_persons_words_is_found(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    make_study("Migrän", conditions=[("kronisk migrän", "")], sites=["1880"])
    make_study("Nyckelord", keywords=["sömnapné"], sites=["1880"])
    interest = register(conditions=["svår kronisk migrän hos vuxna", "obstruktiv sömnapné"])
    assert sorted(_titles(interest)) == ["Migrän", "Nyckelord"]


def test_healthy_volunteers_get_the_nearest_studies_first_within_their_regions(
    register: RegisterFn, make_study: StudyMaker, uppsala: Region
) -> None:
    make_study("Kiruna", healthy=True, sites=["2584"])
    make_study("Uppsala", healthy=True, sites=["0380"])
    make_study("Örebro", healthy=True, sites=["1880"])
    make_study("Ung", healthy=True, sites=["1880"], max_age=30)
    interest = register(conditions=[])
    assert _titles(interest) == ["Örebro", "Uppsala", "Kiruna"]
    interest.regions_of_interest.set([uppsala])
    assert _titles(interest) == ["Uppsala"]


def test_common_condition_walked_nearest_first_ranks_as_the_full_lookup(
    register: RegisterFn, make_study: StudyMaker, uppsala: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_study("Kiruna", conditions=[("asthma", "J45")], sites=["2584"])
    make_study("Uppsala", conditions=[("astma", "")], sites=["0380"])
    make_study("Örebro", conditions=[("astma hos barn", "")], sites=["1880"])
    make_study("Örebro, ung", conditions=[("astma", "")], sites=["1880"], max_age=30)
    make_study("Örebro, diabetes", conditions=[("diabetes", "E11")], sites=["1880"])
    interest = register(conditions=["astma"])
    full = [(m.study.pk, m.score, m.matched_conditions) for m in interest_match(interest=interest)]
    monkeypatch.setattr(matching, "BROAD", 0)  # every condition counts as common
    walked = interest_match(interest=interest)
    assert [(m.study.pk, m.score, m.matched_conditions) for m in walked] == full
    assert [m.study.public_title for m in walked] == ["Örebro", "Uppsala", "Kiruna"]
    person = matching._person(interest)
    early = matching._nearest(person, matching._organisation_km(person.origin), 2)
    assert early is not None  # the walk could tell before it ran out of organisations
    assert [(pk, score) for score, pk, _km in early] == [(pk, s) for pk, s, _c in full[:2]]
    interest.regions_of_interest.set([uppsala])
    assert [m.study.public_title for m in interest_match(interest=interest)] == ["Uppsala"]


def test_more_conditions_outrank_distance_with_many_candidates(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    for i in range(3):
        make_study(f"Nära {i}", conditions=[("asthma", "J45")], sites=["1880"])
    make_study("Båda", conditions=[("astma", ""), ("diabetes", "E11")], sites=["2584"])
    matches = interest_match(interest=register(conditions=["astma", "diabetes"]), limit=2)
    assert [m.study.public_title for m in matches] == ["Båda", "Nära 0"]
    assert matches[0].matched_conditions == ("astma", "diabetes")


def test_rematching_leaves_out_people_the_study_does_not_admit(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    study = make_study("Kvinnor 18–40", conditions=[("asthma", "J45")], sex="female", max_age=40)
    young_woman = register(conditions=["astma"], year_of_birth=2000)
    register(conditions=["astma"], year_of_birth=2000, sex="male", email="m@test.example")
    register(conditions=["astma"], year_of_birth=1950, email="o@test.example")
    register(conditions=["diabetes"], year_of_birth=2000, email="d@test.example")
    ids = interests_matching_study(study_id=study.pk, interests=services.interests_to_notify())
    assert ids == [young_woman.pk]


def test_publishing_queues_the_notice_and_the_command_emails_each_person_once(
    register: RegisterFn,
    make_study: StudyMaker,
    bertil: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    eva = register(conditions=["diabetes"])
    register(conditions=["diabetes"], email="quiet@test.example", notify=False)
    study = make_study("Diabetes", conditions=[("type 2 diabetes", "E11")], state=StudyState.DRAFT)
    study.sites.update(region=Region.objects.get(code="18"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        study_publish(study=study, by=bertil, reason="Granskad")
    assert not [m for m in mail.outbox if m.to == ["eva@test.example"]]
    assert NewStudyNotice.objects.get(study=study).done_at is None

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        call_command("notify_new_studies", stdout=out)
    assert "1 " in out.getvalue()
    assert [m.to for m in mail.outbox if "eva" in m.to[0]] == [["eva@test.example"]]
    assert AuditEvent.objects.filter(
        action="participation.interest.notify_new_study", object_id=str(eva.pk)
    ).exists()

    mail.outbox.clear()
    call_command("notify_new_studies", stdout=StringIO())
    assert services.interest_notify_new_study(study.pk) == 0
    assert mail.outbox == []


def test_interrupted_run_resumes_after_the_last_person_emailed(
    register: RegisterFn, make_study: StudyMaker, django_capture_on_commit_callbacks: object
) -> None:
    first = register(conditions=["astma"])
    second = register(conditions=["astma"], email="second@test.example")
    study = make_study("Astma", conditions=[("asthma", "J45")])
    notice = services.new_study_notice_queue(study_id=study.pk)
    notice.last_interest_id = first.pk  # as a run that stopped after the first e-mail leaves it
    notice.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert services.new_study_notices_send() == 1
    assert [m.to for m in mail.outbox] == [["second@test.example"]]
    assert NewStudyNotice.objects.get(pk=notice.pk).last_interest_id == second.pk


def test_study_that_stops_recruiting_before_the_run_is_not_announced(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    register(conditions=["astma"])
    study = make_study("Astma", conditions=[("asthma", "J45")])
    services.new_study_notice_queue(study_id=study.pk)
    study.overall_status = "completed"
    study.save()
    search_index_study(study.pk)
    mail.outbox.clear()
    assert services.new_study_notices_send() == 0
    assert mail.outbox == []
    assert NewStudyNotice.objects.get(study=study).done_at is not None


def test_person_who_withdraws_before_the_run_is_not_emailed(
    register: RegisterFn, make_study: StudyMaker
) -> None:
    interest = register(conditions=["astma"])
    study = make_study("Astma", conditions=[("asthma", "J45")])
    services.new_study_notice_queue(study_id=study.pk)
    services.interest_withdraw(interest=interest)
    mail.outbox.clear()
    assert services.new_study_notices_send() == 0
    assert mail.outbox == []
