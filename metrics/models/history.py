"""What happened to records of any kind: review steps and earlier published versions."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class RecordTrailQuerySet(models.QuerySet):
    def for_record(self, record):
        return self.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )

    def for_model(self, model):
        return self.filter(content_type=ContentType.objects.get_for_model(model))


class RecordTrail(models.Model):
    """Abstract base for entries about one record of any publishable kind."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True


class PublishedVersionQuerySet(RecordTrailQuerySet):
    def for_record(self, record):
        """The record's earlier published versions, newest first."""
        return super().for_record(record).order_by("-replaced_at", "-pk")


class PublishedVersion(RecordTrail):
    """
    What the public saw of a record before a reviewed correction replaced it
    (or before it was withdrawn), kept public as the record's revision
    history, as statistics offices keep the earlier values of revised
    releases. Written by the review workflow alone, never edited.
    """

    class Reason(models.TextChoices):
        CORRECTED = "corrected", _("Corrected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    content = models.JSONField(
        _("content as published"),
        encoder=DjangoJSONEncoder,
        help_text=_("The published fields and parts, as the public saw them."),
    )
    published_at = models.DateTimeField(_("public from"), null=True)
    replaced_at = models.DateTimeField(_("replaced at"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason)
    note = models.TextField(_("note"), blank=True)

    objects = PublishedVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("earlier published version")
        verbose_name_plural = _("earlier published versions")
        ordering = ["-replaced_at", "-pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "replaced_at"], name="publishedversion_record"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} {self.replaced_at:%Y-%m-%d}"
