"""
Reminders by e-mail, sent by the scheduled jobs of metrics.tasks:

- to editors, for each figure of their regions a release calendar expects
  that is due within two weeks, and again once it is overdue;
- to whoever submitted or changed a draft a reviewer returned, with the note;
- to reviewers, for each record they may publish that has waited in review
  longer than settings.REVIEW_REMINDER_DAYS;
- once a week, to each of them, a digest of everything still open.

Each person chooses which of these they receive and in which language
(ReminderPreference); each message links to the exact staff page. Every
reminder has a key (the expected figure, the review step, the week), and
its SentReminder row is written in the transaction that sends it, kept only
if the message went: a job run again sends nothing new.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from metrics.models import (
    ExpectedFigure,
    Observation,
    PublicationState,
    Publishable,
    ReminderKind,
    ReminderPreference,
    ReviewStep,
    SentReminder,
    expected_figures,
)
from metrics.workflow import policy
from metrics.workflow.policy import Role, Step
from metrics.workflow.scope import RegionScope

logger = logging.getLogger(__name__)

# A digest lists this many entries of each kind; the counts say how many in all.
DIGEST_ENTRIES = 50


class DeliveryFailed(Exception):
    """Some reminders could not be sent; they were not recorded, so the next run tries again."""


def absolute(path: str) -> str:
    """A link for an e-mail: the staff site's address (settings.SITE_URL) and the path."""
    return settings.SITE_URL.rstrip("/") + path


def admin_link(record, view: str = "change") -> str:
    """The record's page in the staff site, in the active language."""
    opts = record._meta
    return absolute(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[quote(record.pk)])
    )


# --- What a reminder is about ----------------------------------------------------------


@dataclass(frozen=True)
class FigureDue:
    """A figure a calendar expects, with the unpublished figure already entered for it, if any."""

    expected: ExpectedFigure
    record: Observation | None

    def link(self) -> str:
        """The figure's page if one was entered, else the form to enter it, filled in."""
        if self.record is not None:
            return admin_link(self.record)
        period = self.expected.period
        query = urlencode(
            {
                "metric": self.expected.metric.pk,
                "region": self.expected.region.pk,
                "period_type": period.type,
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
            }
        )
        return absolute(reverse("admin:metrics_observation_add")) + "?" + query


@dataclass(frozen=True)
class ReturnedDraft:
    """A draft a reviewer returned (`step`, with the reviewer and the note), not resubmitted."""

    record: Publishable
    step: ReviewStep

    @property
    def key(self) -> str:
        return f"{self.record._meta.label_lower}/{self.record.pk}/returned/{self.step.pk}"

    @property
    def kind_name(self) -> str:
        return str(self.record._meta.verbose_name)

    def link(self) -> str:
        return admin_link(self.record)


@dataclass(frozen=True)
class AwaitingReview:
    """A record in review since `submitted` (a review step), as of `now`."""

    record: Publishable
    submitted: ReviewStep
    now: datetime

    @property
    def key(self) -> str:
        return f"{self.record._meta.label_lower}/{self.record.pk}/submitted/{self.submitted.pk}"

    @property
    def kind_name(self) -> str:
        return str(self.record._meta.verbose_name)

    @property
    def days(self) -> int:
        return (self.now - self.submitted.at).days

    def has_waited(self, days: int) -> bool:
        return self.submitted.at <= self.now - timedelta(days=days)

    def link(self) -> str:
        return admin_link(self.record, "review")


@dataclass(frozen=True)
class Reminder:
    """One message to one person: its kind, the key that makes it go once, what it says."""

    kind: ReminderKind
    key: str
    context: dict = field(default_factory=dict)


# --- What is open now, for everyone ------------------------------------------------------


def figures_due(*, today: date) -> list[FigureDue]:
    """Every figure due soon or overdue, once each, with any unpublished figure entered for it."""
    # Two calendars may expect the same figure: it is one reminder.
    expected = {}
    for item in expected_figures(today=today):
        expected.setdefault(item.key, item)
    if not expected:
        return []
    candidates = Observation.objects.canonical().filter(
        metric_id__in={item.metric.pk for item in expected.values()},
        region_id__in={item.region.pk for item in expected.values()},
    )
    entered = {
        (figure.metric_id, figure.region_id, figure.period): figure
        for figure in candidates.select_related("metric", "region")
    }
    return [
        FigureDue(item, entered.get((item.metric.pk, item.region.pk, item.period)))
        for item in expected.values()
    ]


