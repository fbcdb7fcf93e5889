from django.urls import path, re_path

from programs import views

app_name = "programs"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("programs/", views.ProgramListView.as_view(), name="program-list"),
    re_path(
        r"^programs/export\.(?P<format>csv|xlsx)$",
        views.ProgramExportView.as_view(),
        name="program-export",
    ),
    path("programs/<slug:slug>/", views.ProgramDetailView.as_view(), name="program-detail"),
    path("regions/<str:code>/", views.RegionDetailView.as_view(), name="region-detail"),
    path("downloads/", views.DownloadsView.as_view(), name="downloads"),
    path("downloads/published-data.zip", views.bulk_download, name="bulk-download"),
]
