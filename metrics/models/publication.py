"""Publication state shared by everything the public may see."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Review before publish: nothing reaches the public without passing review,
# and a published record leaves only by being withdrawn.
ALLOWED_TRANSITIONS = {
    PublicationState.DRAFT: {PublicationState.IN_REVIEW},
    PublicationState.IN_REVIEW: {PublicationState.PUBLISHED, PublicationState.DRAFT},
    PublicationState.PUBLISHED: {PublicationState.WITHDRAWN},
    PublicationState.WITHDRAWN: {PublicationState.DRAFT},
}


class PublishableQuerySet(models.QuerySet):
    """Read API shared by programs and observations."""

    def published(self):
        """Records the public may see: published, nothing else."""
        return self.filter(publication_state=PublicationState.PUBLISHED)

    def awaiting_review(self):
        return self.filter(publication_state=PublicationState.IN_REVIEW)


class Publishable(models.Model):
    """Abstract base for records that go draft -> in review -> published -> withdrawn."""

    publication_state = models.CharField(
        _("publication state"),
        max_length=16,
        choices=PublicationState,
        default=PublicationState.DRAFT,
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.publication_state == PublicationState.PUBLISHED

    def move_to(self, state: str) -> None:
        """Change the publication state in memory, refusing steps the workflow forbids."""
        current = PublicationState(self.publication_state)
        target = PublicationState(state)
        if target not in ALLOWED_TRANSITIONS[current]:
            raise ValidationError(
                _("A record that is %(current)s cannot become %(target)s.")
                % {"current": current.label.lower(), "target": target.label.lower()},
                code="transition_not_allowed",
            )
        self.publication_state = target
        if target == PublicationState.PUBLISHED:
            self.published_at = timezone.now()


class LockVersioned(models.Model):
    """
    Abstract base for records two staff may edit at once: every save through
    the admin raises the version, and a form or action holding an older
    version is refused instead of overwriting the newer record.
    """

    lock_version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    class Meta:
        abstract = True
