"""The root URLs with participation's routes first.

Portal still holds a placeholder at /studies/<id>/interest/; until it goes, tests reach ours here.
"""

from typing import cast

from django.conf.urls.i18n import i18n_patterns
from django.urls import URLPattern, URLResolver, include, path

from studienav import urls as root

Patterns = list[URLPattern | URLResolver]

urlpatterns: Patterns = [
    *i18n_patterns(
        path("", include("studienav.participation.urls")), prefix_default_language=False
    ),
    *cast(Patterns, root.urlpatterns),
]
