"""The staff site: the apps' screens plus the data-quality page."""

from itertools import islice

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config import sign_ins
from metrics.admin_mixins import ReviewAdminMixin
from metrics.models import (
    Observation,
    ProblemReport,
    ValidationRule,
    expected_figures,
    find_violations,
)
from metrics.quality import change_mismatches, outliers
from metrics.workflow.scope import RegionScope
from programs.overview import staff_overview

# A long list helps nobody; the counts say how many there are in all.
SHOWN_PER_CHECK = 200


def first(iterable, count=SHOWN_PER_CHECK):
    items = list(islice(iterable, count + 1))
    return items[:count], len(items) > count


class PolicyAdminSite(admin.AdminSite):
    site_header = _("Commerce programs: staff")
    site_title = _("Commerce programs staff")
    index_title = _("Programs, figures and their review")
    index_template = "admin/policy_index.html"

    def login(self, request, extra_context=None):
        # Before any password is checked: a refused attempt costs no hash.
        if request.method == "POST":
            # As the sign-in form: no navigation for someone not signed in.
            context = {**self.each_context(request), "is_nav_sidebar_enabled": False}
            refusal = sign_ins.refuse_if_over_budget(request, context)
            if refusal is not None:
                return refusal
        return super().login(request, extra_context)

    def index(self, request, extra_context=None):
        """
        The apps, the daily work and the overview for leadership within the
        user's regions: programs, outcomes' standing, overdue figures and the
        review queue by age (programs.overview).
        """
        # Records of every kind the user may see that wait for a reviewer, as the quality page.
        waiting = {
            model: model_admin.get_queryset(request).awaiting_review()
            for model, model_admin in self._registry.items()
            if isinstance(model_admin, ReviewAdminMixin)
            and model_admin.has_view_permission(request)
        }
        overview = staff_overview(
            user=request.user, waiting=waiting, today=timezone.localdate(), now=timezone.now()
        )
        return super().index(request, {**overview, **(extra_context or {})})

    def get_urls(self):
        return [
            path("quality/", self.admin_view(self.quality_view), name="quality"),
            *super().get_urls(),
        ]

    def quality_view(self, request):
        """Everything in the user's regions that needs a look, each entry linked to its record."""
        scope = RegionScope.for_user(request.user)
        figures = Observation.objects.canonical().within(scope)
        violations, more_violations = first(
            find_violations(figures, rules=ValidationRule.objects.for_staff())
        )
        mismatches, more_mismatches = first(change_mismatches(figures))
        far_out, more_outliers = first(outliers(figures))
        # Records of every kind the user can see that wait for a reviewer.
        in_review = []
        for model, model_admin in self._registry.items():
            if isinstance(model_admin, ReviewAdminMixin):
                waiting = model_admin.get_queryset(request).awaiting_review()
                in_review += [(model._meta, record) for record in waiting[:SHOWN_PER_CHECK]]
        context = {
            **self.each_context(request),
            "title": _("Data quality"),
            "violations": violations,
            "more_violations": more_violations,
            "mismatches": mismatches,
            "more_mismatches": more_mismatches,
            "outliers": far_out,
            "more_outliers": more_outliers,
            "overdue": [
                expected
                for expected in expected_figures(
                    today=timezone.localdate(), regions=scope.regions()
                )
                if expected.overdue
            ],
            "in_review": in_review,
            "waiting_count": len(in_review),
            "public_reports": self.public_reports(request),
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/quality.html", context)

    def public_reports(self, request) -> dict | None:
        """Problems the public reported, as the problem-report screen lists them for this user."""
        model_admin = self._registry.get(ProblemReport)
        return model_admin.quality_section(request) if model_admin is not None else None
