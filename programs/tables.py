"""Tables of the public program pages; they only present."""

import django_tables2 as tables
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from metrics.formatting import format_figure
from metrics.tables import IsoDateColumn, PublicTable, escape_cell
from metrics.translation import name_order
from programs.models import Program

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
        order = name_order("lead_organisation_name", descending=is_descending)
        return queryset.order_by(order, "pk"), True

    def order_regions(self, queryset, is_descending):
        # By the highest region a program covers, in tree order.
        order = "-region_sort_key" if is_descending else "region_sort_key"
        return queryset.order_by(order, "-pk" if is_descending else "pk"), True

    def render_lead_organisation(self, value):
        return value.name if value else "–"

    def value_lead_organisation(self, value):
        return value.name if value else ""

    def render_regions(self, record):
        # As format_html_join would draw them, without its generic escaping (a
        # region list is a long column of short links).
        regions = record.listed_regions
        links = SafeString(
            ", ".join(
                f'<a href="{escape_cell(region.get_absolute_url())}">{escape_cell(region.name)}</a>'
                for region in regions[:REGIONS_SHOWN]
            )
        )
        if len(regions) > REGIONS_SHOWN:
            more = len(regions) - REGIONS_SHOWN
            text = ngettext("and %(count)d more", "and %(count)d more", more) % {"count": more}
            return SafeString(f"{links} {escape_cell(text)}")
        return links or "–"

    def value_regions(self, record):
        return "; ".join(f"{region.name} ({region.code})" for region in record.listed_regions)

    def render_budget_yuan(self, value):
        return format_figure(value, unit="yuan")

    def value_budget_yuan(self, value):
        return value
