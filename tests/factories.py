"""
factory_boy factories for every model of both apps.

Each factory builds a record that passes `full_clean()`: tests that want a
bad record say so by overriding fields, never by relying on a sloppy default.
"""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from metrics.formatting import DisplayScale, Qualifier, Unit
from metrics.models import (
    Metric,
    Observation,
    ProblemReport,
    PublicationState,
    Region,
    RegionAssignment,
    ReminderPreference,
    ReviewStep,
    Source,
    ValidationRule,
)
from metrics.periods import Period
from programs.models import (
    Activity,
    Organisation,
    Outcome,
    Partnership,
    Program,
    ProgramSource,
    Sector,
)

# --- Staff -------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class StaffFactory(UserFactory):
    is_staff = True


class SuperuserFactory(StaffFactory):
    is_superuser = True


# --- metrics -----------------------------------------------------------------


class PublishedReference(DjangoModelFactory):
    """Shared references are published unless a test says otherwise (`draft=True`)."""

    class Meta:
        abstract = True

    class Params:
        draft = factory.Trait(publication_state=PublicationState.DRAFT, published_at=None)

    publication_state = PublicationState.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class SourceFactory(PublishedReference):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title_en = factory.Sequence(lambda n: f"Provincial release {n}")
    title_zh = factory.Sequence(lambda n: f"省级发布 {n}")
    publisher = "Shanxi Department of Commerce"
    url = factory.Sequence(lambda n: f"https://example.org/releases/{n}")
    published_on = date(2020, 7, 28)


class RegionFactory(DjangoModelFactory):
    """
    A prefecture-level city under a province under the country.

    Codes come from a range the seed does not use (700000 and up), so
    factories and the Shanxi fixture can share a database. `full_clean()`
    checks the level against the parent's and computes the path, exactly as
    the admin and the fixture loader do.
    """

    class Meta:
        model = Region

    code = factory.Sequence(lambda n: str(700000 + n))
    name_en = factory.Sequence(lambda n: f"Region {n}")
    name_zh = factory.Sequence(lambda n: f"地区{n}")
    level = Region.Level.PREFECTURE
    parent = factory.SubFactory("tests.factories.ProvinceFactory")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        region = model_class(*args, **kwargs)
        region.full_clean()
        region.save()
        return region


class CountryFactory(RegionFactory):
    """China, shared by every region a test creates (and by the seed)."""

    code = "100000"
    name_en = "China"
    name_zh = "中国"
    level = Region.Level.COUNTRY
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        existing = model_class.objects.filter(code=kwargs["code"]).first()
        return existing or super()._create(model_class, *args, **kwargs)


class ProvinceFactory(RegionFactory):
    level = Region.Level.PROVINCE
    parent = factory.SubFactory(CountryFactory)


PrefectureFactory = RegionFactory


class CountyFactory(RegionFactory):
    level = Region.Level.COUNTY
    parent = factory.SubFactory(RegionFactory)


class MetricFactory(PublishedReference):
    """A published cumulative sales figure in yuan, shown in billions."""

    class Meta:
        model = Metric

    slug = factory.Sequence(lambda n: f"metric-{n}")
    name_en = factory.Sequence(lambda n: f"Online sales {n}")
    name_zh = factory.Sequence(lambda n: f"网络销售额{n}")
    unit = Unit.YUAN
    display_scale = DisplayScale.BILLION
    frequency = Metric.Frequency.MONTHLY
    is_cumulative = True
    category = Metric.Category.ONLINE_RETAIL

    class Params:
        draft = factory.Trait(publication_state=PublicationState.DRAFT, published_at=None)
        share = factory.Trait(
            unit=Unit.PERCENT,
            display_scale=DisplayScale.ONE,
            is_share=True,
            frequency=Metric.Frequency.HALF_YEARLY,
        )


class ObservationFactory(DjangoModelFactory):
    """A draft figure for Jan-Jun 2020 with its source sentence."""

    class Meta:
        model = Observation

    class Params:
        period = Period.year_to_date(2020, 6)
        published = factory.Trait(
            publication_state=PublicationState.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
        )

    metric = factory.SubFactory(MetricFactory)
    region = factory.SubFactory(RegionFactory)
    period_type = factory.LazyAttribute(lambda o: str(o.period.type))
    period_start = factory.LazyAttribute(lambda o: o.period.start)
    period_end = factory.LazyAttribute(lambda o: o.period.end)
    value = Decimal("10770000000")
    value_qualifier = Qualifier.EXACT
    yoy_change = Decimal("23.7")
    source = factory.SubFactory(SourceFactory)
    source_quote = "From January to June, sales came in at 10.77 billion yuan."
    publication_state = PublicationState.DRAFT


