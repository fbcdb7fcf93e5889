"""
"Report a problem" with a published figure or program: a plain form, no
account, no session. A report is the one row a visitor writes; it never
moves the content version (the public page cache's key), and a staff
answer always does. Spam is refused with a clear error and nothing
written: a honeypot, a signed time, a budget per client, length limits.
Staff read reports on the Data quality page and answer them in the admin,
by the publication policy's rights; the answer shows on the public page,
the reader's words and address never do.
"""

import re
import time
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from metrics.admin_mixins import AuditedAdmin
from metrics.models import ContentVersion, ProblemReport
from metrics.reports import SALT
from tests.factories import (
    ObservationFactory,
    ProblemReportFactory,
    ProgramFactory,
    ProvinceFactory,
    RegionFactory,
    SuperuserFactory,
)
from tests.staff.conftest import client_for, make_staff
from tests.test_admin import change_data, url

pytestmark = pytest.mark.django_db

DESCRIPTION = "The value should be 10.77 billion yuan; the page shows 107.7 billion."
EMAIL = "reader-7f3a@example.org"


# --- Helpers -------------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def report_url(record) -> str:
    kind = "program" if record._meta.model_name == "program" else "observation"
    return reverse("metrics:report-problem", kwargs={"kind": kind, "pk": record.pk})


@pytest.fixture
def later(monkeypatch):
    """Move the clock on: a person takes some seconds between opening and sending the form."""
    real, offset = time.time, [0.0]

    def move(seconds: float):
        offset[0] += seconds
        monkeypatch.setattr(time, "time", lambda: real() + offset[0])

    return move


def send(client, record, later, *, seconds=10, **fields):
    """Open the form, wait like a reader, send it; the answer to the POST."""
    page = client.get(report_url(record))
    assert page.status_code == 200
    data = {"description": DESCRIPTION, "email": EMAIL, "website": "", **fields}
    data.setdefault("drawn", page.context["drawn"])
    later(seconds)
    return client.post(report_url(record), data)


@pytest.fixture
def province():
    return ProvinceFactory()


@pytest.fixture
def city(province):
    return RegionFactory(parent=province)


@pytest.fixture
def figure(city):
    return ObservationFactory(published=True, region=city)


@pytest.fixture
def program(city):
    return ProgramFactory(published=True, regions=[city], title_en="Rural logistics build-out")


@pytest.fixture
def reviewer(province):
    return make_staff("reviewer", province, username="province-reviewer")


def answer(client, report, **changes):
    response = client.post(
        url(ProblemReport, "change", report.pk), change_data(client, report, **changes)
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    report.refresh_from_db()
    return response


# --- End to end ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "link"),
    [
        ("observation", "Report a problem with this figure"),
        ("program", "Report a problem with this program"),
    ],
)
def test_a_report_from_the_public_page_to_the_staff_answer_and_back(
    client, request, later, reviewer, kind, link
):
    record = request.getfixturevalue("figure" if kind == "observation" else "program")
    page = client.get(record.get_absolute_url()).content.decode()
    assert f'<a href="{report_url(record)}" rel="nofollow">{link}</a>' in page

    form = client.get(report_url(record))
    html = form.content.decode()
    assert form.status_code == 200
    assert f"<h1>{link}</h1>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "What looks wrong?" in html and "Your e-mail address (optional)" in html
    assert re.search(r'<div class="honeypot" hidden aria-hidden="true">', html)
    assert "Leave this field empty" in html

    later(10)
    response = client.post(
        report_url(record),
        {
            "description": f"  {DESCRIPTION}  ",
            "email": EMAIL,
            "website": "",
            "drawn": form.context["drawn"],
        },
    )
    thanks = reverse("metrics:report-thanks", kwargs={"kind": kind, "pk": record.pk})
    assert response.status_code == 302 and response["Location"] == thanks
    thanked = client.get(thanks)
    assert thanked.status_code == 200
    assert "Thank you for your report" in thanked.content.decode()
    assert record.get_absolute_url() in thanked.content.decode()

    [report] = ProblemReport.objects.all()
    assert report.record == record
    assert report.description == DESCRIPTION  # as written, without the spaces around it
    assert report.email == EMAIL
    assert report.language == "en"
    assert report.status == ProblemReport.Status.NEW
    assert not report.is_answered

    staff = client_for(reviewer)
    quality = staff.get(reverse("admin:quality")).content.decode()
    section = quality[quality.index('id="public-reports"') :]
    assert "Reports from the public (1 open, 0 settled)" in section
    assert str(record) in section and "New" in section
    assert url(ProblemReport, "change", report.pk) in section
    assert record.get_absolute_url() in section

    # Not answered yet: nothing of it is public.
    assert (
        "A reader reported a problem" not in client.get(record.get_absolute_url()).content.decode()
    )

    answer(
        staff,
        report,
        status=ProblemReport.Status.CORRECTED,
        answer_en="Thank you: the scale was wrong and is corrected.",
        answer_zh="谢谢：单位有误，已更正。",
    )
    assert report.answered_by == reviewer and report.answered_at is not None

    public = client.get(record.get_absolute_url()).content.decode()
    # The department's day (Asia/Shanghai), which is not UTC's for eight hours of it.
    date = timezone.localdate(report.created_at).isoformat()
    assert f"A reader reported a problem on {date}." in public
    assert "Corrected" in public
    assert "Thank you: the scale was wrong and is corrected." in public
    assert DESCRIPTION not in public and EMAIL not in public and "reader-7f3a" not in public

    chinese = client.get("/zh-hans" + record.get_absolute_url()).content.decode()
    assert "谢谢：单位有误，已更正。" in chinese
    assert DESCRIPTION not in chinese and EMAIL not in chinese