def publishable_models() -> list:
    """Every kind of record that goes through review (figures, programs, references...)."""
    return [model for model in apps.get_models() if issubclass(model, Publishable)]


def returned_drafts() -> dict[int, list[ReturnedDraft]]:
    """
    Drafts whose latest review step is a reviewer's return, by the user id of
    each person to tell: whoever submitted it and whoever changed it since it
    was last published, but not the reviewer who returned it.
    """
    later = ReviewStep.objects.filter(
        content_type=OuterRef("content_type"),
        object_id=OuterRef("object_id"),
        pk__gt=OuterRef("pk"),
    )
    returns = (
        ReviewStep.objects.filter(
            from_state=PublicationState.IN_REVIEW, to_state=PublicationState.DRAFT
        )
        .exclude(Exists(later))
        .select_related("user", "content_type")
    )
    by_model = defaultdict(dict)
    for step in returns:
        by_model[step.content_type.model_class()][step.object_id] = step
    found = defaultdict(list)
    for model, steps_by_record in by_model.items():
        if model is None:
            continue
        drafts = model._base_manager.filter(
            pk__in=steps_by_record, publication_state=PublicationState.DRAFT
        )
        submitters = _submitters(model, steps_by_record)
        for record in drafts:
            step = steps_by_record[record.pk]
            people = {*(record.authors or []), submitters.get(record.pk)} - {None, step.user_id}
            for user_id in people:
                found[user_id].append(ReturnedDraft(record, step))
    return found


def _submitters(model, returns: dict[int, ReviewStep]) -> dict[int, int]:
    """Who submitted each record for the review that ended in its return."""
    submissions = (
        ReviewStep.objects.for_model(model)
        .filter(object_id__in=returns, to_state=PublicationState.IN_REVIEW)
        .order_by("pk")
        .values_list("object_id", "pk", "user_id")
    )
    found = {}
    for object_id, pk, user_id in submissions:
        if pk < returns[object_id].pk:
            found[object_id] = user_id
    return found


def awaiting_review(*, now: datetime) -> list[AwaitingReview]:
    """Every record in review, with the step that submitted it (records without one are skipped)."""
    found = []
    for model in publishable_models():
        records = {
            record.pk: record
            for record in model._base_manager.filter(publication_state=PublicationState.IN_REVIEW)
        }
        if not records:
            continue
        submitted = {}
        for step in (
            ReviewStep.objects.for_model(model)
            .filter(object_id__in=records, to_state=PublicationState.IN_REVIEW)
            .select_related("user")
            .order_by("pk")
        ):
            submitted[step.object_id] = step  # the latest submission wins
        found += [AwaitingReview(records[pk], step, now) for pk, step in submitted.items()]
    return sorted(found, key=lambda item: item.submitted.at)


@dataclass
class OpenWork:
    """What is open for everyone now; `for_person` picks each person's share."""

    due: list[FigureDue]
    returned: dict[int, list[ReturnedDraft]]
    waiting: list[AwaitingReview]

    @classmethod
    def now(cls, now: datetime) -> "OpenWork":
        return cls(
            due=figures_due(today=timezone.localdate(now)),
            returned=returned_drafts(),
            waiting=awaiting_review(now=now),
        )

    def for_person(self, user) -> dict[str, list]:
        """The person's share: figures of their regions if they edit, records they may publish."""
        roles = policy.roles_of(user)
        due, waiting = [], []
        if Role.EDITOR in roles:
            scope = RegionScope.for_user(user)
            due = [item for item in self.due if scope.contains(item.expected.region)]
        if Role.REVIEWER in roles:
            waiting = [item for item in self.waiting if policy.can(user, Step.PUBLISH, item.record)]
        return {
            "overdue": [item for item in due if item.expected.overdue],
            "due_soon": [item for item in due if not item.expected.overdue],
            "returned": self.returned.get(user.pk, []),
            "waiting": waiting,
        }


def staff_to_remind():
    """Active staff accounts with an e-mail address."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(email="")
        .order_by("pk")
    )


# --- Each person's reminders ----------------------------------------------------------------


def reminders_for(user, work: OpenWork) -> list[Reminder]:
    """One reminder per open item of the person's share: figure, returned draft, waiting record."""
    share = work.for_person(user)
    reminders = [
        Reminder(ReminderKind.OVERDUE, item.expected.key, {"item": item})
        for item in share["overdue"]
    ]
    reminders += [
        Reminder(ReminderKind.DUE_SOON, item.expected.key, {"item": item})
        for item in share["due_soon"]
    ]
    reminders += [
        Reminder(ReminderKind.RETURNED, item.key, {"item": item}) for item in share["returned"]
    ]
    reminders += [
        Reminder(ReminderKind.WAITING, item.key, {"item": item})
        for item in share["waiting"]
        if item.has_waited(settings.REVIEW_REMINDER_DAYS)
    ]
    return reminders