class ValidationRuleFactory(PublishedReference):
    """A published 'subject <= reference' rule over two metrics in the same unit."""

    class Meta:
        model = ValidationRule

    slug = factory.Sequence(lambda n: f"rule-{n}")
    name_en = factory.Sequence(lambda n: f"Rule {n}")
    kind = ValidationRule.Kind.AT_MOST
    subject = factory.SubFactory(MetricFactory)
    reference = factory.SubFactory(MetricFactory)
    denominator = None
    tolerance = Decimal(0)

    class Params:
        draft = factory.Trait(publication_state=PublicationState.DRAFT, published_at=None)
        ratio = factory.Trait(
            kind=ValidationRule.Kind.RATIO,
            subject=factory.SubFactory(MetricFactory, share=True),
            denominator=factory.SubFactory(MetricFactory),
            tolerance=Decimal("1.0"),
        )


class RegionAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RegionAssignment

    user = factory.SubFactory(StaffFactory)
    region = factory.SubFactory(RegionFactory)


class ReviewStepFactory(DjangoModelFactory):
    """A submission for review, as the workflow writes it."""

    class Meta:
        model = ReviewStep

    record = factory.SubFactory(ObservationFactory)
    from_state = PublicationState.DRAFT
    to_state = PublicationState.IN_REVIEW
    user = factory.SubFactory(StaffFactory)


class ReminderPreferenceFactory(DjangoModelFactory):
    """A staff member's choice of reminders: everything, as the defaults."""

    class Meta:
        model = ReminderPreference

    user = factory.SubFactory(StaffFactory)


class ProblemReportFactory(DjangoModelFactory):
    """A reader's new report on a published figure, not answered yet."""

    class Meta:
        model = ProblemReport

    record = factory.SubFactory(ObservationFactory, published=True)
    description = "The value looks ten times too high compared with the source."
    email = "reader@example.org"
    language = "en"


# --- programs ----------------------------------------------------------------


class OrganisationFactory(PublishedReference):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"organisation-{n}")
    name_en = factory.Sequence(lambda n: f"Organisation {n}")
    name_zh = factory.Sequence(lambda n: f"机构{n}")
    kind = Organisation.Kind.GOVERNMENT_DEPARTMENT


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = Sector

    slug = factory.Sequence(lambda n: f"sector-{n}")
    name_en = factory.Sequence(lambda n: f"Sector {n}")
    name_zh = factory.Sequence(lambda n: f"行业{n}")


class ProgramFactory(DjangoModelFactory):
    """An active draft program led by a department, running through 2020."""

    class Meta:
        model = Program
        skip_postgeneration_save = True

    class Params:
        published = factory.Trait(
            publication_state=PublicationState.PUBLISHED,
            published_at=factory.LazyFunction(timezone.now),
        )

    slug = factory.Sequence(lambda n: f"program-{n}")
    title_en = factory.Sequence(lambda n: f"Program {n}")
    title_zh = factory.Sequence(lambda n: f"项目{n}")
    kind = Program.Kind.LIVESTREAM_BASE
    summary_en = "Livestreaming bases built with internet platforms."
    lead_organisation = factory.SubFactory(OrganisationFactory)
    status = Program.Status.ACTIVE
    start_date = date(2020, 1, 1)
    end_date = date(2020, 12, 31)
    publication_state = PublicationState.DRAFT

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class PartnershipFactory(DjangoModelFactory):
    class Meta:
        model = Partnership

    program = factory.SubFactory(ProgramFactory)
    organisation = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.PLATFORM_COMPANY)
    role = Partnership.Role.PLATFORM_PARTNER
    role_detail_en = "Builds livestreaming bases with the province"


class ProgramSourceFactory(DjangoModelFactory):
    class Meta:
        model = ProgramSource

    program = factory.SubFactory(ProgramFactory)
    source = factory.SubFactory(SourceFactory)
    quote = "The province will strengthen its cooperation with internet platforms."


class OutcomeFactory(DjangoModelFactory):
    """An increase of a metric from a 2019 baseline to a 2022 target."""

    class Meta:
        model = Outcome

    program = factory.SubFactory(ProgramFactory)
    metric = factory.SubFactory(MetricFactory)
    region = factory.SubFactory(RegionFactory)
    effect = Outcome.Effect.INCREASE
    baseline_value = Decimal("8000000000")
    baseline_period_type = factory.LazyFunction(lambda: str(Period.year(2019).type))
    baseline_period_start = date(2019, 1, 1)
    baseline_period_end = date(2019, 12, 31)
    target_value = Decimal("20000000000")
    target_date = date(2022, 12, 31)


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    kind = Activity.Kind.LIVESTREAM_EVENTS
    title_en = factory.Sequence(lambda n: f"Livestreaming events {n}")
    start_date = date(2020, 5, 1)
    end_date = date(2020, 5, 10)
    event_count = 85
    venue_types = factory.LazyFunction(lambda: [Activity.Venue.FARMLAND.value])
    source = factory.SubFactory(SourceFactory)

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)

    @factory.post_generation
    def results(self, create, extracted, **kwargs):
        if create and extracted:
            self.results.set(extracted)
