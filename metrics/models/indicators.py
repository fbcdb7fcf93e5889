"""Indicators: what is measured, in which unit and how often."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from metrics.formatting import DisplayScale, Qualifier, Unit, format_figure, scale_for
from metrics.links import record_url
from metrics.models.publication import (
    LockVersioned,
    Publishable,
    PublishableQuerySet,
    correction_constraints,
)
from metrics.statements import StatedBases
from metrics.translation import Translated, is_chinese


class MetricQuerySet(PublishableQuerySet):
    def with_published_data(self):
        """Published metrics that have at least one published observation."""
        from metrics.models import Observation

        return self.published().filter(
            models.Exists(Observation.objects.published().filter(metric=models.OuterRef("pk")))
        )

    def for_public_list(self):
        """Public metrics with the end of their latest published period."""
        from metrics.models import Observation

        latest = (
            Observation.objects.published()
            .filter(metric=models.OuterRef("pk"))
            .order_by("-period_end")
            .values("period_end")[:1]
        )
        return self.with_published_data().annotate(latest_period_end=models.Subquery(latest))


class MetricManager(models.Manager.from_queryset(MetricQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Metric(StatedBases, Publishable, LockVersioned):
    """An indicator such as online retail sales, with its unit and reporting rhythm."""

    stated = {"definition": _("definition"), "frequency": _("frequency")}

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        HALF_YEARLY = "half_yearly", _("Half-yearly")
        YEARLY = "yearly", _("Yearly")
        IRREGULAR = "irregular", _("Irregular")

    class Direction(models.TextChoices):
        HIGHER_IS_BETTER = "higher", _("Higher is better")
        LOWER_IS_BETTER = "lower", _("Lower is better")
        NEUTRAL = "neutral", _("Neither")

    class Category(models.TextChoices):
        ONLINE_RETAIL = "online_retail", _("Online retail")
        RURAL_ECOMMERCE = "rural_ecommerce", _("Rural e-commerce")
        AGRICULTURE = "agriculture", _("Agricultural products")
        SERVICES = "services", _("Internet and related services")
        CAMPAIGNS = "campaigns", _("Promotional campaigns")
        LOGISTICS = "logistics", _("Logistics")
        OTHER = "other", _("Other")

    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    definition_en = models.TextField(_("definition (English)"), blank=True)
    definition_zh = models.TextField(_("definition (Chinese)"), blank=True)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit)
    display_scale = models.PositiveSmallIntegerField(
        _("display scale"),
        choices=DisplayScale,
        default=DisplayScale.ONE,
        help_text=_(
            "Figures are stored in units and shown in this scale (in Chinese as 万 or 亿)."
        ),
    )
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency)
    is_cumulative = models.BooleanField(
        _("cumulative year to date"),
        default=False,
        help_text=_("Releases report the total from January to the latest month."),
    )
    is_share = models.BooleanField(
        _("share of a whole"),
        default=False,
        help_text=_("Values are percentages of a whole, so they lie between 0 and 100."),
    )
    direction = models.CharField(
        _("better direction"), max_length=16, choices=Direction, default=Direction.HIGHER_IS_BETTER
    )
    category = models.CharField(_("category"), max_length=32, choices=Category)
    source = models.ForeignKey(
        "metrics.Source",
        verbose_name=_("definition source"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="metrics",
    )

    name = Translated()
    definition = Translated()

    objects = MetricManager()

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        ordering = ["category", "name_en"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_share=False) | Q(unit=Unit.PERCENT),
                name="metric_share_in_percent",
                violation_error_message=_("A share of a whole is measured in percent."),
            ),
            *correction_constraints("metric"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return record_url("metrics:metric-detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    identity_fields = ("slug",)
    is_shared_reference = True

    def public_dependencies(self) -> list:
        return [self.source]

    def clean(self):
        # A correction is checked against the figures of the metric it corrects.
        measured = self.revision_of if self.revision_of_id else self
        if self.is_share and measured.pk is not None:
            outside = measured.observations.filter(value__isnull=False).exclude(
                value__gte=0, value__lte=100
            )
            if outside.exists():
                raise ValidationError(
                    {
                        "is_share": _(
                            "%(count)d figures of this metric lie outside 0–100, so it cannot "
                            "be a share of a whole; correct them first."
                        )
                        % {"count": outside.count()}
                    }
                )

    def format_value(
        self,
        value: Decimal | None,
        qualifier: str = Qualifier.EXACT,
        language: str | None = None,
        *,
        in_display_scale: bool = False,
    ) -> str:
        """
        Write a value of this metric in the scale its size calls for: "85
        million yuan", "10.77 billion yuan"; `in_display_scale` writes it
        in the metric's display scale, for figures read along one scale.
        """
        scale = self.display_scale if in_display_scale else None
        return format_figure(
            value, unit=self.unit, scale=scale, qualifier=qualifier, language=language
        )

    def unit_description(self, language: str | None = None) -> str:
        """
        The unit as the metric page states it, with the scale its charts'
        axes share: "yuan; charts in billion yuan", "元；图表以亿元为单位".
        """
        unit = self.get_unit_display()
        if not self.display_scale or self.unit not in (Unit.YUAN, Unit.US_DOLLAR, Unit.COUNT):
            return str(unit)
        _power, scaled = scale_for(self.unit, self.display_scale, language)
        if not is_chinese(language) and self.unit == Unit.COUNT:
            scaled = f"{scaled}s"  # "charts in millions"
        return gettext("%(unit)s; charts in %(scaled_unit)s") % {
            "unit": unit,
            "scaled_unit": scaled,
        }
