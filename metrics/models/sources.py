"""Where a figure or a program comes from."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from metrics.models.publication import (
    LockVersioned,
    PublicationState,
    Publishable,
    PublishableQuerySet,
    correction_constraints,
    linked_by,
)
from metrics.translation import Translated


class SourceQuerySet(PublishableQuerySet):
    def cited_publicly(self):
        """Published sources that a published observation or program cites."""
        from metrics.models import Observation

        citations = Source._meta.get_field("citations").related_model
        published = self.published()
        by_figures = linked_by(published, Observation.objects.published(), "source_id")
        by_programs = linked_by(
            published,
            citations.objects.filter(program__publication_state=PublicationState.PUBLISHED),
            "source_id",
        )
        # Each half asks one index per source; the union keeps this lazy, as
        # it is built when the API module loads.
        return published.filter(
            models.Q(pk__in=by_figures.values("pk")) | models.Q(pk__in=by_programs.values("pk"))
        )


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
        # In the reader's language: the admin names records by it (titles, choices, links).
        return f"{self.publisher}, {self.published_on:%Y-%m-%d}: {self.title}"

    def natural_key(self):
        return (self.slug,)

    identity_fields = ("slug",)
    is_shared_reference = True
