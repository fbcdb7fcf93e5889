"""
Figures as a reader expects them: "10.77 billion yuan" in English,
"107.7亿元" in Chinese, with the qualifier the source used.

Values are stored in base units (yuan, not billions). Each figure is written
in the scale its own size calls for, the way each language writes it:
English counts in thousands of thousands (million, billion, trillion),
Chinese in 万 (10^4), 亿 (10^8) and 万亿 (10^12), so 85 million yuan is
"85 million yuan" and "8,500万元", never "0.085 billion". Scaling is exact
(Decimal): a figure shows the digits it was stored with, no more (no
trailing zeros) and, up to three decimals in its scale, no fewer (10.77
stays 10.77); a computed figure is rounded to three decimals. An admin form
shows every digit (`format_amount`), so what it shows is saved unchanged.

Where figures are read against one another along one line, the metric's
display scale is shared instead: a chart's axis ticks are numbers in one
scale, named once in the axis label (`scale_for`). Tables, pages, map
labels and messages write each figure in its own scale: a table of one
metric mixes provinces and counties whose figures differ a thousandfold,
and a shared scale turns the small ones into "0.085 billion"; the table
sorts by value, which is how its rows are compared.
"""

import re
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
# The scales a figure of its own is written in, largest first: (power of ten,
# the smallest figure written in it, word). Chinese writes figures below
# 100,000 in full ("12,345元"), as statistical bulletins do.
_NATURAL_EN = ((12, 12, "trillion"), (9, 9, "billion"), (6, 6, "million"))
_NATURAL_ZH = ((12, 12, "万亿"), (8, 8, "亿"), (4, 5, "万"))
_SCALABLE = ("yuan", "usd", "count")
_QUALIFIER_EN = {"approx": "about ", "more_than": "more than ", "less_than": "less than "}
_QUALIFIER_ZH = {"approx": "约", "more_than": "超过", "less_than": "不足"}
_UNIT_ZH = {"yuan": "元", "usd": "美元", "percent": "%", "pp": "个百分点", "count": ""}
MAX_DECIMALS = 3


def format_number(
    value: Decimal, *, language: str | None = None, decimals: int | None = None
) -> str:
    """
    Write a number with thousands separators (in both languages) and
    without trailing zeros; `decimals` fixes the number of decimals instead.
    """
    places = MAX_DECIMALS if decimals is None else decimals
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0"
    return _grouped(f"{rounded.normalize():f}" if decimals is None else f"{rounded:f}")


