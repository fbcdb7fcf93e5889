"""The rule vocabulary: bound, ratio, sum of parts, derived vs reported, continuity."""

from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from metrics.formatting import Qualifier
from metrics.models import (
    Observation,
    ValidationRule,
    find_violations,
    violation_messages,
    violations_by_observation,
)
from metrics.models.publication import PublicationState
from metrics.periods import Period
from metrics.statements import Basis
from tests.factories import (
    CountryFactory,
    CountyFactory,
    MetricFactory,
    ObservationFactory,
    ProvinceFactory,
    RegionFactory,
    SourceFactory,
    ValidationRuleFactory,
)

pytestmark = pytest.mark.django_db

Kind = ValidationRule.Kind
H1_2020 = Period.year_to_date(2020, 6)


def figure(metric, region, value=None, *, change=None, period=H1_2020, basis=Basis.QUOTED, **extra):
    """A figure of the metric; a derived or inferred one says how it was worked out."""
    if basis != Basis.QUOTED:
        extra.setdefault("basis_note", "Worked out from the source's statement.")
    return ObservationFactory(
        metric=metric,
        region=region,
        period=period,
        value=None if value is None else Decimal(value),
        yoy_change=None if change is None else Decimal(change),
        basis=basis,
        **extra,
    )


def broken(**kwargs) -> list:
    return list(find_violations(**kwargs))


# --- Bounds ------------------------------------------------------------------------------


class TestBound:
    @pytest.mark.parametrize(("part", "is_broken"), [("11", False), ("11.001", True)])
    def test_at_most_up_to_its_tolerance(self, part, is_broken):
        rule = ValidationRuleFactory(kind=Kind.AT_MOST, tolerance=Decimal("1"))
        region = RegionFactory()
        figure(rule.subject, region, part)
        figure(rule.reference, region, "10")
        assert bool(broken()) is is_broken

    @pytest.mark.parametrize(("part", "is_broken"), [("9", False), ("8.999", True)])
    def test_at_least_down_to_its_tolerance(self, part, is_broken):
        rule = ValidationRuleFactory(kind=Kind.AT_LEAST, tolerance=Decimal("1"))
        region = RegionFactory()
        subject = figure(rule.subject, region, part)
        figure(rule.reference, region, "10")
        found = broken()
        assert bool(found) is is_broken
        if is_broken:
            assert found[0].subject == subject
            assert "falls short of" in found[0].message

    def test_the_existing_values_stay_and_are_relabelled(self):
        assert Kind.AT_MOST.value == "at_most"
        assert Kind.RATIO.value == "ratio"
        assert Kind.AT_MOST.label == "Bound: subject at most the reference"

    def test_a_reported_figure_is_preferred_to_a_derived_one(self):
        rule = ValidationRuleFactory()
        region = RegionFactory()
        figure(rule.subject, region, "5")
        figure(rule.subject, region, "12", basis=Basis.DERIVED)
        figure(rule.reference, region, "10")
        assert broken() == []

    def test_a_derived_figure_is_checked_where_none_is_reported(self):
        rule = ValidationRuleFactory()
        region = RegionFactory()
        derived = figure(rule.subject, region, "12", basis=Basis.DERIVED)
        figure(rule.reference, region, "10")
        [violation] = broken()
        assert violation.subject == derived


class TestRatio:
    @pytest.mark.parametrize(("share", "is_broken"), [("58.7", False), ("58.8", True)])
    def test_exactly_at_the_tolerance_passes(self, share, is_broken):
        rule = ValidationRuleFactory(ratio=True, tolerance=Decimal("1.0"))
        region = RegionFactory()
        figure(rule.subject, region, share)
        figure(rule.reference, region, "6210000000")
        figure(rule.denominator, region, "10770000000")
        found = broken()
        assert bool(found) is is_broken
        if is_broken:
            assert found[0].expected == Decimal("57.7")
            assert "57.7%" in found[0].message
            assert "1 pp" in found[0].message


# --- Sum of parts --------------------------------------------------------------------------


