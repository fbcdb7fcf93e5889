"""
Statistics releases as offices publish them: reading the file and its rows.

One row a figure: region (GB/T 2260 code or name), metric (identifier or
name), period ("2020年1-6月", "Jan-Jun 2020", "H1 2020", ...), value with
its unit ("107.7" and "亿元", or "10.77 billion yuan" in one cell), the
year-on-year change in percent, a qualifier, the source and the quoted
sentence. Headers may be English or Chinese; files are CSV (UTF-8 with or
without BOM, or GB18030/GBK as Excel saves it on a Chinese system) or
XLSX. Every way figures come in (the admin's upload and
`manage.py import_observations`) reads rows with `read_release()` and
checks each with `parse_release_row()`, so the rules cannot drift apart.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from metrics.exports import restored_cell
from metrics.formatting import Qualifier, Unit, scale_for
from metrics.models import Metric, Observation, Region, Source
from metrics.periods import Period, PeriodType
from metrics.workflow import policy
from metrics.workflow.policy import Step

# The columns, in the order the templates and exports write them.
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
REQUIRED_COLUMNS = ["region", "metric", "period"]
# Columns that, when a file leaves them out, leave their fields as they are.
OPTIONAL_FIELDS = {
    "value": ["value", "value_qualifier"],
    "yoy_change": ["yoy_change"],
    "source": ["source_id"],
    "quote": ["source_quote"],
}
CHINESE_HEADERS = {
    "region": "地区",
    "metric": "指标",
    "period": "统计期",
    "value": "数值",
    "unit": "单位",
    "yoy_change": "同比增长(%)",
    "qualifier": "限定",
    "source": "来源",
    "quote": "原文",
}
HEADER_ALIASES = {
    **{chinese: column for column, chinese in CHINESE_HEADERS.items()},
    "region code": "region",
    "时期": "period",
    "同比(%)": "yoy_change",
    "同比": "yoy_change",
    "y/y %": "yoy_change",
    "yoy %": "yoy_change",
}
COLUMN_HELP = [
    ("region", gettext_lazy("GB/T 2260 code or name"), "141000 / 临汾市 / Linfen"),
    ("metric", gettext_lazy("identifier or name"), "online-retail-sales / 网络零售额"),
    ("period", gettext_lazy("period label"), "2020年1-6月 / Jan-Jun 2020 / H1 2020 / 2020-05"),
    ("value", gettext_lazy("the figure, a qualifier may lead it"), "107.7 / 超过3000万元"),
    ("unit", gettext_lazy("unit of the value (optional when the value names it)"), "亿元 / %"),
    ("yoy_change", gettext_lazy("year-on-year change in percent"), "23.7"),
    ("qualifier", gettext_lazy("more than / less than / about (optional)"), "超过 / more than"),
    ("source", gettext_lazy("source identifier or title (optional)"), "chinadaily-2020-07-28"),
    ("quote", gettext_lazy("the sentence of the source that states the figure"), "…"),
]

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
    **{value: value for value in Qualifier.values},
}
_QUALIFIERS_LONGEST_FIRST = sorted(QUALIFIER_WORDS.items(), key=lambda item: -len(item[0]))
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")


class ReleaseFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, headers)."""


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one cell (or the whole row, column "") of a release."""

    line: int
    column: str
    message: str


# --- Cells ----------------------------------------------------------------------------


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
    for word, meaning in _QUALIFIERS_LONGEST_FIRST:
        if lowered.startswith(word) and word not in Qualifier.values:
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


def export_period(period: Period) -> str:
    """A label that `Period.parse` reads back as exactly this period."""
    if period.type == PeriodType.CUSTOM:
        return f"{period.start.isoformat()}/{period.end.isoformat()}"
    if period.type == PeriodType.YEAR_TO_DATE and period.end.month == 1:
        return f"Jan-Jan {period.start.year}"  # "Jan 2020" would read as the month
    return period.label("en").replace("–", "-")


def column_for(header) -> str:
    header = str(header or "").strip()
    return HEADER_ALIASES.get(header.lower(), HEADER_ALIASES.get(header)) or header.lower()


# --- Files ------------------------------------------------------------------------------


@dataclass
class ReleaseRows:
    """The rows of a release file, with how far through the file the reading is."""

    columns: list[str]
    headers: list[str]  # as the file has them, one per column
    rows: Iterator[tuple[int, dict]]  # (line, {column: cell text})
    encoding: str
    progress: object  # () -> fraction of the file read, 0..1


def read_release(stream, name: str) -> ReleaseRows:
    """
    Open a release (a binary file object) as rows keyed by column. Raises
    ReleaseFileError when the file cannot be read or lacks a required column.
    """
    if name.lower().endswith(".xlsx"):
        release = _read_xlsx(stream)
    else:
        release = _read_csv(stream)
    missing = [column for column in REQUIRED_COLUMNS if column not in release.columns]
    if missing:
        raise ReleaseFileError(
            _("The file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    return release


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # not just a character cut at the end of the sample
            return "gb18030"
    return "utf-8"


def _read_csv(stream) -> ReleaseRows:
    stream.seek(0, io.SEEK_END)
    size = stream.tell() or 1
    stream.seek(0)
    encoding = _detect_encoding(stream.read(1 << 20))
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        headers = next(reader, [])
    except UnicodeDecodeError as error:
        raise ReleaseFileError(_("The file is neither UTF-8 nor GB18030 text.")) from error
    columns = [column_for(header) for header in headers]

    def rows():
        try:
            for values in reader:
                if any(cell.strip() for cell in values):
                    cells = [restored_cell(value) for value in values]
                    yield reader.line_num, dict(zip(columns, cells, strict=False))
        except UnicodeDecodeError as error:
            raise ReleaseFileError(
                _("Line %(line)d is neither UTF-8 nor GB18030 text.") % {"line": reader.line_num}
            ) from error
        except csv.Error as error:
            raise ReleaseFileError(
                _("Line %(line)d cannot be read as CSV: %(error)s")
                % {"line": reader.line_num, "error": error}
            ) from error

    def progress():
        try:
            return min(stream.tell() / size, 1.0)
        except (OSError, ValueError):  # the file is closed: it was read to the end
            return 1.0

    return ReleaseRows(columns, [str(h).strip() for h in headers], rows(), encoding, progress)


def _read_xlsx(stream) -> ReleaseRows:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is no workbook
        raise ReleaseFileError(_("The file is not an Excel workbook (.xlsx).")) from error
    sheet = book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    headers = ["" if header is None else str(header).strip() for header in next(cells, ())]
    columns = [column_for(header) for header in headers]
    total = max((sheet.max_row or 0) - 1, 1)
    read = {"rows": 0}

    def rows():
        for line, values in enumerate(cells, start=2):
            read["rows"] = line - 1
            texts = ["" if value is None else restored_cell(_cell_text(value)) for value in values]
            if any(text.strip() for text in texts):
                yield line, dict(zip(columns, texts, strict=False))
        book.close()

    return ReleaseRows(columns, headers, rows(), "xlsx", lambda: min(read["rows"] / total, 1.0))


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        # A number cell as its shortest digits, never "1e-09".
        return format(Decimal(repr(value)), "f")
    return str(value)


# --- Rows -----------------------------------------------------------------------------


class ReleaseLookups:
    """
    Everything a release's rows refer to, read once per file: regions,
    metrics and sources by every name a release may use, period labels
    parsed once each, and the policy's answer per region.
    """

    def __init__(self, user):
        self.user = user
        self.regions, self.metrics, self.sources = {}, {}, {}
        for region in Region.objects.only("pk", "code", "name_en", "name_zh", "path"):
            for key in (region.code, region.name_en.lower(), region.name_zh):
                if key:
                    self.regions.setdefault(key, region)
        for metric in Metric.objects.canonical():
            for key in (metric.slug, metric.name_en.lower(), metric.name_zh):
                if key:
                    self.metrics.setdefault(key, metric)
        for source in Source.objects.canonical().only("pk", "slug", "title_en", "title_zh"):
            for key in (source.slug, source.title_en, source.title_zh):
                if key:
                    self.sources.setdefault(key, source)
        self.metrics_by_pk = {metric.pk: metric for metric in self.metrics.values()}
        self.regions_by_pk = {region.pk: region for region in self.regions.values()}
        self.role_refusal = policy.refusal(user, Step.CREATE, model=Observation)
        self._periods: dict[str, Period | str] = {}
        self._may_create: dict[int, bool] = {}

    def region(self, text):
        text = str(text or "").strip()
        key = text.split()[0] if text[:6].isdigit() else text
        return self.regions.get(key) or self.regions.get(key.lower())

    def metric(self, text):
        text = str(text or "").strip()
        return self.metrics.get(text) or self.metrics.get(text.lower())

    def period(self, text) -> Period:
        """The period a label names (ValueError when it names none), parsed once per label."""
        text = str(text or "").strip()
        if text not in self._periods:
            try:
                self._periods[text] = Period.parse(text)
            except ValueError as error:
                self._periods[text] = str(error)
        found = self._periods[text]
        if isinstance(found, str):
            raise ValueError(found)
        return found

    def may_create_in(self, region) -> bool:
        """
        The policy's answer to "may this account enter a figure here?", asked
        once per region: it depends on the account and the figure's region
        alone, and a release has thousands of rows per region.
        """
        if region.pk not in self._may_create:
            probe = Observation(region=region)
            self._may_create[region.pk] = policy.can(self.user, Step.CREATE, probe)
        return self._may_create[region.pk]


class ReleaseRow(NamedTuple):
    """A row that reads as a figure: the values it would give the figure (a plain tuple)."""

    line: int
    metric_id: int
    region_id: int
    period_type: str
    period_start: object
    period_end: object
    value: Decimal | None
    value_qualifier: str
    yoy_change: Decimal | None
    source_id: int | None
    source_quote: str


def parse_release_row(
    line: int, cells: dict, lookups: ReleaseLookups
) -> tuple[ReleaseRow | None, list[RowProblem]]:
    """
    Check one row as the figure's own rules would (units, qualifiers,
    periods, shares within 0-100, value or change present) and as the
    policy would for a new figure in its region. Returns the row's values,
    or None and every problem found, each with its column.
    """
    problems = []

    def problem(column, message):
        problems.append(RowProblem(line, column, str(message)))

    region = lookups.region(cells.get("region"))
    if region is None:
        problem("region", _("There is no region %(region)r.") % {"region": cells.get("region")})
    metric = lookups.metric(cells.get("metric"))
    if metric is None:
        problem("metric", _("There is no metric %(metric)r.") % {"metric": cells.get("metric")})
    period = None
    try:
        period = lookups.period(cells.get("period"))
    except ValueError as error:
        problem("period", error)
    value, qualifier = None, Qualifier.EXACT
    try:
        value, unit, qualifier = parse_figure(cells.get("value"), cells.get("unit", ""))
        if metric is not None and unit is not None and unit != metric.unit:
            problem(
                "unit",
                _("%(metric)s is measured in %(unit)s.")
                % {"metric": metric.name, "unit": metric.get_unit_display()},
            )
    except ValueError as error:
        problem("value", error)
    if (stated := str(cells.get("qualifier") or "").strip()) != "":
        qualifier = QUALIFIER_WORDS.get(stated.lower())
        if qualifier is None:
            problem("qualifier", _("%(text)r is not a qualifier.") % {"text": stated})
    change = str(cells.get("yoy_change") or "").strip().rstrip("%").strip() or None
    if change is not None:
        try:
            change = Decimal(change)
            if not change.is_finite() or abs(change) >= 10_000_000:
                raise InvalidOperation
        except InvalidOperation:
            problem("yoy_change", _("%(text)r is not a percentage.") % {"text": change})
    if value is None and change is None and not problems:
        problem("value", _("Enter a value, a year-on-year change, or both."))
    if value is None and qualifier not in (Qualifier.EXACT, None):
        problem("qualifier", _("A qualifier applies to a value; enter the value."))
    if value is not None and abs(value) >= Decimal("1e18"):
        problem("value", _("%(text)r is too large a figure.") % {"text": cells.get("value")})
    if metric is not None and metric.is_share and value is not None and not 0 <= value <= 100:
        problem("value", _("A share of a whole lies between 0 and 100 percent."))
    source = None
    if (named := str(cells.get("source") or "").strip()) != "":
        source = lookups.sources.get(named)
        if source is None:
            problem("source", _("There is no source %(source)r.") % {"source": named})
    if region is not None and metric is not None and period is not None and not problems:
        if not lookups.may_create_in(region):
            figure = Observation(
                metric=metric,
                region=region,
                period_type=period.type,
                period_start=period.start,
                period_end=period.end,
            )
            # The region is the reason, unless the account may enter no figure anywhere.
            column = "" if lookups.role_refusal else "region"
            problem(column, policy.refusal(lookups.user, Step.CREATE, figure))
    if problems:
        return None, problems
    return (
        ReleaseRow(
            line=line,
            metric_id=metric.pk,
            region_id=region.pk,
            period_type=str(period.type),
            period_start=period.start,
            period_end=period.end,
            value=value,
            value_qualifier=qualifier,
            yoy_change=change,
            source_id=source.pk if source else None,
            source_quote=str(cells.get("quote") or "").strip(),
        ),
        [],
    )


def export_row(observation: Observation) -> list[str]:
    """A figure as a row of a release: what `parse_release_row` reads back as the same figure."""
    metric = observation.metric
    power, unit_label = scale_for(metric.unit, metric.display_scale, "en")
    value = observation.value
    change = observation.yoy_change
    return [
        observation.region.code,
        metric.slug,
        export_period(observation.period),
        "" if value is None else f"{value.scaleb(-power).normalize():f}",
        unit_label,
        "" if change is None else f"{change.normalize():f}",
        observation.value_qualifier,
        observation.source.slug if observation.source else "",
        observation.source_quote,
    ]
