from decimal import Decimal

import pytest
from django.utils import translation

from metrics.formatting import (
    DisplayScale,
    Qualifier,
    Unit,
    format_amount,
    format_change,
    format_figure,
    format_number,
    format_points_difference,
    parse_amount,
)
from tests.factories import MetricFactory


@pytest.mark.parametrize(
    ("value", "unit", "qualifier", "english", "chinese"),
    [
        ("85000000", Unit.YUAN, Qualifier.EXACT, "85 million yuan", "8,500万元"),
        ("10770000000", Unit.YUAN, Qualifier.EXACT, "10.77 billion yuan", "107.7亿元"),
        ("1200000000000", Unit.YUAN, Qualifier.EXACT, "1.2 trillion yuan", "1.2万亿元"),
        ("30000000", Unit.YUAN, Qualifier.MORE_THAN, "more than 30 million yuan", "超过3,000万元"),
        ("1540000000", Unit.US_DOLLAR, Qualifier.EXACT, "US$1.54 billion", "15.4亿美元"),
        ("2330000000", Unit.YUAN, Qualifier.APPROXIMATELY, "about 2.33 billion yuan", "约23.3亿元"),
        ("850000", Unit.YUAN, Qualifier.EXACT, "850,000 yuan", "85万元"),
        ("12345", Unit.YUAN, Qualifier.EXACT, "12,345 yuan", "12,345元"),
        ("-85000000", Unit.YUAN, Qualifier.EXACT, "-85 million yuan", "-8,500万元"),
        ("31.3", Unit.PERCENT, Qualifier.EXACT, "31.3%", "31.3%"),
        ("14.3", Unit.PERCENTAGE_POINTS, Qualifier.EXACT, "14.3 pp", "14.3个百分点"),
        ("85", Unit.COUNT, Qualifier.LESS_THAN, "less than 85", "不足85"),
        ("1200000", Unit.COUNT, Qualifier.EXACT, "1.2 million", "120万"),
        ("10000000000.000000", Unit.YUAN, Qualifier.EXACT, "10 billion yuan", "100亿元"),
    ],
)
def test_each_figure_is_written_in_the_scale_its_size_calls_for(
    value, unit, qualifier, english, chinese
):
    arguments = {"unit": unit, "qualifier": qualifier}
    assert format_figure(Decimal(value), language="en", **arguments) == english
    assert format_figure(Decimal(value), language="zh-hans", **arguments) == chinese


@pytest.mark.parametrize(
    ("value", "english", "chinese"),
    [
        ("10770000000", "10.77 billion yuan", "107.7亿元"),
        ("10771000000", "10.771 billion yuan", "107.71亿元"),
        ("12007299270.073", "12.007 billion yuan", "120.073亿元"),
        # The bureau's national sales: the largest scale that keeps every digit.
        ("5150100000000", "5,150.1 billion yuan", "51,501亿元"),
        ("4348100000000", "4,348.1 billion yuan", "43,481亿元"),
    ],
)
def test_digits_are_kept_up_to_three_decimals_in_the_scale(value, english, chinese):
    # Never 10.8 for 10.77; a computed figure is cut at three decimals, not shown to the yuan.
    assert format_figure(Decimal(value), unit=Unit.YUAN, language="en") == english
    assert format_figure(Decimal(value), unit=Unit.YUAN, language="zh") == chinese


@pytest.mark.parametrize(
    ("value", "scale", "english", "chinese"),
    [
        ("85000000", DisplayScale.BILLION, "0.085 billion yuan", "0.85亿元"),
        ("10770000000", DisplayScale.BILLION, "10.77 billion yuan", "107.7亿元"),
        ("30000000", DisplayScale.MILLION, "30 million yuan", "3,000万元"),
        ("12345", DisplayScale.ONE, "12,345 yuan", "12,345元"),
    ],
)
def test_a_shared_display_scale_is_used_when_asked_for(value, scale, english, chinese):
    arguments = {"unit": Unit.YUAN, "scale": scale}
    assert format_figure(Decimal(value), language="en", **arguments) == english
    assert format_figure(Decimal(value), language="zh-hans", **arguments) == chinese


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


