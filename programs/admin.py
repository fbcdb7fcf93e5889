"""Staff screens for the policy layer."""

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from metrics.admin import SharedReferenceAdmin
from metrics.admin_mixins import (
    AmountFieldsMixin,
    AuditedAdmin,
    LockedInlineMixin,
    LockedModelForm,
    ReviewAdminMixin,
    ScopedChoicesMixin,
    StatedBasesAdminMixin,
)
from metrics.formatting import format_figure
from metrics.models import PublicationState
from metrics.statements import bases_fieldset, with_bases
from metrics.workflow import policy, steps
from metrics.workflow.policy import Step
from metrics.workflow.scope import RegionScope
from programs.models import (
    Activity,
    Organisation,
    Outcome,
    Partnership,
    Program,
    ProgramSource,
    Sector,
)


class ActivityForm(LockedModelForm):
    """Venue types as checkboxes; the admin supplies the model and fields."""

    venue_types = forms.MultipleChoiceField(
        label=_("venue types"),
        choices=Activity.Venue.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


@admin.register(Organisation)
class OrganisationAdmin(SharedReferenceAdmin):
    list_display = ["name_en", "name_zh", "kind", "parent", "region"]
    list_filter = ["publication_state", "kind"]
    list_select_related = ["parent", "region"]
    search_fields = ["name_en", "name_zh", "slug"]
    autocomplete_fields = ["parent", "region"]
    prepopulated_fields = {"slug": ["name_en"]}


@admin.register(Sector)
class SectorAdmin(AuditedAdmin):
    list_display = ["name_en", "name_zh", "slug"]
    search_fields = ["name_en", "name_zh", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class ProgramPartInline(StatedBasesAdminMixin, AmountFieldsMixin, ScopedChoicesMixin):
    """Inline rows of a program change exactly when the policy lets the program change."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        return policy.can(request.user, Step.VIEW, obj, model=Program)

    def has_add_permission(self, request, obj):
        return policy.can(request.user, Step.EDIT, obj, model=Program)

    def has_change_permission(self, request, obj=None):
        return policy.can(request.user, Step.EDIT, obj, model=Program)

    def has_delete_permission(self, request, obj=None):
        return policy.can(request.user, Step.EDIT, obj, model=Program)


class PartnershipInline(ProgramPartInline, admin.StackedInline):
    model = Partnership
    form = with_bases(forms.ModelForm, Partnership)
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (None, {"fields": [("organisation", "role"), ("role_detail_en", "role_detail_zh")]}),
        bases_fieldset(Partnership),
    ]


class ProgramSourceInline(ProgramPartInline, admin.TabularInline):
    model = ProgramSource
    autocomplete_fields = ["source"]


class OutcomeInline(ProgramPartInline, LockedInlineMixin, admin.StackedInline):
    model = Outcome
    form = with_bases(LockedModelForm, Outcome)
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
        bases_fieldset(Outcome),
    ]


class ActivityInline(ProgramPartInline, LockedInlineMixin, admin.StackedInline):
    model = Activity
    form = ActivityForm
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
class ProgramAdmin(StatedBasesAdminMixin, ReviewAdminMixin, AuditedAdmin):
    change_form_template = "admin/publishable_change_form.html"
    list_display = [
        "title_en",
        "kind",
        "status",
        "publication_badge",
        "lead_organisation",
        "start_date",
        "end_date",
        "display_budget",
    ]
    list_filter = ["publication_state", "status", "kind", "sectors"]
    list_select_related = ["lead_organisation"]
    search_fields = ["title_en", "title_zh", "slug"]
    # Sorts an index serves at a hundred thousand programs (Program.Meta.indexes).
    sortable_by = ["title_en", "start_date"]
    autocomplete_fields = ["parent", "lead_organisation", "regions", "sectors"]
    prepopulated_fields = {"slug": ["title_en"]}
    date_hierarchy = "start_date"
    readonly_fields = ["publication_state", "published_at", "revised_at", "revision_of"]
    inlines = [PartnershipInline, OutcomeInline, ActivityInline, ProgramSourceInline]
    form = with_bases(LockedModelForm, Program)
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
                    "official_role",
                    ("responsible_official_en", "responsible_official_zh"),
                    ("official_title_en", "official_title_zh"),
                ]
            },
        ),
        (
            _("Scope"),
            {"fields": ["regions", "sectors", "status", ("start_date", "end_date"), "budget_yuan"]},
        ),
        bases_fieldset(Program),
        (
            _("Publication"),
            {"fields": ["publication_state", "published_at", "revised_at", "revision_of"]},
        ),
    ]

    def scope_queryset(self, queryset, scope):
        return queryset.within(scope)

    def choices_for(self, request):
        """Other screens attach records only to programs this user may change: drafts."""
        return self.get_queryset(request).filter(publication_state=PublicationState.DRAFT)

    def parent_choices(self, request):
        """A program may sit under any published program, or one of the user's own."""
        return Program.objects.canonical().filter(
            Q(pk__in=self.get_queryset(request).values("pk"))
            | Q(publication_state=PublicationState.PUBLISHED)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = self.parent_choices(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        if request.GET.get("field_name") == "parent" and request.GET.get("model_name") == "program":
            queryset = self.parent_choices(request)
        return super().get_search_results(request, queryset, search_term)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not RegionScope.for_user(request.user).is_everywhere and "regions" in form.base_fields:
            # A program with no region would be nobody's, and invisible to its editor.
            form.base_fields["regions"].required = True
        return form

    @admin.display(description=_("budget"), ordering="budget_yuan")
    def display_budget(self, obj):
        return format_figure(obj.budget_yuan, unit="yuan") or "–"


class ProgramPartAdmin(StatedBasesAdminMixin, AuditedAdmin):
    """
    Records that belong to a program: visible and changeable as their
    program is (the policy asks about the program). A change to one is a
    change to the program's content, by its author.
    """

    # Listed in their programs' order; sorting by a joined column would read them all.
    sortable_by = ()

    def scope_queryset(self, queryset, scope):
        return queryset.within(scope)

    def save_model(self, request, obj, form, change):
        if change:
            policy.check(request.user, Step.EDIT, type(obj).objects.get(pk=obj.pk))
        policy.check(request.user, Step.EDIT, obj, fresh=True)
        super().save_model(request, obj, form, change)
        steps.note_part_change(obj.program, request.user)


@admin.register(Partnership)
class PartnershipAdmin(ProgramPartAdmin):
    form = with_bases(forms.ModelForm, Partnership)
    exclude = ["bases"]
    list_display = ["program", "organisation", "role"]
    list_filter = ["role"]
    list_select_related = ["program", "organisation"]
    search_fields = ["program__title_en", "organisation__name_en", "organisation__name_zh"]
    autocomplete_fields = ["program", "organisation"]


@admin.register(ProgramSource)
class ProgramSourceAdmin(ProgramPartAdmin):
    list_display = ["program", "source"]
    list_select_related = ["program", "source"]
    search_fields = ["program__title_en", "source__title_en", "quote"]
    autocomplete_fields = ["program", "source"]


@admin.register(Outcome)
class OutcomeAdmin(ProgramPartAdmin):
    form = with_bases(LockedModelForm, Outcome)
    exclude = ["bases"]
    list_display = ["program", "metric", "region", "effect", "display_baseline", "display_target"]
    list_filter = ["effect", "metric"]
    list_select_related = ["program", "metric", "region"]
    search_fields = ["program__title_en", "program__title_zh", "metric__name_en"]
    autocomplete_fields = ["program", "metric", "region"]

    @admin.display(description=_("baseline value"))
    def display_baseline(self, obj):
        return obj.metric.format_value(obj.baseline_value) or "–"

    @admin.display(description=_("target value"))
    def display_target(self, obj):
        return obj.metric.format_value(obj.target_value) or "–"


@admin.register(Activity)
class ActivityAdmin(ProgramPartAdmin):
    form = ActivityForm
    list_display = ["title_en", "program", "kind", "start_date", "end_date", "event_count"]
    list_filter = ["kind"]
    list_select_related = ["program"]
    search_fields = ["title_en", "title_zh", "program__title_en"]
    autocomplete_fields = ["program", "regions", "source", "results"]
    date_hierarchy = "start_date"
