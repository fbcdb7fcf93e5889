from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from metrics.models import PublicationState
from programs.models import Activity, Outcome, Program
from tests.factories import (
    ActivityFactory,
    CountyFactory,
    ObservationFactory,
    OrganisationFactory,
    OutcomeFactory,
    PartnershipFactory,
    ProgramFactory,
    ProgramSourceFactory,
    RegionFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db


# --- The read API ---------------------------------------------------------------------


class TestProgramQuerySet:
    def test_published_hides_drafts_reviews_and_withdrawals(self):
        shown = ProgramFactory(published=True)
        for state in (
            PublicationState.DRAFT,
            PublicationState.IN_REVIEW,
            PublicationState.WITHDRAWN,
        ):
            ProgramFactory(publication_state=state)
        assert list(Program.objects.published()) == [shown]

    def test_in_region_covers_the_subtree_without_duplicates(self):
        first_county = CountyFactory()
        prefecture = first_county.parent
        second_county = CountyFactory(parent=prefecture)
        elsewhere = CountyFactory()
        in_two_counties = ProgramFactory(regions=[first_county, second_county])
        at_prefecture_level = ProgramFactory(regions=[prefecture])
        ProgramFactory(regions=[elsewhere])
        ProgramFactory()
        assert set(Program.objects.in_region(prefecture)) == {
            in_two_counties,
            at_prefecture_level,
        }
        assert Program.objects.in_region(prefecture).count() == 2
        assert list(Program.objects.in_region(first_county)) == [in_two_counties]

    def test_with_partner_and_in_sector(self):
        partnership = PartnershipFactory()
        sector = SectorFactory()
        in_sector = ProgramFactory(sectors=[sector, SectorFactory()])
        ProgramFactory()
        assert list(Program.objects.with_partner(partnership.organisation)) == [partnership.program]
        assert list(Program.objects.in_sector(sector)) == [in_sector]

    def test_active_in_year_counts_open_ends_as_running(self):
        during = ProgramFactory(start_date=date(2020, 5, 1), end_date=date(2020, 5, 10))
        open_ended = ProgramFactory(start_date=date(2019, 1, 1), end_date=None)
        open_start = ProgramFactory(start_date=None, end_date=date(2020, 1, 1))
        ProgramFactory(start_date=None, end_date=None)
        ProgramFactory(start_date=date(2021, 1, 1), end_date=None)
        ProgramFactory(start_date=date(2018, 1, 1), end_date=date(2019, 12, 31))
        assert set(Program.objects.active_in_year(2020)) == {during, open_ended, open_start}

    def test_currently_active(self):
        active = ProgramFactory(status=Program.Status.ACTIVE)
        ProgramFactory(status=Program.Status.SUSPENDED)
        assert list(Program.objects.currently_active()) == [active]

    def test_for_list_reads_in_a_fixed_number_of_queries(self, django_assert_num_queries):
        busy = ProgramFactory(regions=[RegionFactory(), RegionFactory()])
        OutcomeFactory.create_batch(3, program=busy)
        quiet = ProgramFactory()
        with django_assert_num_queries(2):  # programs, then their regions
            programs = {program.pk: program for program in Program.objects.for_list()}
            assert programs[busy.pk].outcome_count == 3
            assert programs[quiet.pk].outcome_count == 0
            assert len(programs[busy.pk].listed_regions) == 2
            assert programs[busy.pk].lead_organisation.name_en


class TestSortKeys:
    """The list's sort keys follow outcomes and regions, however they are written."""

    def test_outcome_count_follows_outcomes(self):
        program, other = ProgramFactory(), ProgramFactory()
        first, second = OutcomeFactory.create_batch(2, program=program)
        program.refresh_from_db()
        assert program.outcome_count == 2
        second.program = other
        second.save()
        first.delete()
        program.refresh_from_db()
        other.refresh_from_db()
        assert (program.outcome_count, other.outcome_count) == (0, 1)

    def test_a_stale_copy_saved_later_does_not_undo_the_count(self):
        program = ProgramFactory()
        stale = Program.objects.get(pk=program.pk)
        OutcomeFactory(program=program)
        stale.title_en = "Renamed"
        stale.save()
        assert Program.objects.get(pk=program.pk).outcome_count == 1

    def test_region_key_is_the_highest_region_in_tree_order(self):
        city = RegionFactory(code="730000")
        county = CountyFactory(parent=city, code="730102")
        program = ProgramFactory(regions=[county])
        program.refresh_from_db()
        assert program.region_sort_key == "730102"
        program.regions.add(city)
        program.refresh_from_db()
        assert program.region_sort_key == "730000"
        program.regions.clear()
        program.refresh_from_db()
        assert program.region_sort_key == ""

    def test_lead_organisation_name_follows_renames(self):
        organisation = OrganisationFactory(name_en="Alibaba", name_zh="阿里巴巴")
        program = ProgramFactory(lead_organisation=organisation)
        without_lead = ProgramFactory(lead_organisation=None)
        organisation.name_en = "Alibaba Group"
        organisation.save()
        program.refresh_from_db()
        without_lead.refresh_from_db()
        assert (program.lead_organisation_name_en, program.lead_organisation_name_zh) == (
            "Alibaba Group",
            "阿里巴巴",
        )
        assert without_lead.lead_organisation_name_en is None

    def test_links_written_in_bulk_update_the_keys(self):
        programs = ProgramFactory.create_batch(3)
        region = RegionFactory(code="741000")
        Program.regions.through.objects.bulk_create(
            Program.regions.through(program=program, region=region) for program in programs
        )
        metric = OutcomeFactory().metric
        Outcome.objects.bulk_create(
            OutcomeFactory.build(program=program, metric=metric, region=region)
            for program in programs
        )
        keys = set(
            Program.objects.filter(pk__in=[p.pk for p in programs]).values_list(
                "region_sort_key", "outcome_count"
            )
        )
        assert keys == {("741000", 1)}


# --- Rules --------------------------------------------------------------------------


class TestProgramRules:
    def test_a_factory_program_is_valid(self):
        ProgramFactory().full_clean()

    def test_a_program_cannot_be_part_of_itself_through_a_loop(self):
        policy = ProgramFactory()
        sub_program = ProgramFactory(parent=policy)
        policy.parent = sub_program
        with pytest.raises(ValidationError) as error:
            policy.full_clean()
        assert error.value.message_dict["parent"] == ["A program cannot be part of itself."]

    @pytest.mark.parametrize(
        "fields",
        [
            {"start_date": date(2020, 12, 31), "end_date": date(2020, 1, 1)},
            {"budget_yuan": Decimal("-0.01")},
        ],
        ids=["ends-before-it-starts", "negative-budget"],
    )
    def test_database_refuses_bad_dates_and_budgets(self, fields):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramFactory(**fields)
        assert not Program.objects.exists()

    def test_database_refuses_a_program_as_its_own_parent(self):
        program = ProgramFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            Program.objects.filter(pk=program.pk).update(parent=program)

    def test_budget_zero_and_open_dates_are_fine(self):
        ProgramFactory(budget_yuan=Decimal("0"), start_date=None, end_date=None).full_clean()

    def test_partnership_once_per_role(self):
        partnership = PartnershipFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            PartnershipFactory(program=partnership.program, organisation=partnership.organisation)
        # Another role for the same organisation is a different partnership.
        PartnershipFactory(
            program=partnership.program,
            organisation=partnership.organisation,
            role="technical_support",
        ).full_clean()

    def test_a_source_is_cited_once_per_program(self):
        citation = ProgramSourceFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramSourceFactory(program=citation.program, source=citation.source)


class TestOutcomeRules:
    def test_a_factory_outcome_is_valid(self):
        OutcomeFactory().full_clean()

    def test_a_target_needs_a_date(self):
        outcome = OutcomeFactory.build(
            program=ProgramFactory(),
            metric=ObservationFactory().metric,
            region=RegionFactory(),
            target_date=None,
        )
        with pytest.raises(ValidationError) as error:
            outcome.full_clean()
        assert "A target needs the date or period it is due by." in error.value.messages
        with pytest.raises(IntegrityError), transaction.atomic():
            outcome.save()

    def test_a_baseline_says_which_period(self):
        outcome = OutcomeFactory.build(
            program=ProgramFactory(),
            metric=ObservationFactory().metric,
            region=RegionFactory(),
            baseline_period_type="",
            baseline_period_start=None,
            baseline_period_end=None,
        )
        with pytest.raises(ValidationError) as error:
            outcome.full_clean()
        assert error.value.message_dict["baseline_period_end"] == [
            "Say which period the baseline is for."
        ]

    def test_a_misaligned_baseline_period(self):
        outcome = OutcomeFactory(baseline_period_end=date(2019, 12, 30))
        with pytest.raises(ValidationError) as error:
            outcome.full_clean()
        assert "A year period must start" in error.value.message_dict["baseline_period_end"][0]

    def test_the_target_goes_the_way_of_the_effect(self):
        outcome = OutcomeFactory(effect=Outcome.Effect.DECREASE)
        with pytest.raises(ValidationError) as error:
            outcome.full_clean()
        assert error.value.message_dict["target_value"] == [
            "The target moves the other way from the intended effect."
        ]

    def test_a_target_period_needs_its_start(self):
        outcome = OutcomeFactory(target_period_type="year", target_period_start=None)
        with pytest.raises(ValidationError) as error:
            outcome.full_clean()
        assert error.value.message_dict["target_period_start"] == [
            "A target period needs its start."
        ]

    @pytest.mark.parametrize(
        ("latest_value", "latest_end", "progress"),
        [
            (Decimal("14000000000"), date(2020, 12, 31), Decimal("50.0")),
            (Decimal("20000000000"), date(2021, 12, 31), Decimal("100.0")),
            (Decimal("6800000000"), date(2020, 12, 31), Decimal("-10.0")),
            # A figure from the baseline period itself shows no progress yet.
            (Decimal("14000000000"), date(2019, 12, 31), None),
            (None, date(2020, 12, 31), None),
        ],
    )
    def test_progress_from_baseline_to_target(self, latest_value, latest_end, progress):
        outcome = OutcomeFactory.build()  # 8 billion in 2019, 20 billion by 2022
        latest = ObservationFactory.build(
            value=latest_value, period_start=date(latest_end.year, 1, 1), period_end=latest_end
        )
        assert outcome.progress(latest) == progress

    def test_no_progress_without_a_target(self):
        outcome = OutcomeFactory.build(target_value=None, target_date=None)
        assert outcome.progress(ObservationFactory.build()) is None


class TestActivityRules:
    def test_a_factory_activity_is_valid(self):
        ActivityFactory().full_clean()

    def test_venue_types_come_from_the_list(self):
        activity = ActivityFactory(venue_types=["farmland", "moon"])
        with pytest.raises(ValidationError) as error:
            activity.full_clean()
        assert "Choose venue types from the list" in error.value.message_dict["venue_types"][0]

    def test_venue_labels_and_period(self):
        activity = ActivityFactory.build(
            venue_types=["farmland", "workshop", "tourist_attraction"],
            start_date=date(2020, 5, 1),
            end_date=date(2020, 5, 10),
        )
        assert activity.venue_labels == ["Farmland", "Workshop", "Tourist attraction"]
        assert activity.period.label("en") == "1–10 May 2020"

    def test_database_refuses_an_activity_ending_before_it_starts(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            ActivityFactory(start_date=date(2020, 5, 10), end_date=date(2020, 5, 1))
        assert not Activity.objects.exists()
