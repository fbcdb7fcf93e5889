"""URL configuration: public pages and the admin, in English and Chinese."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("programs.urls")),
    path("", include("metrics.urls")),
    prefix_default_language=False,
)
