"""
Problems the public reports with a published figure or program.

A reader who thinks a figure or a program is wrong says so on the record's
page, without an account; staff look at the report on the Data quality
page, set its status and may give a public answer. The reader's own words
and e-mail address stay with staff: the public page shows only that a
reader reported a problem, when, its status and the staff's answer.

A report points at its record through a generic relation (the metrics app
never imports programs), limited to the kinds in REPORTABLE.
"""

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from metrics.models.history import RecordTrail, RecordTrailQuerySet
from metrics.models.publication import PublicationState
from metrics.translation import Translated

# What the public may report, by the name in the form's address: the
# record's model as (app label, model name).
REPORTABLE = {
    "observation": ("metrics", "observation"),
    "program": ("programs", "program"),
}
DESCRIPTION_MIN_LENGTH = 10
DESCRIPTION_MAX_LENGTH = 2000
# The public page shows a report once staff have answered it in either language.
ANSWERED = ~Q(answer_en="") | ~Q(answer_zh="")
# Staff have still to settle it (ProblemReport.Status: new or confirmed).
OPEN = Q(status__in=["new", "confirmed"])


def reportable_model(kind: str) -> type[models.Model] | None:
    """The model of records of this kind (as named in a report's address), or None."""
    if kind not in REPORTABLE:
        return None
    return apps.get_model(*REPORTABLE[kind])


def report_kind(record) -> str | None:
    """The name of the record's kind in a report's address; None when it cannot be reported."""
    label = (record._meta.app_label, record._meta.model_name)
    return next((kind for kind, model in REPORTABLE.items() if model == label), None)


def published_record(kind: str, pk: int):
    """The published record a reader may report, or None (a draft, a missing record, a kind)."""
    model = reportable_model(kind)
    if model is None:
        return None
    return model._default_manager.published().filter(pk=pk).first()


def record_prefetch() -> GenericPrefetch:
    """Reports' records in one query per kind, with what their names show."""
    lookups = []
    for app_label, model_name in REPORTABLE.values():
        model = apps.get_model(app_label, model_name)
        # An observation is named by its metric and region.
        related = [f.name for f in model._meta.concrete_fields if f.name in ("metric", "region")]
        queryset = model._base_manager.all()
        lookups.append(queryset.select_related(*related) if related else queryset)
    return GenericPrefetch("record", lookups)


class ProblemReportQuerySet(RecordTrailQuerySet):
    def answered(self):
        """Reports with a public answer: the ones the record's public page shows."""
        return self.filter(ANSWERED)

    def open(self):
        """Reports staff have still to settle: new, or confirmed and not corrected yet."""
        return self.filter(OPEN)

    def settled(self):
        """Reports corrected, or found not to be a problem."""
        return self.exclude(OPEN)

    def counts(self) -> dict[str, int]:
        """How many are open and how many settled, in one query."""
        return self.aggregate(open=Count("pk", filter=OPEN), settled=Count("pk", filter=~OPEN))

    def public_for(self, record):
        """
        What the record's public page shows of its reports: the answered
        ones, newest first, without the reader's words or address (they
        are not even read).
        """
        return (
            self.for_record(record)
            .answered()
            .only("created_at", "status", "answer_en", "answer_zh", "answered_at")
            .order_by("-created_at", "-pk")
        )

    def within(self, scope):
        """Reports on records the RegionScope covers."""
        if scope.is_everywhere:
            return self
        condition = Q(pk__in=[])
        for app_label, model_name in REPORTABLE.values():
            model = apps.get_model(app_label, model_name)
            condition |= Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=model._default_manager.within(scope).values("pk"),
            )
        return self.filter(condition)

    def with_records(self):
        """Each report's record read in one query per kind (record_prefetch)."""
        return self.prefetch_related(record_prefetch())


class ProblemReportManager(models.Manager.from_queryset(ProblemReportQuerySet)):
    def submit(self, *, record, description: str, email: str = "", language: str):
        """
        Keep a reader's report on a published record, checked as the model
        checks it (`full_clean`). The public form's one write.
        """
        report = self.model(
            record=record, description=description.strip(), email=email, language=language
        )
        report.full_clean()
        report.save()
        return report


class ProblemReport(RecordTrail):
    """
    A reader's report that a published figure or program looks wrong, with
    the status staff give it and their public answer. The reader's words
    and e-mail address are never changed and never shown publicly.
    """

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed")
        CORRECTED = "corrected", _("Corrected")
        NOT_A_PROBLEM = "not_a_problem", _("Not a problem")

    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("kind of record"),
        on_delete=models.CASCADE,
        limit_choices_to=Q(app_label="metrics", model="observation")
        | Q(app_label="programs", model="program"),
    )
    description = models.TextField(
        _("what looks wrong"),
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text=_("As the reader wrote it; never shown publicly."),
    )
    email = models.EmailField(
        _("e-mail address for an answer"),
        max_length=254,
        blank=True,
        help_text=_("Given by the reader for an answer; never shown publicly."),
    )
    language = models.CharField(
        _("language of the page"), max_length=16, choices=settings.LANGUAGES
    )
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    answer_en = models.TextField(
        _("public answer (English)"),
        blank=True,
        help_text=_("Shown on the record's public page with the status, once given."),
    )
    answer_zh = models.TextField(_("public answer (Chinese)"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answered_problem_reports",
    )

    answer = Translated()

    objects = ProblemReportManager()

    class Meta:
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="problemreport_record"
            ),
            models.Index(fields=["status", "created_at"], name="problemreport_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["new", "confirmed", "corrected", "not_a_problem"]),
                name="problemreport_status_known",
                violation_error_message=_("Unknown status."),
            ),
            models.CheckConstraint(
                condition=~ANSWERED | Q(answered_at__isnull=False),
                name="problemreport_answer_has_date",
                violation_error_message=_("A public answer needs the date it was given."),
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} {self.created_at:%Y-%m-%d} #{self.pk}"

    @property
    def is_answered(self) -> bool:
        return bool(self.answer_en or self.answer_zh)

    @property
    def public_answer(self) -> str:
        """The answer in the reader's language, else in the one staff gave it in."""
        return self.answer or self.answer_zh

    def scope_inherited_from(self) -> list:
        """A report belongs where its record does: staff of the record's regions handle it."""
        return [self.record]

    def clean(self):
        super().clean()
        label = (
            (self.content_type.app_label, self.content_type.model) if self.content_type_id else None
        )
        if label not in REPORTABLE.values():
            raise ValidationError({"content_type": _("Only figures and programs can be reported.")})
        if self.record is None:
            raise ValidationError({"object_id": _("The reported record does not exist.")})
        text = (self.description or "").strip()
        if len(text) < DESCRIPTION_MIN_LENGTH:
            raise ValidationError(
                {
                    "description": _(
                        "Say in a few words what looks wrong (at least %(count)d characters)."
                    )
                    % {"count": DESCRIPTION_MIN_LENGTH}
                }
            )

    def record_is_public(self) -> bool:
        return getattr(self.record, "publication_state", None) == PublicationState.PUBLISHED

    def note_answer(self, *, previous: "ProblemReport | None", user) -> None:
        """
        Date and sign the public answer when it is first given or changed
        (compared with the report as it was before this change).
        """
        before = (previous.answer_en, previous.answer_zh) if previous else ("", "")
        if self.is_answered and (self.answer_en, self.answer_zh) != before:
            self.answered_at = timezone.now()
            self.answered_by = user
