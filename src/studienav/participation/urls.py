"""URLs of the participation app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver, path

from studienav.participation import views

app_name = "participation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("studies/<int:study_id>/interest/", views.interest_study, name="interest_study"),
    path("participation/interest/", views.interest_general, name="interest_general"),
    path("participation/interest/sent/", views.interest_sent, name="interest_sent"),
    path("participation/confirm/<str:token>/", views.confirm, name="confirm"),
    path("participation/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("participation/keep/<str:token>/", views.keep, name="keep"),
    path("participation/my/", views.my_sign_in, name="my_sign_in"),
    path(
        "participation/my/sign-in/<str:token>/",
        views.my_sign_in_complete,
        name="my_sign_in_complete",
    ),
    path("participation/my/sign-out/", views.my_sign_out, name="my_sign_out"),
    path("participation/my/registrations/", views.my_list, name="my_list"),
    path("participation/my/registrations/<int:pk>/", views.my_detail, name="my_detail"),
    path("participation/my/registrations/<int:pk>/export.json", views.my_export, name="my_export"),
    path("participation/my/registrations/<int:pk>/edit/", views.my_edit, name="my_edit"),
    path("participation/my/registrations/<int:pk>/delete/", views.my_delete, name="my_delete"),
    path(
        "participation/my/registrations/<int:pk>/withdraw/", views.my_withdraw, name="my_withdraw"
    ),
    path("participation/queue/", views.queue, name="queue"),
    path("participation/queue/<int:pk>/", views.person, name="person"),
    path("participation/queue/<int:pk>/contact/", views.person_contact, name="person_contact"),
    path("participation/queue/<int:pk>/task/", views.person_task, name="person_task"),
    path(
        "participation/queue/<int:pk>/send/<int:study_id>/", views.person_send, name="person_send"
    ),
    path("participation/queue/<int:pk>/refer/", views.person_refer, name="person_refer"),
    path("participation/tasks/<int:pk>/done/", views.task_complete, name="task_done"),
    path("participation/referrals/", views.referrals, name="referrals"),
    path("participation/referrals/<int:pk>/", views.referral, name="referral"),
]
