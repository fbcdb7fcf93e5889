"""
Atom feeds of what the public site publishes: new figures and programs,
and corrections of them, newest first.

A correction is a new entry (its id carries the time of the correction), so
a feed reader shows it even when the first publication was read long ago.
Feeds are public pages like any other: cached until published content
changes, in the language of their address.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from metrics.models import Metric, Observation

# Enough for a reader polling daily in a busy month; older changes are on the pages.
FEED_LENGTH = 50


def last_published_change():
    """When the public last saw a record change: its latest correction, or its publication."""
    return Coalesce("revised_at", "published_at")


@dataclass(frozen=True)
class FeedEntry:
    """One publication or correction, as a feed lists it."""

    key: str  # the record, whatever the language of the feed: "observation:8"
    title: str
    link: str
    published: datetime
    updated: datetime
    summary: str
    corrected: bool

    @property
    def guid(self) -> str:
        """
        The entry's Atom id: an absolute IRI, the same in both languages and
        new with each correction, so that readers show a correction anew.
        """
        kind = "corrected" if self.corrected else "published"
        name = f"{self.key}#{kind}-{self.updated.isoformat()}"
        return uuid.uuid5(uuid.NAMESPACE_URL, name).urn


def figure_entries(observations, limit: int = FEED_LENGTH) -> list[FeedEntry]:
    """The latest publications and corrections among these figures."""
    figures = (
        observations.published()
        .select_related("metric", "region", "source")
        .order_by(last_published_change().desc())[:limit]
    )
    entries = []
    for figure in figures:
        shown = _("%(metric)s, %(region)s, %(period)s: %(value)s") % {
            "metric": figure.metric.name,
            "region": figure.region.name,
            "period": figure.period_label,
            "value": figure.formatted_value or figure.formatted_change,
        }
        corrected = figure.revised_at is not None
        entries.append(
            FeedEntry(
                key=f"observation:{figure.pk}",
                title=_("Corrected: %(figure)s") % {"figure": shown} if corrected else shown,
                link=figure.get_absolute_url(),
                published=figure.published_at,
                updated=figure.revised_at or figure.published_at,
                summary=_("Source: %(source)s. “%(quote)s”")
                % {"source": figure.source.title, "quote": figure.source_quote},
                corrected=corrected,
            )
        )
    return entries


def newest_first(*entry_lists, limit: int = FEED_LENGTH) -> list[FeedEntry]:
    """Several kinds of entries in one feed, the latest change first."""
    merged = [entry for entries in entry_lists for entry in entries]
    return sorted(merged, key=lambda entry: entry.updated, reverse=True)[:limit]


class PublicationFeed(Feed):
    """An Atom feed of FeedEntry items; subclasses say which (`items`) and about what."""

    feed_type = Atom1Feed

    def author_name(self):
        # Atom asks every feed for an author: the department that publishes the site.
        return _("Shanxi commerce programs")

    def item_title(self, entry):
        return entry.title

    def item_link(self, entry):
        return entry.link

    def item_guid(self, entry):
        return entry.guid

    item_guid_is_permalink = False

    def item_description(self, entry):
        return entry.summary

    def item_pubdate(self, entry):
        return entry.published

    def item_updateddate(self, entry):
        return entry.updated


class MetricFeed(PublicationFeed):
    """New and corrected figures of one metric."""

    def get_object(self, request, slug):
        return get_object_or_404(Metric.objects.with_published_data(), slug=slug)

    def title(self, metric):
        return _("%(metric)s: new and corrected figures") % {"metric": metric.name}

    def link(self, metric):
        return metric.get_absolute_url()

    def subtitle(self, metric):
        return metric.definition

    def items(self, metric):
        return figure_entries(Observation.objects.filter(metric=metric))
