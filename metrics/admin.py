"""Staff screens for the statistical layer."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from reversion.admin import VersionAdmin

from metrics.models import Metric, Observation, PublicationState, Region, Source, ValidationRule
from metrics.services import PublicationError, records_move_to


class AuditedAdmin(VersionAdmin):
    """
    Base for every staff screen: each save, inline included, is recorded
    as a revision that can be compared and reverted; lists never count a
    whole table twice.
    """

    show_full_result_count = False
    list_per_page = 50


class PublicationActionsMixin:
    """Admin actions that move selected records through review."""

    actions = ["submit_for_review", "publish", "return_to_draft", "withdraw"]

    def _move(self, request, queryset, state, done_message):
        try:
            count = records_move_to(records=queryset, state=state)
        except PublicationError as error:
            for record, message in error.failures:
                self.message_user(request, f"{record}: {message}", messages.ERROR)
            self.message_user(
                request, _("Nothing was changed; correct the records above first."), messages.ERROR
            )
            return
        self.message_user(request, done_message(count), messages.SUCCESS)

    @admin.action(description=_("Submit selected for review"))
    def submit_for_review(self, request, queryset):
        self._move(
            request,
            queryset,
            PublicationState.IN_REVIEW,
            lambda n: (
                ngettext("%d record submitted for review.", "%d records submitted for review.", n)
                % n
            ),
        )

    @admin.action(description=_("Publish selected"))
    def publish(self, request, queryset):
        self._move(
            request,
            queryset,
            PublicationState.PUBLISHED,
            lambda n: ngettext("%d record published.", "%d records published.", n) % n,
        )

    @admin.action(description=_("Return selected to draft"))
    def return_to_draft(self, request, queryset):
        self._move(
            request,
            queryset,
            PublicationState.DRAFT,
            lambda n: (
                ngettext("%d record returned to draft.", "%d records returned to draft.", n) % n
            ),
        )

    @admin.action(description=_("Withdraw selected"))
    def withdraw(self, request, queryset):
        self._move(
            request,
            queryset,
            PublicationState.WITHDRAWN,
            lambda n: ngettext("%d record withdrawn.", "%d records withdrawn.", n) % n,
        )


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name_en", "name_zh", "level", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["code", "name_en", "name_zh"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]
    ordering = ["path"]

    def save_model(self, request, obj, form, change):
        old_path = Region.objects.get(pk=obj.pk).path if change else None
        super().save_model(request, obj, form, change)
        if old_path and old_path != obj.path:
            # A new code or parent moves the whole subtree.
            Region.objects.exclude(pk=obj.pk).rebase(old_path, obj.path)


@admin.register(Source)
class SourceAdmin(AuditedAdmin):
    list_display = ["title_en", "publisher", "published_on", "url"]
    search_fields = ["title_en", "title_zh", "publisher", "slug"]
    date_hierarchy = "published_on"
    prepopulated_fields = {"slug": ["publisher", "title_en"]}


@admin.register(Metric)
class MetricAdmin(AuditedAdmin):
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
    list_filter = ["category", "unit", "frequency", "is_cumulative"]
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
    ]


@admin.register(Observation)
class ObservationAdmin(PublicationActionsMixin, AuditedAdmin):
    list_display = [
        "metric",
        "region",
        "period",
        "display_value",
        "display_change",
        "publication_state",
        "is_derived",
    ]
    list_filter = ["publication_state", "metric", "period_type", "region__level", "is_derived"]
    list_select_related = ["metric", "region"]
    search_fields = ["metric__name_en", "metric__name_zh", "region__name_en", "region__name_zh"]
    autocomplete_fields = ["metric", "region", "source"]
    date_hierarchy = "period_end"
    readonly_fields = ["publication_state", "published_at"]
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
                    "is_derived",
                    "derivation",
                    "note_en",
                    "note_zh",
                ]
            },
        ),
        (_("Publication"), {"fields": ["publication_state", "published_at"]}),
    ]

    @admin.display(description=_("period"), ordering="period_end")
    def period(self, obj):
        return obj.period_label

    @admin.display(description=_("value"), ordering="value")
    def display_value(self, obj):
        return obj.formatted_value or "–"

    @admin.display(description=_("year on year"), ordering="yoy_change")
    def display_change(self, obj):
        return obj.formatted_change or "–"


@admin.register(ValidationRule)
class ValidationRuleAdmin(AuditedAdmin):
    list_display = [
        "name_en",
        "kind",
        "subject",
        "reference",
        "denominator",
        "tolerance",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    list_select_related = ["subject", "reference", "denominator"]
    search_fields = ["name_en", "name_zh", "slug"]
    autocomplete_fields = ["subject", "reference", "denominator"]
    prepopulated_fields = {"slug": ["name_en"]}
