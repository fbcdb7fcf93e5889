from django.urls import path

from programs import views

app_name = "programs"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("programs/", views.ProgramListView.as_view(), name="program-list"),
    path("programs/<slug:slug>/", views.ProgramDetailView.as_view(), name="program-detail"),
]
