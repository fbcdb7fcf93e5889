"""The last count of open data-quality warnings, kept for the home page."""

from django.db import models
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
