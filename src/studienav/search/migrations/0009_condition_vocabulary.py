"""The condition vocabulary grew (Swedish lay and ICD-10-SE names, MeSH-style English names)
and its synonym groups are keyed by code and English name: the condition keys of every indexed
study are written anew from its conditions and keywords (`search.conditions`)."""

from __future__ import annotations

from collections import defaultdict

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

BATCH = 1000


def keys_rewrite(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from studienav.search.conditions import study_condition_keys

    SearchEntry = apps.get_model("search", "SearchEntry")
    SearchCondition = apps.get_model("search", "SearchCondition")
    Study = apps.get_model("registry", "Study")
    StudyCondition = apps.get_model("registry", "StudyCondition")
    ids = list(SearchEntry.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        names: dict[int, list[str]] = defaultdict(list)
        codes: dict[int, list[str]] = defaultdict(list)
        for study_id, name, code in StudyCondition.objects.filter(study_id__in=chunk).values_list(
            "study_id", "name", "icd10"
        ):
            names[study_id].append(name)
            if code:
                codes[study_id].append(code)
        keywords = dict(Study.objects.filter(pk__in=chunk).values_list("pk", "keywords"))
        rows = []
        fits = SearchEntry.objects.filter(pk__in=chunk).values_list(
            "pk", "is_recruiting", "min_age", "max_age", "sex"
        )
        for pk, is_recruiting, min_age, max_age, sex in fits:
            keys = study_condition_keys(
                names=names[pk],
                codes=codes[pk],
                keywords=[k for k in keywords.get(pk) or [] if isinstance(k, str)],
            )
            rows.extend(
                SearchCondition(
                    entry_id=pk,
                    key=key,
                    is_recruiting=is_recruiting,
                    min_age=min_age,
                    max_age=max_age,
                    sex=sex,
                )
                for key in sorted(keys)
            )
        SearchCondition.objects.filter(entry_id__in=chunk).delete()
        SearchCondition.objects.bulk_create(rows, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0008_fts_tags"),
        ("registry", "0002_study_duplicate_index"),
    ]

    operations = [
        migrations.RunPython(keys_rewrite, migrations.RunPython.noop, elidable=True),
    ]
