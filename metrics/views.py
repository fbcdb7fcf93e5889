from django.views.generic import DetailView, ListView

from metrics.models import Metric, Region


class MetricListView(ListView):
    model = Metric


class MetricDetailView(DetailView):
    model = Metric


class RegionDetailView(DetailView):
    model = Region
    slug_field = "code"
    slug_url_kwarg = "code"
