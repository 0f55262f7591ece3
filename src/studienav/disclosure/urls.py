"""URLs of the disclosure app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver, path

from studienav.disclosure import case_views, views

app_name = "disclosure"

urlpatterns: list[URLPattern | URLResolver] = [
    path("disclosure/", views.request_list, name="list"),
    path("disclosure/new/", views.request_new, name="new"),
    path("disclosure/overview/", views.overview, name="overview"),
    path("disclosure/<int:pk>/", views.request_detail, name="request"),
    path("disclosure/<int:pk>/edit/", views.request_edit, name="edit"),
    path("disclosure/<int:pk>/check/", views.request_check, name="check"),
    path("disclosure/<int:pk>/trail/", views.request_trail, name="trail"),
    path("disclosure/<int:pk>/ethics/", views.ethics_add, name="ethics_add"),
    path(
        "disclosure/<int:pk>/ethics/<int:approval_pk>/remove/",
        views.ethics_remove,
        name="ethics_remove",
    ),
    path("disclosure/<int:pk>/data/", views.data_wanted_add, name="data_add"),
    path(
        "disclosure/<int:pk>/data/<int:wanted_pk>/remove/",
        views.data_wanted_remove,
        name="data_remove",
    ),
    path("disclosure/<int:pk>/files/", views.attachment_add, name="attachment_add"),
    path(
        "disclosure/<int:pk>/files/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "disclosure/<int:pk>/files/<int:attachment_pk>/remove/",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path("disclosure/<int:pk>/notes/", views.note_add, name="note_add"),
    path(
        "disclosure/<int:pk>/questions/<int:note_pk>/<str:code>/",
        views.question_answer,
        name="question_answer",
    ),
    path("disclosure/cases/<int:pk>/", case_views.case_detail, name="case"),
    path("disclosure/cases/<int:pk>/assign/", case_views.case_assign, name="case_assign"),
    path("disclosure/cases/<int:pk>/assess/", case_views.case_assess, name="case_assess"),
    path("disclosure/cases/<int:pk>/clarify/", case_views.case_clarify, name="case_clarify"),
    path("disclosure/cases/<int:pk>/answer/", case_views.case_answer, name="case_answer"),
    path("disclosure/cases/<int:pk>/decide/", case_views.case_decide, name="case_decide"),
    path("disclosure/cases/<int:pk>/deliver/", case_views.case_deliver, name="case_deliver"),
    path("disclosure/cases/<int:pk>/close/", case_views.case_close, name="case_close"),
    path("disclosure/cases/<int:pk>/decision.pdf", case_views.decision_pdf, name="decision_pdf"),
    path("disclosure/cases/<int:pk>/case-file.pdf", case_views.case_file, name="case_file"),
]
