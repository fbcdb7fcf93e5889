"""
The staff screens: every admin page answers, changelists cost a fixed
number of queries, bad input comes back as a form error (never a 500 and
never a half-written row), and the review actions move records safely.
"""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from reversion.models import Version

from metrics.models import Observation, PublicationState, Region
from metrics.periods import Period
from metrics.workflow import steps
from programs.models import Activity, Organisation, Partnership, Program
from tests.factories import (
    ActivityFactory,
    CountyFactory,
    MetricFactory,
    ObservationFactory,
    OrganisationFactory,
    OutcomeFactory,
    PartnershipFactory,
    ProblemReportFactory,
    ProgramFactory,
    ProgramSourceFactory,
    ProvinceFactory,
    RegionAssignmentFactory,
    RegionFactory,
    ReminderPreferenceFactory,
    ReviewStepFactory,
    SectorFactory,
    SourceFactory,
    SuperuserFactory,
    ValidationRuleFactory,
)

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# How to make one record of each registered model: a model registered in the
# admin without an entry here fails the walk below instead of being skipped.
MAKERS = {
    "auth.User": SuperuserFactory,
    "auth.Group": lambda: Group.objects.create(name="Reviewers"),
    "metrics.Region": CountyFactory,
    "metrics.Source": SourceFactory,
    "metrics.Metric": MetricFactory,
    "metrics.Observation": ObservationFactory,
    "metrics.ValidationRule": ValidationRuleFactory,
    "metrics.RegionAssignment": RegionAssignmentFactory,
    "metrics.ReviewStep": ReviewStepFactory,
    "metrics.ReminderPreference": ReminderPreferenceFactory,
    "metrics.ProblemReport": ProblemReportFactory,
    "programs.Organisation": OrganisationFactory,
    "programs.Sector": SectorFactory,
    "programs.Program": ProgramFactory,
    "programs.Partnership": PartnershipFactory,
    "programs.ProgramSource": ProgramSourceFactory,
    "programs.Outcome": OutcomeFactory,
    "programs.Activity": ActivityFactory,
    "metrics.ImportJob": lambda: make_import_job(),
    "metrics.ReleaseCalendar": lambda: make_release_calendar(),
    "django_tasks_database.DBTaskResult": lambda: make_task_result(),
}


def make_import_job():
    from django.core.files.base import ContentFile

    from metrics import imports

    release = ContentFile(b"region,metric,period,value\n141023,sales,2020,1\n", name="r.csv")
    return imports.store_release(release, name="r.csv", user=SuperuserFactory())


def make_release_calendar():
    from datetime import date

    from metrics.models import ReleaseCalendar

    return ReleaseCalendar.objects.create(
        metric=MetricFactory(),
        region=CountyFactory(),
        period_type="month",
        first_period_start=date(2020, 1, 1),
        reasoning_en="Expected monthly, three weeks after each month.",
    )


def make_task_result():
    """A queued check, as an upload leaves one for the worker."""
    from django_tasks_db.models import DBTaskResult

    from metrics.tasks import check_import

    return DBTaskResult.objects.get(id=check_import.enqueue(make_import_job().pk).id)


# Review steps are written by the review workflow alone; queued tasks by the
# task framework; problem reports by the public, from the record's page.
NO_ADD = {
    "metrics.ReviewStep",
    "metrics.ProblemReport",
    "django_tasks_database.DBTaskResult",
}

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
PROJECT_MODELS = [model for model in REGISTERED if model._meta.app_label in {"metrics", "programs"}]


def make(model):
    return MAKERS[model._meta.label]()


# --- Every admin page answers ----------------------------------------------------------


def test_every_registered_model_has_a_maker():
    assert {model._meta.label for model in REGISTERED} == set(MAKERS)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_changelist_add_and_change_answer(admin_client, admin_user, rf, model):
    record = make(model)
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = admin_user

    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "change", record.pk)).status_code == 200
    add = admin_client.get(url(model, "add"))
    if model._meta.label in NO_ADD:
        assert not model_admin.has_add_permission(request)
        assert add.status_code == 403
    else:
        assert model_admin.has_add_permission(request)
        assert add.status_code == 200


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda model: model._meta.label)
def test_search_and_history_answer(admin_client, model):
    """Every search field resolves; every record's change history can be read."""
    record = make(model)
    assert admin_client.get(url(model, "changelist"), {"q": "a"}).status_code == 200
    assert admin_client.get(url(model, "history", record.pk)).status_code == 200


