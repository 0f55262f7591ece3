"""Staff pages of the registry."""

from django.urls import path

from studienav.registry import views

app_name = "registry"

urlpatterns = [
    path("staff/studies/<int:pk>/", views.study_detail, name="study"),
]
