import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from metrics.formatting import Qualifier, Unit
from metrics.models import (
    Metric,
    Observation,
    PublicationState,
    Region,
    ValidationRule,
    attach_comparisons,
    find_violations,
)
from metrics.periods import Period, PeriodType
from metrics.workflow import steps
from metrics.workflow.steps import StepRefused
from tests.factories import (
    CountryFactory,
    CountyFactory,
    MetricFactory,
    ObservationFactory,
    ProvinceFactory,
    RegionFactory,
    SuperuserFactory,
    ValidationRuleFactory,
)

SEED_REGIONS = Path("/work/shared/seed/shanxi-regions.csv")

pytestmark = pytest.mark.django_db


def linfen_county_codes() -> set[str]:
    with SEED_REGIONS.open(encoding="utf-8") as file:
        return {row["code"] for row in csv.DictReader(file) if row["parent_code"] == "141000"}


# --- Regions ----------------------------------------------------------------------


@pytest.mark.usefixtures("shanxi_once")
class TestRegionTree:
    def test_path_lists_the_codes_from_the_top_down(self):
        county = CountyFactory()
        prefecture, province = county.parent, county.parent.parent
        assert county.path == f"100000/{province.code}/{prefecture.code}/{county.code}/"
        assert county.depth == 4

    def test_in_region_is_the_region_and_everything_below_it_in_one_query(
        self, django_assert_num_queries
    ):
        linfen = Region.objects.get(code="141000")
        with django_assert_num_queries(1):
            codes = [region.code for region in Region.objects.in_region(linfen)]
        assert len(codes) == 18
        assert set(codes) == {"141000"} | linfen_county_codes()

    def test_in_region_of_the_province_leaves_out_the_country(self):
        shanxi_region = Region.objects.get(code="140000")
        codes = set(Region.objects.in_region(shanxi_region).values_list("code", flat=True))
        assert "100000" not in codes
        assert len(codes) == 1 + 11 + 17

    def test_ancestors_top_first(self):
        houma = Region.objects.get(code="141081")
        assert [r.code for r in Region.objects.ancestors_of(houma)] == [
            "100000",
            "140000",
            "141000",
        ]

    def test_observations_in_region_cover_the_subtree(self):
        linfen = Region.objects.get(code="141000")
        slugs = set(Observation.objects.in_region(linfen).values_list("metric__slug", flat=True))
        assert slugs == {"livestream-campaign-sales"}

    def test_saving_a_region_under_a_new_parent_moves_its_subtree(self):
        county = CountyFactory()
        prefecture = county.parent
        new_province = ProvinceFactory()
        prefecture.parent = new_province
        prefecture.save()  # no form, no screen: the model keeps the paths right
        county.refresh_from_db()
        assert prefecture.path == f"{new_province.path}{prefecture.code}/"
        assert county.path == f"{new_province.path}{prefecture.code}/{county.code}/"
        assert list(Region.objects.in_region(new_province)) == [new_province, prefecture, county]

    def test_a_new_code_moves_the_subtree_too(self):
        county = CountyFactory()
        prefecture = county.parent
        prefecture.code = "799900"
        prefecture.save()
        county.refresh_from_db()
        assert county.path.endswith(f"/799900/{county.code}/")

    @pytest.mark.parametrize(
        ("level", "parent_factory", "message"),
        [
            (
                Region.Level.COUNTY,
                ProvinceFactory,
                "The parent of a county-level division must be a prefecture-level city.",
            ),
            (
                Region.Level.PREFECTURE,
                CountryFactory,
                "The parent of a prefecture-level city must be a province.",
            ),
            (
                Region.Level.PROVINCE,
                RegionFactory,
                "The parent of a province must be a country.",
            ),
        ],
    )
    def test_parent_must_be_one_level_up(self, level, parent_factory, message):
        region = Region(code="799999", name_en="Misplaced", level=level, parent=parent_factory())
        with pytest.raises(ValidationError) as error:
            region.full_clean()
        assert error.value.message_dict["parent"] == [message]

    @pytest.mark.parametrize("code", ["14100", "1410001", "041000", "14a000", "14100 "])
    def test_database_rejects_a_malformed_code(self, code):
        china = CountryFactory()
        with pytest.raises((IntegrityError, DataError)), transaction.atomic():
            Region.objects.create(
                code=code, name_en="Bad", level="province", parent=china, path=f"100000/{code}/"
            )

    def test_database_requires_a_parent_below_the_country(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Region.objects.create(code="799998", name_en="Orphan", level="province", path="x/")


# --- Observations: rules ---------------------------------------------------------


class TestObservationRules:
    def test_a_factory_observation_is_valid(self):
        ObservationFactory().full_clean()

    def test_quarter_not_aligned_to_a_quarter(self):
        observation = ObservationFactory.build(
            period_type=PeriodType.QUARTER,
            period_start=date(2020, 2, 1),
            period_end=date(2020, 4, 30),
        )
        with pytest.raises(ValidationError) as error:
            observation.full_clean(exclude=["metric", "region", "source"])
        assert "A quarter period must start" in error.value.message_dict["period_end"][0]

    def test_derived_figure_says_how(self):
        observation = ObservationFactory(basis="derived", basis_note=" ")
        with pytest.raises(ValidationError) as error:
            observation.full_clean()
        assert error.value.message_dict["basis_note"] == ["Say how it was worked out."]

    def test_inferred_figure_gives_its_reasoning(self):
        observation = ObservationFactory(basis="inferred", basis_note="")
        with pytest.raises(ValidationError) as error:
            observation.full_clean()
        assert error.value.message_dict["basis_note"] == [
            "Give the reasoning: the source does not say this."
        ]

    @pytest.mark.parametrize("value", [Decimal("-0.1"), Decimal("100.01"), Decimal("157.7")])
    def test_share_out_of_bounds_is_a_form_error(self, value):
        observation = ObservationFactory.build(
            metric=MetricFactory(share=True), region=RegionFactory(), source=None, value=value
        )
        with pytest.raises(ValidationError) as error:
            observation.full_clean()
        assert error.value.message_dict["value"] == [
            "A share of a whole lies between 0 and 100 percent."
        ]

    @pytest.mark.parametrize("value", [Decimal("0"), Decimal("31.3"), Decimal("100")])
    def test_share_within_bounds_is_fine(self, value):
        ObservationFactory(metric=MetricFactory(share=True), value=value).full_clean()


class TestDatabaseConstraints:
    """The database refuses what slips past forms: direct writes, raw SQL, bulk updates."""

    def test_share_trigger_rejects_an_insert(self):
        share = MetricFactory(share=True)
        with pytest.raises(IntegrityError, match="share of a whole"), transaction.atomic():
            Observation.objects.create(
                metric=share,
                region=RegionFactory(),
                period_type=PeriodType.YEAR,
                period_start=date(2019, 1, 1),
                period_end=date(2019, 12, 31),
                value=Decimal("157.7"),
            )
        assert not Observation.objects.exists()

    @pytest.mark.parametrize("value", [Decimal("-1"), Decimal("100.5")])
    def test_share_trigger_rejects_an_update(self, value):
        observation = ObservationFactory(metric=MetricFactory(share=True), value=Decimal("31.3"))
        with pytest.raises(IntegrityError, match="share of a whole"), transaction.atomic():
            Observation.objects.filter(pk=observation.pk).update(value=value)
        observation.refresh_from_db()
        assert observation.value == Decimal("31.3")

    def test_share_trigger_rejects_saving_a_bad_value(self):
        observation = ObservationFactory(metric=MetricFactory(share=True), value=Decimal("31.3"))
        observation.value = Decimal("101")
        with pytest.raises(IntegrityError), transaction.atomic():
            observation.save()

    def test_share_trigger_leaves_other_metrics_alone(self):
        observation = ObservationFactory(value=Decimal("10770000000"))
        Observation.objects.filter(pk=observation.pk).update(value=Decimal("-5"))
        observation.refresh_from_db()
        assert observation.value == Decimal("-5")

    def test_metric_cannot_become_a_share_while_its_values_are_out_of_bounds(self):
        percent = MetricFactory(unit=Unit.PERCENT, display_scale=0)
        ObservationFactory(metric=percent, value=Decimal("150"), yoy_change=None)
        with pytest.raises(IntegrityError), transaction.atomic():
            Metric.objects.filter(pk=percent.pk).update(is_share=True)
        percent.refresh_from_db()
        assert percent.is_share is False

    @pytest.mark.parametrize(
        "fields",
        [
            {"period_start": date(2020, 6, 30), "period_end": date(2020, 1, 1)},
            {"value": None, "yoy_change": None},
            {"value": None, "value_qualifier": Qualifier.MORE_THAN},
            {"publication_state": PublicationState.PUBLISHED, "source": None},
            {"publication_state": PublicationState.PUBLISHED, "source_quote": ""},
        ],
        ids=["period-order", "value-or-change", "qualifier-needs-value", "no-source", "no-quote"],
    )
    def test_observation_check_constraints(self, fields):
        with pytest.raises(IntegrityError), transaction.atomic():
            ObservationFactory(**fields)
        assert not Observation.objects.exists()

    def test_one_observation_per_metric_region_and_period(self):
        first = ObservationFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            ObservationFactory(metric=first.metric, region=first.region, yoy_change=Decimal("1"))
        assert Observation.objects.count() == 1

    def test_ratio_rule_needs_a_denominator(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ValidationRuleFactory(ratio=True, denominator=None)

    def test_share_metric_is_in_percent(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            MetricFactory(unit=Unit.YUAN, is_share=True)


# --- Observations: the read API ------------------------------------------------------


def _series(metric, region, *, prior, current, reported, prior_state="published"):
    """Jan-Feb 2019 and Jan-Feb 2020: 2020 is a leap year, so its period ends 29 Feb."""
    ObservationFactory(
        metric=metric,
        region=region,
        period=Period.year_to_date(2019, 2),
        value=prior,
        yoy_change=None,
        publication_state=prior_state,
    )
    return ObservationFactory(
        metric=metric,
        region=region,
        period=Period.year_to_date(2020, 2),
        value=current,
        yoy_change=reported,
        published=True,
    )


class TestYearOnYear:
    @pytest.mark.parametrize(
        ("start", "end", "prior_start", "prior_end"),
        [
            (date(2021, 2, 1), date(2021, 2, 28), date(2020, 2, 1), date(2020, 2, 29)),
            (date(2020, 2, 29), date(2020, 3, 5), date(2019, 2, 28), date(2019, 3, 5)),
            (date(2020, 5, 1), date(2020, 5, 9), date(2019, 5, 1), date(2019, 5, 9)),
        ],
    )
    def test_python_and_the_database_agree_on_the_year_earlier(
        self, start, end, prior_start, prior_end
    ):
        period = Period.custom(start, end)
        assert period.prior_year() == Period.custom(prior_start, prior_end)
        metric, region = MetricFactory(), RegionFactory()
        ObservationFactory(
            metric=metric,
            region=region,
            period=period.prior_year(),
            value=Decimal("100"),
            yoy_change=None,
            published=True,
        )
        current = ObservationFactory(
            metric=metric, region=region, period=period, value=Decimal("110"), published=True
        )
        annotated = Observation.objects.with_prior_year().get(pk=current.pk)
        assert annotated.computed_change == Decimal("10.0")

    def test_prior_year_value_across_29_february(self):
        metric, region = MetricFactory(), RegionFactory()
        current = _series(
            metric, region, prior=Decimal("100"), current=Decimal("123.7"), reported=Decimal("23.7")
        )
        assert current.period_end == date(2020, 2, 29)
        annotated = Observation.objects.with_prior_year().get(pk=current.pk)
        assert annotated.prior_year_value == Decimal("100")
        assert annotated.computed_change == Decimal("23.7")
        assert annotated.formatted_computed_change == "+23.7%"
        assert annotated.change_mismatch is False

    @pytest.mark.parametrize(
        ("reported", "mismatch"),
        [
            (Decimal("23.7"), False),
            (Decimal("23.9"), False),  # 0.2 points off: within the tolerance
            (Decimal("23.5"), False),
            (Decimal("24.0"), True),
            (Decimal("23.4"), True),
            (Decimal("5.9"), True),
        ],
    )
    def test_change_mismatch_beyond_the_tolerance(self, reported, mismatch):
        current = _series(
            MetricFactory(),
            RegionFactory(),
            prior=Decimal("100"),
            current=Decimal("123.7"),
            reported=reported,
        )
        assert Observation.objects.with_prior_year().get(pk=current.pk).change_mismatch is mismatch

    def test_unpublished_prior_year_is_not_used_unless_asked(self):
        current = _series(
            MetricFactory(),
            RegionFactory(),
            prior=Decimal("100"),
            current=Decimal("150"),
            reported=Decimal("23.7"),
            prior_state=PublicationState.DRAFT,
        )
        public = Observation.objects.with_prior_year().get(pk=current.pk)
        assert public.prior_year_value is None
        assert public.computed_change is None
        assert public.change_mismatch is False
        staff = Observation.objects.with_prior_year(published_only=False).get(pk=current.pk)
        assert staff.computed_change == Decimal("50.0")
        assert staff.change_mismatch is True
        # The pages compute the same for the rows they show, in one query.
        (page_row,) = attach_comparisons([Observation.objects.get(pk=current.pk)])
        assert page_row.prior_year_value is None
        (staff_row,) = attach_comparisons(
            [Observation.objects.get(pk=current.pk)], published_only=False
        )
        assert staff_row.prior_year_value == Decimal("100")

    def test_other_regions_and_metrics_are_not_last_year(self):
        metric, region = MetricFactory(), RegionFactory()
        ObservationFactory(metric=metric, region=RegionFactory(), period=Period.year(2019))
        ObservationFactory(metric=MetricFactory(), region=region, period=Period.year(2019))
        current = ObservationFactory(metric=metric, region=region, period=Period.year(2020))
        assert Observation.objects.with_prior_year().get(pk=current.pk).prior_year_value is None

    def test_a_more_than_figure_is_not_compared(self):
        metric, region = MetricFactory(), RegionFactory()
        ObservationFactory(
            metric=metric,
            region=region,
            period=Period.year(2019),
            value=Decimal("100"),
            value_qualifier=Qualifier.MORE_THAN,
            published=True,
        )
        current = ObservationFactory(
            metric=metric, region=region, period=Period.year(2020), published=True
        )
        assert Observation.objects.with_prior_year().get(pk=current.pk).prior_year_value is None


@pytest.mark.usefixtures("shanxi_once")
class TestNationalComparison:
    def test_the_seed_is_compared_with_the_bureau_s_figure_not_the_derived_one(self):
        # The article's "14.3 points higher" implies +9.4 %; the bureau reports +7.3 %.
        (shanxi_sales,) = attach_comparisons(
            Observation.objects.filter(metric__slug="online-retail-sales", region__code="140000")
        )
        assert shanxi_sales.national_change == Decimal("7.3")
        assert shanxi_sales.national_gap == Decimal("16.4")
        assert shanxi_sales.formatted_national_gap == "+16.4 pp vs national"

    def test_the_country_has_no_gap_to_itself(self):
        national = attach_comparisons(
            Observation.objects.filter(metric__slug="online-retail-sales", region__code="100000")
        )
        assert len(national) == 2  # the bureau's and the one derived from the article
        assert [figure.national_gap for figure in national] == [None, None]

    def test_an_unpublished_national_figure_is_not_compared(self):
        metric = MetricFactory()
        ObservationFactory(metric=metric, region=CountryFactory(), value=None)
        provincial = ObservationFactory(metric=metric, region=ProvinceFactory(), published=True)
        (annotated,) = attach_comparisons([provincial])
        assert annotated.national_gap is None
        (staff,) = attach_comparisons([provincial], published_only=False)
        assert staff.national_gap == Decimal("0")


class TestPublication:
    def test_published_hides_drafts_reviews_and_withdrawals(self):
        shown = ObservationFactory(published=True)
        for state in (
            PublicationState.DRAFT,
            PublicationState.IN_REVIEW,
            PublicationState.WITHDRAWN,
        ):
            ObservationFactory(publication_state=state)
        assert list(Observation.objects.published()) == [shown]

    def test_the_workflow_refuses_skipping_review(self):
        observation = ObservationFactory()
        with pytest.raises(StepRefused, match="is draft, so it cannot be given the step"):
            steps.publish(records=[observation], user=SuperuserFactory())
        observation.refresh_from_db()
        assert observation.publication_state == PublicationState.DRAFT
        assert observation.published_at is None


# --- Validation rules -------------------------------------------------------------------


class TestValidationRules:
    def test_the_seed_breaks_the_rural_share_rule_and_the_bureau_contradicts_the_derivation(
        self, shanxi
    ):
        violations = {v.rule.slug: v for v in find_violations()}
        assert sorted(violations) == [
            "derived-national-online-growth-matches-physical-goods",
            "derived-national-online-growth-matches-reported",
            "rural-share-matches-sales",
        ]
        for slug in ("reported", "physical-goods"):
            derived = violations[f"derived-national-online-growth-matches-{slug}"]
            assert derived.subject.basis == "derived"
            assert derived.subject.yoy_change == Decimal("9.4")
            assert {o.source.slug for o in derived.others} == {"nbs-2020-07-16-national-economy-h1"}
        violation = violations["rural-share-matches-sales"]
        assert violation.subject.value == Decimal("31.3")
        assert violation.expected == Decimal("57.7")
        assert violation.subject.region.code == "140000"
        assert "31.3%" in violation.message
        assert "57.7%" in violation.message

    def test_at_most_is_broken_when_the_part_exceeds_the_whole(self):
        rule = ValidationRuleFactory()
        region = RegionFactory()
        part = ObservationFactory(metric=rule.subject, region=region, value=Decimal("12"))
        ObservationFactory(metric=rule.reference, region=region, value=Decimal("10"))
        [violation] = find_violations()
        assert violation.subject == part
        assert violation.expected == Decimal("10")
        assert "exceeds" in violation.message

    def test_at_most_holds_when_the_part_is_smaller(self):
        rule = ValidationRuleFactory()
        region = RegionFactory()
        ObservationFactory(metric=rule.subject, region=region, value=Decimal("6.21"))
        ObservationFactory(metric=rule.reference, region=region, value=Decimal("10.77"))
        assert list(find_violations()) == []

    @pytest.mark.parametrize(("share", "broken"), [("57.7", False), ("58.6", False), ("59", True)])
    def test_ratio_within_its_tolerance(self, share, broken):
        rule = ValidationRuleFactory(ratio=True, tolerance=Decimal("1.0"))
        region = RegionFactory()
        ObservationFactory(metric=rule.subject, region=region, value=Decimal(share))
        ObservationFactory(metric=rule.reference, region=region, value=Decimal("6210000000"))
        ObservationFactory(metric=rule.denominator, region=region, value=Decimal("10770000000"))
        assert bool(list(find_violations())) is broken

    def test_figures_of_different_regions_or_periods_are_not_compared(self):
        rule = ValidationRuleFactory()
        ObservationFactory(metric=rule.subject, value=Decimal("12"))
        ObservationFactory(metric=rule.reference, value=Decimal("10"))
        region = RegionFactory()
        ObservationFactory(
            metric=rule.subject, region=region, period=Period.year(2019), value=Decimal("12")
        )
        ObservationFactory(metric=rule.reference, region=region, value=Decimal("10"))
        assert list(find_violations()) == []

    def test_more_than_figures_prove_nothing(self):
        rule = ValidationRuleFactory()
        region = RegionFactory()
        ObservationFactory(
            metric=rule.subject,
            region=region,
            value=Decimal("12"),
            value_qualifier=Qualifier.MORE_THAN,
        )
        ObservationFactory(metric=rule.reference, region=region, value=Decimal("10"))
        assert list(find_violations()) == []

    def test_inactive_rules_are_not_checked(self):
        rule = ValidationRuleFactory(is_active=False)
        region = RegionFactory()
        ObservationFactory(metric=rule.subject, region=region, value=Decimal("12"))
        ObservationFactory(metric=rule.reference, region=region, value=Decimal("10"))
        assert list(find_violations()) == []

    def test_ratio_subject_is_a_percentage(self):
        rule = ValidationRuleFactory.build(
            kind=ValidationRule.Kind.RATIO,
            subject=MetricFactory(),
            reference=MetricFactory(),
            denominator=MetricFactory(),
        )
        with pytest.raises(ValidationError) as error:
            rule.full_clean()
        assert error.value.message_dict["subject"] == ["The subject of a ratio is a percentage."]

    def test_at_most_compares_the_same_unit(self):
        rule = ValidationRuleFactory.build(
            subject=MetricFactory(), reference=MetricFactory(unit=Unit.US_DOLLAR)
        )
        with pytest.raises(ValidationError) as error:
            rule.full_clean()
        assert error.value.message_dict["reference"] == [
            "Compare metrics measured in the same unit."
        ]