# --- Changelists cost a fixed number of queries -----------------------------------------

# Session and user; a savepoint around the list: the choices of the one
# related filter (metrics; sectors), the count, the rows with their related
# records; the date hierarchy's range and its choices.
# Session, user, revision savepoint, filters, page, date hierarchy; the
# session itself is written only every few minutes (config/sessions.py).
PINNED = {"metrics.Observation": 9, "programs.Program": 9}


def changelist_queries(client, model) -> int:
    client.get(url(model, "changelist"))  # a new session is saved on its first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    return len(queries)


def test_date_drill_down_lists_years_then_months(admin_client):
    """Across years the list offers each year, newest first; a year offers its months."""
    metric, region = MetricFactory(), RegionFactory()
    for year in (2018, 2020, 2021):
        ObservationFactory(metric=metric, region=region, period=Period.month(year, 3))
    changelist = url(Observation, "changelist")
    years = admin_client.get(changelist).content.decode()
    links = [f"period_end__year={year}" for year in (2021, 2020, 2019, 2018)]
    positions = [years.find(link) for link in links]
    assert -1 not in positions and positions == sorted(positions)
    months = admin_client.get(changelist, {"period_end__year": "2020"}).content.decode()
    assert "period_end__month=3" in months
    assert "period_end__year=2021" not in months


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda model: model._meta.label)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    for _ in range(3):
        make(model)
    few = changelist_queries(admin_client, model)
    for _ in range(20):
        make(model)
    assert changelist_queries(admin_client, model) == few
    if model._meta.label in PINNED:
        assert few == PINNED[model._meta.label]


# --- Bad input is a form error, and nothing is written --------------------------------


def form_data(response, *, inlines: bool = True) -> dict:
    """What the form on an admin page posts back unchanged, inline formsets included."""
    forms = [response.context["adminform"].form]
    if inlines:
        for inline in response.context["inline_admin_formsets"]:
            forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue  # an empty or unticked field is not posted
            if value is True:
                data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(item) for item in value]
            else:
                data[field.html_name] = str(value)
    return data


def change_data(client, record, **changes) -> dict:
    response = client.get(url(type(record), "change", record.pk))
    return {**form_data(response), **changes}


def add_data(client, like, **changes) -> dict:
    """The add form filled in with the values of an existing record, then changed."""
    model = type(like)
    assert not admin.site._registry[model].inlines, "inline rows of `like` would be posted"
    return change_data(client, like, **changes)


def shown_errors(response) -> list[str]:
    """Every error message the admin page shows, inline formsets included."""
    shown = []
    for item in response.context["errors"]:
        # Form errors come as lists, a formset's own errors as plain strings.
        shown += [item] if isinstance(item, str) else [str(error) for error in item]
    return shown


def assert_form_error(response, message: str):
    assert response.status_code == 200, "the form should come back, not redirect"
    assert message in shown_errors(response)
    assert escape(message) in response.content.decode()


def assert_change_refused(client, record, message: str, **changes):
    model = type(record)
    before = model.objects.values().get(pk=record.pk)
    response = client.post(url(model, "change", record.pk), change_data(client, record, **changes))
    assert_form_error(response, message)
    assert model.objects.values().get(pk=record.pk) == before


def assert_add_refused(client, like, message: str, **changes):
    model = type(like)
    count = model.objects.count()
    response = client.post(url(model, "add"), add_data(client, like, **changes))
    assert_form_error(response, message)
    assert model.objects.count() == count


