"""Staff pages of the registry under staff/studies/, and the public record history."""

from django.urls import path

from studienav.registry import views

app_name = "registry"

urlpatterns = [
    path("staff/studies/", views.study_list, name="studies"),
    path("staff/studies/new/", views.study_create, name="study_create"),
    path("staff/studies/queue/", views.review_queue_page, name="queue"),
    path("staff/studies/import/", views.import_page, name="import"),
    path("staff/studies/import/apply/", views.import_apply, name="import_apply"),
    path("staff/studies/import/template.<str:fmt>", views.import_template, name="import_template"),
    path("staff/studies/<int:pk>/", views.study_detail, name="study"),
    path("staff/studies/<int:pk>/edit/", views.study_edit, name="study_edit"),
    path("staff/studies/<int:pk>/identifiers/add/", views.identifier_add, name="identifier_add"),
    path("staff/studies/<int:pk>/sites/add/", views.site_add, name="site_add"),
    path("staff/studies/<int:pk>/merge/", views.study_merge, name="merge"),
    path("staff/sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("staff/sites/<int:pk>/recruitment/", views.site_recruitment, name="site_recruitment"),
    path("staff/merges/<int:pk>/", views.merge_detail, name="merge_detail"),
    path("studies/<int:pk>/history/", views.public_history, name="public_history"),
    *[
        path(
            f"staff/studies/<int:pk>/{action}/",
            views.study_action,
            {"action": action},
            name=f"study_{action}",
        )
        for action in views.ACTIONS
    ],
]
