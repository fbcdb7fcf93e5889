"""
Figures as a reader expects them: "10.77 billion yuan" in English,
"107.7亿元" in Chinese, with the qualifier the source used.

Values are stored in base units (yuan, not billions); the metric's display
scale decides how they are written. Chinese uses its own scales (万 = 10^4,
亿 = 10^8), so the same figure is divided differently per language.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from metrics.translation import is_chinese


class Unit(models.TextChoices):
    YUAN = "yuan", _("yuan")
    US_DOLLAR = "usd", _("US dollar")
    PERCENT = "percent", _("percent")
    PERCENTAGE_POINTS = "pp", _("percentage points")
    COUNT = "count", _("count")


class DisplayScale(models.IntegerChoices):
    """Powers of ten a metric's figures are written in (English names)."""

    ONE = 0, _("as is")
    THOUSAND = 3, _("thousand")
    MILLION = 6, _("million")
    BILLION = 9, _("billion (= 10 亿)")


class Qualifier(models.TextChoices):
    EXACT = "exact", _("exact")
    APPROXIMATELY = "approx", _("approximately")
    MORE_THAN = "more_than", _("more than")
    LESS_THAN = "less_than", _("less than")


_SCALE_WORDS_EN = {0: "", 3: "thousand", 6: "million", 9: "billion"}
# The Chinese scale for each English one: million -> 万, billion -> 亿.
_SCALE_ZH = {0: (0, ""), 3: (0, ""), 6: (4, "万"), 9: (8, "亿")}
_QUALIFIER_EN = {"approx": "about ", "more_than": "more than ", "less_than": "less than "}
_QUALIFIER_ZH = {"approx": "约", "more_than": "超过", "less_than": "不足"}
_UNIT_ZH = {"yuan": "元", "usd": "美元", "percent": "%", "pp": "个百分点", "count": ""}
MAX_DECIMALS = 3


def format_number(
    value: Decimal, *, language: str | None = None, decimals: int | None = None
) -> str:
    """Write a number without trailing zeros, with thousands separators in English."""
    places = MAX_DECIMALS if decimals is None else decimals
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0"
    text = f"{rounded.normalize():f}" if decimals is None else f"{rounded:f}"
    if is_chinese(language):
        return text
    whole, _dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def scale_for(unit: str, scale: int, language: str | None = None) -> tuple[int, str]:
    """
    The power of ten figures are divided by, and the words for the scaled
    unit on an axis: (9, "billion yuan") in English, (8, "亿元") in Chinese.
    """
    scalable = unit in ("yuan", "usd", "count")
    if is_chinese(language):
        power, word = _SCALE_ZH[scale] if scalable else (0, "")
        return power, f"{word}{_UNIT_ZH[unit]}"
    power = scale if scalable else 0
    word = _SCALE_WORDS_EN[power]
    names = {"yuan": "yuan", "usd": "US dollars", "percent": "%", "pp": "pp", "count": ""}
    return power, " ".join(part for part in (word, names[unit]) if part)


def format_figure(
    value: Decimal | None,
    *,
    unit: str,
    scale: int = 0,
    qualifier: str = Qualifier.EXACT,
    language: str | None = None,
) -> str:
    """Write a figure in its display scale, unit and qualifier; "" for no value."""
    if value is None:
        return ""
    if is_chinese(language):
        power, word = _SCALE_ZH[scale] if unit in ("yuan", "usd", "count") else (0, "")
        number = format_number(value.scaleb(-power), language=language)
        return f"{_QUALIFIER_ZH.get(qualifier, '')}{number}{word}{_UNIT_ZH[unit]}"
    power = scale if unit in ("yuan", "usd", "count") else 0
    number = format_number(value.scaleb(-power), language=language)
    word = _SCALE_WORDS_EN[power]
    prefix = _QUALIFIER_EN.get(qualifier, "")
    match unit:
        case "yuan":
            text = f"{number} {word} yuan" if word else f"{number} yuan"
        case "usd":
            text = f"US${number} {word}" if word else f"US${number}"
        case "percent":
            text = f"{number}%"
        case "pp":
            text = f"{number} pp"
        case _:
            text = f"{number} {word}" if word else number
    return prefix + text


def format_change(change: Decimal | None, *, language: str | None = None) -> str:
    """A year-on-year change in percent with its sign: "+23.7%"."""
    if change is None:
        return ""
    number = format_number(abs(change), language=language, decimals=1)
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    return f"{sign}{number}%"


def format_points_difference(difference: Decimal | None, *, language: str | None = None) -> str:
    """A gap in percentage points against the national figure."""
    if difference is None:
        return ""
    number = format_number(abs(difference), language=language, decimals=1)
    if is_chinese(language):
        if difference == 0:
            return "与全国持平"
        return f"{'高于' if difference > 0 else '低于'}全国{number}个百分点"
    if difference == 0:
        return "level with national"
    return f"{'+' if difference > 0 else '-'}{number} pp vs national"
