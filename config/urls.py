"""URL configuration: public pages and the admin in English and Chinese, the open-data API."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from config import views
from config.locale import localized_patterns
from metrics.api import MetricViewSet, ObservationViewSet, RegionViewSet, SourceViewSet
from programs.api import OrganisationViewSet, ProgramViewSet

api = DefaultRouter()
api.register("regions", RegionViewSet, basename="region")
api.register("metrics", MetricViewSet, basename="metric")
api.register("observations", ObservationViewSet, basename="observation")
api.register("programs", ProgramViewSet, basename="program")
api.register("organisations", OrganisationViewSet, basename="organisation")
api.register("sources", SourceViewSet, basename="source")

handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include(api.urls)),
]

if settings.BENCH_ENDPOINTS:
    urlpatterns.append(path("bench/floor", views.bench_floor))

# In the visitor's language unprefixed, permanently in one with /zh-hans/ or /en/ (config.locale).
urlpatterns += localized_patterns(
    path("admin/", admin.site.urls),
    path("", include("programs.urls")),
    path("", include("metrics.urls")),
)
