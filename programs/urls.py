from django.urls import path, re_path

from metrics.figures import figure_view
from metrics.page_cache import cache_public_page, within_render_budget
from programs import feeds, views

app_name = "programs"

urlpatterns = [
    path("", cache_public_page(views.HomeView.as_view()), name="home"),
    path("feed/", cache_public_page(feeds.SiteFeed()), name="feed"),
    path("programs/", cache_public_page(views.ProgramListView.as_view()), name="program-list"),
    re_path(
        r"^programs/map\.(?P<format>svg|png)$",
        figure_view(views.ProgramMapView.as_view()),
        name="program-map",
    ),
    path(
        "programs/map/embed/",
        figure_view(views.ProgramMapView.as_view()),
        {"format": "embed"},
        name="program-map-embed",
    ),
    re_path(
        r"^programs/export\.(?P<format>csv|xlsx)$",
        within_render_budget(views.ProgramExportView.as_view()),
        name="program-export",
    ),
    path(
        "programs/<slug:slug>/feed/",
        cache_public_page(feeds.ProgramFeed()),
        name="program-feed",
    ),
    path(
        "programs/<slug:slug>/",
        cache_public_page(views.ProgramDetailView.as_view()),
        name="program-detail",
    ),
    path(
        "regions/<str:code>/feed/",
        cache_public_page(feeds.RegionFeed()),
        name="region-feed",
    ),
    path(
        "regions/<str:code>/",
        cache_public_page(views.RegionDetailView.as_view()),
        name="region-detail",
    ),
    path("overview/", cache_public_page(views.OverviewView.as_view()), name="overview"),
    path("downloads/", cache_public_page(views.DownloadsView.as_view()), name="downloads"),
    path(
        "downloads/published-data.zip",
        within_render_budget(views.bulk_download),
        name="bulk-download",
    ),
]