class TestObservationForm:
    def test_the_unchanged_form_saves(self, admin_client):
        observation = ObservationFactory()
        response = admin_client.post(
            url(Observation, "change", observation.pk), change_data(admin_client, observation)
        )
        assert response.status_code == 302

    def test_one_observation_per_metric_region_and_period(self, admin_client):
        assert_add_refused(
            admin_client,
            ObservationFactory(),
            "There is already an observation of this metric for this region and period, known "
            "the same way.",
            value="1",
        )

    def test_period_cannot_end_before_it_starts(self, admin_client):
        assert_change_refused(
            admin_client,
            ObservationFactory(),
            "The period cannot end before it starts.",
            period_end="2019-12-31",
        )

    def test_period_must_fit_its_type(self, admin_client):
        assert_change_refused(
            admin_client,
            ObservationFactory(),
            "A year to date period must start on the first day of its first month and end on "
            "the last day of its last month, within one year.",
            period_end="2020-06-29",
        )

    def test_value_or_change(self, admin_client):
        assert_change_refused(
            admin_client,
            ObservationFactory(),
            "Enter a value, a year-on-year change, or both.",
            value="",
            yoy_change="",
        )

    def test_qualifier_needs_a_value(self, admin_client):
        assert_change_refused(
            admin_client,
            ObservationFactory(),
            "A qualifier applies to a value; enter the value.",
            value="",
            value_qualifier="more_than",
        )

    @pytest.mark.parametrize("value", ["157.7", "-0.5"])
    def test_share_between_0_and_100(self, admin_client, value):
        assert_change_refused(
            admin_client,
            ObservationFactory(metric=MetricFactory(share=True), value=Decimal("31.3")),
            "A share of a whole lies between 0 and 100 percent.",
            value=value,
        )

    @pytest.mark.parametrize("field", ["source", "source_quote", "value"])
    def test_a_published_observation_is_not_edited_in_place(self, admin_client, field):
        observation = ObservationFactory(published=True)
        before = Observation.objects.values().get(pk=observation.pk)
        data = change_data(admin_client, observation, **{field: ""})
        response = admin_client.post(url(Observation, "change", observation.pk), data)
        assert response.status_code == 403
        assert Observation.objects.values().get(pk=observation.pk) == before

    def test_a_metric_with_figures_outside_0_to_100_cannot_become_a_share(self, admin_client):
        percent = MetricFactory(unit="percent", display_scale=0, draft=True)
        ObservationFactory(metric=percent, value=Decimal("150"), yoy_change=None)
        assert_change_refused(
            admin_client,
            percent,
            "1 figures of this metric lie outside 0–100, so it cannot be a share of a whole; "
            "correct them first.",
            is_share="on",
        )

    def test_nor_can_a_correction_of_a_published_one(self, admin_client, admin_user):
        percent = MetricFactory(unit="percent", display_scale=0)
        ObservationFactory(metric=percent, value=Decimal("150"), yoy_change=None)
        correction = steps.propose_correction(record=percent, user=admin_user)
        assert_change_refused(
            admin_client,
            correction,
            "1 figures of this metric lie outside 0–100, so it cannot be a share of a whole; "
            "correct them first.",
            is_share="on",
        )


class TestRegionForm:
    @pytest.mark.parametrize(
        ("code", "message"),
        [
            ("14100", "A GB/T 2260 code is six digits and does not start with 0."),
            ("1410001", "Ensure this value has at most 6 characters (it has 7)."),
            ("041000", "A GB/T 2260 code is six digits and does not start with 0."),
            ("14a000", "A GB/T 2260 code is six digits and does not start with 0."),
        ],
    )
    def test_code_is_six_digits_not_starting_with_0(self, admin_client, code, message):
        assert_add_refused(admin_client, RegionFactory(), message, code=code)

    def test_a_good_code_is_added(self, admin_client):
        prefecture = RegionFactory()
        data = add_data(admin_client, prefecture, code="799001", name_en="New City")
        assert admin_client.post(url(Region, "add"), data).status_code == 302
        added = Region.objects.get(code="799001")
        assert added.path == f"{prefecture.parent.path}799001/"

    def test_a_county_sits_under_a_prefecture(self, admin_client):
        county = CountyFactory()
        assert_change_refused(
            admin_client,
            county,
            "The parent of a county-level division must be a prefecture-level city.",
            parent=str(county.parent.parent.pk),
        )

    def test_only_the_country_has_no_parent(self, admin_client):
        assert_add_refused(
            admin_client,
            ProvinceFactory(),
            "Every region but the country has a parent region.",
            code="799003",
            parent="",
        )

    def test_a_new_county_under_a_province_is_refused(self, admin_client):
        province = ProvinceFactory()
        assert_add_refused(
            admin_client,
            CountyFactory(),
            "The parent of a county-level division must be a prefecture-level city.",
            code="799002",
            parent=str(province.pk),
        )


