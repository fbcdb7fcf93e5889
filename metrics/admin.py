"""Staff screens for the statistical layer."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from import_export import fields, resources
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import SelectableFieldsExportForm

from metrics.admin_keys import CheckedKeysMixin
from metrics.admin_mixins import (
    AuditedAdmin,
    LockedModelForm,
    ReviewAdminMixin,
    StatedBasesAdminMixin,
    StrictLookupsMixin,
)
from metrics.exports import PlainDecimal, safe_cell
from metrics.models import (
    ImportJob,
    ImportRow,
    Metric,
    Observation,
    Region,
    RegionAssignment,
    ReleaseCalendar,
    ReleaseDate,
    ReviewStep,
    Source,
    ValidationRule,
)
from metrics.models.validation import placeholder_help
from metrics.releases import CHINESE_HEADERS, COLUMNS, export_row
from metrics.statements import Basis, bases_fieldset, with_bases
from metrics.translation import is_chinese
from metrics.workflow import policy
from metrics.workflow.policy import Step
from metrics.workflow.scope import RegionScope


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name_en", "name_zh", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["code", "name_en", "name_zh"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    ordering = ["path"]

    def scope_queryset(self, queryset, scope):
        return queryset.filter(scope.q())


class SharedReferenceAdmin(ReviewAdminMixin, AuditedAdmin):
    """
    Sources, metrics, organisations and validation rules: shown on every
    page that uses them, so reviewed like figures, and changed only by
    staff whose regions cover every region that uses them.
    """

    change_form_template = "admin/publishable_change_form.html"
    readonly_fields = ["publication_state", "published_at", "revised_at", "revision_of"]
    list_filter = ["publication_state"]


@admin.register(Source)
class SourceAdmin(SharedReferenceAdmin):
    list_display = ["title_en", "publisher", "published_on", "url"]
    search_fields = ["title_en", "title_zh", "publisher", "slug"]
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ["publisher", "title_en"]}


@admin.register(Metric)
class MetricAdmin(StatedBasesAdminMixin, SharedReferenceAdmin):
    form = with_bases(LockedModelForm, Metric)
    list_display = [
        "name_en",
        "name_zh",
        "slug",
        "unit",
        "display_scale",
        "frequency",
        "is_cumulative",
        "category",
    ]
    list_filter = ["publication_state", "category", "unit", "frequency", "is_cumulative"]
    search_fields = ["name_en", "name_zh", "slug"]
    autocomplete_fields = ["source"]
    prepopulated_fields = {"slug": ["name_en"]}
    fieldsets = [
        (None, {"fields": ["slug", "name_en", "name_zh", "category"]}),
        (_("Definition"), {"fields": ["definition_en", "definition_zh", "source"]}),
        (
            _("Figures"),
            {
                "fields": [
                    "unit",
                    "display_scale",
                    "is_share",
                    "frequency",
                    "is_cumulative",
                    "direction",
                ]
            },
        ),
        bases_fieldset(Metric),
        (
            _("Publication"),
            {"fields": ["publication_state", "published_at", "revised_at", "revision_of"]},
        ),
    ]


# Columns of a release that are figures: numbers, not text, in an XLSX export.
NUMBER_COLUMNS = ("value", "yoy_change")


class ObservationExport(resources.ModelResource):
    """
    The admin's export: the columns of a release, so that a file exported,
    edited and uploaded again (admin → Release imports) changes only what
    was edited. Each column is a field, so the export form can leave some out.
    """

    region = fields.Field(column_name="region")
    metric = fields.Field(column_name="metric")
    period = fields.Field(column_name="period")
    value = fields.Field(column_name="value")
    unit = fields.Field(column_name="unit")
    yoy_change = fields.Field(column_name="yoy_change")
    qualifier = fields.Field(column_name="qualifier")
    source = fields.Field(column_name="source")
    quote = fields.Field(column_name="quote")

    class Meta:
        model = Observation
        fields = COLUMNS
        export_order = COLUMNS

    def filter_export(self, queryset, **kwargs):
        # A correction in progress is not a figure of its own. A release
        # brings reported figures; a derived or inferred one is staff's own
        # working, kept in the admin, and would otherwise come back as an
        # edit of the reported figure of its period.
        queryset = super().filter_export(queryset, **kwargs)
        return (
            queryset.canonical()
            .filter(basis=Basis.QUOTED)
            .select_related("metric", "region", "source")
        )

    def export_field(self, field, instance, **kwargs):
        cell = export_row(instance)[COLUMNS.index(field.column_name)]
        if field.column_name in NUMBER_COLUMNS and cell:
            # A number in the spreadsheet; the same digits as before in the CSV.
            return PlainDecimal(cell)
        # A quoted sentence may start like a formula: neutralised, as in every download.
        return safe_cell(cell)


class ObservationExportForm(SelectableFieldsExportForm):
    """The export's choice of columns, named in the reader's language."""

    def _get_field_label(self, resource, field_name):
        # django-import-export names a column by its field name, in English.
        if is_chinese() and field_name in CHINESE_HEADERS:
            return CHINESE_HEADERS[field_name]
        return super()._get_field_label(resource, field_name)


@admin.register(Observation)
class ObservationAdmin(ExportMixin, ReviewAdminMixin, AuditedAdmin):
    resource_classes = [ObservationExport]
    export_form_class = ObservationExportForm
    export_formats = [CSV, XLSX]
    change_list_template = "admin/metrics/observation/change_list.html"
    change_form_template = "admin/publishable_change_form.html"
    list_display = [
        "metric",
        "region",
        "period",
        "display_value",
        "display_change",
        "publication_badge",
        "revision_marker",
    ]
    list_filter = ["publication_state", "metric", "period_type", "region__level", "basis"]
    list_select_related = ["metric", "region"]
    search_fields = ["metric__name_en", "metric__name_zh", "region__name_en", "region__name_zh"]
    autocomplete_fields = ["metric", "region", "source"]
    date_hierarchy = "period_end"
    # Sorts an index serves over a million rows (see Observation.Meta.indexes).
    sortable_by = ["period", "publication_badge"]
    readonly_fields = ["publication_state", "published_at", "revised_at", "revision_of"]
    fieldsets = [
        (None, {"fields": ["metric", "region"]}),
        (_("Period"), {"fields": ["period_type", "period_start", "period_end"]}),
        (_("Figure"), {"fields": ["value", "value_qualifier", "yoy_change"]}),
        (
            _("Source"),
            {
                "fields": [
                    "source",
                    "source_quote",
                    "basis",
                    "basis_note",
                    "note_en",
                    "note_zh",
                ]
            },
        ),
        (
            _("Publication"),
            {"fields": ["publication_state", "published_at", "revised_at", "revision_of"]},
        ),
    ]

    def scope_queryset(self, queryset, scope):
        return queryset.within(scope)

    def get_search_results(self, request, queryset, search_term):
        """
        Search by metric or region name: the few matching metrics and regions
        are found first, then their figures by index. Searching across the
        joined tables at once would read every observation.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        metrics = Metric.objects.filter(
            Q(name_en__icontains=term) | Q(name_zh__icontains=term) | Q(slug=term)
        ).values_list("pk", flat=True)
        regions = Region.objects.filter(
            Q(name_en__icontains=term) | Q(name_zh__icontains=term) | Q(code=term)
        ).values_list("pk", flat=True)
        matches = Q(metric_id__in=list(metrics)) | Q(region_id__in=list(regions))
        return queryset.filter(matches), False

    @admin.display(description=_("period"), ordering="period_end")
    def period(self, obj):
        return obj.period_label

    @admin.display(description=_("value"), ordering="value")
    def display_value(self, obj):
        return obj.formatted_value or "–"

    @admin.display(description=_("year on year"), ordering="yoy_change")
    def display_change(self, obj):
        return obj.formatted_change or "–"

    # Import and export --------------------------------------------------------------

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request):
        # django-import-export checks hand-picked rows against every figure
        # in the table, a million choices at scale, whatever the user may see
        # (and warns that the hook is going). Valid are the rows asked for
        # that this user may export.
        asked = [pk for pk in request.POST.getlist("export_items") if pk.isdigit()]
        return self.get_queryset(request).filter(pk__in=asked).values_list("pk", flat=True)

    def history_view(self, request, object_id, extra_context=None):
        # Imports write figures in bulk, without a revision each: their own
        # record says which release created or changed the figure, and from what.
        figure = self.get_object(request, unquote(object_id))
        imported = ImportRow.objects.written_into(figure) if figure is not None else []
        return super().history_view(
            request, object_id, {**(extra_context or {}), "imported": imported}
        )

    def changelist_view(self, request, extra_context=None):
        can_import = policy.can(request.user, Step.CREATE, model=ImportJob)
        return super().changelist_view(request, {**(extra_context or {}), "can_import": can_import})


