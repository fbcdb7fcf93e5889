"""The open-data API's view of the statistical layer: stable identifiers, no internals."""

import copy

from rest_framework import serializers

from metrics.models import Metric, Observation, PublishedVersion, Region, Source


class PublicSerializer(serializers.ModelSerializer):
    """
    A read-only serializer of the open-data API whose fields are built from
    the model once per class. DRF introspects the model and builds every
    field for each serializer it makes, on every request: a sixth of a page
    of programs. Each serializer still gets fresh copies, as DRF gives its
    declared fields.
    """

    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)


class PublishedVersionSerializer(PublicSerializer):
    """An earlier published version: what the public saw, until when, and why it changed."""

    content = serializers.JSONField(
        read_only=True,
        help_text="The published fields as they were (related records by slug or code).",
    )

    class Meta:
        model = PublishedVersion
        fields = ["published_at", "replaced_at", "reason", "note", "content"]


class RegionSerializer(PublicSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name_en", "name_zh", "level", "parent"]


class SourceSerializer(PublicSerializer):
    class Meta:
        model = Source
        fields = ["slug", "title_en", "title_zh", "publisher", "url", "published_on"]


class MetricSerializer(PublicSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Metric
        fields = [
            "slug",
            "name_en",
            "name_zh",
            "definition_en",
            "definition_zh",
            "unit",
            "display_scale",
            "frequency",
            "is_cumulative",
            "is_share",
            "direction",
            "category",
            "source",
            "bases",
        ]


class ObservationSerializer(PublicSerializer):
    metric = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    period_label_en = serializers.SerializerMethodField()
    period_label_zh = serializers.SerializerMethodField()
    revisions = PublishedVersionSerializer(source="published_revisions", many=True, read_only=True)

    class Meta:
        model = Observation
        fields = [
            "id",
            "metric",
            "region",
            "period_type",
            "period_start",
            "period_end",
            "period_label_en",
            "period_label_zh",
            "value",
            "value_qualifier",
            "yoy_change",
            "basis",
            "basis_note",
            "source",
            "source_quote",
            "note_en",
            "note_zh",
            "published_at",
            "revised_at",
            "revisions",
        ]

    def get_period_label_en(self, observation) -> str:
        return observation.period.label("en")

    def get_period_label_zh(self, observation) -> str:
        return observation.period.label("zh-hans")
