"""Root URLs: Swedish pages at /, English under /en/; health and admin outside the languages."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from studienav.core import observability
from studienav.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", observability.metrics, name="metrics"),
    path("django-admin/", admin.site.urls),
    path("", include("studienav.api.urls")),
]
# Staff sign-in through the region's identity provider, when turned on (studienav.core.oidc):
# one callback address outside the languages, as the provider has it registered.
if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
urlpatterns += i18n_patterns(
    path("", include("studienav.core.urls")),
    path("", include("studienav.registry.urls")),
    path("", include("studienav.portal.urls")),
    path("", include("studienav.stats.urls")),
    path("", include("studienav.feasibility.urls")),
    path("", include("studienav.participation.urls")),
    path("", include("studienav.counts.urls")),
    path("", include("studienav.disclosure.urls")),
    path("", include("studienav.funding.urls")),
    path("", include("studienav.network.urls")),
    prefix_default_language=False,
)

# Our own error pages, in the visitor's language (studienav.core.error_pages).
handler400 = "studienav.core.error_pages.bad_request"
handler403 = "studienav.core.error_pages.permission_denied"
handler404 = "studienav.core.error_pages.page_not_found"
handler500 = "studienav.core.error_pages.server_error"