@admin.register(ValidationRule)
class ValidationRuleAdmin(SharedReferenceAdmin):
    list_display = [
        "name_en",
        "kind",
        "subject",
        "reference",
        "denominator",
        "tolerance_in_unit",
        "is_active",
    ]
    list_filter = ["publication_state", "kind", "is_active"]
    list_select_related = ["subject", "reference", "denominator"]
    search_fields = ["name_en", "name_zh", "slug"]
    autocomplete_fields = ["subject", "reference", "denominator"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = [*SharedReferenceAdmin.readonly_fields, "tolerance_in_unit"]
    fieldsets = [
        (None, {"fields": ["slug", "name_en", "name_zh", "kind", "is_active"]}),
        (
            _("Metrics"),
            {
                "fields": ["subject", "reference", "denominator"],
                "description": _(
                    "Each kind uses its own metrics: a bound and derived vs reported a subject "
                    "and a reference; a ratio a subject, a reference and a denominator; a sum "
                    "of parts and continuity the subject alone."
                ),
            },
        ),
        (_("Tolerance"), {"fields": ["tolerance", "tolerance_in_unit"]}),
        (
            _("Messages"),
            {"fields": ["message_en", "message_zh"], "description": placeholder_help},
        ),
        (_("Description"), {"fields": ["description_en", "description_zh"]}),
        (
            _("Publication"),
            {"fields": ["publication_state", "published_at", "revised_at", "revision_of"]},
        ),
    ]

    @admin.display(description=_("tolerance as figures are written"))
    def tolerance_in_unit(self, rule):
        """The saved tolerance in the unit the rule's kind reads it in."""
        return rule.formatted_tolerance() if rule.subject_id else "–"


class ReleaseDateInline(CheckedKeysMixin, admin.TabularInline):
    model = ReleaseDate
    extra = 0


@admin.register(ReleaseCalendar)
class ReleaseCalendarAdmin(AuditedAdmin):
    """When each metric's figures are expected, region by region (metrics.models.calendars)."""

    list_display = [
        "metric",
        "region",
        "level",
        "period_type",
        "lag_days",
        "first_period_start",
        "last_period_end",
        "basis",
        "active",
    ]
    list_filter = ["basis", "period_type", "active", "metric"]
    list_select_related = ["metric", "region"]
    autocomplete_fields = ["metric", "region", "source"]
    inlines = [ReleaseDateInline]
    fieldsets = [
        (None, {"fields": ["metric", "region", "level", "active"]}),
        (
            _("Periods and due dates"),
            {"fields": ["period_type", "first_period_start", "last_period_end", "lag_days"]},
        ),
        (_("How we know"), {"fields": ["basis", "reasoning_en", "reasoning_zh", "source"]}),
    ]


@admin.register(RegionAssignment)
class RegionAssignmentAdmin(AuditedAdmin):
    list_display = ["user", "region"]
    list_select_related = ["user", "region"]
    search_fields = ["user__username", "region__name_en", "region__name_zh", "region__code"]
    autocomplete_fields = ["user", "region"]


class RecordKindFilter(admin.RelatedFieldListFilter):
    """Records by kind; the field's own name ("content type") is Django's, in English."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("kind of record")


@admin.register(ReviewStep)
class ReviewStepAdmin(CheckedKeysMixin, StrictLookupsMixin, admin.ModelAdmin):
    """The review trail, read-only: steps are written by the review workflow alone."""

    list_display = ["at", "record_link", "from_state", "to_state", "user", "note", "is_correction"]
    list_filter = ["to_state", "is_correction", ("content_type", RecordKindFilter)]
    # The record as one field, named like the list's column.
    fields = ["at", "record_link", "from_state", "to_state", "user", "note", "is_correction"]
    list_select_related = ["user", "content_type"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_module_permission(self, request):
        return policy.can(request.user, Step.VIEW, model=ReviewStep)

    def has_view_permission(self, request, obj=None):
        return policy.can(request.user, Step.VIEW, model=ReviewStep)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = RegionScope.for_user(request.user)
        if scope.is_everywhere:
            return queryset
        # Steps of records the user can see, judged by the records' own screens.
        visible = []
        for model, model_admin in self.admin_site._registry.items():
            if isinstance(model_admin, ReviewAdminMixin):
                visible.append((model, model_admin.get_queryset(request).values("pk")))
        condition = Q(pk__in=[])
        for model, pks in visible:
            condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=pks)
        return queryset.filter(condition)

    @admin.display(description=_("record"))
    def record_link(self, obj):
        return f"{obj.content_type.name} #{obj.object_id}"


class RegionAssignmentInline(CheckedKeysMixin, admin.TabularInline):
    model = RegionAssignment
    extra = 0
    autocomplete_fields = ["region"]
    verbose_name_plural = _("regions this account works on (and everything below them)")


# Django stores a permission's name in English when it migrates ("Can add
# program"); the role screens name the four standard ones from the model.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """The permission as "app | model | what it allows", in the reader's language."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    action, _separator, model_name = permission.codename.partition("_")
    name = permission.name
    if action in PERMISSION_ACTIONS and model_name == model._meta.model_name:
        name = PERMISSION_ACTIONS[action] % {"model": model._meta.verbose_name}
    return f"{model._meta.app_config.verbose_name} | {model._meta.verbose_name} | {name}"


class PermissionLabelsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Permission:
            field.label_from_instance = permission_label
        return field


class StaffAccountAdmin(PermissionLabelsMixin, CheckedKeysMixin, StrictLookupsMixin, UserAdmin):
    """Django's user screen with the account's regions; no filtering on password hashes."""

    inlines = [*UserAdmin.inlines, RegionAssignmentInline]


class RoleAdmin(PermissionLabelsMixin, CheckedKeysMixin, GroupAdmin):
    """Django's screen of groups (the roles), its choice of permissions checked like every other."""


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), StaffAccountAdmin)
admin.site.unregister(Group)
admin.site.register(Group, RoleAdmin)