def _grouped(text: str) -> str:
    """A plain number's digits in groups of three: "-1234567.5" -> "-1,234,567.5"."""
    whole, _dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = f"{int(whole.lstrip('-')):,}"
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def _decimals_needed(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def natural_scale(
    value: Decimal, language: str | None = None, *, exact: bool = False
) -> tuple[int, str]:
    """
    The power of ten and word a figure of its own is written in, for its
    size and the language: (6, "million") for 85,000,000 in English,
    (4, "万") in Chinese; (0, "") for figures written in full. The largest
    scale in which every digit fits in three decimals; a figure that fits in
    none is rounded in the largest scale its size allows, or with `exact`
    written in full.
    """
    scales = _NATURAL_ZH if is_chinese(language) else _NATURAL_EN
    size = abs(value)
    fitting = [
        (power, word) for power, smallest, word in scales if size >= Decimal(1).scaleb(smallest)
    ]
    # The largest scale that keeps every digit: 5,150.1 billion, not 5.15
    # trillion (51,501亿, not 5.15万亿), as statistical releases write it.
    for power, word in fitting:
        if _decimals_needed(value.scaleb(-power)) <= MAX_DECIMALS:
            return power, word
    if exact or not fitting:
        return 0, ""
    return fitting[0]  # a worked-out figure with more digits than anyone reads


def shared_scale(scale: int, language: str | None = None) -> tuple[int, str]:
    """
    A metric's display scale in the reader's language: (9, "billion") in
    English is (8, "亿") in Chinese, (6, "million") is (4, "万").
    """
    if is_chinese(language):
        return _SCALE_ZH[scale]
    return scale, _SCALE_WORDS_EN[scale]


def scale_for(unit: str, scale: int, language: str | None = None) -> tuple[int, str]:
    """
    The power of ten figures sharing a metric's display scale are divided
    by, and the words for the scaled unit on an axis: (9, "billion yuan")
    in English, (8, "亿元") in Chinese.
    """
    scalable = unit in _SCALABLE
    if is_chinese(language):
        power, word = _SCALE_ZH[scale] if scalable else (0, "")
        return power, f"{word}{_UNIT_ZH[unit]}"
    power = scale if scalable else 0
    word = _SCALE_WORDS_EN[power]
    names = {"yuan": "yuan", "usd": "US dollars", "percent": "%", "pp": "pp", "count": ""}
    return power, " ".join(part for part in (word, names[unit]) if part)


def format_amount(value: Decimal, *, language: str | None = None) -> str:
    """
    A number in its own scale without a unit, as an admin form shows it
    and reads it back (`parse_amount`): "200 million", "2亿", "85".
    """
    power, word = natural_scale(value, language, exact=True)
    scaled = value.scaleb(-power).normalize()
    if scaled == 0:
        scaled = abs(scaled)
    # Every digit, never rounded: what the form shows is saved again unchanged.
    number = _grouped(f"{scaled:f}")
    if not word:
        return number
    return f"{number}{word}" if is_chinese(language) else f"{number} {word}"


# Words an amount may be typed with, in either language, and their powers of ten.
_TYPED_SCALES = {
    "万亿": 12,
    "亿": 8,
    "万": 4,
    "千": 3,
    "trillion": 12,
    "billion": 9,
    "bn": 9,
    "million": 6,
    "mn": 6,
    "m": 6,
    "thousand": 3,
    "k": 3,
}
# A number (digits, or digits grouped in threes by commas), a scale word, a currency.
_TYPED_AMOUNT = re.compile(
    r"(?P<number>[-+]?(?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+)\s*"
    r"(?P<word>万亿|亿|万|千|[a-z]+)?\s*(?:元|yuan|rmb|cny)?"
)


def parse_amount(text: str) -> Decimal:
    """
    The exact number typed as people write it: "200000000", "200,000,000",
    "2亿", "8,500 万元", "200 million", "1.2 trillion". Raises ValueError
    for anything else; the result is exact (Decimal), never rounded.
    """
    cleaned = " ".join(str(text).split()).lower()
    match = _TYPED_AMOUNT.fullmatch(cleaned)
    if match is None:
        raise ValueError(text)
    word = match.group("word")
    if word is not None and word not in _TYPED_SCALES:
        raise ValueError(text)
    number = Decimal(match.group("number").replace(",", "").replace("，", ""))
    scaled = number.scaleb(_TYPED_SCALES.get(word, 0))
    return Decimal(f"{scaled:f}")  # 200000000, not 2E+8


def format_figure(
    value: Decimal | None,
    *,
    unit: str,
    scale: int | None = None,
    qualifier: str = Qualifier.EXACT,
    language: str | None = None,
) -> str:
    """
    Write a figure with its unit and qualifier; "" for no value. Amounts and
    counts are written in the scale their size calls for ("85 million
    yuan", "8,500万元"), or in `scale` (a metric's display scale) when given.
    """
    if value is None:
        return ""
    if unit not in _SCALABLE:
        power, word = 0, ""
    elif scale is None:
        power, word = natural_scale(value, language)
    else:
        power, word = shared_scale(scale, language)
    number = format_number(value.scaleb(-power), language=language)
    if is_chinese(language):
        return f"{_QUALIFIER_ZH.get(qualifier, '')}{number}{word}{_UNIT_ZH[unit]}"
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
