from django.urls import path

from metrics import views
from metrics.page_cache import cache_public_page, within_render_budget

app_name = "metrics"

urlpatterns = [
    path("metrics/", cache_public_page(views.MetricListView.as_view()), name="metric-list"),
    path(
        "metrics/<slug:slug>/",
        cache_public_page(views.MetricDetailView.as_view()),
        name="metric-detail",
    ),
    path(
        "figures/<int:pk>/",
        cache_public_page(views.ObservationDetailView.as_view()),
        name="observation-detail",
    ),
    path(
        "metrics/<slug:slug>/observations.csv",
        within_render_budget(views.MetricExportView.as_view()),
        name="metric-export",
    ),
]
