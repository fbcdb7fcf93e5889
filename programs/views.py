from django.views.generic import DetailView, ListView, TemplateView

from programs.models import Program


class HomeView(TemplateView):
    template_name = "home.html"


class ProgramListView(ListView):
    queryset = Program.objects.published()


class ProgramDetailView(DetailView):
    queryset = Program.objects.published()
