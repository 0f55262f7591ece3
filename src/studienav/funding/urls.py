"""URLs of the funding app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver, path

from studienav.funding import views

app_name = "funding"

urlpatterns: list[URLPattern | URLResolver] = [
    path("funding/", views.calls, name="calls"),
    path("funding/my/", views.my_applications, name="my_applications"),
    path("funding/reviews/", views.reviews, name="reviews"),
    path("funding/manage/", views.manage, name="manage"),
    path("funding/figures/", views.figures_page, name="figures"),
    path("funding/manage/calls/new/", views.call_edit, name="call_new"),
    path("funding/manage/calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("funding/manage/calls/<int:pk>/publish/", views.call_publish, name="call_publish"),
    path("funding/confirm/<str:token>/", views.confirm, name="confirm"),
    path("funding/calls/<str:reference>/", views.call, name="call"),
    path("funding/calls/<str:reference>/apply/", views.apply, name="apply"),
    path("funding/calls/<str:reference>/assign/", views.assign_list, name="assign_list"),
    path("funding/calls/<str:reference>/committee/", views.committee, name="committee"),
    path("funding/calls/<str:reference>/committee.csv", views.committee_csv, name="committee_csv"),
    path("funding/applications/<int:pk>/", views.application, name="application"),
    path("funding/applications/<int:pk>/edit/", views.edit, name="edit"),
    path("funding/applications/<int:pk>/budget/", views.budget, name="budget"),
    path(
        "funding/applications/<int:pk>/budget/totals/",
        views.budget_totals_partial,
        name="budget_totals",
    ),
    path("funding/applications/<int:pk>/co-applicants/", views.co_applicants, name="co_applicants"),
    path("funding/applications/<int:pk>/documents/", views.documents, name="documents"),
    path(
        "funding/applications/<int:pk>/files/<int:attachment_pk>/",
        views.attachment,
        name="attachment",
    ),
    path("funding/applications/<int:pk>/submit/", views.submit, name="submit"),
    path("funding/applications/<int:pk>/declare/", views.declare, name="declare"),
    path("funding/applications/<int:pk>/review/", views.review, name="review"),
    path("funding/applications/<int:pk>/assign/", views.assign, name="assign"),
    path("funding/applications/<int:pk>/notes/", views.note, name="note"),
    path("funding/applications/<int:pk>/decide/", views.decide, name="decide"),
    path("funding/applications/<int:pk>/letter.pdf", views.letter, name="letter"),
    path("funding/applications/<int:pk>/reports/<int:year>/", views.report, name="report"),
]
