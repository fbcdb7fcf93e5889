"""
Spreadsheets of observations in the shape statistics releases use.

One row a figure: region (GB/T 2260 code or name), metric (identifier or
name), period ("2020年1-6月", "Jan-Jun 2020", "H1 2020", ...), value with
its unit ("107.7" and "亿元", or "10.77 billion yuan" in one cell), the
year-on-year change in percent, the source and the quoted sentence.
Headers may be English or Chinese. Exports use the same columns, so a file
exported, edited and imported again changes only what was edited.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from metrics.formatting import Qualifier, Unit, scale_for
from metrics.models import Metric, Observation, Region, Source
from metrics.periods import Period, PeriodType
from metrics.workflow import policy, steps
from metrics.workflow.policy import Step

COLUMNS = [
    "region",
    "metric",
    "period",
    "value",
    "unit",
    "yoy_change",
    "qualifier",
    "source",
    "quote",
]
# What a row sets on a figure (compared to tell a changed published figure).
IMPORTED_FIELDS = [
    "period_type",
    "value",
    "value_qualifier",
    "yoy_change",
    "source_id",
    "source_quote",
]
# Filled in by each row's "period", "value" and "qualifier".
DERIVED_COLUMNS = ["period_type", "period_start", "period_end", "value_qualifier"]
HEADER_ALIASES = {
    "地区": "region",
    "region code": "region",
    "指标": "metric",
    "统计期": "period",
    "时期": "period",
    "数值": "value",
    "单位": "unit",
    "同比增长(%)": "yoy_change",
    "同比(%)": "yoy_change",
    "同比": "yoy_change",
    "y/y %": "yoy_change",
    "yoy %": "yoy_change",
    "限定": "qualifier",
    "来源": "source",
    "原文": "quote",
}

# Multipliers and the unit they leave a figure in.
UNIT_WORDS = {
    "元": (0, Unit.YUAN),
    "yuan": (0, Unit.YUAN),
    "千元": (3, Unit.YUAN),
    "thousand yuan": (3, Unit.YUAN),
    "万元": (4, Unit.YUAN),
    "million yuan": (6, Unit.YUAN),
    "百万元": (6, Unit.YUAN),
    "亿元": (8, Unit.YUAN),
    "billion yuan": (9, Unit.YUAN),
    "美元": (0, Unit.US_DOLLAR),
    "us dollars": (0, Unit.US_DOLLAR),
    "usd": (0, Unit.US_DOLLAR),
    "万美元": (4, Unit.US_DOLLAR),
    "million us dollars": (6, Unit.US_DOLLAR),
    "亿美元": (8, Unit.US_DOLLAR),
    "billion us dollars": (9, Unit.US_DOLLAR),
    "%": (0, Unit.PERCENT),
    "percent": (0, Unit.PERCENT),
    "pp": (0, Unit.PERCENTAGE_POINTS),
    "个百分点": (0, Unit.PERCENTAGE_POINTS),
    "个": (0, Unit.COUNT),
    "count": (0, Unit.COUNT),
    "万个": (4, Unit.COUNT),
    "thousand": (3, Unit.COUNT),
    "million": (6, Unit.COUNT),
    "billion": (9, Unit.COUNT),
}
QUALIFIER_WORDS = {
    "超过": Qualifier.MORE_THAN,
    "逾": Qualifier.MORE_THAN,
    "more than": Qualifier.MORE_THAN,
    "over": Qualifier.MORE_THAN,
    ">": Qualifier.MORE_THAN,
    "约": Qualifier.APPROXIMATELY,
    "近": Qualifier.APPROXIMATELY,
    "about": Qualifier.APPROXIMATELY,
    "approximately": Qualifier.APPROXIMATELY,
    "~": Qualifier.APPROXIMATELY,
    "不足": Qualifier.LESS_THAN,
    "less than": Qualifier.LESS_THAN,
    "<": Qualifier.LESS_THAN,
}
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


def parse_figure(text: str, unit_text: str = "") -> tuple[Decimal | None, str | None, str]:
    """
    Read "超过3000万元", "10.77 billion yuan" or "107.7" with unit "亿元".

    Returns (value in base units, unit or None when not stated, qualifier).
    Raises ValueError with a readable message.
    """
    text = str(text or "").strip()
    if not text:
        return None, None, Qualifier.EXACT
    qualifier = Qualifier.EXACT
    lowered = text.lower()
    for word, meaning in sorted(QUALIFIER_WORDS.items(), key=lambda item: -len(item[0])):
        if lowered.startswith(word):
            qualifier, text = meaning, text[len(word) :].strip()
            break
    dollars = "$" in text
    text = text.replace("US$", "").replace("$", "")
    match = _NUMBER.search(text)
    if match is None:
        raise ValueError(_("%(text)r is not a number.") % {"text": text})
    rest = (text[: match.start()] + text[match.end() :]).strip()
    words = " ".join(part for part in (rest, str(unit_text or "").strip()) if part).lower()
    if dollars:
        words = f"{words} us dollars".strip()
    if not words:
        power, unit = 0, None
    elif words in UNIT_WORDS:
        power, unit = UNIT_WORDS[words]
    else:
        raise ValueError(_("%(unit)r is not a unit this system understands.") % {"unit": words})
    try:
        number = Decimal(match.group().replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("%(text)r is not a number.") % {"text": match.group()}) from None
    return number.scaleb(power), unit, qualifier


def region_by_code_or_name(text) -> Region:
    text = str(text or "").strip()
    if not text:
        raise ValueError(_("The region is missing."))
    code = text.split()[0] if text[:6].isdigit() else None
    if code:
        found = Region.objects.filter(code=code).first()
    else:
        found = Region.objects.filter(Q(name_en__iexact=text) | Q(name_zh=text)).first()
    if found is None:
        raise ValueError(_("There is no region %(region)r.") % {"region": text})
    return found


def metric_by_slug_or_name(text) -> Metric:
    text = str(text or "").strip()
    found = (
        Metric.objects.canonical()
        .filter(Q(slug=text) | Q(name_en__iexact=text) | Q(name_zh=text))
        .first()
    )
    if found is None:
        raise ValueError(_("There is no metric %(metric)r.") % {"metric": text})
    return found


def source_by_slug_or_title(text) -> Source | None:
    text = str(text or "").strip()
    if not text:
        return None
    found = (
        Source.objects.canonical()
        .filter(Q(slug=text) | Q(title_en=text) | Q(title_zh=text))
        .first()
    )
    if found is None:
        raise ValueError(_("There is no source %(source)r.") % {"source": text})
    return found


def export_period(period: Period) -> str:
    """A label that `Period.parse` reads back as exactly this period."""
    if period.type == PeriodType.CUSTOM:
        return f"{period.start.isoformat()}/{period.end.isoformat()}"
    if period.type == PeriodType.YEAR_TO_DATE and period.end.month == 1:
        return f"Jan-Jan {period.start.year}"  # "Jan 2020" would read as the month
    return period.label("en").replace("–", "-")


class ObservationResource(resources.ModelResource):
    """
    Rows of figures, validated as the admin form would validate them. Each
    row becomes (or updates) a draft, as the publication policy allows the
    importing user: a figure in review, published or withdrawn is refused
    (named, with the reason) unless the row leaves it unchanged.
    """

    region = fields.Field(
        attribute="region", column_name="region", widget=widgets.ForeignKeyWidget(Region, "code")
    )
    metric = fields.Field(
        attribute="metric", column_name="metric", widget=widgets.ForeignKeyWidget(Metric, "slug")
    )
    period_type = fields.Field(attribute="period_type", column_name="period_type")
    period_start = fields.Field(
        attribute="period_start", column_name="period_start", widget=widgets.DateWidget("%Y-%m-%d")
    )
    period_end = fields.Field(
        attribute="period_end", column_name="period_end", widget=widgets.DateWidget("%Y-%m-%d")
    )
    value = fields.Field(attribute="value", column_name="value", widget=widgets.DecimalWidget())
    value_qualifier = fields.Field(attribute="value_qualifier", column_name="value_qualifier")
    yoy_change = fields.Field(
        attribute="yoy_change", column_name="yoy_change", widget=widgets.DecimalWidget()
    )
    source = fields.Field(
        attribute="source", column_name="source", widget=widgets.ForeignKeyWidget(Source, "slug")
    )
    # A blank spreadsheet cell reads as None; the quote is text, never NULL.
    source_quote = fields.Field(
        attribute="source_quote", column_name="quote", widget=widgets.CharWidget()
    )

    class Meta:
        model = Observation
        fields = [
            "region",
            "metric",
            "period_type",
            "period_start",
            "period_end",
            "value",
            "value_qualifier",
            "yoy_change",
            "source",
            "source_quote",
        ]
        import_id_fields = ["metric", "region", "period_start", "period_end"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, *, user=None, **kwargs):
        """`user`: the staff account importing; every row asks the policy about it."""
        super().__init__(**kwargs)
        self.user = user

    # Import -------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        dataset.headers = [
            HEADER_ALIASES.get(str(header).strip().lower(), HEADER_ALIASES.get(str(header).strip()))
            or str(header).strip().lower()
            for header in dataset.headers
        ]
        if self.user is None:
            raise ValidationError(_("An import is made by a staff account."))
        missing = {"region", "metric", "period"} - set(dataset.headers)
        if missing:
            raise ValidationError(
                _("The file lacks the columns: %(columns)s.")
                % {"columns": ", ".join(sorted(missing))}
            )
        # The model's columns are worked out row by row from "period", "value"
        # and "qualifier"; import-export checks the headers for the identifying
        # ones (period_start, period_end) before any row is read.
        for column in DERIVED_COLUMNS:
            if column not in dataset.headers:
                dataset.append_col([""] * dataset.height, header=column)

    def before_import_row(self, row, **kwargs):
        """Turn a release's row into the model's fields, or say what is wrong with it."""
        errors = {}
        try:
            region = region_by_code_or_name(row.get("region"))
            row["region"] = region.code
        except ValueError as error:
            errors["region"] = str(error)
        metric = None
        try:
            metric = metric_by_slug_or_name(row.get("metric"))
            row["metric"] = metric.slug
        except ValueError as error:
            errors["metric"] = str(error)
        try:
            period = Period.parse(row.get("period"))
            row.update(
                period_type=str(period.type),
                period_start=period.start.isoformat(),
                period_end=period.end.isoformat(),
            )
        except ValueError as error:
            errors["period_end"] = str(error)
        try:
            value, unit, qualifier = parse_figure(row.get("value"), row.get("unit", ""))
            if row.get("qualifier"):
                qualifier = QUALIFIER_WORDS.get(
                    str(row["qualifier"]).strip().lower(), row["qualifier"]
                )
            if metric is not None and unit is not None and unit != metric.unit:
                errors["value"] = _("%(metric)s is measured in %(unit)s.") % {
                    "metric": metric.name,
                    "unit": metric.get_unit_display(),
                }
            row["value"] = "" if value is None else f"{value:f}"
            row["value_qualifier"] = qualifier
        except ValueError as error:
            errors["value"] = str(error)
        # A column the file does not have leaves its field as it is: only a
        # blank cell clears it.
        if "yoy_change" in row:
            change = str(row.get("yoy_change") or "").strip().rstrip("%")
            try:
                row["yoy_change"] = str(Decimal(change)) if change else ""
            except InvalidOperation:
                errors["yoy_change"] = _("%(text)r is not a percentage.") % {"text": change}
        if "source" in row:
            try:
                source = source_by_slug_or_title(row.get("source"))
                row["source"] = source.slug if source else ""
            except ValueError as error:
                errors["source"] = str(error)
        if errors:
            raise ValidationError(errors)

    def get_queryset(self):
        # Rows are matched to the figures themselves, never to a correction in progress.
        return super().get_queryset().canonical()

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        # A new figure needs the right to create it; a stored one, the right
        # to edit it as it is now (a draft, in the user's regions). An
        # unchanged row (a file exported and imported again) is skipped.
        if instance.pk is None:
            reason = policy.refusal(self.user, Step.CREATE, instance)
        elif self._changes_stored_figure(instance):
            reason = policy.refusal(self.user, Step.EDIT, instance)
        else:
            reason = None
        if reason is not None:
            raise ValidationError(reason)

    def before_save_instance(self, instance, row, **kwargs):
        steps.note_author(instance, self.user)
        if instance.pk is not None:
            instance.lock_version += 1  # a reviewer's page opened before is now stale

    @staticmethod
    def _changes_stored_figure(instance) -> bool:
        stored = Observation.objects.values(*IMPORTED_FIELDS).get(pk=instance.pk)
        return any(getattr(instance, name) != stored[name] for name in IMPORTED_FIELDS)

    # Export -------------------------------------------------------------

    def filter_export(self, queryset, **kwargs):
        # A correction in progress is not a figure of its own: exporting it
        # would give its figure two rows.
        return super().filter_export(queryset, **kwargs).filter(revision_of__isnull=True)

    def get_export_headers(self, selected_fields=None):
        return list(COLUMNS)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        power, unit_label = scale_for(instance.metric.unit, instance.metric.display_scale, "en")
        value = "" if instance.value is None else f"{instance.value.scaleb(-power).normalize():f}"
        change = "" if instance.yoy_change is None else f"{instance.yoy_change.normalize():f}"
        return [
            instance.region.code,
            instance.metric.slug,
            export_period(instance.period),
            value,
            unit_label,
            change,
            instance.value_qualifier,
            instance.source.slug if instance.source else "",
            instance.source_quote,
        ]
