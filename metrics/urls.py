from django.urls import path, re_path

from metrics import feeds, views
from metrics.figures import figure_view
from metrics.page_cache import cache_public_page, within_render_budget

app_name = "metrics"

urlpatterns = [
    path("metrics/", cache_public_page(views.MetricListView.as_view()), name="metric-list"),
    path(
        "metrics/<slug:slug>/",
        cache_public_page(views.MetricDetailView.as_view()),
        name="metric-detail",
    ),
    re_path(
        r"^metrics/(?P<slug>[-\w]+)/(?P<kind>chart|map)\.(?P<format>svg|png)$",
        figure_view(views.MetricFigureView.as_view()),
        name="metric-figure",
    ),
    re_path(
        r"^metrics/(?P<slug>[-\w]+)/(?P<kind>chart|map)/(?P<format>embed)/$",
        figure_view(views.MetricFigureView.as_view()),
        name="metric-figure-embed",
    ),
    path(
        "metrics/<slug:slug>/feed/",
        cache_public_page(feeds.MetricFeed()),
        name="metric-feed",
    ),
    path(
        "figures/<int:pk>/",
        cache_public_page(views.ObservationDetailView.as_view()),
        name="observation-detail",
    ),
    path(
        "quality/",
        cache_public_page(views.DataQualityView.as_view()),
        name="data-quality",
    ),
    # Not cached: the form carries a CSRF token. A figure or a program (kind).
    path(
        "report/<slug:kind>/<int:pk>/",
        within_render_budget(views.ProblemReportView.as_view()),
        name="report-problem",
    ),
    path(
        "report/<slug:kind>/<int:pk>/thanks/",
        cache_public_page(views.ProblemReportThanksView.as_view()),
        name="report-thanks",
    ),
    path(
        "metrics/<slug:slug>/observations.csv",
        within_render_budget(views.MetricExportView.as_view()),
        name="metric-export",
    ),
]
