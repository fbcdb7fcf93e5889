"""Staff screens for the policy layer."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from metrics.admin import AuditedAdmin, PublicationActionsMixin
from metrics.formatting import format_figure
from programs.models import (
    Activity,
    Organisation,
    Outcome,
    Partnership,
    Program,
    ProgramSource,
    Sector,
)


class ActivityForm(forms.ModelForm):
    """Venue types as checkboxes; the admin supplies the model and fields."""

    venue_types = forms.MultipleChoiceField(
        label=_("venue types"),
        choices=Activity.Venue.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name_en", "name_zh", "kind", "parent", "region"]
    list_filter = ["kind"]
    list_select_related = ["parent", "region"]
    search_fields = ["name_en", "name_zh", "slug"]
    autocomplete_fields = ["parent", "region"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Sector)
class SectorAdmin(AuditedAdmin):
    list_display = ["name_en", "name_zh", "slug"]
    search_fields = ["name_en", "name_zh", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class PartnershipInline(admin.TabularInline):
    model = Partnership
    extra = 0
    autocomplete_fields = ["organisation"]


class ProgramSourceInline(admin.TabularInline):
    model = ProgramSource
    extra = 0
    autocomplete_fields = ["source"]


class OutcomeInline(admin.StackedInline):
    model = Outcome
    extra = 0
    autocomplete_fields = ["metric", "region"]
    fieldsets = [
        (None, {"fields": [("metric", "region", "effect")]}),
        (
            _("Baseline"),
            {
                "fields": [
                    "baseline_value",
                    ("baseline_period_type", "baseline_period_start", "baseline_period_end"),
                ]
            },
        ),
        (
            _("Target"),
            {
                "fields": [
                    "target_value",
                    ("target_period_type", "target_period_start", "target_date"),
                ]
            },
        ),
        (None, {"fields": ["rationale_en", "rationale_zh"]}),
    ]


class ActivityInline(admin.StackedInline):
    model = Activity
    form = ActivityForm
    extra = 0
    show_change_link = True
    autocomplete_fields = ["regions", "source", "results"]
    fieldsets = [
        (None, {"fields": [("kind", "start_date", "end_date"), ("title_en", "title_zh")]}),
        (
            _("What happened"),
            {
                "fields": [
                    "description_en",
                    "description_zh",
                    "regions",
                    ("event_count", "participant_count"),
                    ("participants_en", "participants_zh"),
                    "venue_types",
                ]
            },
        ),
        (_("Source and results"), {"fields": ["source", "source_quote", "results"]}),
    ]


@admin.register(Program)
class ProgramAdmin(PublicationActionsMixin, AuditedAdmin):
    list_display = [
        "title_en",
        "kind",
        "status",
        "publication_state",
        "lead_organisation",
        "start_date",
        "end_date",
        "display_budget",
    ]
    list_filter = ["publication_state", "status", "kind", "sectors"]
    list_select_related = ["lead_organisation"]
    search_fields = ["title_en", "title_zh", "slug"]
    autocomplete_fields = ["parent", "lead_organisation", "regions", "sectors"]
    prepopulated_fields = {"slug": ["title_en"]}
    date_hierarchy = "start_date"
    readonly_fields = ["publication_state", "published_at"]
    inlines = [PartnershipInline, OutcomeInline, ActivityInline, ProgramSourceInline]
    fieldsets = [
        (None, {"fields": ["slug", ("title_en", "title_zh"), "kind", "parent"]}),
        (
            _("Description"),
            {"fields": ["summary_en", "summary_zh", "description_en", "description_zh"]},
        ),
        (
            _("Responsibility"),
            {
                "fields": [
                    "lead_organisation",
                    ("responsible_official_en", "responsible_official_zh"),
                    ("official_title_en", "official_title_zh"),
                ]
            },
        ),
        (
            _("Scope"),
            {"fields": ["regions", "sectors", "status", ("start_date", "end_date"), "budget_yuan"]},
        ),
        (_("Publication"), {"fields": ["publication_state", "published_at"]}),
    ]

    @admin.display(description=_("budget"), ordering="budget_yuan")
    def display_budget(self, obj):
        return format_figure(obj.budget_yuan, unit="yuan", scale=6) or "–"


@admin.register(Partnership)
class PartnershipAdmin(AuditedAdmin):
    list_display = ["program", "organisation", "role"]
    list_filter = ["role"]
    list_select_related = ["program", "organisation"]
    search_fields = ["program__title_en", "organisation__name_en", "organisation__name_zh"]
    autocomplete_fields = ["program", "organisation"]


@admin.register(ProgramSource)
class ProgramSourceAdmin(AuditedAdmin):
    list_display = ["program", "source"]
    list_select_related = ["program", "source"]
    search_fields = ["program__title_en", "source__title_en", "quote"]
    autocomplete_fields = ["program", "source"]


@admin.register(Outcome)
class OutcomeAdmin(AuditedAdmin):
    list_display = ["program", "metric", "region", "effect", "baseline_value", "target_value"]
    list_filter = ["effect", "metric"]
    list_select_related = ["program", "metric", "region"]
    search_fields = ["program__title_en", "program__title_zh", "metric__name_en"]
    autocomplete_fields = ["program", "metric", "region"]


@admin.register(Activity)
class ActivityAdmin(AuditedAdmin):
    form = ActivityForm
    list_display = ["title_en", "program", "kind", "start_date", "end_date", "event_count"]
    list_filter = ["kind"]
    list_select_related = ["program"]
    search_fields = ["title_en", "title_zh", "program__title_en"]
    autocomplete_fields = ["program", "regions", "source", "results"]
    date_hierarchy = "start_date"
