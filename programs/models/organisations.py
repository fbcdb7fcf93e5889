"""Who runs programs and who takes part in them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from metrics.models import LockVersioned, Publishable, PublishableQuerySet, correction_constraints
from metrics.translation import Translated


class OrganisationQuerySet(PublishableQuerySet):
    def shown_publicly(self):
        """Published organisations that lead or partner a published program."""
        from programs.models import Partnership, Program

        programs = Program.objects.published()
        return self.published().filter(
            models.Q(models.Exists(programs.filter(lead_organisation=models.OuterRef("pk"))))
            | models.Q(
                models.Exists(
                    Partnership.objects.filter(
                        organisation=models.OuterRef("pk"), program__in=programs
                    )
                )
            )
        )


class OrganisationManager(models.Manager.from_queryset(OrganisationQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Organisation(Publishable, LockVersioned):
    """A government body, a company or an association; divisions sit under departments."""

    class Kind(models.TextChoices):
        GOVERNMENT_DEPARTMENT = "department", _("Government department")
        DIVISION = "division", _("Division of a department")
        LOCAL_GOVERNMENT = "local_government", _("City or county government")
        PLATFORM_COMPANY = "platform", _("Internet platform company")
        TRADING_COMPANY = "trading", _("Trading company")
        ASSOCIATION = "association", _("Association")
        OTHER = "other", _("Other")

    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
    )
    region = models.ForeignKey(
        "metrics.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    website = models.URLField(_("website"), blank=True)

    name = Translated()

    objects = OrganisationManager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name_en"]
        indexes = [models.Index(fields=["name_zh"], name="organisation_name_zh")]
        constraints = correction_constraints("organisation")

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    # An organisation with a region belongs to that region's staff; one
    # without (a platform company, say) to whoever covers every program it is in.
    identity_fields = ("slug",)
    region_path = "region__path"
    is_shared_reference = True

    def public_dependencies(self) -> list:
        return [self.parent]


class SectorManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Sector(models.Model):
    """An industry a program targets: agricultural products, cultural tourism, ..."""

    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120, blank=True)

    name = Translated()

    objects = SectorManager()

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["name_en"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)
