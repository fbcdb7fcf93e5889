"""The open-data API's view of programs: published records and what they own."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metrics.serializers import PublicSerializer, PublishedVersionSerializer
from programs.models import Activity, Organisation, Outcome, Partnership, Program, ProgramSource


# Related records prefetched as lists (programs.api): the schema cannot
# follow such a source to a model field, so the fields say their type.
@extend_schema_field(OpenApiTypes.STR)
class ListedSlugField(serializers.SlugRelatedField):
    """A related record by its slug or code."""


class OrganisationSerializer(PublicSerializer):
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Organisation
        fields = ["slug", "name_en", "name_zh", "kind", "parent", "region", "website"]


class PartnershipSerializer(PublicSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Partnership
        fields = ["organisation", "role", "role_detail_en", "role_detail_zh", "bases"]


class OutcomeSerializer(PublicSerializer):
    metric = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Outcome
        fields = [
            "metric",
            "region",
            "effect",
            "baseline_value",
            "baseline_period_type",
            "baseline_period_start",
            "baseline_period_end",
            "target_value",
            "target_period_type",
            "target_period_start",
            "target_date",
            "rationale_en",
            "rationale_zh",
            "bases",
        ]


class ActivitySerializer(PublicSerializer):
    regions = ListedSlugField(source="listed_regions", slug_field="code", many=True, read_only=True)
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    results = serializers.SerializerMethodField(
        help_text="Ids of the published observations it reported."
    )
    venue_types = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Activity
        fields = [
            "kind",
            "title_en",
            "title_zh",
            "description_en",
            "description_zh",
            "start_date",
            "end_date",
            "regions",
            "event_count",
            "venue_types",
            "participants_en",
            "participants_zh",
            "participant_count",
            "source",
            "source_quote",
            "results",
        ]

    def get_results(self, activity) -> list[int]:
        return [observation.pk for observation in activity.listed_results]


class CitationSerializer(PublicSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = ProgramSource
        fields = ["source", "quote"]


class ProgramSerializer(PublicSerializer):
    parent = serializers.SerializerMethodField()
    lead_organisation = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    regions = ListedSlugField(source="listed_regions", slug_field="code", many=True, read_only=True)
    sectors = ListedSlugField(source="listed_sectors", slug_field="slug", many=True, read_only=True)
    partners = PartnershipSerializer(source="listed_partnerships", many=True, read_only=True)
    outcomes = OutcomeSerializer(source="listed_outcomes", many=True, read_only=True)
    activities = ActivitySerializer(source="listed_activities", many=True, read_only=True)
    sources = CitationSerializer(source="listed_citations", many=True, read_only=True)
    revisions = PublishedVersionSerializer(source="published_revisions", many=True, read_only=True)

    class Meta:
        model = Program
        fields = [
            "slug",
            "title_en",
            "title_zh",
            "kind",
            "status",
            "summary_en",
            "summary_zh",
            "description_en",
            "description_zh",
            "parent",
            "lead_organisation",
            "official_role",
            "responsible_official_en",
            "responsible_official_zh",
            "official_title_en",
            "official_title_zh",
            "regions",
            "sectors",
            "start_date",
            "end_date",
            "budget_yuan",
            "partners",
            "outcomes",
            "activities",
            "sources",
            "published_at",
            "revised_at",
            "revisions",
            "bases",
        ]

    def get_parent(self, program) -> str | None:
        """The parent's identifier, only when the parent is published too."""
        parent = program.parent
        return parent.slug if parent is not None and parent.is_published else None
