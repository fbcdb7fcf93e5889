from decimal import Decimal

import pytest
from django.utils import translation

from metrics.formatting import (
    DisplayScale,
    Qualifier,
    Unit,
    format_change,
    format_figure,
    format_number,
    format_points_difference,
)
from tests.factories import MetricFactory


@pytest.mark.parametrize(
    ("value", "unit", "scale", "qualifier", "english", "chinese"),
    [
        (
            Decimal("10770000000"),
            Unit.YUAN,
            DisplayScale.BILLION,
            Qualifier.EXACT,
            "10.77 billion yuan",
            "107.7亿元",
        ),
        (
            Decimal("30000000"),
            Unit.YUAN,
            DisplayScale.MILLION,
            Qualifier.MORE_THAN,
            "more than 30 million yuan",
            "超过3000万元",
        ),
        (
            Decimal("1540000000"),
            Unit.US_DOLLAR,
            DisplayScale.BILLION,
            Qualifier.EXACT,
            "US$1.54 billion",
            "15.4亿美元",
        ),
        (
            Decimal("2330000000"),
            Unit.YUAN,
            DisplayScale.BILLION,
            Qualifier.APPROXIMATELY,
            "about 2.33 billion yuan",
            "约23.3亿元",
        ),
        (Decimal("31.3"), Unit.PERCENT, DisplayScale.ONE, Qualifier.EXACT, "31.3%", "31.3%"),
        (
            Decimal("14.3"),
            Unit.PERCENTAGE_POINTS,
            DisplayScale.ONE,
            Qualifier.EXACT,
            "14.3 pp",
            "14.3个百分点",
        ),
        (
            Decimal("85"),
            Unit.COUNT,
            DisplayScale.ONE,
            Qualifier.LESS_THAN,
            "less than 85",
            "不足85",
        ),
        (Decimal("12345"), Unit.YUAN, DisplayScale.ONE, Qualifier.EXACT, "12,345 yuan", "12345元"),
    ],
)
def test_figures_in_english_and_chinese(value, unit, scale, qualifier, english, chinese):
    arguments = {"unit": unit, "scale": scale, "qualifier": qualifier}
    assert format_figure(value, language="en", **arguments) == english
    assert format_figure(value, language="zh-hans", **arguments) == chinese


def test_no_value_is_written_as_nothing():
    assert format_figure(None, unit=Unit.YUAN, scale=DisplayScale.BILLION) == ""
    assert format_change(None) == ""
    assert format_points_difference(None) == ""


def test_the_active_language_is_used_when_none_is_given():
    value = Decimal("10770000000")
    with translation.override("zh-hans"):
        assert format_figure(value, unit=Unit.YUAN, scale=DisplayScale.BILLION) == "107.7亿元"
    with translation.override("en"):
        assert (
            format_figure(value, unit=Unit.YUAN, scale=DisplayScale.BILLION) == "10.77 billion yuan"
        )


def test_metric_writes_its_values_in_its_display_scale():
    metric = MetricFactory.build(unit=Unit.YUAN, display_scale=DisplayScale.BILLION)
    assert metric.format_value(Decimal("10770000000"), language="en") == "10.77 billion yuan"
    assert metric.format_value(Decimal("10770000000"), language="zh") == "107.7亿元"


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (Decimal("23.7"), "+23.7%"),
        (Decimal("-5.9"), "-5.9%"),
        (Decimal("0"), "±0.0%"),
        (Decimal("83.14"), "+83.1%"),
        (Decimal("5"), "+5.0%"),
    ],
)
def test_changes_carry_their_sign(change, text):
    assert format_change(change, language="en") == text


@pytest.mark.parametrize(
    ("difference", "english", "chinese"),
    [
        (Decimal("14.3"), "+14.3 pp vs national", "高于全国14.3个百分点"),
        (Decimal("-2.5"), "-2.5 pp vs national", "低于全国2.5个百分点"),
        (Decimal("0"), "level with national", "与全国持平"),
    ],
)
def test_gap_to_the_national_change(difference, english, chinese):
    assert format_points_difference(difference, language="en") == english
    assert format_points_difference(difference, language="zh-hans") == chinese


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("10.770"), "10.77"),
        (Decimal("1234567.5"), "1,234,567.5"),
        (Decimal("-0.0001"), "0"),
        (Decimal("2.0005"), "2.001"),
    ],
)
def test_numbers_drop_trailing_zeros_and_never_show_minus_zero(value, text):
    assert format_number(value, language="en") == text