class TestRegionSubtree:
    """Editing a region's code or parent moves every region below it."""

    @pytest.fixture
    def tree(self):
        prefecture = RegionFactory(code="791000")
        counties = [CountyFactory(parent=prefecture, code=f"7910{n:02d}") for n in (1, 2, 3)]
        sibling = RegionFactory(parent=prefecture.parent, code="791100")
        CountyFactory(parent=sibling, code="791101")
        return prefecture, counties, sibling

    def paths(self):
        return dict(Region.objects.values_list("code", "path"))

    def test_new_code_rebases_the_subtree(self, admin_client, tree):
        prefecture, counties, sibling = tree
        before = self.paths()
        response = admin_client.post(
            url(Region, "change", prefecture.pk),
            change_data(admin_client, prefecture, code="792000"),
        )
        assert response.status_code == 302
        after = self.paths()
        province_path = prefecture.parent.path
        assert after["792000"] == f"{province_path}792000/"
        for county in counties:
            assert after[county.code] == f"{province_path}792000/{county.code}/"
        unchanged = set(before) - {"791000"} - {county.code for county in counties}
        assert {code: after[code] for code in unchanged} == {
            code: before[code] for code in unchanged
        }
        assert all(region.path == region.expected_path() for region in Region.objects.all())

    def test_new_parent_rebases_the_subtree(self, admin_client, tree):
        prefecture, counties, sibling = tree
        elsewhere = ProvinceFactory()
        response = admin_client.post(
            url(Region, "change", prefecture.pk),
            change_data(admin_client, prefecture, parent=str(elsewhere.pk)),
        )
        assert response.status_code == 302
        moved = Region.objects.in_region(Region.objects.get(pk=prefecture.pk))
        assert {region.code for region in moved} == {"791000"} | {c.code for c in counties}
        assert all(region.path.startswith(elsewhere.path) for region in moved)
        assert Region.objects.get(code="791101").path.startswith(sibling.parent.path)
        assert all(region.path == region.expected_path() for region in Region.objects.all())

    def test_the_change_is_recorded_with_its_author(self, admin_client, admin_user, tree):
        prefecture = tree[0]
        admin_client.post(
            url(Region, "change", prefecture.pk),
            change_data(admin_client, prefecture, name_en="Renamed"),
        )
        latest = Version.objects.get_for_object(prefecture).first()
        assert latest.revision.user == admin_user
        assert latest.field_dict["name_en"] == "Renamed"


class TestProgramForm:
    def test_the_unchanged_form_saves(self, admin_client):
        program = ProgramFactory()
        PartnershipFactory(program=program)
        OutcomeFactory(program=program)
        ActivityFactory(program=program)
        ProgramSourceFactory(program=program)
        response = admin_client.post(
            url(Program, "change", program.pk), change_data(admin_client, program)
        )
        assert response.status_code == 302

    def test_end_after_start(self, admin_client):
        assert_change_refused(
            admin_client,
            ProgramFactory(),
            "A program cannot end before it starts.",
            start_date="2020-12-31",
            end_date="2020-01-01",
        )

    def test_budget_not_negative(self, admin_client):
        assert_change_refused(
            admin_client, ProgramFactory(), "The budget cannot be negative.", budget_yuan="-1"
        )

    def test_not_part_of_itself(self, admin_client):
        program = ProgramFactory()
        assert_change_refused(
            admin_client, program, "A program cannot be part of itself.", parent=str(program.pk)
        )

    def test_partnership_once_per_role_against_a_saved_one(self, admin_client):
        partnership = PartnershipFactory()
        program = partnership.program
        data = change_data(
            admin_client,
            program,
            **{
                "partnerships-TOTAL_FORMS": "2",
                "partnerships-1-organisation": str(partnership.organisation.pk),
                "partnerships-1-role": partnership.role,
            },
        )
        response = admin_client.post(url(Program, "change", program.pk), data)
        assert_form_error(response, "This organisation already has this role in the program.")
        assert Partnership.objects.count() == 1

    def test_partnership_once_per_role_within_the_form(self, admin_client):
        program = ProgramFactory()
        platform = OrganisationFactory(kind=Organisation.Kind.PLATFORM_COMPANY)
        row = {"organisation": str(platform.pk), "role": "platform_partner"}
        data = change_data(
            admin_client,
            program,
            **{"partnerships-TOTAL_FORMS": "2"},
            **{f"partnerships-{n}-{field}": value for n in (0, 1) for field, value in row.items()},
        )
        response = admin_client.post(url(Program, "change", program.pk), data)
        assert_form_error(
            response,
            "Please correct the duplicate data for organisation and role, which must be unique.",
        )
        assert not Partnership.objects.exists()

    def test_outcome_target_needs_a_date_in_the_inline(self, admin_client):
        outcome = OutcomeFactory()
        assert_change_refused(
            admin_client,
            outcome.program,
            "A target needs the date or period it is due by.",
            **{"outcomes-0-target_date": ""},
        )
        outcome.refresh_from_db()
        assert outcome.target_date == date(2022, 12, 31)


