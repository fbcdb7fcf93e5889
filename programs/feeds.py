"""Atom feeds of programs and figures: the whole site, a region (and below), a program."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from metrics.feeds import (
    FEED_LENGTH,
    FeedEntry,
    PublicationFeed,
    figure_entries,
    last_published_change,
    newest_first,
)
from metrics.models import Observation, Region
from programs.models import Program


def program_entries(programs, limit: int = FEED_LENGTH) -> list[FeedEntry]:
    """The latest publications and corrections among these programs."""
    latest = programs.published().order_by(last_published_change().desc())[:limit]
    entries = []
    for program in latest:
        corrected = program.revised_at is not None
        entries.append(
            FeedEntry(
                key=f"program:{program.pk}",
                title=_("Corrected: %(figure)s") % {"figure": program.title}
                if corrected
                else _("New program: %(program)s") % {"program": program.title},
                link=program.get_absolute_url(),
                published=program.published_at,
                updated=program.revised_at or program.published_at,
                summary=program.summary,
                corrected=corrected,
            )
        )
    return entries


class SiteFeed(PublicationFeed):
    """Every new and corrected figure and program."""

    def title(self):
        return _("Shanxi commerce programs: new and corrected figures and programs")

    def link(self):
        return reverse("programs:home")

    def items(self):
        return newest_first(
            figure_entries(Observation.objects.all()), program_entries(Program.objects.all())
        )


class RegionFeed(PublicationFeed):
    """New and corrected figures and programs of a region and every region below it."""

    def get_object(self, request, code):
        return get_object_or_404(Region, code=code)

    def title(self, region):
        return _("%(region)s: new and corrected figures and programs") % {"region": region.name}

    def link(self, region):
        return region.get_absolute_url()

    def items(self, region):
        return newest_first(
            figure_entries(Observation.objects.in_region(region)),
            program_entries(Program.objects.in_region(region)),
        )


class ProgramFeed(PublicationFeed):
    """A program's publication and corrections, and the figures of the outcomes it follows."""

    def get_object(self, request, slug):
        return get_object_or_404(Program.objects.published(), slug=slug)

    def title(self, program):
        return _("%(program)s: corrections and new figures of its outcomes") % {
            "program": program.title
        }

    def link(self, program):
        return program.get_absolute_url()

    def items(self, program):
        followed = Q(pk__in=[])
        for metric_id, region_id in program.outcomes.for_public().values_list(
            "metric_id", "region_id"
        ):
            followed |= Q(metric_id=metric_id, region_id=region_id)
        return newest_first(
            figure_entries(Observation.objects.filter(followed)),
            program_entries(Program.objects.filter(pk=program.pk)),
        )
