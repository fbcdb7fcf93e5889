"""
Publication state shared by everything the public may see.

The fields live here; the rules that move a record from one state to the
next (who, when, with which note) live in `metrics.workflow`.
"""

from functools import cache

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Fields the workflow alone writes: never typed into a form, never restored
# by a revert, never carried from a record to its correction.
WORKFLOW_FIELDS = (
    "publication_state",
    "published_at",
    "revised_at",
    "revision_of",
    "authors",
    "lock_version",
)


class PublishableQuerySet(models.QuerySet):
    """Read API shared by every record the public may see."""

    def published(self):
        """Records the public may see: published, nothing else."""
        return self.filter(publication_state=PublicationState.PUBLISHED)

    def awaiting_review(self):
        return self.filter(publication_state=PublicationState.IN_REVIEW)

    def canonical(self):
        """The records themselves, without proposed corrections of them."""
        return self.filter(revision_of__isnull=True)


def linked_by(choices, links, column: str) -> models.QuerySet:
    """
    The `choices` that at least one of `links` points to through `column`
    (a foreign key's column, such as "organisation_id").

    Each choice asks for the first link, in `column` order, from itself
    onwards, and is kept if that link is its own. Only an index leading with
    `column` yields that order without sorting every link, so the plan is
    the same whatever the data's order or skew: a choice costs the links its
    filter rejects before its first match, and a choice without links costs
    one index probe. The obvious "first link of this choice" (LIMIT 1, or
    EXISTS) lets the planner scan the table instead, expecting a match early
    for every choice, and read it all for each choice that has none.
    """
    next_link = (
        links.filter(**{f"{column}__gte": models.OuterRef("pk")})
        .order_by(column)
        .values(column)[:1]
    )
    alias = f"next_{links.model._meta.model_name}_{column}"
    return choices.alias(**{alias: models.Subquery(next_link)}).filter(**{alias: models.F("pk")})


def correction_constraints(prefix: str) -> list:
    """
    What every publishable model's table guarantees about corrections: at
    most one open correction per record, and a correction is never public
    itself (publishing it applies it to the record it corrects).
    """
    return [
        models.UniqueConstraint(
            fields=["revision_of"],
            condition=Q(revision_of__isnull=False),
            name=f"{prefix}_one_open_correction",
            violation_error_message=_("This record already has a correction in progress."),
        ),
        models.CheckConstraint(
            condition=Q(revision_of__isnull=True)
            | ~Q(publication_state=PublicationState.PUBLISHED),
            name=f"{prefix}_correction_never_published_itself",
            violation_error_message=_(
                "A correction is published by applying it to the record it corrects."
            ),
        ),
    ]


@cache
def _choice_labels(field) -> dict:
    return {value: label for value, label in field.flatchoices}


class ChoiceLabels(models.Model):
    """
    `get_FOO_display()` from a dictionary built once per field. Django's
    builds one from every choice on each call and hashes each lazy label,
    translating all of them, for every cell of a table's choice columns.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _choice_labels(field).get(value, value)
        except TypeError:  # an unhashable value: Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


class Publishable(ChoiceLabels, models.Model):
    """
    Abstract base for records that go draft -> in review -> published -> withdrawn.

    A published record is never edited in place: a correction (a draft row
    of the same model pointing at it through `revision_of`) carries the new
    content through review, and publishing it copies that content onto the
    record. `authors` lists who changed the content since it was last
    published, so that none of them publishes it.
    """

    publication_state = models.CharField(
        _("publication state"),
        max_length=16,
        choices=PublicationState,
        default=PublicationState.DRAFT,
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    revision_of = models.ForeignKey(
        "self",
        verbose_name=_("correction of"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="corrections",
        db_index=False,  # the partial unique index on open corrections serves it
        help_text=_("A proposed correction of a published record, applied when published."),
    )
    revised_at = models.DateTimeField(
        _("revised at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When a reviewed correction last changed this published record."),
    )
    authors = models.JSONField(
        _("changed since publication by"),
        default=list,
        # Rows written by COPY or raw SQL (imports, generators) start with none.
        db_default=models.Value([], output_field=models.JSONField()),
        blank=True,
        editable=False,
        help_text=_("Staff accounts (ids) that changed the content since it was last published."),
    )

    # What the public saw before corrections (or a withdrawal) replaced it.
    earlier_versions = GenericRelation("metrics.PublishedVersion")

    # Fields that say which record this is; a correction keeps them.
    identity_fields: tuple[str, ...] = ()
    # The region path(s) that place the record in staff's region scopes,
    # as a lookup (None for shared references, placed by what uses them).
    region_path: str | None = None
    # Shared references (sources, metrics, ...) are placed by what uses them.
    is_shared_reference = False

    class Meta:
        abstract = True

    @staticmethod
    def revisions_prefetch() -> models.Prefetch:
        """
        The earlier versions of each record of a list, as `published_revisions`:
        a plain list per record, where a prefetched relation builds a queryset
        per record, which was most of an API page's time.
        """
        return models.Prefetch("earlier_versions", to_attr="published_revisions")

    @property
    def is_published(self) -> bool:
        return self.publication_state == PublicationState.PUBLISHED

    @property
    def is_correction(self) -> bool:
        return self.revision_of_id is not None

    def validate_constraints(self, exclude=None):
        # The state and the correction link are set by the workflow, not typed
        # into forms, so forms exclude them; the constraints that read them
        # must still be checked, or a bad save would reach the database.
        exclude = set(exclude or ()) - {"publication_state", "revision_of"}
        super().validate_constraints(exclude=exclude)

    # Hooks the workflow calls; models with parts of their own extend them.

    @classmethod
    def correctable_fields(cls) -> list[str]:
        """Fields a correction may change: the content, not the identity or the workflow."""
        return [
            field.name
            for field in [*cls._meta.concrete_fields, *cls._meta.many_to_many]
            if field.editable
            and not field.primary_key
            and field.name not in WORKFLOW_FIELDS
            and field.name not in cls.identity_fields
            and not (field.many_to_many and not field.remote_field.through._meta.auto_created)
        ]

    def public_dependencies(self) -> list["Publishable"]:
        """Records this one shows to the public, which must be published before it is."""
        return []

    def start_correction(self) -> None:
        """Prepare a new correction of this record (called on the correction, before saving)."""

    def copy_parts_to(self, correction) -> None:
        """Give a newly saved correction copies of this record's parts (none by default)."""

    def take_parts_from(self, correction) -> None:
        """Replace this record's parts with those of its correction (none by default)."""

    def parts_snapshot(self) -> dict:
        """This record's parts as its public history keeps them (none by default)."""
        return {}


class LockVersioned(models.Model):
    """
    Abstract base for records two staff may edit at once: every save through
    the admin raises the version, and a form or action holding an older
    version is refused instead of overwriting the newer record.
    """

    lock_version = models.PositiveIntegerField(_("version"), default=0, editable=False)

    class Meta:
        abstract = True
