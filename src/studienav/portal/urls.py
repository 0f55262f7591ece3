"""Public pages (Swedish at /, English under /en/)."""

from django.urls import URLPattern, URLResolver, path

from studienav.portal import pages, views

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.start, name="home"),
    path("start/", views.start, name="start"),
    path("studies/", views.results, name="results"),
    path("studies/feed.atom", views.results_feed, name="feed"),
    path("studies.csv", views.results_csv, name="csv"),
    path("studies/<int:pk>/", views.study, name="study"),
    path("sponsors-and-researchers/", pages.sponsors, name="sponsors"),
    path("about/", pages.about, name="about"),
    path("privacy/", pages.privacy, name="privacy"),
    path("accessibility/", pages.accessibility, name="accessibility"),
]