def test_a_metric_writes_each_value_in_its_own_scale_or_in_the_display_scale():
    metric = MetricFactory.build(unit=Unit.YUAN, display_scale=DisplayScale.BILLION)
    assert metric.format_value(Decimal("10770000000"), language="en") == "10.77 billion yuan"
    assert metric.format_value(Decimal("10770000000"), language="zh") == "107.7亿元"
    assert metric.format_value(Decimal("85000000"), language="en") == "85 million yuan"
    assert metric.format_value(Decimal("85000000"), language="zh") == "8,500万元"
    shared = metric.format_value(Decimal("85000000"), language="en", in_display_scale=True)
    assert shared == "0.085 billion yuan"


@pytest.mark.parametrize(
    ("unit", "scale", "english", "chinese"),
    [
        (Unit.YUAN, DisplayScale.BILLION, "yuan; charts in billion yuan", "元；图表以亿元为单位"),
        (Unit.COUNT, DisplayScale.MILLION, "count; charts in millions", "数量；图表以万为单位"),
        (Unit.PERCENT, DisplayScale.ONE, "percent", "百分比"),
    ],
)
def test_the_metric_page_states_its_unit_and_the_scale_of_its_charts(unit, scale, english, chinese):
    metric = MetricFactory.build(unit=unit, display_scale=scale)
    with translation.override("en"):
        assert metric.unit_description() == english
    with translation.override("zh-hans"):
        assert metric.unit_description() == chinese  # needs the new catalogue entry


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
    assert format_change(change, language="zh-hans") == text


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
        (Decimal("-1234.50"), "-1,234.5"),
    ],
)
def test_numbers_drop_trailing_zeros_and_never_show_minus_zero(value, text):
    assert format_number(value, language="en") == text
    assert format_number(value, language="zh-hans") == text  # separators in Chinese too


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("200000000", "200000000"),
        ("200,000,000", "200000000"),
        ("200000000.000000", "200000000"),
        ("2亿", "200000000"),
        ("2 亿", "200000000"),
        ("2亿元", "200000000"),
        ("8,500 万元", "85000000"),
        ("1.2万亿", "1200000000000"),
        ("200 million", "200000000"),
        ("10.77 billion", "10770000000"),
        ("10.77 Billion yuan", "10770000000"),
        ("1.2 trillion", "1200000000000"),
        ("0.000001", "0.000001"),
        ("-5.9", "-5.9"),
        ("31.3", "31.3"),
    ],
)
def test_amounts_are_read_as_people_type_them(typed, number):
    assert parse_amount(typed) == Decimal(number)


@pytest.mark.parametrize("typed", ["", "abc", "2 foo", "1,23", "2亿亿", "1.2.3", "二亿", "1e9"])
def test_anything_else_is_not_an_amount(typed):
    with pytest.raises(ValueError):
        parse_amount(typed)


@pytest.mark.parametrize(
    "value",
    ["200000000", "85000000", "10770000000", "12345678", "0.123456", "1234.5", "-30000000", "0"],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_amount_as_a_form_shows_it_reads_back_exactly(value, language):
    stored = Decimal(value).quantize(Decimal("0.000001"))  # as the database returns it
    shown = format_amount(stored, language=language)
    assert not shown.endswith("0" * 6)
    assert parse_amount(shown) == Decimal(value)


def test_a_form_shows_amounts_in_their_scale():
    assert format_amount(Decimal("200000000.00"), language="en") == "200 million"
    assert format_amount(Decimal("200000000.00"), language="zh-hans") == "2亿"
    assert format_amount(Decimal("800000.000000"), language="zh-hans") == "80万"
    # Every digit is kept: a form must not round what it saves again.
    assert format_amount(Decimal("12345678.9"), language="en") == "12,345,678.9"
