"""Statistics releases uploaded by staff, checked and imported in the background."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from metrics.periods import PeriodType


class ImportJobQuerySet(models.QuerySet):
    def running(self):
        return self.filter(state__in=ImportJob.RUNNING)

    def stalled(self, *, since):
        """Jobs whose worker gave no sign of life since then: it was stopped or killed."""
        return self.running().filter(heartbeat_at__lt=since)


class ImportJob(models.Model):
    """
    One uploaded release and what became of it: who uploaded which file
    (name and SHA-256), the check that previews it, the import that writes
    it once staff confirm, their progress and their outcome. The file is
    kept, so a job that failed can be run again.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting to be checked")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked: waiting for confirmation")
        INVALID = "invalid", _("Invalid rows: nothing imported")
        QUEUED = "queued", _("Confirmed: waiting to import")
        IMPORTING = "importing", _("Importing")
        IMPORTED = "imported", _("Imported")
        REFUSED = "refused", _("Refused at import: nothing imported")
        FAILED = "failed", _("Failed: nothing imported")
        CANCELLED = "cancelled", _("Cancelled: nothing imported")

    RUNNING = (State.WAITING, State.CHECKING, State.QUEUED, State.IMPORTING)
    FINISHED = (State.INVALID, State.IMPORTED, State.REFUSED, State.FAILED, State.CANCELLED)

    file = models.FileField(_("file"), upload_to="releases/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    checksum = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    headers = models.JSONField(
        _("headers as in the file"), default=list, blank=True, help_text=_("One per column.")
    )
    language = models.CharField(
        _("language"),
        max_length=16,
        default="en",
        help_text=_("The uploader's: the job's messages are written in it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.WAITING)
    started_at = models.DateTimeField(_("step started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of work"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    fraction_read = models.FloatField(_("part of the file read"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_invalid = models.PositiveIntegerField(_("invalid rows"), default=0)
    rows_new = models.PositiveIntegerField(_("new figures"), default=0)
    rows_changed = models.PositiveIntegerField(_("changed figures"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged figures"), default=0)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    message = models.TextField(_("outcome"), blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("release import")
        verbose_name_plural = _("release imports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="importjob_running")]

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("admin:metrics_importjob_change", args=[self.pk])

    def header_of(self, column: str) -> str:
        """A column as the file named it ("地区" rather than "region")."""
        return dict(zip(self.columns, self.headers, strict=False)).get(column, column)

    @property
    def is_running(self) -> bool:
        return self.state in self.RUNNING

    @property
    def rows_valid(self) -> int:
        return self.rows_new + self.rows_changed + self.rows_unchanged

    @property
    def percent(self) -> int:
        """How far the current step is, in percent (what the progress bar shows)."""
        if self.state in (self.State.CHECKED, *self.FINISHED):
            return 100
        return int(self.fraction_read * 100)

    @property
    def seconds_left(self) -> int | None:
        """Estimated seconds until the current step ends, from its pace so far."""
        if not self.is_running or not self.started_at or self.fraction_read <= 0.02:
            return None
        spent = (timezone.now() - self.started_at).total_seconds()
        return max(int(spent / self.fraction_read - spent), 0)


class ImportRowQuerySet(models.QuerySet):
    def written_into(self, figure):
        """The imported rows that created or changed the figure, newest first, with their jobs."""
        return (
            self.filter(
                metric_id=figure.metric_id,
                region_id=figure.region_id,
                period_start=figure.period_start,
                period_end=figure.period_end,
                changes=True,
                job__state=ImportJob.State.IMPORTED,
            )
            .select_related("job__created_by")
            .order_by("-job__finished_at", "-pk")
        )


class ImportRow(models.Model):
    """
    A valid row of an uploaded release, as the check read it and the import
    wrote it: the figure's values, and the stored figure it would change
    (its id, version and state when the check ran). Kept after the import
    as its record: which figure (by metric, region and period) each row
    created or changed, and from what values.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("line"))
    # Ids rather than constraints: written by COPY, and kept as the record
    # of the import even if a draft it made is deleted later.
    metric = models.ForeignKey(
        "metrics.Metric",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    region = models.ForeignKey(
        "metrics.Region",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    period_type = models.CharField(max_length=16, choices=PeriodType)
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    value_qualifier = models.CharField(max_length=16)
    yoy_change = models.DecimalField(max_digits=9, decimal_places=2, null=True)
    source = models.ForeignKey(
        "metrics.Source",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )
    source_quote = models.TextField(blank=True)
    figure = models.ForeignKey(
        "metrics.Observation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
        help_text=_("The stored figure the row matched when it was checked."),
    )
    figure_version = models.PositiveIntegerField(null=True)
    # Defaults in the database too: the check writes rows by COPY.
    figure_state = models.CharField(max_length=16, blank=True, default="", db_default="")
    changes = models.BooleanField(_("changes the figure"), default=True, db_default=True)
    before = models.JSONField(_("values before the import"), null=True)

    objects = ImportRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        indexes = [
            models.Index(fields=["job", "line"], name="importrow_job_line"),
            # "Which imports wrote this figure?" for its history.
            models.Index(fields=["metric", "region", "period_end"], name="importrow_figure"),
        ]

    def __str__(self):
        return f"{self.job_id}:{self.line}"


class ImportProblem(models.Model):
    """Why a row of a release was refused: its line, its column and the message."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="problems")
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=40, blank=True)
    message = models.TextField(_("message"))
    cells = models.JSONField(_("the row as uploaded"), default=dict)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["line", "pk"]
        indexes = [models.Index(fields=["job", "line"], name="importproblem_job_line")]

    def __str__(self):
        return f"{self.line} {self.column}: {self.message}"

    @property
    def header(self) -> str:
        """The problem's column as the file named it."""
        return self.job.header_of(self.column) if self.column else ""