class TestOtherForms:
    def test_outcome_target_needs_a_date(self, admin_client):
        assert_change_refused(
            admin_client,
            OutcomeFactory(),
            "A target needs the date or period it is due by.",
            target_date="",
        )

    def test_ratio_rule_needs_a_denominator(self, admin_client):
        assert_add_refused(
            admin_client,
            ValidationRuleFactory(ratio=True, draft=True),
            "A ratio rule needs a denominator; other rules do not.",
            slug="another-rule",
            denominator="",
        )

    def test_activity_venues_from_the_list(self, admin_client):
        activity = ActivityFactory()
        response = admin_client.post(
            url(Activity, "change", activity.pk),
            change_data(admin_client, activity, venue_types=["farmland", "moon"]),
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["venue_types"]
        activity.refresh_from_db()
        assert activity.venue_types == ["farmland"]


class TestFiguresAsTyped:
    """Amounts are shown in their scale and may be typed as people write them."""

    def test_a_budget_is_shown_in_its_scale_not_to_six_decimals(self, admin_client):
        program = ProgramFactory(budget_yuan=Decimal("200000000"))
        OutcomeFactory(program=program)  # 8 billion to 20 billion yuan
        english = admin_client.get(url(Program, "change", program.pk)).content.decode()
        assert 'value="200 million"' in english
        assert 'value="8 billion"' in english and 'value="20 billion"' in english
        assert ".000000" not in english and "200000000.00" not in english
        chinese = admin_client.get("/zh-hans" + url(Program, "change", program.pk))
        assert 'value="2亿"' in chinese.content.decode()

    @pytest.mark.parametrize(
        ("typed", "saved"),
        [
            ("2亿", "200000000"),
            ("2 亿元", "200000000"),
            ("8,500万", "85000000"),
            ("200 million", "200000000"),
            ("800,000", "800000"),
            ("1234567.89", "1234567.89"),
        ],
    )
    def test_a_budget_typed_with_a_scale_is_saved_exactly(self, admin_client, typed, saved):
        program = ProgramFactory()
        data = change_data(admin_client, program, budget_yuan=typed)
        response = admin_client.post(url(Program, "change", program.pk), data)
        assert response.status_code == 302
        program.refresh_from_db()
        assert program.budget_yuan == Decimal(saved)

    @pytest.mark.parametrize("typed", ["2 foo", "two hundred million", "2亿亿", "1,23"])
    def test_anything_else_is_a_form_error_and_nothing_is_saved(self, admin_client, typed):
        assert_change_refused(
            admin_client,
            ProgramFactory(budget_yuan=Decimal("800000")),
            "Enter a figure, in full or with a scale: 200000000, 200,000,000, 2亿 or 200 million.",
            budget_yuan=typed,
        )

    def test_more_decimals_than_the_column_keeps_is_refused_not_rounded(self, admin_client):
        assert_change_refused(
            admin_client,
            ProgramFactory(budget_yuan=Decimal("800000")),
            "Ensure that there are no more than 2 decimal places.",
            budget_yuan="0.123",
        )

    def test_an_observation_keeps_every_digit_through_its_form(self, admin_client):
        # (SQLite keeps 15 significant digits; the column itself keeps 24.)
        observation = ObservationFactory(value=Decimal("1234567.123456"))
        page = admin_client.get(url(Observation, "change", observation.pk)).content.decode()
        assert 'value="1,234,567.123456"' in page
        # Posted back as the page shows it.
        data = change_data(admin_client, observation, value="1,234,567.123456")
        response = admin_client.post(url(Observation, "change", observation.pk), data)
        assert response.status_code == 302
        observation.refresh_from_db()
        assert observation.value == Decimal("1234567.123456")

    def test_a_changed_observation_is_read_in_its_scale(self, admin_client):
        observation = ObservationFactory(value=Decimal("1"))
        data = change_data(admin_client, observation, value="10.77 billion")
        response = admin_client.post(url(Observation, "change", observation.pk), data)
        assert response.status_code == 302
        observation.refresh_from_db()
        assert observation.value == Decimal("10770000000")


def export_observations(admin_client) -> dict[str, bytes]:
    """The admin's export of figures with every column, as CSV and as XLSX."""
    form = admin_client.get(url(Observation, "export")).context["form"]
    fields = {name: "on" for name in form.fields if name.startswith("observationexport_")}
    exported = {}
    for number, kind in (("0", "csv"), ("1", "xlsx")):
        response = admin_client.post(
            url(Observation, "export"), {"format": number, "resource": "0", **fields}
        )
        exported[kind] = b"".join(response) if response.streaming else response.content
    return exported


def test_the_admin_xlsx_export_writes_figures_as_numbers(admin_client, shanxi):
    exported = export_observations(admin_client)
    sheet = openpyxl.load_workbook(io.BytesIO(exported["xlsx"])).active
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    sales = next(
        row
        for row in rows
        if row["metric"].value == "online-retail-sales" and row["region"].value == "140000"
    )
    assert (sales["value"].data_type, sales["value"].value) == ("n", 10.77)
    assert (sales["yoy_change"].data_type, sales["yoy_change"].value) == ("n", 23.7)
    assert sales["unit"].value == "billion yuan"
    assert sales["region"].data_type == "s"  # a code, not a number
    # The CSV keeps the same digits as text.
    assert ",10.77,billion yuan,23.7," in exported["csv"].decode("utf-8-sig")


# --- Review actions ------------------------------------------------------------------------


def run_action(client, model, action: str, records, **extra) -> list[str]:
    response = client.post(
        url(model, "changelist"),
        {"action": action, "_selected_action": [record.pk for record in records], **extra},
        follow=True,
    )
    assert response.redirect_chain == [(url(model, "changelist"), 302)]
    return [str(message) for message in response.context["messages"]]


class TestReviewActions:
    def test_publish_then_withdraw(self, admin_client, admin_user):
        observation = ObservationFactory(publication_state=PublicationState.IN_REVIEW)
        before = timezone.now()
        assert run_action(admin_client, Observation, "publish", [observation]) == [
            "1 record published."
        ]
        observation.refresh_from_db()
        assert observation.publication_state == PublicationState.PUBLISHED
        assert before <= observation.published_at <= timezone.now()
        published_at = observation.published_at

        [publication] = Version.objects.get_for_object(observation)[:1]
        assert publication.revision.user == admin_user
        assert publication.field_dict["publication_state"] == PublicationState.PUBLISHED

        assert run_action(
            admin_client, Observation, "withdraw", [observation], apply="yes", note="Wrong region"
        ) == ["1 record withdrawn."]
        observation.refresh_from_db()
        assert observation.publication_state == PublicationState.WITHDRAWN
        assert observation.published_at == published_at
        assert not Observation.objects.published().exists()

    def test_the_whole_review_path_for_programs(self, admin_client):
        program = ProgramFactory()
        run_action(admin_client, Program, "submit_for_review", [program])
        program.refresh_from_db()
        assert program.publication_state == PublicationState.IN_REVIEW
        assert program.published_at is None
        run_action(admin_client, Program, "publish", [program])
        program.refresh_from_db()
        assert program.publication_state == PublicationState.PUBLISHED
        assert program.published_at is not None
        run_action(admin_client, Program, "withdraw", [program], apply="yes", note="Cancelled")
        program.refresh_from_db()
        assert program.publication_state == PublicationState.WITHDRAWN
        # A withdrawn program is reopened as a draft on its review page.
        response = admin_client.post(
            url(Program, "review", program.pk),
            {
                "decision": "reopen",
                "note": "Dates to be corrected",
                "lock_version_seen": program.lock_version,
            },
        )
        assert response.status_code == 302
        program.refresh_from_db()
        assert program.publication_state == PublicationState.DRAFT

    def test_publishing_without_a_source_changes_nothing(self, admin_client):
        cited = ObservationFactory(publication_state=PublicationState.IN_REVIEW)
        uncited = ObservationFactory(
            publication_state=PublicationState.IN_REVIEW,
            source=None,
            period=Period.year(2019),
        )
        messages = run_action(admin_client, Observation, "publish", [cited, uncited])
        assert any(
            "A published observation cites its source and quotes its sentence." in message
            and str(uncited) in message
            for message in messages
        ), messages
        assert "Nothing was changed; correct the records above first." in messages
        for observation in (cited, uncited):
            observation.refresh_from_db()
            assert observation.publication_state == PublicationState.IN_REVIEW
            assert observation.published_at is None

    def test_publishing_skips_no_review(self, admin_client):
        draft = ObservationFactory()
        messages = run_action(admin_client, Observation, "publish", [draft])
        assert f"“{draft}” is draft, so it cannot be given the step “publish”." in messages
        draft.refresh_from_db()
        assert draft.publication_state == PublicationState.DRAFT
