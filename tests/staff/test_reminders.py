"""
Reminders by e-mail, read where staff would read them: each test starts a
real SMTP server on localhost (aiosmtpd), points Django's SMTP backend at
it, runs the jobs and reads what arrived.

The demo (Shanxi 2020) with its staff accounts (`create_demo_staff`) and a
release calendar that expects each Shanxi city's online retail sales
half-yearly in 2020: Linfen's figures for both halves were never
published, so both are overdue, and the Linfen editor (demo-editor) hears
of each once, however often the jobs run.
"""

import email
import io
import logging
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email import policy as email_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from metrics import reminders
from metrics.models import (
    Basis,
    PublicationState,
    ReleaseCalendar,
    ReminderPreference,
    SentReminder,
)
from metrics.periods import Period, PeriodType
from tests.staff.conftest import client_for, draft_observation, review
from tests.staff.test_import import run_worker
from tests.test_admin import url

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SITE = "https://programs.commerce.example.gov.cn"
H1, H2 = Period.half_year(2020, 1), Period.half_year(2020, 2)


# --- A mail server on localhost ----------------------------------------------------------


@dataclass
class Received:
    """One message as it arrived: to whom, its subject and text, its language."""

    to: list[str]
    subject: str
    body: str
    language: str

    def links(self) -> list[str]:
        return re.findall(rf"{re.escape(SITE)}\S+", self.body)


