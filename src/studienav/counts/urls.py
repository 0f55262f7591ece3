"""URLs of the counts app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver, path

from studienav.counts import views

app_name = "counts"

urlpatterns: list[URLPattern | URLResolver] = [
    path("counts/", views.index, name="index"),
    path("counts/new/", views.build, name="build"),
    path("counts/concepts/", views.concepts, name="concepts"),
    path("counts/definitions/<int:pk>/", views.definition_detail, name="definition"),
    path("counts/definitions/<int:pk>/edit/", views.edit, name="edit"),
    path("counts/definitions/<int:pk>/circe.json", views.circe_export, name="circe"),
    path("counts/definitions/<int:pk>/ask/", views.ask, name="ask"),
    path("counts/questions/<int:pk>/", views.question_detail, name="question"),
    path("counts/questions/<int:pk>/retry/", views.question_retry, name="retry"),
    path("counts/questions/<int:pk>/csv/", views.question_csv, name="csv"),
    path("counts/log/", views.question_log, name="log"),
    path("counts/rules/<str:code>/", views.privacy, name="privacy"),
    path("counts/budget/", views.budget, name="budget"),
    path("counts/agents/", views.agents, name="agents"),
]
