"""What staff may do and what they did: region assignments and review steps."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from metrics.models.history import RecordTrail, RecordTrailQuerySet
from metrics.models.publication import PublicationState


class RegionAssignment(models.Model):
    """A region a staff account works on; its rights cover everything below it too."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff account"),
        on_delete=models.CASCADE,
        related_name="region_assignments",
    )
    region = models.ForeignKey(
        "metrics.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )

    class Meta:
        verbose_name = _("region assignment")
        verbose_name_plural = _("region assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "region"],
                name="regionassignment_once",
                violation_error_message=_("This region is already assigned to this account."),
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.region}"


class ReviewStepQuerySet(RecordTrailQuerySet):
    def for_record(self, record):
        return super().for_record(record).select_related("user")


class ReviewStep(RecordTrail):
    """One move through review — submitted, published, returned, withdrawn — by whom and when."""

    from_state = models.CharField(_("from"), max_length=16, choices=PublicationState)
    to_state = models.CharField(_("to"), max_length=16, choices=PublicationState)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="review_steps",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    is_correction = models.BooleanField(_("correction of a published figure"), default=False)

    objects = ReviewStepQuerySet.as_manager()

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="reviewstep_record"),
        ]

    def __str__(self):
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"
