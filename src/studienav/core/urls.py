"""URLs of sign-in, the staff pages and the public start page."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from studienav.core import operations, views
from studienav.core.forms import PasswordResetForm

app_name = "core"

urlpatterns = [
    path("account/login/", views.LoginView.as_view(), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/verify/", views.otp_verify, name="otp_verify"),
    path("account/second-factor/", views.otp_setup, name="otp_setup"),
    path("account/invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path(
        "account/password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=PasswordResetForm,
            template_name="core/password_reset.html",
            email_template_name="core/email/password_reset.txt",
            subject_template_name="core/email/password_reset_subject.txt",
            success_url=reverse_lazy("core:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="core/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="core/password_reset_confirm.html",
            success_url=reverse_lazy("core:login"),
        ),
        name="password_reset_confirm",
    ),
    path("language/", views.set_language, name="set_language"),
    path("staff/", views.dashboard, name="dashboard"),
    path("staff/profile/", views.profile, name="profile"),
    path("staff/profile/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("staff/people/", views.people, name="people"),
    path("staff/people/<int:pk>/", views.person, name="person"),
    path("staff/roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("staff/history/<str:object_type>/<str:object_id>/", views.history, name="history"),
    path("staff/outbox/", operations.outbox, name="outbox"),
    path("staff/outbox/<int:pk>/retry/", operations.outbox_retry, name="outbox_retry"),
    path("staff/jobs/", operations.jobs, name="jobs"),
]
