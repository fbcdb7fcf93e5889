"""
Reporting periods as statistics releases use them.

A period is a type plus start and end dates. Releases name them in several
ways ("Jan-Jun 2020", "2020年1-6月", "H1 2020", "2019"); `Period.parse`
understands those, and `Period.label` writes them back in either language.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from metrics.translation import is_chinese


class PeriodType(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF_YEAR = "half_year", _("Half-year")
    YEAR = "year", _("Year")
    YEAR_TO_DATE = "ytd", _("Year to date")
    CUSTOM = "custom", _("Custom")


MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTH_NUMBER = {name.lower(): number for number, name in enumerate(MONTHS_EN, start=1)}
_MONTH_NUMBER.update(
    {
        name.lower(): number
        for number, name in enumerate(calendar.month_name)
        if name  # calendar.month_name[0] is ""
    }
)
_ZH_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4}


def month_end(year: int, month: int) -> date:
    """Return the last day of the month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def shift_years(day: date, years: int) -> date:
    """Move a date by whole years, mapping 29 February to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def year_earlier(day: date) -> date:
    """
    The same day a year earlier, keeping month ends at month ends: the day
    before the following day a year back (28 Feb 2021 -> 29 Feb 2020).
    The database computes it alike (`YearEarlier`), so Python and SQL agree.
    """
    return shift_years(day + timedelta(days=1), -1) - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A reporting period: its type and inclusive start and end dates."""

    type: str
    start: date
    end: date

    # Constructors -------------------------------------------------------

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(PeriodType.MONTH, date(year, month, 1), month_end(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        first = 3 * (quarter - 1) + 1
        return cls(PeriodType.QUARTER, date(year, first, 1), month_end(year, first + 2))

    @classmethod
    def half_year(cls, year: int, half: int) -> "Period":
        first = 1 if half == 1 else 7
        return cls(PeriodType.HALF_YEAR, date(year, first, 1), month_end(year, first + 5))

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(PeriodType.YEAR, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def year_to_date(cls, year: int, through_month: int) -> "Period":
        return cls(PeriodType.YEAR_TO_DATE, date(year, 1, 1), month_end(year, through_month))

    @classmethod
    def custom(cls, start: date, end: date) -> "Period":
        return cls(PeriodType.CUSTOM, start, end)

    # Rules ---------------------------------------------------------------

    def errors(self) -> dict[str, str]:
        """Return field errors when the dates do not fit the period type."""
        if self.end < self.start:
            return {"period_end": _("The period cannot end before it starts.")}
        if self.type == PeriodType.CUSTOM:
            return {}
        expected = self._canonical()
        if expected is None or (expected.start, expected.end) != (self.start, self.end):
            return {
                "period_end": _(
                    "A %(type)s period must start on the first day of its first "
                    "month and end on the last day of its last month, within one year."
                )
                % {"type": PeriodType(self.type).label.lower()}
            }
        return {}

    def validate(self) -> None:
        """Raise ValidationError when the dates do not fit the period type."""
        if errors := self.errors():
            raise ValidationError(errors)

    def _canonical(self) -> "Period | None":
        start, end = self.start, self.end
        if start.day != 1 or start.year != end.year:
            return None
        months = end.month - start.month + 1
        match self.type:
            case PeriodType.MONTH if months == 1:
                return Period.month(start.year, start.month)
            case PeriodType.QUARTER if months == 3 and start.month in (1, 4, 7, 10):
                return Period.quarter(start.year, (start.month + 2) // 3)
            case PeriodType.HALF_YEAR if months == 6 and start.month in (1, 7):
                return Period.half_year(start.year, 1 if start.month == 1 else 2)
            case PeriodType.YEAR if months == 12:
                return Period.year(start.year)
            case PeriodType.YEAR_TO_DATE if start.month == 1:
                return Period.year_to_date(start.year, end.month)
        return None

    def bounds(self) -> tuple[date, date]:
        return self.start, self.end

    def prior_year(self) -> "Period":
        """The same period one year earlier, for year-on-year comparisons."""
        return Period(self.type, year_earlier(self.start), year_earlier(self.end))

    # Labels --------------------------------------------------------------

    def label(self, language: str | None = None) -> str:
        """Name the period the way releases do, in English or Chinese."""
        if is_chinese(language):
            return self._label_zh()
        return self._label_en()

    def _label_en(self) -> str:
        start, end = self.start, self.end
        match self.type:
            case PeriodType.MONTH:
                return f"{MONTHS_EN[start.month - 1]} {start.year}"
            case PeriodType.QUARTER:
                return f"Q{(start.month + 2) // 3} {start.year}"
            case PeriodType.HALF_YEAR:
                return f"H{1 if start.month == 1 else 2} {start.year}"
            case PeriodType.YEAR:
                return str(start.year)
            case PeriodType.YEAR_TO_DATE:
                if end.month == 1:
                    return f"Jan {start.year}"
                return f"Jan–{MONTHS_EN[end.month - 1]} {start.year}"
        if start == end:
            return f"{start.day} {MONTHS_EN[start.month - 1]} {start.year}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{end.day} {MONTHS_EN[start.month - 1]} {start.year}"
        return (
            f"{start.day} {MONTHS_EN[start.month - 1]} {start.year} – "
            f"{end.day} {MONTHS_EN[end.month - 1]} {end.year}"
        )

    def _label_zh(self) -> str:
        start, end = self.start, self.end
        match self.type:
            case PeriodType.MONTH:
                return f"{start.year}年{start.month}月"
            case PeriodType.QUARTER:
                number = "一二三四"[(start.month - 1) // 3]
                return f"{start.year}年第{number}季度"
            case PeriodType.HALF_YEAR:
                return f"{start.year}年{'上' if start.month == 1 else '下'}半年"
            case PeriodType.YEAR:
                return f"{start.year}年"
            case PeriodType.YEAR_TO_DATE:
                if end.month == 1:
                    return f"{start.year}年1月"
                return f"{start.year}年1-{end.month}月"
        if start == end:
            return f"{start.year}年{start.month}月{start.day}日"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.year}年{start.month}月{start.day}日至{end.day}日"
        return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"

    def __str__(self) -> str:
        return self.label("en")

    # Parsing -------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> "Period":
        """
        Read a period label as statistics releases write it.

        Cumulative month ranges starting in January ("Jan-Jun 2020",
        "2020年1-6月") are year-to-date figures, which is how monthly
        releases report them. Raises ValueError with a readable message.
        """
        raw = text
        text = re.sub(r"\s+", " ", str(text)).strip()
        text = re.sub(r"[–—~～－]", "-", text)
        for parser in _PARSERS:
            if (match := parser[0].fullmatch(text)) is not None:
                try:
                    period = parser[1](match)
                except ValueError:
                    break
                if period is not None and not period.errors():
                    return period
                break
        raise ValueError(
            gettext(
                "%(text)r is not a period this system understands "
                "(examples: 2020, H1 2020, Q2 2020, May 2020, Jan-Jun 2020, "
                "2020年1-6月, 2020-05-01/2020-05-09)."
            )
            % {"text": raw}
        )


def _month_number(name: str) -> int:
    number = _MONTH_NUMBER.get(name.lower().rstrip("."))
    if number is None:
        raise ValueError(name)
    return number


def _month_range(year: int, first: int, last: int) -> Period | None:
    if first == 1:
        return Period.year_to_date(year, last)
    if last < first:
        return None
    return Period.custom(date(year, first, 1), month_end(year, last))


_PARSERS = [
    (re.compile(r"(\d{4})(?:年)?"), lambda m: Period.year(int(m[1]))),
    (
        re.compile(r"(?:H([12]) (\d{4})|(\d{4}) ?-? ?H([12]))", re.I),
        lambda m: Period.half_year(int(m[2] or m[3]), int(m[1] or m[4])),
    ),
    (
        re.compile(r"(\d{4})年([上下])半年"),
        lambda m: Period.half_year(int(m[1]), 1 if m[2] == "上" else 2),
    ),
    (
        re.compile(r"(?:Q([1-4]) (\d{4})|(\d{4}) ?-? ?Q([1-4]))", re.I),
        lambda m: Period.quarter(int(m[2] or m[3]), int(m[1] or m[4])),
    ),
    (
        re.compile(r"(\d{4})年第?([一二三四1-4])季度"),
        lambda m: Period.quarter(int(m[1]), _ZH_NUMERALS.get(m[2]) or int(m[2])),
    ),
    (re.compile(r"(\d{4})-(\d{1,2})"), lambda m: Period.month(int(m[1]), int(m[2]))),
    (re.compile(r"(\d{4})年(\d{1,2})月"), lambda m: Period.month(int(m[1]), int(m[2]))),
    (
        re.compile(r"([A-Za-z]+\.?) (\d{4})"),
        lambda m: Period.month(int(m[2]), _month_number(m[1])),
    ),
    (
        re.compile(r"(\d{4})年(\d{1,2})(?:月)? ?- ?(\d{1,2})月"),
        lambda m: _month_range(int(m[1]), int(m[2]), int(m[3])),
    ),
    (
        re.compile(r"([A-Za-z]+\.?) ?- ?([A-Za-z]+\.?) (\d{4})"),
        lambda m: _month_range(int(m[3]), _month_number(m[1]), _month_number(m[2])),
    ),
    (
        re.compile(r"(\d{4}-\d{2}-\d{2}) ?(?:/|\.\.|to) ?(\d{4}-\d{2}-\d{2})"),
        lambda m: Period.custom(date.fromisoformat(m[1]), date.fromisoformat(m[2])),
    ),
]
