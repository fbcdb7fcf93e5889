from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("metrics/", views.MetricListView.as_view(), name="metric-list"),
    path("metrics/<slug:slug>/", views.MetricDetailView.as_view(), name="metric-detail"),
    path(
        "metrics/<slug:slug>/observations.csv",
        views.MetricExportView.as_view(),
        name="metric-export",
    ),
]
