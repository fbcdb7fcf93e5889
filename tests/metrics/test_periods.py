from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.periods import Period, PeriodType

# --- Parsing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020年1-6月", Period(PeriodType.YEAR_TO_DATE, date(2020, 1, 1), date(2020, 6, 30))),
        ("Jan-Jun 2020", Period(PeriodType.YEAR_TO_DATE, date(2020, 1, 1), date(2020, 6, 30))),
        ("Jan–Jun 2020", Period(PeriodType.YEAR_TO_DATE, date(2020, 1, 1), date(2020, 6, 30))),
        ("H1 2020", Period(PeriodType.HALF_YEAR, date(2020, 1, 1), date(2020, 6, 30))),
        ("2020年上半年", Period(PeriodType.HALF_YEAR, date(2020, 1, 1), date(2020, 6, 30))),
        ("2020年下半年", Period(PeriodType.HALF_YEAR, date(2020, 7, 1), date(2020, 12, 31))),
        ("Q2 2020", Period(PeriodType.QUARTER, date(2020, 4, 1), date(2020, 6, 30))),
        ("2020年第二季度", Period(PeriodType.QUARTER, date(2020, 4, 1), date(2020, 6, 30))),
        ("May 2020", Period(PeriodType.MONTH, date(2020, 5, 1), date(2020, 5, 31))),
        ("2020年5月", Period(PeriodType.MONTH, date(2020, 5, 1), date(2020, 5, 31))),
        ("2020-05", Period(PeriodType.MONTH, date(2020, 5, 1), date(2020, 5, 31))),
        ("Feb 2020", Period(PeriodType.MONTH, date(2020, 2, 1), date(2020, 2, 29))),
        ("2019", Period(PeriodType.YEAR, date(2019, 1, 1), date(2019, 12, 31))),
        (
            "2020-05-01/2020-05-09",
            Period(PeriodType.CUSTOM, date(2020, 5, 1), date(2020, 5, 9)),
        ),
        # A month range that does not start in January is not year to date.
        ("Apr-Jun 2020", Period(PeriodType.CUSTOM, date(2020, 4, 1), date(2020, 6, 30))),
    ],
)
def test_parse_reads_the_ways_releases_name_periods(text, expected):
    assert Period.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sometime in 2020",
        "2020-13",
        "Q5 2020",
        "Jun-Jan 2020",
        "Foo 2020",
        "2020年13月",
        "2020-05-09/2020-05-01",
        "2020-02-30/2020-03-01",
    ],
)
def test_parse_rejects_what_is_not_a_period_with_a_readable_message(text):
    with pytest.raises(ValueError, match="is not a period this system understands") as error:
        Period.parse(text)
    assert repr(text) in str(error.value)
    assert "examples:" in str(error.value)


# --- Labels --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "english", "chinese"),
    [
        (Period.year_to_date(2020, 6), "Jan–Jun 2020", "2020年1-6月"),
        (Period.year_to_date(2020, 1), "Jan 2020", "2020年1月"),
        (Period.half_year(2020, 1), "H1 2020", "2020年上半年"),
        (Period.half_year(2020, 2), "H2 2020", "2020年下半年"),
        (Period.quarter(2020, 2), "Q2 2020", "2020年第二季度"),
        (Period.month(2020, 5), "May 2020", "2020年5月"),
        (Period.year(2019), "2019", "2019年"),
        (Period.custom(date(2020, 5, 1), date(2020, 5, 9)), "1–9 May 2020", "2020年5月1日至9日"),
        (Period.custom(date(2020, 5, 1), date(2020, 5, 1)), "1 May 2020", "2020年5月1日"),
        (
            Period.custom(date(2020, 12, 20), date(2021, 1, 10)),
            "20 Dec 2020 – 10 Jan 2021",
            "2020年12月20日至2021年1月10日",
        ),
    ],
)
def test_labels_in_english_and_chinese(period, english, chinese):
    assert period.label("en") == english
    assert period.label("zh-hans") == chinese
    assert str(period) == english


# --- Year-on-year comparison -----------------------------------------------------


