"""URLs of the stats app (inside the language prefixes)."""

from django.urls import URLPattern, URLResolver, path

from studienav.stats import views

app_name = "stats"

urlpatterns: list[URLPattern | URLResolver] = [
    path("statistics/", views.statistics, name="statistics"),
    path("statistics/how-we-count/", views.how_we_count, name="how_we_count"),
    path("statistics/embed/<slug:slug>/", views.embed, name="embed"),
    path("statistics/<slug:slug>.csv", views.download, {"fmt": "csv"}, name="download_csv"),
    path("statistics/<slug:slug>.xlsx", views.download, {"fmt": "xlsx"}, name="download_xlsx"),
    path("staff/statistics/", views.staff_statistics, name="staff"),
    path("staff/statistics/targets/", views.targets, name="targets"),
    path("staff/statistics/annual-report/", views.annual_report, name="annual_report"),
    path("staff/statistics/national/", views.national, name="national"),
]