@pytest.fixture
def family():
    """A province with three cities, and a county under the first."""
    province = ProvinceFactory()
    cities = [RegionFactory(parent=province) for _ in range(3)]
    county = CountyFactory(parent=cities[0])
    rule = ValidationRuleFactory(kind=Kind.SUM_OF_PARTS, reference=None, tolerance=Decimal("1"))
    return rule, province, cities, county


class TestSumOfParts:
    @pytest.mark.parametrize(
        ("whole", "is_broken"), [("15", False), ("14", False), ("16", False), ("13.999", True)]
    )
    def test_every_region_below_reports_so_the_parts_make_the_whole(self, family, whole, is_broken):
        rule, province, cities, _county = family
        total = figure(rule.subject, province, whole)
        parts = [
            figure(rule.subject, city, value) for city, value in zip(cities, "546", strict=True)
        ]
        found = broken()
        assert bool(found) is is_broken
        if is_broken:
            [violation] = found
            assert violation.subject == total
            assert set(violation.observations) == {total, *parts}
            assert violation.expected == Decimal("15")
            assert "the 3 regions below add up to" in violation.message

    def test_a_whole_larger_than_its_complete_parts_is_broken_too(self, family):
        rule, province, cities, _county = family
        figure(rule.subject, province, "16.001")
        for city, value in zip(cities, "546", strict=True):
            figure(rule.subject, city, value)
        assert len(broken()) == 1

    @pytest.mark.parametrize(
        ("whole", "is_broken"), [("100", False), ("8", False), ("7.999", True)]
    )
    def test_some_regions_report_so_their_sum_may_not_exceed_the_whole(
        self, family, whole, is_broken
    ):
        rule, province, cities, _county = family
        figure(rule.subject, province, whole)
        figure(rule.subject, cities[0], "5")
        figure(rule.subject, cities[1], "4")
        found = broken()
        assert bool(found) is is_broken
        if is_broken:
            assert "the 2 of 3 regions below that report alone add up to" in found[0].message

    def test_only_the_regions_directly_below_count(self, family):
        rule, province, cities, county = family
        figure(rule.subject, province, "15")
        for city, value in zip(cities, "546", strict=True):
            figure(rule.subject, city, value)
        # The county is part of its city (one region below it, not all: fine), not of the province.
        figure(rule.subject, county, "5")
        assert broken() == []

    def test_other_periods_and_qualified_figures_prove_nothing(self, family):
        rule, province, cities, _county = family
        figure(rule.subject, province, "1", value_qualifier=Qualifier.MORE_THAN)
        figure(rule.subject, province, "1", period=Period.year_to_date(2020, 5))
        for city in cities:
            figure(rule.subject, city, "5")
        assert broken() == []

    def test_the_constraint_refuses_a_reference(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ValidationRuleFactory(kind=Kind.SUM_OF_PARTS)

    def test_its_subject_adds_up(self):
        rule = ValidationRuleFactory.build(
            kind=Kind.SUM_OF_PARTS, subject=MetricFactory(share=True), reference=None
        )
        with pytest.raises(ValidationError) as error:
            rule.full_clean()
        assert list(error.value.message_dict) == ["subject"]


# --- Derived vs reported -------------------------------------------------------------------


@pytest.fixture
def national():
    """The derived +9.4 % against the National Bureau of Statistics' reported figures."""
    online = MetricFactory(name_en="Online retail sales", name_zh="网络零售额")
    physical = MetricFactory(
        name_en="Physical-goods online retail sales", name_zh="实物商品网上零售额"
    )
    china = CountryFactory()
    nbs = SourceFactory(publisher="the National Bureau of Statistics")
    derived = figure(online, china, change="9.4", basis=Basis.DERIVED)
    reported = figure(online, china, "5195100000000", change="7.3", source=nbs)
    physical_reported = figure(physical, china, "4300000000000", change="14.3", source=nbs)
    return online, physical, derived, reported, physical_reported


def derived_rule(subject, reference, tolerance="0.5", **extra):
    return ValidationRuleFactory(
        kind=Kind.DERIVED,
        subject=subject,
        reference=reference,
        tolerance=Decimal(tolerance),
        **extra,
    )


class TestDerivedVsReported:
    def test_against_the_same_metric_both_figures_are_marked(self, national):
        online, _physical, derived, reported, _ = national
        derived_rule(online, online)
        [violation] = broken()
        assert violation.subject == derived
        assert violation.observations == [derived, reported]
        assert violation.difference == Decimal("2.1")
        assert violation.message == (
            "Online retail sales, derived: +9.4%; the National Bureau of Statistics reports "
            "+7.3% (Online retail sales), 2.1 pp apart (tolerance ±0.5 pp)."
        )
        marks = violation_messages(Observation.objects.all())
        assert set(marks) == {derived.pk, reported.pk}

    def test_against_another_metric(self, national):
        online, physical, derived, _reported, physical_reported = national
        derived_rule(online, physical)
        [violation] = broken()
        assert violation.observations == [derived, physical_reported]
        assert violation.difference == Decimal("4.9")
        assert "+14.3% (Physical-goods online retail sales)" in violation.message

    @pytest.mark.parametrize(("tolerance", "is_broken"), [("2.1", False), ("2.09", True)])
    def test_changes_within_the_tolerance_in_points(self, national, tolerance, is_broken):
        online = national[0]
        derived_rule(online, online, tolerance)
        assert bool(broken()) is is_broken

    def test_values_are_compared_when_a_figure_has_no_change(self):
        metric = MetricFactory()
        region = RegionFactory()
        derived_rule(metric, metric, "1000000000")
        figure(metric, region, "12000000000", change="20", basis=Basis.INFERRED)
        figure(metric, region, "10000000000")  # a level alone
        [violation] = broken()
        assert violation.compares_changes is False
        assert violation.difference == Decimal("2000000000")
        assert "inferred: 12 billion yuan" in violation.message
        assert "2 billion yuan apart (tolerance ±1 billion yuan)" in violation.message

    def test_a_value_exactly_at_the_tolerance_passes(self):
        metric = MetricFactory()
        region = RegionFactory()
        derived_rule(metric, metric, "2000000000")
        figure(metric, region, "12000000000", basis=Basis.DERIVED)
        figure(metric, region, "10000000000")
        assert broken() == []

    def test_nothing_to_compare_proves_nothing(self):
        metric = MetricFactory()
        region = RegionFactory()
        derived_rule(metric, metric)
        figure(metric, region, change="20", basis=Basis.DERIVED)
        figure(metric, region, "10000000000")  # a level against a change
        figure(metric, RegionFactory(), change="20", basis=Basis.DERIVED)  # nothing reported
        assert broken() == []

    def test_reported_figures_are_not_checked_against_themselves(self):
        metric = MetricFactory()
        derived_rule(metric, metric)
        figure(metric, RegionFactory(), "10", change="20")
        assert broken() == []

    def test_a_more_than_figure_proves_nothing(self):
        metric = MetricFactory()
        region = RegionFactory()
        derived_rule(metric, metric)
        figure(
            metric,
            region,
            "5",
            change="30",
            basis=Basis.DERIVED,
            value_qualifier=Qualifier.MORE_THAN,
        )
        figure(metric, region, "10", change="7")
        assert broken() == []

    def test_the_constraint_needs_a_reference(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ValidationRuleFactory(kind=Kind.DERIVED, reference=None)

    def test_units_must_match(self):
        rule = ValidationRuleFactory.build(
            kind=Kind.DERIVED, subject=MetricFactory(), reference=MetricFactory(share=True)
        )
        with pytest.raises(ValidationError) as error:
            rule.full_clean()
        assert list(error.value.message_dict) == ["reference"]


# --- Continuity ------------------------------------------------------------------------------


def ytd(year, month):
    return Period.year_to_date(year, month)


class TestContinuity:
    @pytest.fixture
    def rule(self):
        return ValidationRuleFactory(
            kind=Kind.CONTINUITY, reference=None, tolerance=Decimal("1000000000")
        )

    @pytest.mark.parametrize(
        ("april", "is_broken"), [("99000000000", False), ("98990000000", True)]
    )
    def test_a_later_figure_may_not_fall_beyond_the_tolerance(self, rule, april, is_broken):
        region = RegionFactory()
        march = figure(rule.subject, region, "100000000000", period=ytd(2020, 3))
        later = figure(rule.subject, region, april, period=ytd(2020, 4))
        figure(rule.subject, region, "130000000000", period=ytd(2020, 5))
        found = broken()
        assert bool(found) is is_broken
        if is_broken:
            [violation] = found
            assert violation.observations == [later, march]
            assert violation.message == (
                f"{rule.subject.name_en} falls from 100 billion yuan (Jan–Mar 2020) to 98.99 "
                "billion yuan (Jan–Apr 2020), though it counts from the start of the year "
                "(tolerance ±1 billion yuan)."
            )

    def test_a_new_year_starts_again(self, rule):
        region = RegionFactory()
        figure(rule.subject, region, "500", period=ytd(2019, 12))
        figure(rule.subject, region, "50", period=ytd(2020, 1))
        assert broken() == []

    def test_single_months_and_other_regions_are_not_in_the_series(self, rule):
        region = RegionFactory()
        figure(rule.subject, region, "100", period=ytd(2020, 3))
        figure(rule.subject, region, "1", period=Period.month(2020, 4))
        figure(rule.subject, RegionFactory(), "1", period=ytd(2020, 4))
        assert broken() == []

    def test_a_less_than_figure_proves_nothing(self, rule):
        region = RegionFactory()
        figure(rule.subject, region, "100", period=ytd(2020, 3))
        figure(rule.subject, region, "1", period=ytd(2020, 4), value_qualifier=Qualifier.LESS_THAN)
        assert broken() == []

    def test_the_reported_figure_of_a_period_is_followed(self, rule):
        region = RegionFactory()
        figure(rule.subject, region, "100", period=ytd(2020, 3))
        figure(rule.subject, region, "120", period=ytd(2020, 4))
        figure(rule.subject, region, "50", period=ytd(2020, 4), basis=Basis.DERIVED)
        assert broken() == []

    def test_the_subject_is_cumulative(self):
        rule = ValidationRuleFactory.build(
            kind=Kind.CONTINUITY, subject=MetricFactory(is_cumulative=False), reference=None
        )
        with pytest.raises(ValidationError) as error:
            rule.full_clean()
        assert list(error.value.message_dict) == ["subject"]

    def test_the_constraint_refuses_a_reference(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ValidationRuleFactory(kind=Kind.CONTINUITY)


# --- Which metrics each kind takes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reference", "denominator", "allowed"),
    [
        (Kind.AT_MOST, True, False, True),
        (Kind.AT_MOST, False, False, False),
        (Kind.AT_MOST, True, True, False),
        (Kind.AT_LEAST, True, False, True),
        (Kind.AT_LEAST, False, False, False),
        (Kind.RATIO, True, True, True),
        (Kind.RATIO, True, False, False),
        (Kind.RATIO, False, True, False),
        (Kind.SUM_OF_PARTS, False, False, True),
        (Kind.SUM_OF_PARTS, True, False, False),
        (Kind.SUM_OF_PARTS, False, True, False),
        (Kind.DERIVED, True, False, True),
        (Kind.DERIVED, False, False, False),
        (Kind.DERIVED, True, True, False),
        (Kind.CONTINUITY, False, False, True),
        (Kind.CONTINUITY, True, False, False),
        ("guess", False, False, False),
    ],
)
def test_the_constraints_give_each_kind_its_metrics(kind, reference, denominator, allowed):
    fields = {
        "kind": kind,
        "reference": MetricFactory() if reference else None,
        "denominator": MetricFactory() if denominator else None,
    }
    if allowed:
        assert ValidationRuleFactory(**fields).pk
        return
    with pytest.raises(IntegrityError), transaction.atomic():
        ValidationRuleFactory(**fields)


@pytest.mark.parametrize(
    ("kind", "reference", "denominator", "field"),
    [
        (Kind.AT_MOST, False, False, "reference"),
        (Kind.DERIVED, False, False, "reference"),
        (Kind.SUM_OF_PARTS, True, False, "reference"),
        (Kind.CONTINUITY, False, True, "denominator"),
        (Kind.RATIO, True, False, "denominator"),
    ],
)
def test_clean_says_which_field_a_kind_needs_or_refuses(kind, reference, denominator, field):
    rule = ValidationRuleFactory.build(
        kind=kind,
        subject=MetricFactory(share=kind == Kind.RATIO),
        reference=MetricFactory() if reference else None,
        denominator=MetricFactory() if denominator else None,
    )
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert list(error.value.message_dict) == [field]


# --- Messages in both languages ----------------------------------------------------------------


class TestMessages:
    @pytest.fixture
    def violation(self):
        rule = ValidationRuleFactory(
            message_en="{subject} in {region}, {period}: {value} > {expected} (±{tolerance}).",
            message_zh="{region}{period}{subject}为{value}，超过{expected}（容差±{tolerance}）。",
            subject=MetricFactory(name_en="Rural sales", name_zh="农村销售额"),
        )
        region = RegionFactory(name_en="Linfen", name_zh="临汾")
        figure(rule.subject, region, "12000000000")
        figure(rule.reference, region, "10000000000")
        [violation] = broken()
        return violation

    def test_english(self, violation):
        assert violation.message == (
            "Rural sales in Linfen, Jan–Jun 2020: 12 billion yuan > 10 billion yuan (±0 yuan)."
        )

    def test_chinese_when_chinese_is_active(self, violation):
        with translation.override("zh-hans"):
            message = violation.message
        assert message.startswith("临汾")
        assert "农村销售额为120亿元，超过100亿元" in message

    def test_a_blank_chinese_message_falls_back_to_the_english_one(self, violation):
        violation.rule.message_zh = ""
        with translation.override("zh-hans"):
            assert violation.message.startswith("农村销售额 in 临汾")

    def test_blank_messages_are_the_kinds_standard_one(self, violation):
        violation.rule.message_en = violation.rule.message_zh = ""
        assert "exceeds" in violation.message

    def test_an_unknown_placeholder_stays_visible(self, violation):
        violation.rule.message_en = "{subject}: {valeu} {value:>3} {"
        assert violation.message == "{subject}: {valeu} {value:>3} {"  # does not parse: as is
        violation.rule.message_en = "{subject}: {valeu}"
        assert violation.message == "Rural sales: {valeu}"

    @pytest.mark.parametrize(
        ("field", "template", "error"),
        [
            ("message_en", "{subject} is {valeu}", "Unknown placeholder {valeu}."),
            ("message_zh", "{subject.name_en}", "Unknown placeholder {subject.name_en}."),
            ("message_en", "{subject", "Write placeholders in single braces"),
        ],
    )
    def test_clean_refuses_what_it_cannot_fill(self, field, template, error):
        rule = ValidationRuleFactory.build(
            subject=MetricFactory(), reference=MetricFactory(), **{field: template}
        )
        with pytest.raises(ValidationError) as raised:
            rule.full_clean()
        assert raised.value.message_dict[field][0].startswith(error)

    def test_known_placeholders_pass_clean(self):
        rule = ValidationRuleFactory.build(
            subject=MetricFactory(),
            reference=MetricFactory(),
            message_en="{subject} {value} {expected} {difference} {tolerance} {region} {period}",
            message_zh="{{literal}} {reference} {source} {basis}",
        )
        rule.full_clean()


# --- Pages that mark figures -------------------------------------------------------------------


def every_kind():
    """Published rules of every grouping over one cumulative metric, and its province."""
    metric = MetricFactory()
    other = MetricFactory()
    for kind, reference in [
        (Kind.AT_MOST, other),
        (Kind.DERIVED, metric),
        (Kind.SUM_OF_PARTS, None),
        (Kind.CONTINUITY, None),
    ]:
        ValidationRuleFactory(kind=kind, subject=metric, reference=reference)
    return metric, other, ProvinceFactory()


def published(metric, region, value, period=H1_2020, **extra):
    return figure(metric, region, value, period=period, published=True, **extra)


def test_marks_cost_the_same_queries_for_2_or_20_figures():
    metric, other, province = every_kind()
    cities = [RegionFactory(parent=province) for _ in range(10)]
    shown = []
    for city in cities:
        shown.append(published(metric, city, "10", period=ytd(2020, 5)))
        shown.append(published(metric, city, "9", period=ytd(2020, 6)))  # falls
        published(other, city, "5", period=ytd(2020, 6))

    def count(observations):
        observations = list(
            Observation.objects.filter(pk__in=[o.pk for o in observations]).for_list()
        )
        for cache in caches.all():  # both counts read the rules afresh
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            marks = violations_by_observation(observations)
        return len(queries), marks

    few, few_marks = count(shown[:2])
    many, many_marks = count(shown)
    assert few == many
    assert set(many_marks) == {o.pk for o in shown}
    assert set(few_marks) == {o.pk for o in shown[:2]}


def test_a_page_marks_a_part_of_a_broken_sum_and_a_fall_earlier_in_the_year():
    metric, _other, province = every_kind()
    city = RegionFactory(parent=province)
    published(metric, province, "10")
    part = published(metric, city, "25")
    earlier = published(metric, city, "30", period=ytd(2020, 2))
    marks = violations_by_observation([part])
    assert len(marks[part.pk]) == 2  # the sum of parts and the fall since February
    assert earlier.pk not in marks  # only the figures shown are marked


def test_a_drafted_figure_is_not_read_by_a_public_page():
    metric, _other, province = every_kind()
    city = RegionFactory(parent=province)
    figure(metric, province, "10")  # a draft
    part = published(metric, city, "25")
    assert violations_by_observation([part]) == {}


# --- Staff: the admin and the data-quality page --------------------------------------------------


def test_the_admin_form_lists_the_placeholders(admin_client):
    html = admin_client.get(reverse("admin:metrics_validationrule_add")).content.decode()
    assert "<code>{difference}</code>" in html
    assert "Continuity: a year-to-date series never falls" in html


def test_a_rule_added_in_the_admin_is_a_draft_until_reviewed(admin_client):
    subject = MetricFactory()
    response = admin_client.post(
        reverse("admin:metrics_validationrule_add"),
        {
            "slug": "ytd-never-falls",
            "name_en": "Year to date never falls",
            "kind": Kind.CONTINUITY,
            "subject": subject.pk,
            "tolerance": "0",
            "message_en": "{subject} fell to {value} in {period}",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = ValidationRule.objects.get(slug="ytd-never-falls")
    assert rule.publication_state == PublicationState.DRAFT
    assert rule.reference is None


def test_the_admin_refuses_an_unknown_placeholder(admin_client):
    response = admin_client.post(
        reverse("admin:metrics_validationrule_add"),
        {
            "slug": "bad",
            "name_en": "Bad",
            "kind": Kind.CONTINUITY,
            "subject": MetricFactory().pk,
            "tolerance": "0",
            "message_en": "{subject} fell to {vlaue}",
        },
    )
    assert response.status_code == 200
    assert "Unknown placeholder {vlaue}." in response.content.decode()
    assert not ValidationRule.objects.filter(slug="bad").exists()


def test_the_quality_page_links_every_figure_of_a_sum(admin_client):
    rule = ValidationRuleFactory(kind=Kind.SUM_OF_PARTS, reference=None)
    province = ProvinceFactory()
    whole = figure(rule.subject, province, "10")
    parts = [figure(rule.subject, RegionFactory(parent=province), "6") for _ in range(2)]
    html = admin_client.get(reverse("admin:quality")).content.decode()
    assert "the 2 regions below add up to" in html
    for observation in [whole, *parts]:
        assert reverse("admin:metrics_observation_change", args=[observation.pk]) in html
        assert f"{observation.region.name_en}, Jan–Jun 2020" in html  # which figure it is


def test_a_public_figure_links_the_figures_it_disagrees_with(client):
    metric = MetricFactory(name_en="Online retail sales")
    derived_rule(metric, metric)
    china = CountryFactory()
    derived = published(metric, china, None, change="9.4", basis=Basis.DERIVED)
    reported = published(metric, china, "5195100000000", change="7.3")
    html = client.get(derived.get_absolute_url()).content.decode()
    assert "Online retail sales, derived: +9.4%" in html
    assert f'href="{reported.get_absolute_url()}"' in html
    html = client.get(reported.get_absolute_url()).content.decode()
    assert f'href="{derived.get_absolute_url()}"' in html
    assert "Online retail sales, China, Jan–Jun 2020 (derived)" in html