def digest_for(user, work: OpenWork, *, today: date) -> Reminder | None:
    """The person's weekly digest (keyed by the ISO week), or None when nothing is open."""
    share = work.for_person(user)
    if not any(share.values()):
        return None
    year, week, _weekday = today.isocalendar()
    context = {"week": f"{year}-W{week:02d}", "shown": DIGEST_ENTRIES}
    for name, items in share.items():
        context[name] = items[:DIGEST_ENTRIES]
        context[f"{name}_count"] = len(items)
    return Reminder(ReminderKind.DIGEST, context["week"], context)


# --- Composing and sending ------------------------------------------------------------------


def preferences_link(preference: ReminderPreference) -> str:
    """Where the person changes what they receive: their settings, or the form to make them."""
    if preference.pk is not None:
        return admin_link(preference)
    return absolute(reverse("admin:metrics_reminderpreference_add"))


def compose(user, preference: ReminderPreference, reminder: Reminder) -> mail.EmailMessage:
    """The message, in the person's language, from templates/emails/<kind>(_subject).txt."""
    with translation.override(preference.language):
        context = {
            **reminder.context,
            "name": user.get_full_name() or user.get_username(),
            "preferences_link": preferences_link(preference),
            "quality_link": absolute(reverse("admin:quality")),
        }
        subject = render_to_string(f"emails/{reminder.kind}_subject.txt", context)
        body = render_to_string(f"emails/{reminder.kind}.txt", context)
    return mail.EmailMessage(
        subject=" ".join(subject.split()),  # a header is one line
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated", "Content-Language": preference.language},
    )


def deliver(pending: list[tuple[object, ReminderPreference, Reminder]]) -> int:
    """
    Send each reminder and record it, in one transaction per message: the
    row is kept only if the message went, and a row another run wrote first
    stops the message (the unique constraint waits for that run's
    transaction). Failures are logged and the rest still go; then
    DeliveryFailed says how many did not (they are tried again next run).
    """
    if not pending:
        return 0
    sent = failed = 0
    # One connection for the whole run: settings.MAILERS["default"].
    with mail.mailers.default as mailer:
        for user, preference, reminder in pending:
            message = compose(user, preference, reminder)
            try:
                with transaction.atomic():
                    SentReminder.objects.create(user=user, kind=reminder.kind, key=reminder.key)
                    mailer.send_messages([message])
            except IntegrityError:
                continue  # another run sent it meanwhile
            except OSError:  # smtplib's errors are OSErrors too
                logger.exception("Reminder %s %s to %s not sent", reminder.kind, reminder.key, user)
                failed += 1
                mailer.close()  # the next message opens a fresh connection
                continue
            sent += 1
    if failed:
        raise DeliveryFailed(f"{failed} reminders not sent (and {sent} sent); see the log.")
    return sent


def _unsent(people, preferences, reminders_of) -> list:
    """Each person's reminders they want and have not been sent yet."""
    sent = SentReminder.objects.ledger(people)
    pending = []
    for user in people:
        preference = preferences[user.pk]
        for reminder in reminders_of(user):
            wanted = preference.wants(reminder.kind)
            if wanted and (user.pk, reminder.kind, reminder.key) not in sent:
                pending.append((user, preference, reminder))
    return pending


def send_reminders(*, now: datetime | None = None) -> int:
    """
    Send every reminder that is due and was not sent yet: figures due soon
    and overdue, returned drafts, records waiting for review. Returns how
    many messages went.
    """
    now = now or timezone.now()
    work = OpenWork.now(now)
    people = list(staff_to_remind())
    preferences = ReminderPreference.objects.for_users(people)
    return deliver(_unsent(people, preferences, lambda user: reminders_for(user, work)))


def send_weekly_digests(*, now: datetime | None = None) -> int:
    """
    Send this week's digest to each person who wants one and has something
    open, once per ISO week however often it runs. Returns how many went.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    work = OpenWork.now(now)
    people = list(staff_to_remind())
    preferences = ReminderPreference.objects.for_users(people)

    def digest(user):
        found = digest_for(user, work, today=today)
        return [found] if found is not None else []

    return deliver(_unsent(people, preferences, digest))
