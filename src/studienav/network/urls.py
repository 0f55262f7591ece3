"""URLs of the network app (inside the language prefixes): public course pages, certificate
verification and the public library; staff pages under /network/."""

from django.urls import URLPattern, URLResolver, path

from studienav.network import staff_views, views

app_name = "network"

urlpatterns: list[URLPattern | URLResolver] = [
    path("courses/", views.courses, name="courses"),
    path("courses/calendar.ics", views.calendar_feed, name="calendar"),
    path("courses/sessions/<int:pk>/", views.session, name="session"),
    path("courses/cancel/<str:token>/", views.cancel, name="cancel"),
    path("courses/evaluation/<str:token>/", views.evaluate, name="evaluate"),
    path(
        "courses/certificate/<str:token>/", views.certificate_download, name="certificate_download"
    ),
    path("certificates/", views.certificate_lookup, name="certificate_lookup"),
    path("certificates/<str:code>/", views.certificate_verify, name="certificate_verify"),
    path("documents/", views.documents, name="documents"),
    path("documents/<int:pk>/v<int:number>/", views.document_file, name="document_file"),
    path("network/", staff_views.home, name="home"),
    path("network/sessions/", staff_views.sessions, name="sessions"),
    path("network/courses/new/", staff_views.course_new, name="course_new"),
    path("network/sessions/new/", staff_views.session_new, name="session_new"),
    path("network/sessions/<int:pk>/", staff_views.session_manage, name="session_manage"),
    path("network/networks/", staff_views.network_list, name="networks"),
    path("network/networks/<slug:slug>/", staff_views.network_detail, name="network"),
    path(
        "network/networks/<slug:slug>/meetings/new/", staff_views.meeting_edit, name="meeting_new"
    ),
    path(
        "network/networks/<slug:slug>/meetings/<int:pk>/edit/",
        staff_views.meeting_edit,
        name="meeting_edit",
    ),
    path("network/meetings/<int:pk>/", staff_views.meeting_detail, name="meeting"),
    path("network/actions/<int:pk>/done/", staff_views.action_done, name="action_done"),
    path("network/documents/", staff_views.library_list, name="library"),
    path("network/documents/new/", staff_views.document_new, name="document_new"),
    path("network/documents/<int:pk>/", staff_views.document_detail, name="document"),
    path("network/report/", staff_views.report, name="report"),
]
