"""Programs: what the department does, with whom, where and since when."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Collate
from django.utils.translation import gettext_lazy as _

from metrics.links import record_url
from metrics.models import (
    ChoiceLabels,
    LockVersioned,
    Observation,
    Publishable,
    PublishableQuerySet,
    Region,
    correction_constraints,
)
from metrics.pinyin import PINYIN
from metrics.statements import StatedBases
from metrics.translation import Translated
from metrics.workflow.history import record_key
from programs.models.results import ProgramPartQuerySet

# A map counts programs by region while there are no more than this: their
# ids and links are two reads of a few thousand rows even under a sparse
# filter (a partner's 2 % of the programs), fewer than a list's first capped count.
# Past it a page asks for a narrower filter.
MAP_PROGRAMS = 100


class ProgramQuerySet(PublishableQuerySet):
    def in_region(self, region: Region):
        """Programs running in the region or anywhere below it (no duplicates)."""
        # The subtree's few region ids first, so the link table is read by index.
        subtree = list(Region.objects.in_region(region).values_list("pk", flat=True))
        running_there = Program.regions.through.objects.filter(region_id__in=subtree)
        return self.filter(pk__in=running_there.values("program_id"))

    def count_in(self, regions, *, cap: int) -> dict[str, int] | None:
        """
        How many of these programs run in each of `regions` (in it or
        anywhere below it), by the region's code; None when more than `cap`
        programs match. Like a list's count, it costs what `cap` programs
        cost however many there are: their ids (one LIMITed read), then
        their regions' paths (one read of at most their links).
        """
        ids = list(self.order_by().values_list("pk", flat=True)[: cap + 1])
        if len(ids) > cap:
            return None
        running: dict[str, set[int]] = {region.code: set() for region in regions}
        links = Program.regions.through.objects.filter(program_id__in=ids).values_list(
            "program_id", "region__path"
        )
        for program_id, path in links:
            for region in regions:
                if path.startswith(region.path):
                    running[region.code].add(program_id)
        return {code: len(programs) for code, programs in running.items()}

    def within(self, scope):
        """
        Programs that run only inside the regions a RegionScope covers: an
        editor for Linfen sees Linfen's programs, not province-wide ones.
        """
        if scope.is_everywhere:
            return self
        through = Program.regions.through.objects.filter(program=OuterRef("pk"))
        return self.filter(Exists(through)).exclude(
            Exists(through.exclude(scope.q("region__path")))
        )

    def with_partner(self, organisation):
        return self.filter(
            Exists(Partnership.objects.filter(program=OuterRef("pk"), organisation=organisation))
        )

    def in_sector(self, sector):
        return self.filter(
            Exists(Program.sectors.through.objects.filter(program=OuterRef("pk"), sector=sector))
        )

    def active_in_year(self, year: int):
        """Programs whose dates overlap the calendar year (open ends count as running)."""
        return self.filter(
            Q(start_date__lte=date(year, 12, 31)) | Q(start_date__isnull=True),
            Q(end_date__gte=date(year, 1, 1)) | Q(end_date__isnull=True),
        ).exclude(start_date__isnull=True, end_date__isnull=True)

    def currently_active(self):
        return self.filter(status=Program.Status.ACTIVE)

    def for_detail(self):
        """
        A program page's own record with its lead organisation and lists, in
        few queries; its parents come from `outline()`, which every page shares.
        """
        return self.select_related("lead_organisation__parent").prefetch_related(
            "regions", "sectors"
        )

    def outline(self) -> dict[int, "Program"]:
        """
        The published programs that published sub-programs belong to, by
        primary key, with what a breadcrumb shows of them (title, address,
        parent): a few records however many programs there are.
        """
        parents = self.published().filter(parent__isnull=False).values("parent_id")
        return self.model.objects.published().filter(pk__in=parents).only(*OUTLINE_FIELDS).in_bulk()

    def for_list(self):
        """
        What the program table shows, in a fixed number of queries; each
        program's regions as a list, `listed_regions` (a prefetched relation
        would build a queryset per row).
        """
        return (
            self.select_related("lead_organisation")
            .prefetch_related(models.Prefetch("regions", to_attr="listed_regions"))
            .defer(*LIST_DEFERRED_FIELDS)
        )


# What no table of programs shows: long texts and JSON that every row would
# otherwise read, decode and copy.
LIST_DEFERRED_FIELDS = (
    "summary_en",
    "summary_zh",
    "description_en",
    "description_zh",
    "bases",
    "authors",
    "responsible_official_en",
    "responsible_official_zh",
    "official_title_en",
    "official_title_zh",
    "lead_organisation__website",
    "lead_organisation__authors",
)

# What a breadcrumb needs of a program (Program.published_ancestors).
OUTLINE_FIELDS = ("slug", "title_en", "title_zh", "parent_id", "publication_state")


class ProgramManager(models.Manager.from_queryset(ProgramQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Program(StatedBases, Publishable, LockVersioned):
    """
    A policy program or initiative: a livestreaming base, a platform
    partnership, a campaign. Programs nest: a policy and its sub-programs.
    """

    class Kind(models.TextChoices):
        LIVESTREAM_BASE = "livestream_base", _("Livestreaming e-commerce base")
        PLATFORM_PARTNERSHIP = "platform_partnership", _("Platform partnership")
        DIGITAL_TRANSFORMATION = "digital_transformation", _("Digital transformation")
        EVENT_CAMPAIGN = "event_campaign", _("Event or campaign")
        INDUSTRIAL_PARK = "industrial_park", _("Industrial park")
        RURAL_INFRASTRUCTURE = "rural_infrastructure", _("Rural e-commerce infrastructure")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    class OfficialRole(models.TextChoices):
        RESPONSIBLE = "responsible", _("Responsible official")
        ANNOUNCED = "announced", _("Announced by")

    stated = {
        "lead_organisation": _("lead organisation"),
        "official": _("official"),
        "dates": _("dates"),
        "status": _("status"),
    }

    slug = models.SlugField(_("identifier"), max_length=120, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=250)
    title_zh = models.CharField(_("title (Chinese)"), max_length=250, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of program"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_programs",
    )
    lead_organisation = models.ForeignKey(
        "programs.Organisation",
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_programs",
    )
    responsible_official_en = models.CharField(
        _("responsible official (English)"), max_length=120, blank=True
    )
    responsible_official_zh = models.CharField(
        _("responsible official (Chinese)"), max_length=120, blank=True
    )
    official_role = models.CharField(
        _("official's part"),
        max_length=16,
        choices=OfficialRole,
        default=OfficialRole.RESPONSIBLE,
        help_text=_(
            "Whether the source names the official as responsible for the program, or only "
            "as the one who announced it."
        ),
    )
    official_title_en = models.CharField(
        _("official's title (English)"), max_length=250, blank=True
    )
    official_title_zh = models.CharField(
        _("official's title (Chinese)"), max_length=250, blank=True
    )
    partners = models.ManyToManyField(
        "programs.Organisation",
        verbose_name=_("partners"),
        through="programs.Partnership",
        related_name="partner_programs",
        blank=True,
    )
    regions = models.ManyToManyField(
        "metrics.Region", verbose_name=_("regions"), related_name="programs", blank=True
    )
    sectors = models.ManyToManyField(
        "programs.Sector", verbose_name=_("sectors"), related_name="programs", blank=True
    )
    status = models.CharField(
        _("implementation status"), max_length=16, choices=Status, default=Status.PLANNED
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget_yuan = models.DecimalField(
        _("budget (yuan)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    sources = models.ManyToManyField(
        "metrics.Source",
        verbose_name=_("sources"),
        through="programs.ProgramSource",
        related_name="programs",
        blank=True,
    )

    # Sort keys of the public list, kept by database triggers (programs.db_triggers).
    outcome_count = models.PositiveIntegerField(_("number of outcomes"), default=0, editable=False)
    region_sort_key = models.CharField(
        _("highest region code"), max_length=12, blank=True, default="", editable=False
    )
    # NULL, not "", for no lead organisation: such programs sort last, as before.
    lead_organisation_name_en = models.CharField(  # noqa: DJ001
        _("lead organisation (English)"), max_length=250, null=True, editable=False
    )
    lead_organisation_name_zh = models.CharField(  # noqa: DJ001
        _("lead organisation (Chinese)"), max_length=250, null=True, editable=False
    )

    derived_fields = (
        "outcome_count",
        "region_sort_key",
        "lead_organisation_name_en",
        "lead_organisation_name_zh",
    )

    title = Translated()
    summary = Translated()
    description = Translated()
    responsible_official = Translated()
    official_title = Translated()

    objects = ProgramManager()

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["title_en"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="program_end_after_start",
                violation_error_message=_("A program cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(budget_yuan__isnull=True) | Q(budget_yuan__gte=0),
                name="program_budget_not_negative",
                violation_error_message=_("The budget cannot be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="program_not_own_parent",
                violation_error_message=_("A program cannot be part of itself."),
            ),
            *correction_constraints("program"),
        ]
        # An index for every sort of the public list (published programs) and
        # of the admin's; searches use trigram indexes (PostgreSQL, migration 0006).
        indexes = [
            models.Index(
                fields=["publication_state", "title_en", "id"], name="program_state_title"
            ),
            # Chinese sorts by pinyin (metrics.pinyin): an index in that collation.
            models.Index(
                F("publication_state"),
                Collate("title_zh", PINYIN),
                F("id"),
                name="program_state_title_zh",
            ),
            models.Index(fields=["publication_state", "kind", "id"], name="program_state_kind"),
            models.Index(fields=["publication_state", "status", "id"], name="program_state_status"),
            models.Index(fields=["publication_state", "start_date"], name="program_state_start"),
            # The feeds' order: the latest publication or correction first.
            models.Index(
                Coalesce("revised_at", "published_at").desc(),
                name="program_feed",
                condition=Q(publication_state="published"),
            ),
            models.Index(fields=["publication_state", "end_date"], name="program_state_end"),
            models.Index(fields=["publication_state", "budget_yuan"], name="program_state_budget"),
            models.Index(
                fields=["publication_state", "outcome_count", "id"], name="program_state_outcomes"
            ),
            models.Index(
                fields=["publication_state", "region_sort_key", "id"], name="program_state_region"
            ),
            models.Index(
                fields=["publication_state", "lead_organisation_name_en", "id"],
                name="program_state_lead",
            ),
            models.Index(
                F("publication_state"),
                Collate("lead_organisation_name_zh", PINYIN),
                F("id"),
                name="program_state_lead_zh",
            ),
            models.Index(fields=["title_en", "id"], name="program_title"),
            models.Index(fields=["start_date"], name="program_start"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return record_url("programs:program-detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    # The workflow's view of a program: its slug says which program it is,
    # its regions place it, and what it shows must be public before it is.
    identity_fields = ("slug",)
    region_path = "regions__path"
    # The parts a correction copies and its publication puts in place.
    part_relations = ("partnerships", "citations", "outcomes", "activities")

    def public_dependencies(self) -> list:
        dependencies = [self.lead_organisation]
        dependencies += [partnership.organisation for partnership in self.partnerships.all()]
        dependencies += [citation.source for citation in self.citations.all()]
        dependencies += [outcome.metric for outcome in self.outcomes.all()]
        dependencies += [activity.source for activity in self.activities.all()]
        return dependencies

    def copy_parts_to(self, correction: "Program") -> None:
        for relation in self.part_relations:
            for part in getattr(self, relation).all():
                links = {f.name: list(getattr(part, f.name).all()) for f in part._meta.many_to_many}
                part.pk = None
                part._state.adding = True
                part.program = correction
                if isinstance(part, LockVersioned):
                    part.lock_version = 0
                part.save()
                for name, related in links.items():
                    getattr(part, name).set(related)

    def take_parts_from(self, correction: "Program") -> None:
        for relation in self.part_relations:
            getattr(self, relation).all().delete()
            getattr(correction, relation).update(program=self)

    def parts_snapshot(self) -> dict:
        """Every part, a line each with all its fields, so that no change to one goes unseen."""
        return {
            relation: sorted(_describe_part(part) for part in getattr(self, relation).all())
            for relation in self.part_relations
        }

    def published_ancestors(self, outline: dict[int, "Program"]) -> list["Program"]:
        """
        The programs this one belongs to, top first, as far as they are
        published, read from `outline` (ProgramQuerySet.outline()).
        """
        chain, ancestor = [], outline.get(self.parent_id)
        while ancestor is not None and ancestor not in chain:
            chain.append(ancestor)
            ancestor = outline.get(ancestor.parent_id)
        return chain[::-1]

    def outcome_series(self, outcomes=None) -> dict[tuple[int, int], list]:
        """
        Published observations of every outcome's metric and region, oldest
        first; of the given outcomes when the caller has them already.
        """
        if outcomes is None:
            outcomes = self.outcomes.only("metric_id", "region_id")
        pairs = Q(pk__in=[])
        for outcome in outcomes:
            pairs |= Q(metric_id=outcome.metric_id, region_id=outcome.region_id)
        series: dict[tuple[int, int], list] = {}
        observations = (
            Observation.objects.published()
            .filter(pairs)
            .preferred()
            .select_related("metric", "region")
            .order_by("period_end", "period_start")
        )
        for observation in observations:
            series.setdefault((observation.metric_id, observation.region_id), []).append(
                observation
            )
        return series

    def stated_parts(self) -> list:
        """The program's parts that describe statements of their own (see metrics.statements)."""
        return [*self.partnerships.all(), *self.outcomes.all()]

    def clean(self):
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A program cannot be part of itself.")})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


