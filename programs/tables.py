"""Tables of the public program pages; they only present."""

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from metrics.formatting import format_figure
from metrics.tables import IsoDateColumn, PublicTable
from programs.models import Organisation, Program

REGIONS_SHOWN = 3


class ProgramTable(PublicTable):
    caption = _("Published programs")
    title = tables.Column(verbose_name=_("Program"), linkify=True, empty_values=())
    kind = tables.Column(verbose_name=_("Kind"))
    status = tables.Column(verbose_name=_("Status"))
    lead_organisation = tables.Column(verbose_name=_("Lead organisation"), empty_values=())
    regions = tables.Column(verbose_name=_("Regions"), empty_values=())
    start_date = IsoDateColumn(verbose_name=_("Start"), attrs={"td": {"class": "nowrap"}})
    end_date = IsoDateColumn(verbose_name=_("End"), attrs={"td": {"class": "nowrap"}})
    budget_yuan = tables.Column(verbose_name=_("Budget"))
    outcome_count = tables.Column(verbose_name=_("Outcomes"))
    slug = tables.Column(verbose_name=_("Identifier"), visible=False)

    class Meta:
        model = Program
        fields = []
        sequence = [
            "title",
            "kind",
            "status",
            "lead_organisation",
            "regions",
            "start_date",
            "end_date",
            "budget_yuan",
            "outcome_count",
            "slug",
        ]
        order_by = "title"

    def order_title(self, queryset, is_descending):
        return self.order_by_translated(queryset, is_descending, Program.title)

    def order_lead_organisation(self, queryset, is_descending):
        # The organisation's name as kept on the program (programs.db_triggers).
        field = f"lead_organisation_{Organisation.name.order_field()}"
        return queryset.order_by(f"-{field}" if is_descending else field, "pk"), True

    def order_regions(self, queryset, is_descending):
        # By the highest region a program covers, in tree order.
        order = "-region_sort_key" if is_descending else "region_sort_key"
        return queryset.order_by(order, "-pk" if is_descending else "pk"), True

    def render_lead_organisation(self, value):
        return value.name if value else "–"

    def value_lead_organisation(self, value):
        return value.name if value else ""

    def render_regions(self, record):
        regions = record.listed_regions
        if len(regions) > REGIONS_SHOWN:
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((region.get_absolute_url(), region.name) for region in regions[:REGIONS_SHOWN]),
            )
            more = len(regions) - REGIONS_SHOWN
            return format_html(
                "{} {}",
                links,
                ngettext("and %(count)d more", "and %(count)d more", more) % {"count": more},
            )
        return (
            format_html_join(
                ", ", '<a href="{}">{}</a>', ((r.get_absolute_url(), r.name) for r in regions)
            )
            or "–"
        )

    def value_regions(self, record):
        return "; ".join(f"{region.name} ({region.code})" for region in record.listed_regions)

    def render_budget_yuan(self, value):
        return format_figure(value, unit="yuan", scale=6)

    def value_budget_yuan(self, value):
        return value
