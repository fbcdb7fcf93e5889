"""
E-mail reminders: what each staff member chooses to receive, and the ledger
of what was sent, which makes every reminder go once however often the
scheduled job runs (metrics.reminders composes and sends them).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    """The reminders a person can receive; each is a switch on their ReminderPreference."""

    DUE_SOON = "due_soon", _("figures due soon")
    OVERDUE = "overdue", _("overdue figures")
    RETURNED = "returned", _("drafts returned to me")
    WAITING = "waiting", _("records waiting for my review")
    DIGEST = "digest", _("weekly digest")


def default_language() -> str:
    """The site's language: a callable, so that migrations do not freeze today's setting."""
    return settings.LANGUAGE_CODE


class ReminderPreferenceQuerySet(models.QuerySet):
    def for_users(self, users) -> dict[int, "ReminderPreference"]:
        """
        Each user's preference by user id, or the defaults (everything, in
        the site's language) for those who never chose: not saved, so that a
        job reading them writes nothing.
        """
        chosen = {preference.user_id: preference for preference in self.filter(user__in=users)}
        return {user.pk: chosen.get(user.pk) or self.model(user=user) for user in users}


class ReminderPreference(models.Model):
    """Which reminders a staff member receives by e-mail, and in which language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff account"),
        on_delete=models.CASCADE,
        related_name="reminder_preference",
    )
    # One switch per ReminderKind, named as its value (`wants()` reads them).
    due_soon = models.BooleanField(
        _("figures due soon"),
        default=True,
        help_text=_("A figure of your regions is due within two weeks and is not published yet."),
    )
    overdue = models.BooleanField(
        _("overdue figures"),
        default=True,
        help_text=_("A figure of your regions is past its due date and is not published."),
    )
    returned = models.BooleanField(
        _("drafts returned to me"),
        default=True,
        help_text=_("A reviewer returned a draft you submitted or changed, with a note."),
    )
    waiting = models.BooleanField(
        _("records waiting for my review"),
        default=True,
        help_text=_("A record you may publish has waited in review longer than the set time."),
    )
    digest = models.BooleanField(
        _("weekly digest"),
        default=True,
        help_text=_("Once a week, everything above that is still open, in one message."),
    )
    language = models.CharField(
        _("language"),
        max_length=16,
        choices=settings.LANGUAGES,
        default=default_language,
        help_text=_("The language of the messages and of the staff pages they link to."),
    )

    objects = ReminderPreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")

    def __str__(self):
        return str(self.user)

    def wants(self, kind: str) -> bool:
        """Whether the person receives reminders of this kind."""
        return getattr(self, ReminderKind(kind).value)


class SentReminderQuerySet(models.QuerySet):
    def ledger(self, users) -> set[tuple[int, str, str]]:
        """(user id, kind, key) of every reminder already sent to these users."""
        return set(self.filter(user__in=users).values_list("user_id", "kind", "key"))


class SentReminder(models.Model):
    """
    One reminder sent to one person. The row is written in the transaction
    that sends the message and kept only if the message went, and the
    constraint refuses a second row: a job run again, or two workers at
    once, never send the same reminder twice.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff account"),
        on_delete=models.CASCADE,
        related_name="sent_reminders",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReminderKind)
    key = models.CharField(
        _("about"),
        max_length=255,
        help_text=_("What the reminder was about: an expected figure, a review step, a week."),
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    objects = SentReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("sent reminder")
        verbose_name_plural = _("sent reminders")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="sentreminder_once")
        ]

    def __str__(self):
        return f"{self.user} – {self.get_kind_display()}: {self.key}"
