"""URLs of the feasibility app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver, path

from studienav.feasibility import views

app_name = "feasibility"

urlpatterns: list[URLPattern | URLResolver] = [
    path("study-requests/", views.request_list, name="list"),
    path("study-requests/new/", views.submit, name="submit"),
    path("study-requests/register/", views.register, name="register"),
    path("study-requests/figures/", views.figures_page, name="figures"),
    path("study-requests/import/", views.import_document, name="import"),
    path("study-requests/<int:pk>/", views.detail, name="detail"),
    path(
        "study-requests/<int:pk>/clarification/ask/",
        views.ask_clarification,
        name="ask_clarification",
    ),
    path("study-requests/<int:pk>/clarification/", views.clarified, name="clarified"),
    path("study-requests/<int:pk>/forward/", views.forward, name="forward"),
    path("study-requests/<int:pk>/not-forward/", views.not_forward, name="not_forward"),
    path(
        "study-requests/<int:pk>/regions/<str:code>/recipients/",
        views.recipients,
        name="recipients",
    ),
    path(
        "study-requests/<int:pk>/regions/<str:code>/compile/", views.compile_region, name="compile"
    ),
    path("study-requests/<int:pk>/send/", views.send_answer, name="send"),
    path(
        "study-requests/<int:pk>/regions/<str:code>/supplement/",
        views.send_supplement,
        name="supplement",
    ),
    path("study-requests/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("study-requests/<int:pk>/files/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("study-requests/<int:pk>/answers/<int:recipient_pk>/", views.answer, name="answer"),
    path("study-requests/answer/<str:token>/", views.answer_link, name="answer_link"),
]
