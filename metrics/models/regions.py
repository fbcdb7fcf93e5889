"""Administrative divisions: country > province > prefecture > county."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q, Value
from django.db.models.functions import Concat, Length, Substr
from django.db.models.lookups import Exact, In
from django.utils.translation import gettext_lazy as _

from metrics.links import record_url
from metrics.models.publication import ChoiceLabels
from metrics.translation import Translated

CODE_LENGTH = 6


def _code_is_six_digits():
    """GB/T 2260 codes are six digits, the first non-zero (portable SQL, no regex)."""
    digits = list("0123456789")
    return Q(
        Exact(Length("code"), CODE_LENGTH),
        In(Substr("code", 1, 1), digits[1:]),
        *(In(Substr("code", position, 1), digits) for position in range(2, CODE_LENGTH + 1)),
    )


class RegionQuerySet(models.QuerySet):
    def in_region(self, region: "Region"):
        """The region and every region below it, by one indexed prefix match."""
        return self.filter(path__startswith=region.path)

    def rebase(self, old_prefix: str, new_prefix: str) -> int:
        """Move every path under `old_prefix` to `new_prefix` in one UPDATE."""
        return self.filter(path__startswith=old_prefix).update(
            path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1))
        )

    def mapped_below(self, region: "Region"):
        """The regions right below this one that have an outline, with it, as a map draws them."""
        return (
            self.filter(parent=region, outline__isnull=False)
            .select_related("outline")
            .order_by("path")
        )

    def map_root(self):
        """The top region whose map shows more than one region: the province, in the demo."""
        return (
            self.annotate(mapped=Count("children", filter=Q(children__outline__isnull=False)))
            .filter(mapped__gt=1)
            .order_by(Length("path"), "path")
            .first()
        )

    def ancestors_of(self, region: "Region"):
        """The regions above this one, top first."""
        codes = region.path.strip("/").split("/")[:-1]
        return self.filter(code__in=codes).order_by("path")


class RegionManager(models.Manager.from_queryset(RegionQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Region(ChoiceLabels, models.Model):
    """
    An administrative division with its GB/T 2260 code.

    `path` lists the codes from the top down ("100000/140000/141000/"), so
    "this region and everything under it" is one prefix match on an index
    instead of a walk up or down the tree. The code is data, not the key:
    codes change when divisions merge, and foreign keys must not.
    """

    class Level(models.TextChoices):
        COUNTRY = "country", _("Country")
        PROVINCE = "province", _("Province")
        PREFECTURE = "prefecture", _("Prefecture-level city")
        COUNTY = "county", _("County-level division")

    code = models.CharField(
        _("GB/T 2260 code"),
        max_length=CODE_LENGTH,
        unique=True,
        help_text=_("Six digits, e.g. 141000 for Linfen."),
    )
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=120, editable=False, db_index=True)

    name = Translated()

    objects = RegionManager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=_code_is_six_digits(),
                name="region_code_six_digits",
                violation_error_message=_(
                    "A GB/T 2260 code is six digits and does not start with 0."
                ),
            ),
            models.CheckConstraint(
                condition=Q(level="country", parent__isnull=True)
                | (~Q(level="country") & Q(parent__isnull=False)),
                name="region_parent_unless_country",
                violation_error_message=_("Every region but the country has a parent region."),
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        # The path is derived from the code and the parent, and every region
        # below carries it as its prefix: whatever writes a region (a screen,
        # the fixture loader, a script) keeps both right, in one transaction.
        with transaction.atomic(using=kwargs.get("using")):
            old_path = (
                Region.objects.filter(pk=self.pk).values_list("path", flat=True).first()
                if self.pk is not None
                else None
            )
            self.path = self.expected_path()
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                Region.objects.exclude(pk=self.pk).rebase(old_path, self.path)

    def get_absolute_url(self):
        # The region page lists programs too, so the programs app serves it.
        return record_url("programs:region-detail", self.code)

    def natural_key(self):
        return (self.code,)

    def clean(self):
        if self.parent_id is not None:
            levels = list(Region.Level)
            if (
                self.level in levels[1:]
                and self.parent.level != levels[levels.index(self.level) - 1]
            ):
                raise ValidationError(
                    {
                        "parent": _("The parent of a %(level)s must be a %(parent_level)s.")
                        % {
                            "level": self.get_level_display().lower(),
                            "parent_level": levels[levels.index(self.level) - 1].label.lower(),
                        }
                    }
                )
        self.path = self.expected_path()

    def expected_path(self) -> str:
        """The path this region should have, from its parent's."""
        prefix = self.parent.path if self.parent_id else ""
        return f"{prefix}{self.code}/"

    @property
    def depth(self) -> int:
        return self.path.count("/")


class RegionOutlineManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(region__code=code)


class RegionOutline(models.Model):
    """
    A region's boundary as a map draws it (metrics.maps).

    Projected once, when loaded (metrics.geography: Albers equal-area conic
    for China, in kilometres, y downwards as SVG counts), simplified for the
    map it is drawn in (its parent's), and kept as SVG path data with its
    bounding box: drawing a map reads rows and writes markup, with no
    geometry library and no download at run time.
    """

    region = models.OneToOneField(
        Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="outline"
    )
    path_data = models.TextField(_("SVG path data"))
    min_x = models.FloatField(_("west edge (km)"))
    min_y = models.FloatField(_("north edge (km)"))
    max_x = models.FloatField(_("east edge (km)"))
    max_y = models.FloatField(_("south edge (km)"))
    # Where its name goes: the point inside it furthest from its edges.
    label_x = models.FloatField(_("label east (km)"))
    label_y = models.FloatField(_("label south (km)"))
    tolerance_km = models.FloatField(
        _("simplified to (km)"),
        help_text=_("No point of the drawn outline is further than this from the source's."),
    )
    source = models.CharField(
        _("boundary source"),
        max_length=200,
        help_text=_("The package and dataset the outline was drawn from."),
    )

    objects = RegionOutlineManager()

    class Meta:
        verbose_name = _("region outline")
        verbose_name_plural = _("region outlines")

    def __str__(self):
        return str(self.region)

    def natural_key(self):
        return self.region.natural_key()

    natural_key.dependencies = ["metrics.region"]
