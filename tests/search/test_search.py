"""The search service: the same properties on SQLite and PostgreSQL (CI runs both)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.utils import translation

from studienav.core.errors import ValidationFailed
from studienav.core.models import Region
from studienav.registry.models import OverallStatus, Site, Study, StudyState
from studienav.registry.services import study_close
from studienav.search.index import STATUS_TAGS, fts_tags, search_index_study
from studienav.search.models import SearchEntry, SearchText
from studienav.search.params import SearchParams
from studienav.search.services import study_search
from studienav.search.text import fold, query_terms, stem
from tests.search.conftest import GAVLE_SITE, OREBRO_SITE, UPPSALA_SITE, StudyMaker

pytestmark = pytest.mark.django_db


def found(**params: Any) -> list[int]:
    return [s.pk for s in study_search(SearchParams(**params)).studies]


def test_swedish_inflection_finds_the_base_form(make_study: StudyMaker) -> None:
    breast = make_study(public_title="Ny behandling vid bröstcancer")
    make_study(public_title="Träning efter höftfraktur")
    assert found(q="bröstcancern") == [breast.pk]
    assert found(q="behandlingen") == [breast.pk]


def test_search_ignores_diacritics(make_study: StudyMaker) -> None:
    gavle = make_study(public_title="Sömn och hälsa", sites=[GAVLE_SITE])
    orebro = make_study(public_title="Hjärtsvikt i vardagen", sites=[OREBRO_SITE])
    assert found(q="gavle") == [gavle.pk]
    assert found(q="orebro") == [orebro.pk]
    assert found(q="hjartsvikt") == [orebro.pk]
    assert found(q="GÄVLE") == [gavle.pk]


def test_one_typo_in_a_long_word_still_finds_the_study(make_study: StudyMaker) -> None:
    diabetes = make_study(public_title="Diabetes och motion")
    make_study(public_title="Astma hos barn")
    assert found(q="diabetis") == [diabetes.pk]  # replaced
    assert found(q="diabets") == [diabetes.pk]  # removed
    assert found(q="diabeetes") == [diabetes.pk]  # added
    assert found(q="diabxtis") == []  # two typos
    # The result says when it is a near match, and not when the word is found as written.
    assert study_search(SearchParams(q="diabetis")).spelled_alike
    assert not study_search(SearchParams(q="diabetes")).spelled_alike


def test_short_words_get_no_typo_tolerance(make_study: StudyMaker) -> None:
    make_study(public_title="Astma hos barn")
    assert found(q="astna") != []  # five letters: one typo allowed
    assert found(q="bxrn") == []


def test_condition_synonyms_work_from_swedish_to_english_and_back(make_study: StudyMaker) -> None:
    swedish = make_study(public_title="Bröstcancer och fysisk aktivitet")
    english = make_study(public_title="Sömn", public_title_en="Breast cancer screening")
    stroke = make_study(public_title="Rehabilitering efter slaganfall")
    assert set(found(q="breast cancer")) == {swedish.pk, english.pk}
    assert set(found(q="bröstcancer")) == {swedish.pk, english.pk}
    assert found(q="stroke") == [stroke.pk]


def test_icd10_code_finds_studies_of_the_condition(make_study: StudyMaker) -> None:
    coded = make_study(
        public_title="Ny behandling", conditions=[{"name": "Tumör", "icd10": "C50.9"}]
    )
    named = make_study(public_title="Bröstcancer i primärvården")
    make_study(public_title="Astma", conditions=[{"name": "Astma", "icd10": "J45"}])
    assert set(found(q="C50")) == {coded.pk, named.pk}
    assert set(found(q="c50.9")) == {coded.pk, named.pk}  # the code, and its condition by name
    assert found(conditions=["C50"]) == [coded.pk]
    assert found(conditions=["astma"]) != []


def test_every_word_must_match(make_study: StudyMaker) -> None:
    both = make_study(public_title="Diabetes i Gävle", sites=[GAVLE_SITE])
    make_study(public_title="Diabetes i Uppsala")
    assert found(q="diabetes gavle") == [both.pk]


def test_title_matches_rank_above_text_matches_and_recruiting_first_on_ties(
    make_study: StudyMaker,
) -> None:
    in_summary = make_study(public_title="Livsstil", summary_sv="Om astma hos vuxna.")
    completed = make_study(public_title="Astma hos vuxna", overall_status="completed")
    recruiting = make_study(public_title="Astma och träning")
    assert found(q="astma") == [recruiting.pk, completed.pk, in_summary.pk]


def test_facets_count_the_matching_studies(make_study: StudyMaker) -> None:
    make_study(public_title="Astma A", phase="2", sites=[UPPSALA_SITE, GAVLE_SITE])
    make_study(public_title="Astma B", phase="3", overall_status="completed")
    make_study(public_title="Diabetes", phase="3")
    result = study_search(SearchParams(q="astma", facets=True))
    assert result.total == 2
    assert ("2", "Fas 2", 1) in result.facets["phase"]
    assert ("3", "Fas 3", 1) in result.facets["phase"]
    assert {(v, n) for v, _label, n in result.facets["status"]} == {
        ("recruiting", 1),
        ("completed", 1),
    }
    assert {(v, n) for v, _label, n in result.facets["region"]} == {("03", 2), ("21", 1)}
    assert sum(n for _v, _l, n in result.facets["site"]) == 3


def test_filters_on_status_phase_region_and_care_setting(make_study: StudyMaker) -> None:
    a = make_study(public_title="A", phase="2", sites=[GAVLE_SITE], in_primary_care=True)
    b = make_study(public_title="B", phase="3", overall_status="completed")
    assert found(statuses=["completed"]) == [b.pk]
    assert found(phases=["2", "4"]) == [a.pk]
    assert found(regions=["21"]) == [a.pk]
    assert found(care_settings=["primary_care"]) == [a.pk]


def test_text_with_status_and_region_filters_follows_each_change(make_study: StudyMaker) -> None:
    # The text index narrows by tags of status and region (search.index.fts_tags; SQLite's
    # text index, PostgreSQL's index of SearchText.tags): they must follow the study.
    study = make_study(public_title="Astma hos vuxna", sites=[UPPSALA_SITE])
    make_study(public_title="Astma hos barn", sites=[GAVLE_SITE], overall_status="completed")
    assert found(q="astma", statuses=["recruiting"], regions=["03"]) == [study.pk]
    Study.objects.filter(pk=study.pk).update(overall_status="suspended")
    Site.objects.filter(study=study).update(region=Region.objects.get(code="18"))
    search_index_study(study.pk)
    assert found(q="astma", statuses=["recruiting"]) == []
    assert found(q="astma", regions=["03"]) == []
    assert found(q="astma", statuses=["suspended", "completed"], regions=["18"]) == [study.pk]
    assert len(found(q="astma", statuses=["suspended", "completed"])) == 2


def test_every_status_has_a_tag_of_its_own_and_the_migration_wrote_the_same() -> None:
    assert set(STATUS_TAGS) == set(OverallStatus.values)
    assert len(set(STATUS_TAGS.values())) == len(STATUS_TAGS)
    assert all(len(tag) == 3 and tag.startswith("#") for tag in STATUS_TAGS.values())
    for name in ("0008_fts_tags", "0010_searchtext_tags"):
        migration = importlib.import_module(f"studienav.search.migrations.{name}")
        assert migration.STATUS_TAGS == STATUS_TAGS
    assert fts_tags("recruiting", "03 21") == "#rc #03 #21"


def test_the_text_row_keeps_the_tags_of_the_entrys_status_and_regions(
    make_study: StudyMaker,
) -> None:
    study = make_study(public_title="Astma hos vuxna", sites=[UPPSALA_SITE, GAVLE_SITE])
    assert SearchText.objects.get(pk=study.pk).tags == "#rc #03 #21"
    Study.objects.filter(pk=study.pk).update(overall_status="completed")
    Site.objects.filter(study=study).update(region=Region.objects.get(code="18"))
    search_index_study(study.pk)
    assert SearchText.objects.get(pk=study.pk).tags == "#co #18"


def test_the_migration_writes_the_tags_of_entries_indexed_before_it(
    make_study: StudyMaker,
) -> None:
    migration = importlib.import_module("studienav.search.migrations.0010_searchtext_tags")
    study = make_study(public_title="Astma hos vuxna", sites=[UPPSALA_SITE, GAVLE_SITE])
    SearchText.objects.filter(pk=study.pk).update(tags="")
    with connection.cursor() as cursor:
        migration.tags_write(cursor.execute, connection.vendor)
    assert SearchText.objects.get(pk=study.pk).tags == "#rc #03 #21"
    assert found(q="astma", statuses=["recruiting"], regions=["21"]) == [study.pk]


def test_place_matches_keep_to_the_asked_status_and_region(make_study: StudyMaker) -> None:
    # A place is matched from a word's start (`gavle` in the site's town), beside the text:
    # the tags narrow both on PostgreSQL, the entries' filters decide on either database.
    gavle = make_study(public_title="Sömn", sites=[GAVLE_SITE, UPPSALA_SITE])
    make_study(public_title="Sömn", sites=[GAVLE_SITE], overall_status="completed")
    assert found(q="gavle", statuses=["recruiting"], regions=["03"]) == [gavle.pk]
    assert len(found(q="gavle", regions=["21"])) == 2
    assert found(q="gavle", statuses=["recruiting"], regions=["18"]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_a_search_leaves_the_planners_settings_as_they_were(make_study: StudyMaker) -> None:
    study = make_study(public_title="Astma hos vuxna")

    def settings() -> tuple[str, ...]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('cpu_operator_cost'), current_setting('jit'), "
                "current_setting('max_parallel_workers_per_gather')"
            )
            return tuple(str(value) for value in cursor.fetchone())

    before = settings()
    assert found(q="astma", statuses=["recruiting"], facets=True) == [study.pk]
    assert found(q="astma", statuses=["recruiting"]) == [study.pk]
    assert found(statuses=["recruiting"], facets=True) == [study.pk]
    assert settings() == before


def test_age_and_sex_filters_take_the_persons_view(make_study: StudyMaker) -> None:
    adults = make_study(public_title="Vuxna", min_age_years=18, max_age_years=65, sex="all")
    women = make_study(public_title="Kvinnor", min_age_years=40, sex="female")
    children = make_study(public_title="Barn", max_age_years=17)
    assert set(found(age=70)) == {women.pk}
    assert set(found(age=10)) == {children.pk}
    assert set(found(age=50, sex="male")) == {adults.pk}
    assert set(found(age=50, sex="female")) == {adults.pk, women.pk}


def test_near_me_sorts_by_distance_to_nearest_recruiting_site(make_study: StudyMaker) -> None:
    uppsala = make_study(public_title="U", sites=[UPPSALA_SITE])
    gavle = make_study(public_title="G", sites=[GAVLE_SITE])
    orebro = make_study(public_title="O", sites=[OREBRO_SITE])
    closed = make_study(
        public_title="Closed", sites=[{**UPPSALA_SITE, "recruitment_status": "closed"}]
    )
    result = study_search(SearchParams(near="Uppsala", radius_km=300, sort="distance"))
    assert [s.pk for s in result.studies] == [uppsala.pk, gavle.pk, orebro.pk]
    assert closed.pk not in result.distances
    assert result.distances[uppsala.pk] < 5 < result.distances[gavle.pk]
    assert found(near="gavle", radius_km=50) == [gavle.pk]
    assert found(near="751 85", radius_km=20) == [uppsala.pk]
    assert found(near="801", radius_km=20) == [gavle.pk]
    assert found(near="59.27,15.21", radius_km=10) == [orebro.pk]


def test_cursor_pages_stay_stable_while_a_study_is_added(make_study: StudyMaker) -> None:
    made = [make_study(public_title=f"Astma {n}") for n in range(5)]
    first = study_search(SearchParams(q="astma", limit=2))
    assert first.total == 5 and first.next_cursor
    make_study(public_title="Astma ny")  # newest: would sort first
    seen = [s.pk for s in first.studies]
    cursor: str | None = first.next_cursor
    while cursor:
        page = study_search(SearchParams(q="astma", limit=2, cursor=cursor))
        seen.extend(s.pk for s in page.studies)
        cursor = page.next_cursor
    assert sorted(seen) == sorted(s.pk for s in made)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("sort", ["updated", "start", "title", "distance"])
def test_every_sort_pages_through_all_results_once(make_study: StudyMaker, sort: str) -> None:
    made = {make_study(public_title=f"Studie {n}", sites=[UPPSALA_SITE]).pk for n in range(5)}
    params: dict[str, Any] = {
        "sort": sort,
        "limit": 2,
        "near": "Uppsala" if sort == "distance" else "",
    }
    seen: list[int] = []
    cursor: str | None = None
    while True:
        page = study_search(SearchParams(cursor=cursor, **params))
        seen.extend(s.pk for s in page.studies)
        if not (cursor := page.next_cursor):
            break
    assert sorted(seen) == sorted(made)


def test_only_public_studies_are_found_and_withdrawn_ones_leave_the_index(
    make_study: StudyMaker,
) -> None:
    public = make_study(public_title="Astma öppen")
    make_study(state="submitted", public_title="Astma utkast")
    assert found(q="astma") == [public.pk]
    Study.objects.filter(pk=public.pk).update(state="withdrawn")
    search_index_study(public.pk)
    assert found(q="astma") == []


def test_reindex_command_rebuilds_the_index(make_study: StudyMaker) -> None:
    study = make_study(public_title="Astma")
    SearchEntry.objects.all().delete()
    assert found(q="astma") == []
    call_command("search_reindex")
    assert found(q="astma") == [study.pk]


@pytest.mark.usefixtures("english")
def test_bad_parameters_name_the_field_and_the_valid_values() -> None:
    cases = {
        "status=open": ("status", "recruiting"),
        "phase=9": ("phase", "early_1"),
        "age=old": ("age", "0"),
        "region=Narnia": ("region", "03"),
        "sort=distance": ("sort", "near"),
        "near=Atlantis": ("near", "Gävle"),
        "radius_km=-3&near=Uppsala": ("radius_km", "2000"),
        "limit=5000": ("limit", "1000"),
        "cursor=abc": ("cursor", "cursor"),
        "updated_since=yesterday": ("updated_since", "2024-05-01"),
        "healthy_volunteers=maybe": ("healthy_volunteers", "true"),
    }
    for query, (field, hint) in cases.items():
        with pytest.raises(ValidationFailed) as error:
            SearchParams.from_query(QueryDict(query))
        assert error.value.field == field, query
        assert hint in error.value.message, query


def test_query_string_parses_into_parameters() -> None:
    params = SearchParams.from_query(
        QueryDict("q=astma&region=03&region=Gävleborg&status=recruiting&age=40&facets=true")
    )
    assert params.q == "astma"
    assert params.regions == ["03", "21"]
    assert params.statuses == ["recruiting"]
    assert params.age == 40 and params.facets


def test_folding_and_stemming_helpers() -> None:
    assert fold("Örebro  län, Gävle!") == "orebro lan gavle"
    assert stem("brostcancern") == "brostcanc"
    assert stem("barn") == "barn"  # never below four letters
    assert query_terms("och i") == []


def test_withdrawing_through_the_service_removes_the_study_from_search(
    make_study: StudyMaker, cecilia: Any
) -> None:
    study = make_study(public_title="Astma")
    study_close(study=study, by=cecilia, state=StudyState.WITHDRAWN, reason="duplicate")
    assert found(q="astma") == []


def test_place_names_match_from_a_word_start_only(make_study: StudyMaker) -> None:
    vasteras = {
        **UPPSALA_SITE,
        "organisation": "Västmanlands sjukhus Västerås",
        "city": "Västerås",
        "region": "19",
    }
    asthma = make_study(public_title="Astma hos barn", sites=[UPPSALA_SITE])
    elsewhere = make_study(public_title="Sömn och hälsa", sites=[vasteras])
    # `astma` is inside `vastmanlands`: a place is found by its words, not by any substring.
    assert found(q="astma") == [asthma.pk]
    assert found(q="vasteras") == [elsewhere.pk]
    assert found(q="västmanland") == [elsewhere.pk]


def test_words_of_fewer_than_four_letters_match_whole_words(make_study: StudyMaker) -> None:
    copd = make_study(public_title="Träning vid KOL")
    make_study(public_title="Alkohol och sömn")
    make_study(public_title="Kolesterol hos vuxna")
    assert found(q="kol") == [copd.pk]


def test_short_words_and_typos_combine_with_plain_words(make_study: StudyMaker) -> None:
    ms = make_study(public_title="Astma och MS hos vuxna")
    make_study(public_title="Astma hos barn")
    make_study(public_title="Diabetes och MS")
    # "ms" is too short for the trigram index, "diabetis" only matches with its typo.
    assert found(q="astma ms") == [ms.pk]
    assert found(q="diabetis ms") != [] and ms.pk not in found(q="diabetis ms")


def test_condition_filter_reads_the_conditions_not_the_rest_of_the_text(
    make_study: StudyMaker,
) -> None:
    coded = make_study(public_title="Motion", conditions=[{"name": "Diabetes typ 2"}])
    make_study(public_title="Diabetes och sömn", conditions=[{"name": "Sömnstörning"}])
    assert found(conditions=["diabetes"]) == [coded.pk]
    assert found(conditions=["diabetis"]) == [coded.pk]
    assert found(conditions=["diabetes", "sömnstörning"]) != [coded.pk]
    assert found(conditions=["och"]) == []


def test_every_facet_count_is_the_total_of_that_filter(make_study: StudyMaker) -> None:
    make_study(public_title="Astma A", phase="2", sites=[UPPSALA_SITE, GAVLE_SITE])
    make_study(
        public_title="Astma B",
        phase="3",
        overall_status="completed",
        healthy_volunteers=True,
        in_primary_care=True,
    )
    make_study(public_title="Astma C", sites=[OREBRO_SITE], sex="female")
    make_study(public_title="Diabetes", phase="3")
    result = study_search(SearchParams(q="astma", facets=True))
    filters = {
        "status": "statuses",
        "phase": "phases",
        "study_type": "study_types",
        "sponsor_type": "sponsor_types",
        "care_setting": "care_settings",
        "region": "regions",
        "site": "sites",
    }
    assert result.total == 3
    for facet, parameter in filters.items():
        assert result.facets[facet], facet
        for value, _label, count in result.facets[facet]:
            chosen: Any = [int(value)] if facet == "site" else [value]
            assert study_search(SearchParams(q="astma", **{parameter: chosen})).total == count
    healthy = {v: n for v, _l, n in result.facets["healthy_volunteers"]}
    assert healthy == {"true": 1, "false": 2}
    assert study_search(SearchParams(q="nothing-like-it", facets=True)).facets["status"] == []


def test_stemming_gives_the_same_words_from_many_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    words = [
        f"{base}{ending}"
        for base in ("behandling", "sjukdom", "cancer", "hjärta")
        for ending in ("", "en", "ar", "arna", "ens", "er", "erna")
    ]
    alone = [stem(fold(word)) for word in words]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for together in pool.map(lambda _n: [stem(fold(w)) for w in words], range(64)):
            assert together == alone


def test_a_kept_answer_is_not_used_once_the_index_changes(
    make_study: StudyMaker,
    shared_cache: None,
    django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = make_study(public_title="Astma hos barn")
    assert found(q="astma", facets=True) == [first.pk]
    # The same search again: only the page's studies are read (study, its conditions,
    # identifiers and sites), not the matches or the counts.
    with django_assert_max_num_queries(4):
        again = study_search(SearchParams(q="astma", facets=True))
    assert [s.pk for s in again.studies] == [first.pk] and again.total == 1
    # The answer holds no text: the English page uses it too, labelled in English.
    with translation.override("en"), django_assert_max_num_queries(4):
        english = study_search(SearchParams(q="astma", facets=True))
    assert [s.pk for s in english.studies] == [first.pk]
    assert english.facets["status"] == [("recruiting", "Recruiting", 1)]
    assert again.facets["status"] == [("recruiting", "Rekryterar", 1)]
    assert [value for value, _label, _n in english.facets["region"]] == ["03"]
    with django_capture_on_commit_callbacks(execute=True):
        second = make_study(public_title="Astma hos vuxna")
    assert set(found(q="astma", facets=True)) == {first.pk, second.pk}


def test_every_name_of_a_condition_finds_its_studies_however_many_it_has(
    make_study: StudyMaker,
) -> None:
    # `hjärtsvikt` has eight names; PostgreSQL asks its trigram index for them four at a time.
    first = make_study(public_title="Hjärtsvikt i vardagen")
    last = make_study(public_title="Cardiac insufficiency at home")
    make_study(public_title="Astma hos barn")
    assert set(found(q="hjärtsvikt", statuses=["recruiting"], regions=["03"])) == {
        first.pk,
        last.pk,
    }
