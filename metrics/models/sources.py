"""Where a figure or a program comes from."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from metrics.models.publication import (
    LockVersioned,
    Publishable,
    PublishableQuerySet,
    correction_constraints,
)
from metrics.translation import Translated


class SourceQuerySet(PublishableQuerySet):
    def cited_publicly(self):
        """Published sources that a published observation or program cites."""
        from metrics.models import Observation

        published = Observation.objects.published().filter(source=models.OuterRef("pk"))
        # Two subqueries, each run once (hashed), rather than one join with
        # OR, for which the database would read every observation per source.
        # They stay lazy: this queryset is built when the API module loads.
        by_figures = Source.objects.filter(models.Exists(published)).values("pk")
        by_programs = Source.objects.filter(
            citations__program__publication_state="published"
        ).values("pk")
        return self.published().filter(models.Q(pk__in=by_figures) | models.Q(pk__in=by_programs))


class SourceManager(models.Manager.from_queryset(SourceQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Source(Publishable, LockVersioned):
    """A publication that figures and programs cite: an article, a release, a notice."""

    slug = models.SlugField(_("identifier"), max_length=120, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200)
    url = models.URLField(_("web address"), max_length=500, blank=True)
    published_on = models.DateField(_("publication date"))
    notes = models.TextField(_("notes"), blank=True)

    title = Translated()

    objects = SourceManager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["-published_on", "title_en"]
        constraints = correction_constraints("source")

    def __str__(self):
        return f"{self.publisher}, {self.published_on:%Y-%m-%d}: {self.title_en}"

    def natural_key(self):
        return (self.slug,)

    identity_fields = ("slug",)
    is_shared_reference = True