def _describe_part(part) -> str:
    """A part of a program as one line of text: every field it has, related records by key."""
    shown = []
    fields = [*part._meta.concrete_fields, *part._meta.many_to_many]
    # How the part's statements are known reads after what they state.
    fields.sort(key=lambda field: field.name == "bases")
    for field in fields:
        if not field.editable or field.primary_key or field.name in ("program", "lock_version"):
            continue
        if field.many_to_many:
            value = ", ".join(sorted(map(record_key, getattr(part, field.name).all())))
        elif field.is_relation:
            related = getattr(part, field.name)
            value = record_key(related) if related is not None else ""
        else:
            value = field.value_from_object(part)
        if value not in (None, "", [], {}):
            shown.append(f"{field.name}={value}")
    return "; ".join(shown)


class PartnershipManager(models.Manager.from_queryset(ProgramPartQuerySet)):
    def get_by_natural_key(self, program_slug, organisation_slug, role):
        return self.get(program__slug=program_slug, organisation__slug=organisation_slug, role=role)


class Partnership(StatedBases, ChoiceLabels, models.Model):
    """An organisation's part in a program: platform partner, co-organiser, ..."""

    stated = {"role": _("role")}

    class Role(models.TextChoices):
        PLATFORM_PARTNER = "platform_partner", _("Platform partner")
        CO_ORGANISER = "co_organiser", _("Co-organiser")
        IMPLEMENTING_AGENCY = "implementing", _("Implementing agency")
        PARTICIPANT = "participant", _("Participant")
        FUNDER = "funder", _("Funder")
        TECHNICAL_SUPPORT = "technical_support", _("Technical support")

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="partnerships"
    )
    organisation = models.ForeignKey(
        "programs.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="partnerships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role)
    role_detail_en = models.CharField(_("role in detail (English)"), max_length=250, blank=True)
    role_detail_zh = models.CharField(_("role in detail (Chinese)"), max_length=250, blank=True)

    role_detail = Translated()

    objects = PartnershipManager()

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["program_id", "organisation__name_en"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "organisation", "role"],
                name="partnership_once_per_role",
                violation_error_message=_(
                    "This organisation already has this role in the program."
                ),
            )
        ]
        # The partner filter asks, per organisation, for one published
        # program: answered from this index alone.
        indexes = [
            models.Index(fields=["organisation", "program"], name="partnership_partner_program")
        ]

    def __str__(self):
        return f"{self.organisation} – {self.get_role_display()}"

    workflow_owner = "program"
    region_path = "program__regions__path"

    def natural_key(self):
        return (self.program.slug, self.organisation.slug, self.role)

    natural_key.dependencies = ["programs.program", "programs.organisation"]


class ProgramSourceManager(models.Manager.from_queryset(ProgramPartQuerySet)):
    def get_by_natural_key(self, program_slug, source_slug):
        return self.get(program__slug=program_slug, source__slug=source_slug)


class ProgramSource(models.Model):
    """A source a program cites, with the sentence it rests on."""

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="citations"
    )
    source = models.ForeignKey(
        "metrics.Source",
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        related_name="citations",
    )
    quote = models.TextField(_("quoted sentence"), blank=True)

    objects = ProgramSourceManager()

    class Meta:
        verbose_name = _("program source")
        verbose_name_plural = _("program sources")
        constraints = [
            models.UniqueConstraint(
                fields=["program", "source"],
                name="programsource_once",
                violation_error_message=_("The program already cites this source."),
            )
        ]

    def __str__(self):
        return str(self.source)

    workflow_owner = "program"
    region_path = "program__regions__path"

    def natural_key(self):
        return (self.program.slug, self.source.slug)

    natural_key.dependencies = ["programs.program", "metrics.source"]