class Inbox:
    """aiosmtpd's handler: keeps every message it accepts, refuses mail to `refused`."""

    def __init__(self):
        self.messages: list[Received] = []
        self.refused: set[str] = set()
        self.port = free_port()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email_policy.default)
        self.messages.append(
            Received(
                to=list(envelope.rcpt_tos),
                # A long subject comes folded; how a reader sees it, spaces aside.
                subject=" ".join(str(message["Subject"]).split()),
                body=message.get_content(),
                language=str(message["Content-Language"]),
            )
        )
        return "250 Message accepted for delivery"

    def to(self, username: str, subject_start: str = "") -> list[Received]:
        address = f"{username}@example.org"
        return [
            message
            for message in self.messages
            if address in message.to and message.subject.startswith(subject_start)
        ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def send_mail_to_port(settings, port: int) -> None:
    """Django's SMTP backend, as settings.py sets it up with EMAIL_HOST, on localhost."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }


@pytest.fixture
def inbox(settings, caplog):
    """A real SMTP server on localhost, and Django's SMTP backend pointed at it."""
    caplog.set_level(logging.WARNING, logger="mail.log")  # aiosmtpd logs every command
    handler = Inbox()
    server = Controller(handler, hostname="127.0.0.1", port=handler.port)
    server.start()
    send_mail_to_port(settings, handler.port)
    settings.DEFAULT_FROM_EMAIL = "reminders@commerce.example.gov.cn"
    settings.SITE_URL = SITE
    settings.REVIEW_REMINDER_DAYS = 3
    yield handler
    server.stop()


# --- The demo ----------------------------------------------------------------------------


@pytest.fixture
def staff(demo) -> dict:
    """The demo's staff accounts, by name: demo-editor edits Linfen (and its counties)."""
    call_command("create_demo_staff", stdout=io.StringIO())
    return {user.username: user for user in get_user_model().objects.filter(is_staff=True)}


@pytest.fixture
def city_calendar(demo):
    """Each Shanxi city's online retail sales, half-yearly in 2020, due 30 days after each half."""
    return ReleaseCalendar.objects.create(
        metric=demo.sales,
        region=demo.shanxi,
        level="prefecture",
        period_type=PeriodType.HALF_YEAR,
        first_period_start=date(2020, 1, 1),
        last_period_end=date(2020, 12, 31),
        lag_days=30,
        basis=Basis.INFERRED,
        reasoning_en="The department follows each city's online retail sales half-yearly.",
        reasoning_zh="商务厅按半年跟踪各市网络零售额。",
    )


def entry_link(demo, period: Period, language_prefix: str = "") -> str:
    """The staff form for entering Linfen's online retail sales of the period, filled in."""
    return (
        f"{SITE}{language_prefix}/admin/metrics/observation/add/?metric={demo.sales.pk}"
        f"&region={demo.linfen.pk}&period_type=half_year&period_start={period.start}"
        f"&period_end={period.end}"
    )


def week_of(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- Overdue and due soon ----------------------------------------------------------------


def test_the_linfen_editor_hears_once_of_each_overdue_linfen_figure(
    inbox, staff, city_calendar, demo
):
    call_command("schedule_reminders", stdout=io.StringIO())
    assert inbox.messages == [], "the command queues the jobs; the worker sends"

    run_worker()

    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    received = inbox.to("demo-editor")
    assert sorted(message.subject for message in received) == [
        "Overdue: Online retail sales, Linfen, H1 2020",
        "Overdue: Online retail sales, Linfen, H2 2020",
        f"Your weekly digest, {week_of(timezone.localdate())}",
    ]
    [first_half] = inbox.to("demo-editor", "Overdue: Online retail sales, Linfen, H1 2020")
    assert "was due on July 30, 2020 and is not published" in first_half.body
    assert first_half.links()[0] == entry_link(demo, H1)
    [second_half] = inbox.to("demo-editor", "Overdue: Online retail sales, Linfen, H2 2020")
    assert second_half.links()[0] == entry_link(demo, H2)

    call_command("schedule_reminders", stdout=io.StringIO())
    run_worker()

    assert len(inbox.to("demo-editor")) == 3
    sent = [(tuple(message.to), message.subject) for message in inbox.messages]
    assert len(sent) == len(set(sent)), "nobody received anything twice"


def test_only_editors_hear_of_their_regions_figures(inbox, staff, city_calendar):
    reminders.send_reminders()

    # The reviewer and the viewer enter no figures; the superuser edits everywhere.
    assert inbox.to("demo-reviewer") == inbox.to("demo-viewer") == []
    overdue = {message.subject for message in inbox.to("demo-admin", "Overdue")}
    assert "Overdue: Online retail sales, Linfen, H1 2020" in overdue
    assert "Overdue: Online retail sales, Taiyuan, H1 2020" in overdue
    assert not inbox.to("demo-editor", "Overdue: Online retail sales, Taiyuan")


def test_the_link_opens_the_form_for_that_figure_filled_in(inbox, staff, city_calendar, demo):
    reminders.send_reminders()
    [message] = inbox.to("demo-editor", "Overdue: Online retail sales, Linfen, H1 2020")

    page = client_for(staff["demo-editor"]).get(message.links()[0].removeprefix(SITE))

    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form["metric"].value() == str(demo.sales.pk)
    assert form["region"].value() == str(demo.linfen.pk)
    assert (form["period_start"].value(), form["period_end"].value()) == (
        "2020-01-01",
        "2020-06-30",
    )


def test_a_figure_entered_but_unpublished_is_linked_and_a_published_one_is_not_due(
    inbox, staff, city_calendar, demo
):
    draft = draft_observation(demo, demo.linfen, period=H1)
    draft_observation(
        demo,
        demo.linfen,
        period=H2,
        publication_state=PublicationState.PUBLISHED,
        published_at=timezone.now(),
    )

    reminders.send_reminders()

    [message] = inbox.to("demo-editor", "Overdue")
    assert message.subject == "Overdue: Online retail sales, Linfen, H1 2020"
    assert f"{SITE}/admin/metrics/observation/{draft.pk}/change/" in message.links()
    assert "state: Draft" in message.body


def test_a_figure_due_soon_is_announced_then_again_once_overdue(inbox, staff, demo):
    ReleaseCalendar.objects.create(
        metric=demo.sales,
        region=demo.linfen,
        period_type=PeriodType.MONTH,
        first_period_start=date(2026, 10, 1),
        last_period_end=date(2026, 10, 31),
        lag_days=20,
        basis=Basis.INFERRED,
        reasoning_en="Monthly, three weeks after the month.",
    )
    # Due on 20 November 2026.
    before = datetime(2026, 11, 10, 8, tzinfo=timezone.get_current_timezone())

    reminders.send_reminders(now=before)
    reminders.send_reminders(now=before + timedelta(days=1))
    [soon] = inbox.to("demo-editor", "Due on")
    assert soon.subject == "Due on Nov. 20, 2026: Online retail sales, Linfen, Oct 2026"

    reminders.send_reminders(now=before + timedelta(days=11))
    reminders.send_reminders(now=before + timedelta(days=12))
    [late] = inbox.to("demo-editor", "Overdue: Online retail sales, Linfen, Oct 2026")
    assert len(inbox.to("demo-editor", "Due on")) == 1


# --- Each person's choice ----------------------------------------------------------------


def test_reminders_come_in_the_language_each_person_chose(inbox, staff, city_calendar, demo):
    ReminderPreference.objects.create(user=staff["demo-editor"], language="zh-hans")

    reminders.send_reminders()

    received = inbox.to("demo-editor")
    assert len(received) == 2
    assert {message.language for message in received} == {"zh-hans"}
    subjects = " ".join(message.subject for message in received)
    assert "网络零售额" in subjects and "临汾市" in subjects
    assert "2020年上半年" in subjects and "2020年下半年" in subjects
    [first_half] = [message for message in received if "2020年上半年" in message.subject]
    assert "2020年7月30日" in first_half.body
    assert "商务厅按半年跟踪各市网络零售额" in first_half.body
    assert first_half.links()[0] == entry_link(demo, H1, "/zh-hans")
    # Everyone else keeps the site's language.
    assert inbox.to("demo-admin", "Overdue: Online retail sales, Linfen, H1 2020")


def test_a_kind_switched_off_is_not_sent_until_switched_on(inbox, staff, city_calendar):
    preference = ReminderPreference.objects.create(user=staff["demo-editor"], overdue=False)

    reminders.send_reminders()
    assert inbox.to("demo-editor") == []

    preference.overdue = True
    preference.save()
    reminders.send_reminders()
    assert len(inbox.to("demo-editor", "Overdue")) == 2


def test_staff_choose_their_own_reminders_and_see_nobody_elses(staff):
    editor, reviewer = staff["demo-editor"], staff["demo-reviewer"]
    theirs = ReminderPreference.objects.create(user=reviewer)
    client = client_for(editor)

    response = client.post(
        url(ReminderPreference, "add"),
        {"due_soon": "on", "digest": "on", "language": "zh-hans", "user": str(reviewer.pk)},
    )

    assert response.status_code == 302
    mine = ReminderPreference.objects.get(user=editor)
    assert (mine.due_soon, mine.overdue, mine.digest, mine.language) == (
        True,
        False,
        True,
        "zh-hans",
    )
    theirs.refresh_from_db()
    assert theirs.language == "en" and theirs.overdue
    listed = client.get(url(ReminderPreference, "changelist")).context["cl"].result_list
    assert list(listed) == [mine]
    assert client.get(url(ReminderPreference, "change", theirs.pk)).status_code == 404
    # One each: adding another opens one's own.
    assert client.get(url(ReminderPreference, "add")).url == url(
        ReminderPreference, "change", mine.pk
    )
    everyone = client_for(staff["demo-admin"]).get(url(ReminderPreference, "changelist"))
    assert set(everyone.context["cl"].result_list) == {mine, theirs}


# --- Review ------------------------------------------------------------------------------


def test_reviewers_hear_of_records_waiting_longer_than_the_set_days(inbox, staff, demo):
    editor = staff["demo-editor"]
    draft = draft_observation(demo, demo.county, authors=[editor.pk])
    assert review(client_for(editor), draft, PublicationState.IN_REVIEW).status_code == 302
    submitted = timezone.now()

    reminders.send_reminders(now=submitted + timedelta(days=2, hours=23))
    assert inbox.to("demo-reviewer") == []

    reminders.send_reminders(now=submitted + timedelta(days=3, hours=1))
    reminders.send_reminders(now=submitted + timedelta(days=5))

    [message] = inbox.to("demo-reviewer")
    assert message.subject == f"Waiting for your review: {draft}"
    assert "submitted for review by demo-editor" in message.body
    assert "has waited 3 days" in message.body
    assert message.links()[0] == f"{SITE}/admin/metrics/observation/{draft.pk}/review/"
    assert inbox.to("demo-editor", "Waiting") == [], "the editor may not publish it"


def test_the_wait_before_a_review_reminder_is_a_setting(inbox, staff, demo, settings):
    settings.REVIEW_REMINDER_DAYS = 1
    editor = staff["demo-editor"]
    draft = draft_observation(demo, demo.county, authors=[editor.pk])
    review(client_for(editor), draft, PublicationState.IN_REVIEW)

    reminders.send_reminders(now=timezone.now() + timedelta(days=1, hours=1))

    assert len(inbox.to("demo-reviewer", "Waiting for your review")) == 1


def test_a_returned_draft_reaches_its_author_with_the_note(inbox, staff, demo):
    editor, reviewer = staff["demo-editor"], staff["demo-reviewer"]
    draft = draft_observation(demo, demo.county, authors=[editor.pk])
    review(client_for(editor), draft, PublicationState.IN_REVIEW)
    draft.refresh_from_db()
    note = "The article says more than 30 million yuan: mark the qualifier."
    assert review(client_for(reviewer), draft, PublicationState.DRAFT, note).status_code == 302

    reminders.send_reminders()
    reminders.send_reminders()

    [message] = inbox.to("demo-editor", "Returned to draft")
    assert message.subject == f"Returned to draft: {draft}"
    assert "demo-reviewer returned the observation" in message.body
    assert note in message.body
    assert message.links()[0] == f"{SITE}/admin/metrics/observation/{draft.pk}/change/"
    assert inbox.to("demo-reviewer", "Returned") == []

    # Submitted again and returned again: a new return, a new reminder.
    draft.refresh_from_db()
    review(client_for(editor), draft, PublicationState.IN_REVIEW)
    draft.refresh_from_db()
    review(client_for(reviewer), draft, PublicationState.DRAFT, "Still the qualifier.")
    reminders.send_reminders()
    first, second = inbox.to("demo-editor", "Returned to draft")
    assert "Still the qualifier." in second.body


# --- The weekly digest ---------------------------------------------------------------------


def test_the_weekly_digest_lists_what_is_open_once_a_week(inbox, staff, city_calendar, demo):
    ReminderPreference.objects.create(user=staff["demo-admin"], digest=False)
    monday = datetime(2026, 11, 30, 8, tzinfo=timezone.get_current_timezone())

    reminders.send_weekly_digests(now=monday)
    reminders.send_weekly_digests(now=monday + timedelta(days=4))

    [digest] = inbox.to("demo-editor")
    assert digest.subject == "Your weekly digest, 2026-W49"
    assert "2 overdue figures" in digest.body
    assert "- Online retail sales, Linfen, H1 2020 (due on July 30, 2020)" in digest.body
    assert "- Online retail sales, Linfen, H2 2020 (due on Jan. 30, 2021)" in digest.body
    assert {entry_link(demo, H1), entry_link(demo, H2)} <= set(digest.links())
    # Nothing open for the viewer; the superuser switched the digest off.
    assert inbox.to("demo-viewer") == inbox.to("demo-admin") == []

    reminders.send_weekly_digests(now=monday + timedelta(days=7))

    assert [message.subject for message in inbox.to("demo-editor")] == [
        "Your weekly digest, 2026-W49",
        "Your weekly digest, 2026-W50",
    ]


def test_the_digest_tells_reviewers_what_waits_for_them(inbox, staff, demo):
    editor = staff["demo-editor"]
    draft = draft_observation(demo, demo.county, authors=[editor.pk])
    review(client_for(editor), draft, PublicationState.IN_REVIEW)

    reminders.send_weekly_digests()

    [digest] = inbox.to("demo-reviewer")
    assert "1 record waiting for your review" in digest.body
    assert f"{SITE}/admin/metrics/observation/{draft.pk}/review/" in digest.links()


# --- Delivery ----------------------------------------------------------------------------


def test_a_reminder_the_server_refused_goes_on_the_next_run_and_no_other_twice(
    inbox, staff, city_calendar
):
    inbox.refused.add("demo-editor@example.org")

    with pytest.raises(reminders.DeliveryFailed):
        reminders.send_reminders()

    assert inbox.to("demo-editor") == []
    sent_to_admin = len(inbox.to("demo-admin"))
    assert sent_to_admin > 0, "the others still went"

    inbox.refused.clear()
    reminders.send_reminders()

    assert len(inbox.to("demo-editor")) == 2
    assert len(inbox.to("demo-admin")) == sent_to_admin


def test_nothing_counts_as_sent_while_the_mail_server_is_down(
    inbox, staff, city_calendar, settings
):
    send_mail_to_port(settings, free_port())  # nothing listens there

    with pytest.raises(OSError):
        reminders.send_reminders()
    assert not SentReminder.objects.exists()

    send_mail_to_port(settings, inbox.port)
    reminders.send_reminders()
    assert len(inbox.to("demo-editor")) == 2


def test_schedule_reminders_now_sends_without_a_worker(inbox, staff, city_calendar):
    call_command("schedule_reminders", "--now", stdout=io.StringIO())

    assert not DBTaskResult.objects.exists()
    assert len(inbox.to("demo-editor")) == 3  # two overdue figures and the digest


@pytest.mark.parametrize(
    ("host", "backend"),
    [("", "console"), ("smtp.commerce.example.gov.cn", "smtp")],
)
def test_mail_goes_to_an_smtp_server_only_when_one_is_configured(host, backend):
    """Without EMAIL_HOST (as `make run` starts), messages are printed, not sent."""
    environment = {key: value for key, value in os.environ.items() if "EMAIL" not in key}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings", DJANGO_SECRET_KEY="x", EMAIL_HOST=host
    )
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.MAILERS['default']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == f"django.core.mail.backends.{backend}.EmailBackend"
