"""The last count of open data-quality warnings, kept for the home page."""

from django.db import connections, models, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QualityCheck(models.Model):
    """
    How many published figures broke a validation rule or disagreed with
    their own computed change, when last counted. Counting reads every
    published figure: too slow for a page once there are millions, so a
    timer runs `manage.py record_quality_check` and the page reads this one
    row (metrics.quality.open_warning_count).
    """

    open_warnings = models.PositiveIntegerField(_("open warnings"))
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        verbose_name = _("data-quality check")
        verbose_name_plural = _("data-quality checks")

    def __str__(self):
        return f"{self.open_warnings} @ {self.checked_at:%Y-%m-%d %H:%M}"


class ContentVersion(models.Model):
    """
    One row: a number the database raises whenever published content
    changes (metrics.content_version). The public page cache keys on it.
    """

    version = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("content version")
        verbose_name_plural = _("content versions")

    def __str__(self):
        return str(self.version)

    @classmethod
    def current(cls, using=None) -> int:
        """The version public reads see now (0 before the first one is counted)."""
        # Every public page reads it: one statement written once, not built by
        # the ORM on each request (a third of a millisecond).
        connection = connections[using or router.db_for_read(cls)]
        quote = connection.ops.quote_name
        version = cls._meta.get_field("version").column
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(version)} FROM {quote(cls._meta.db_table)} "
                f"WHERE {quote(cls._meta.pk.column)} = %s",
                [1],
            )
            row = cursor.fetchone()
        return (row[0] if row else None) or 0