@pytest.mark.parametrize(
    ("period", "prior"),
    [
        (Period.year_to_date(2020, 6), Period.year_to_date(2019, 6)),
        # Jan-Feb 2020 ends on 29 Feb; a year earlier it ends on 28 Feb.
        (Period.year_to_date(2020, 2), Period.year_to_date(2019, 2)),
        (Period.month(2020, 2), Period.month(2019, 2)),
        # ... and from a common year into a leap year it ends on 29 Feb.
        (Period.year_to_date(2021, 2), Period.year_to_date(2020, 2)),
        (Period.quarter(2020, 4), Period.quarter(2019, 4)),
        (Period.year(2020), Period.year(2019)),
        (
            Period.custom(date(2020, 5, 1), date(2020, 5, 10)),
            Period.custom(date(2019, 5, 1), date(2019, 5, 10)),
        ),
    ],
)
def test_prior_year(period, prior):
    assert period.prior_year() == prior


def test_prior_year_of_the_leap_month_ends_on_28_february():
    prior = Period.year_to_date(2020, 2).prior_year()
    assert (prior.start, prior.end) == (date(2019, 1, 1), date(2019, 2, 28))


# --- Alignment rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "field"),
    [
        (Period(PeriodType.QUARTER, date(2020, 2, 1), date(2020, 4, 30)), "period_end"),
        (Period(PeriodType.MONTH, date(2020, 5, 2), date(2020, 5, 31)), "period_end"),
        (Period(PeriodType.MONTH, date(2020, 5, 1), date(2020, 5, 30)), "period_end"),
        (Period(PeriodType.HALF_YEAR, date(2020, 4, 1), date(2020, 9, 30)), "period_end"),
        (Period(PeriodType.YEAR, date(2020, 1, 1), date(2020, 12, 30)), "period_end"),
        (Period(PeriodType.YEAR_TO_DATE, date(2020, 2, 1), date(2020, 6, 30)), "period_end"),
        (Period(PeriodType.YEAR_TO_DATE, date(2020, 1, 1), date(2021, 1, 31)), "period_end"),
        (Period(PeriodType.CUSTOM, date(2020, 5, 9), date(2020, 5, 1)), "period_end"),
    ],
)
def test_errors_for_misaligned_periods(period, field):
    errors = period.errors()
    assert list(errors) == [field]
    assert "period" in str(errors[field])


def test_errors_name_the_period_type():
    errors = Period(PeriodType.QUARTER, date(2020, 2, 1), date(2020, 4, 30)).errors()
    assert "A quarter period must start on the first day" in str(errors["period_end"])


def test_end_before_start_has_its_own_message():
    errors = Period(PeriodType.MONTH, date(2020, 5, 31), date(2020, 5, 1)).errors()
    assert str(errors["period_end"]) == "The period cannot end before it starts."


@pytest.mark.parametrize(
    "period",
    [
        Period.month(2020, 2),
        Period.quarter(2020, 3),
        Period.half_year(2020, 2),
        Period.year(2020),
        Period.year_to_date(2020, 11),
        Period.custom(date(2020, 5, 3), date(2020, 5, 3)),
    ],
)
def test_aligned_periods_have_no_errors(period):
    assert period.errors() == {}


# --- Round trip ----------------------------------------------------------------------

years = st.integers(min_value=1990, max_value=2060)
periods = st.one_of(
    st.builds(Period.month, years, st.integers(1, 12)),
    st.builds(Period.quarter, years, st.integers(1, 4)),
    st.builds(Period.half_year, years, st.integers(1, 2)),
    st.builds(Period.year, years),
    # Year to date through January is written "Jan 2020", the same as the
    # month, and reads back as the month: see the test below.
    st.builds(Period.year_to_date, years, st.integers(2, 12)),
)


@given(periods, st.sampled_from(["en", "zh-hans"]))
def test_a_label_reads_back_as_the_same_period(period, language):
    assert Period.parse(period.label(language)) == period


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_january_year_to_date_reads_back_with_the_same_dates(language):
    january = Period.year_to_date(2020, 1)
    parsed = Period.parse(january.label(language))
    assert (parsed.start, parsed.end) == (january.start, january.end)
