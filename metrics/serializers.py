"""The open-data API's view of the statistical layer: stable identifiers, no internals."""

import copy

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject, RelatedField

from metrics.models import (
    Metric,
    Observation,
    PublishedVersion,
    Region,
    Source,
    ValidationRule,
    attach_violations,
)


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

    def to_representation(self, instance):
        """
        What DRF's Serializer.to_representation gives, with a shorter way
        to a model's own attributes: a field reading one attribute (a column
        or a related record) takes it with getattr instead of DRF's generic
        lookup (mappings, callables, dotted sources), about half of the
        time of a list of figures. Anything else, and any attribute that
        is callable or fails, goes DRF's way.
        """
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)
        plan = self.__dict__.get("_representation_plan")
        if plan is None:
            plan = self._representation_plan = [
                (field, field.field_name, _direct_attribute(field), field.to_representation)
                for field in self._readable_fields
            ]
        ret = {}
        for field, name, attribute_name, represent in plan:
            if attribute_name is not None:
                try:
                    attribute = getattr(instance, attribute_name)
                except Exception:
                    attribute = _UNREAD
                else:
                    if callable(attribute):
                        attribute = _UNREAD
                if attribute is not _UNREAD:
                    ret[name] = None if attribute is None else represent(attribute)
                    continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else represent(attribute)
        return ret


_UNREAD = object()


def _direct_attribute(field) -> str | None:
    """
    The one attribute whose value DRF's get_attribute hands this field
    unchanged when it is not callable (Field.get_attribute, or a related
    field without the primary-key shortcut), or None.
    """
    get_attribute = type(field).get_attribute
    if get_attribute is RelatedField.get_attribute:
        if field.use_pk_only_optimization():
            return None
    elif get_attribute is not Field.get_attribute:
        return None
    return field.source_attrs[0] if len(field.source_attrs) == 1 else None


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


class AnnotatedSlugRelatedField(serializers.SlugRelatedField):
    """
    A related record by its identifier, read from the annotation
    `<source>_<slug_field>` when the queryset made one (metrics.api: a
    column of the same joins), not from a related record built for each
    row; without it, as SlugRelatedField reads it. The schema is the same.
    """

    def get_attribute(self, instance):
        annotated = f"{self.source}_{self.slug_field}"
        if annotated in instance.__dict__:
            return instance.__dict__[annotated]
        return super().get_attribute(instance)

    def to_representation(self, obj):
        if isinstance(obj, str):  # the annotated identifier
            return obj
        return super().to_representation(obj)


class WarningSerializer(serializers.Serializer):
    """An open data-quality warning: a rule the figure takes part in breaking."""

    rule = serializers.CharField(help_text="The rule's identifier.")
    kind = serializers.ChoiceField(choices=ValidationRule.Kind.choices)
    message_en = serializers.CharField()
    message_zh = serializers.CharField()
    observations = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Every figure the warning involves, this one included, by id.",
    )


class ObservationListSerializer(serializers.ListSerializer):
    """A page of figures, whose open warnings are found for the whole page at once."""

    def to_representation(self, data):
        figures = attach_violations(data.all() if isinstance(data, models.Manager) else data)
        return super().to_representation(figures)


class ObservationSerializer(PublicSerializer):
    metric = AnnotatedSlugRelatedField(slug_field="slug", read_only=True)
    region = AnnotatedSlugRelatedField(slug_field="code", read_only=True)
    source = AnnotatedSlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    period_label_en = serializers.SerializerMethodField()
    period_label_zh = serializers.SerializerMethodField()
    revisions = PublishedVersionSerializer(source="published_revisions", many=True, read_only=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Observation
        list_serializer_class = ObservationListSerializer
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
            "warnings",
        ]

    @extend_schema_field(WarningSerializer(many=True))
    def get_warnings(self, observation) -> list[dict]:
        """The open data-quality warnings the figure takes part in."""
        violations = getattr(observation, "open_violations", None)
        if violations is None:  # a figure on its own (the detail answer)
            violations = attach_violations([observation])[0].open_violations
        return [violation.warning for violation in violations]

    def get_period_label_en(self, observation) -> str:
        return observation.period.label("en")

    def get_period_label_zh(self, observation) -> str:
        return observation.period.label("zh-hans")