class QueuedTaskAdmin(DBTaskResultAdmin):
    """django-tasks-db's screen of queued tasks, with its own column names translated."""

    @admin.display(description=_("task name"))
    def task_name(self, obj):
        return obj.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj):
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj):
        return super().display_run_after(obj)


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, QueuedTaskAdmin)


# The screens of release imports (upload, progress, confirmation).
from metrics import admin_imports  # noqa: E402, F401

# --- Reminder preferences ---------------------------------------------------------------
from metrics.models import ReminderPreference  # noqa: E402


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(AuditedAdmin):
    """
    Which reminders an account receives by e-mail (metrics.reminders), and in
    which language. Staff see and change their own, superusers anyone's: the
    policy's "personal" records.
    """

    list_display = ["user", "due_soon", "overdue", "returned", "waiting", "digest", "language"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(user=request.user)

    def get_exclude(self, request, obj=None):
        # Staff keep their own: whose settings these are is not theirs to choose.
        if request.user.is_superuser:
            return super().get_exclude(request, obj)
        return [*(super().get_exclude(request, obj) or []), "user"]

    def add_view(self, request, form_url="", extra_context=None):
        # Imported here: this screen is appended below the module's own imports.
        from django.http import HttpResponseRedirect
        from django.urls import reverse

        # One each: staff who have theirs are taken to it rather than adding another.
        mine = None if request.user.is_superuser else self.get_queryset(request).first()
        if mine is not None:
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:metrics_reminderpreference_change", args=[mine.pk])
            )
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.user = request.user
        policy.check(request.user, Step.EDIT if change else Step.CREATE, obj)
        super().save_model(request, obj, form, change)


from metrics import admin_reports  # noqa: E402, F401 - problem reports from the public