def test_a_report_sent_from_the_chinese_page_keeps_its_language(client, figure, later):
    address = "/zh-hans" + report_url(figure)
    page = client.get(address)
    assert page.status_code == 200
    later(10)
    response = client.post(
        address,
        {"description": "数值似乎比来源高十倍，请核对。", "drawn": page.context["drawn"]},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/zh-hans/report/observation/")
    [report] = ProblemReport.objects.all()
    assert report.language == "zh-hans"
    assert report.email == ""


class FormParser(HTMLParser):
    """The names and values a browser without JavaScript would send with the form."""

    def __init__(self):
        super().__init__()
        self.fields, self.textarea = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") != "submit":
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.fields[self.textarea] = ""

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None


def test_the_form_is_a_plain_post_with_its_csrf_token(figure, later):
    """No JavaScript: what the page's form holds, sent back with its cookie, is enough."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(report_url(figure)).content.decode()
    # The report form, in the page's main part (the header holds the language switch).
    start = page.index("<form", page.index("<main"))
    form = page[start : page.index("</form>", start)]
    assert 'method="post"' in form and "<script" not in page
    parser = FormParser()
    parser.feed(form)
    assert set(parser.fields) == {"csrfmiddlewaretoken", "description", "email", "website", "drawn"}
    later(10)
    data = {**parser.fields, "description": DESCRIPTION}

    assert browser.post(report_url(figure), data).status_code == 302
    assert ProblemReport.objects.count() == 1
    # Without the token the cookie pairs with, Django refuses it.
    assert Client(enforce_csrf_checks=True).post(report_url(figure), data).status_code == 403


# --- Spam and bad input: a clear error, nothing written ---------------------------------------


def forged_token(figure):
    return signing.dumps(["observation", figure.pk, time.time()], salt="another-salt")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("honeypot", "The field “Leave this field empty” was filled in"),
        ("too_fast", "less than 3 seconds after it was opened"),
        ("too_old", "The form was opened more than a day ago"),
        ("forged", "The form could not be checked"),
        ("missing", "The form could not be checked"),
        ("other_record", "The form could not be checked"),
        ("empty", "Please say what looks wrong."),
        ("too_short", "at least 10 characters (you wrote 9)"),
        ("only_spaces", "Please say what looks wrong."),
        ("too_long", "at most 2000 characters (you wrote 2001)"),
        ("bad_email", "Please enter a valid e-mail address, or leave it empty."),
        ("long_email", "at most 254 characters"),
    ],
)
def test_a_refused_submission_says_why_and_writes_nothing(client, figure, later, case, message):
    other = ObservationFactory(published=True)
    fields, seconds = {}, 10
    if case == "honeypot":
        fields["website"] = "https://spam.example"
    elif case == "too_fast":
        seconds = 1
    elif case == "too_old":
        seconds = 24 * 60 * 60 + 5
    elif case == "forged":
        fields["drawn"] = forged_token(figure)
    elif case == "missing":
        fields["drawn"] = ""
    elif case == "other_record":
        fields["drawn"] = signing.dumps(["observation", other.pk, time.time() - 60], salt=SALT)
    elif case == "empty":
        fields["description"] = ""
    elif case == "too_short":
        fields["description"] = "  Too small  "
    elif case == "only_spaces":
        fields["description"] = " " * 40
    elif case == "too_long":
        fields["description"] = "x" * 2001
    elif case == "bad_email":
        fields["email"] = "not an address"
    elif case == "long_email":
        fields["email"] = "a" * 250 + "@example.org"
    before, version = row_counts(), ContentVersion.current()

    response = send(client, figure, later, seconds=seconds, **fields)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html or 'class="error"' in html
    # The form comes back with what was written, a new signed time, and an empty honeypot.
    assert 'name="website" id="id_website" value=""' in html
    assert response.context["drawn"] != fields.get("drawn")
    assert row_counts() == before
    assert ContentVersion.current() == version


def test_a_client_past_its_report_budget_is_told_when_to_come_back(client, figure, later, settings):
    settings.PROBLEM_REPORT_BUDGET = "2/hour"
    for _ in range(2):
        assert send(client, figure, later).status_code == 302
    before = row_counts()

    refused = send(client, figure, later)

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    html = refused.content.decode()
    assert "Several reports were sent from this address in a short time." in html
    assert DESCRIPTION in html  # what the reader wrote is not lost
    assert row_counts() == before
    # Another address has its own budget.
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert send(other, figure, later).status_code == 302


def test_drawing_the_form_counts_against_the_render_budget(client, figure, settings):
    settings.PUBLIC_RENDER_BUDGET = "2/minute"
    assert [client.get(report_url(figure)).status_code for _ in range(3)] == [200, 200, 429]


# --- Only published records ------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        lambda: report_url(ObservationFactory()),  # a draft figure
        lambda: report_url(ProgramFactory()),  # a draft program
        lambda: "/report/observation/99999999/",
        lambda: "/report/program/99999999/",
        lambda: f"/report/region/{RegionFactory().pk}/",
        lambda: f"/report/source/{ObservationFactory(published=True).source_id}/",
        lambda: report_url(ObservationFactory()) + "thanks/",
    ],
)
def test_only_published_figures_and_programs_can_be_reported(client, address, later):
    target = address()
    before = row_counts()
    assert client.get(target).status_code == 404
    later(10)
    assert client.post(target, {"description": DESCRIPTION}).status_code == 404
    assert row_counts() == before


def test_the_model_accepts_only_figures_and_programs(figure):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        ProblemReport.objects.submit(record=figure.region, description=DESCRIPTION, language="en")
    assert "content_type" in refused.value.message_dict


# --- The content version and the other tables -------------------------------------------------


def test_a_submission_moves_no_content_version_and_no_other_table(client, figure, later):
    before, version = row_counts(), ContentVersion.current()

    assert send(client, figure, later).status_code == 302

    after = row_counts()
    assert after.pop("metrics.ProblemReport") == before.pop("metrics.ProblemReport") + 1
    assert after == before  # no session, no log, no history row
    assert ContentVersion.current() == version
    assert not client.cookies.get("sessionid")


def test_an_answer_moves_the_content_version(figure, reviewer):
    report = ProblemReportFactory(record=figure)
    staff = client_for(reviewer)

    version = ContentVersion.current()
    answer(staff, report, status=ProblemReport.Status.CONFIRMED)
    assert ContentVersion.current() == version, "an unanswered report is not public"

    answer(staff, report, answer_en="We are checking the release.")
    assert ContentVersion.current() > version
    version = ContentVersion.current()

    answer(staff, report, status=ProblemReport.Status.CORRECTED)
    assert ContentVersion.current() > version, "the public page shows the status"
    version = ContentVersion.current()

    answer(staff, report, answer_en="")
    assert ContentVersion.current() > version, "the public page no longer shows it"


# --- Staff: rights, audit, the Data quality page -------------------------------------------------


def test_the_staff_screen_is_audited_and_keeps_the_readers_words(figure, reviewer):
    assert isinstance(admin.site._registry[ProblemReport], AuditedAdmin)
    report = ProblemReportFactory(record=figure)
    staff = client_for(reviewer)

    answer(
        staff,
        report,
        status=ProblemReport.Status.NOT_A_PROBLEM,
        answer_en="The release says so.",
        description="Rewritten by staff",
        email="other@example.org",
    )

    assert report.description == ProblemReportFactory.description
    assert report.email == ProblemReportFactory.email
    [version] = Version.objects.get_for_object(report)
    assert version.revision.user == reviewer
    assert version.field_dict["status"] == "not_a_problem"
    assert version.field_dict["answer_en"] == "The release says so."
    first_answered = report.answered_at

    answer(staff, report, status=ProblemReport.Status.CONFIRMED)
    assert report.answered_at == first_answered, "the answer did not change"
    history = staff.get(url(ProblemReport, "history", report.pk)).content.decode()
    assert "Not a problem" in history or "not_a_problem" in history


def test_rights_follow_the_policy(figure, reviewer, province, city):
    report = ProblemReportFactory(record=figure)
    change = url(ProblemReport, "change", report.pk)
    data = change_data(client_for(reviewer), report, answer_en="An answer.")

    editor = client_for(make_staff("editor", province))
    assert editor.get(url(ProblemReport, "changelist")).status_code == 200
    assert editor.get(change).status_code == 200  # read-only for an editor
    assert editor.post(change, data).status_code == 403
    assert editor.post(url(ProblemReport, "delete", report.pk), {"post": "yes"}).status_code == 403

    no_role = client_for(make_staff(None, province))
    assert no_role.get(url(ProblemReport, "changelist")).status_code == 403

    elsewhere = client_for(make_staff("reviewer", RegionFactory(parent=province)))
    assert elsewhere.get(change).status_code == 404
    listed = elsewhere.get(url(ProblemReport, "changelist"))
    assert list(listed.context["cl"].result_list) == []

    reviewing = client_for(reviewer)
    assert reviewing.get(url(ProblemReport, "add")).status_code == 403
    assert reviewing.post(url(ProblemReport, "delete", report.pk), {"post": "yes"}).status_code == (
        403
    )
    report.refresh_from_db()
    assert report.answer_en == ""

    superuser = client_for(SuperuserFactory())
    assert superuser.get(url(ProblemReport, "add")).status_code == 403
    deleted = superuser.post(url(ProblemReport, "delete", report.pk), {"post": "yes"})
    assert deleted.status_code == 302
    assert not ProblemReport.objects.exists()


def make_reports(count: int, province) -> None:
    """Half on figures, half on programs; a third of them settled with an answer."""
    for number in range(count):
        city = RegionFactory(parent=province)
        record = (
            ObservationFactory(published=True, region=city)
            if number % 2
            else ProgramFactory(published=True, regions=[city])
        )
        report = ProblemReportFactory(record=record)
        if number % 3 == 0:
            report.status = ProblemReport.Status.CORRECTED
            report.answer_en = "Corrected."
            report.note_answer(previous=None, user=None)
            report.save()


def quality_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:quality"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("scoped", [False, True], ids=["superuser", "reviewer"])
def test_the_quality_page_lists_reports_in_a_fixed_number_of_queries(province, scoped):
    user = make_staff("reviewer", province) if scoped else SuperuserFactory()
    staff = client_for(user)
    make_reports(2, province)
    staff.get(reverse("admin:quality"))  # a new session is saved on its first request
    few, html = quality_queries(staff)
    assert "Reports from the public (1 open, 1 settled)" in html

    make_reports(10, province)
    many, html = quality_queries(staff)
    assert "Reports from the public (7 open, 5 settled)" in html
    assert few == many


def test_the_quality_page_lists_open_reports_first(province):
    staff = client_for(SuperuserFactory())
    settled = ProblemReportFactory(
        record=ObservationFactory(published=True), status=ProblemReport.Status.NOT_A_PROBLEM
    )
    waiting = ProblemReportFactory(record=ProgramFactory(published=True, title_en="Cold chain"))
    html = staff.get(reverse("admin:quality")).content.decode()
    section = html[html.index('id="public-reports"') :]
    assert (
        section.index(url(ProblemReport, "change", waiting.pk))
        < section.index("Latest settled")
        < section.index(url(ProblemReport, "change", settled.pk))
    )
    assert "Cold chain" in section


def test_an_answer_given_in_chinese_only_is_shown_on_the_english_page_too(client, figure):
    ProblemReportFactory(record=figure, answer_zh="已核对来源。", answered_at=timezone.now())
    assert "已核对来源。" in client.get(figure.get_absolute_url()).content.decode()


@pytest.mark.parametrize("kind", ["observation", "program"])
def test_the_public_page_costs_the_same_queries_however_many_answers(client, kind, city):
    record = (
        ObservationFactory(published=True, region=city)
        if kind == "observation"
        else ProgramFactory(published=True, regions=[city])
    )

    def answered(count):
        for _ in range(count):
            ProblemReportFactory(record=record, answer_en="Checked.", answered_at=timezone.now())

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(record.get_absolute_url())
        assert response.status_code == 200
        return len(captured), response.content.decode().count("A reader reported a problem")

    answered(1)
    few, shown = queries()
    assert shown == 1
    answered(5)
    many, shown = queries()
    assert shown == 6
    assert many == few
