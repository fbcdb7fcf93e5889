"""The statistical layer: regions, sources, metrics, observations and their checks."""

from metrics.models.calendars import (
    Basis,
    ExpectedFigure,
    ReleaseCalendar,
    ReleaseDate,
    expected_figures,
)
from metrics.models.history import PublishedVersion
from metrics.models.imports import ImportJob, ImportProblem, ImportRow
from metrics.models.indicators import Metric, MetricQuerySet
from metrics.models.observations import (
    Observation,
    ObservationQuerySet,
    YearEarlier,
    attach_comparisons,
    national_comparison,
    prefer_reported,
)
from metrics.models.publication import (
    WORKFLOW_FIELDS,
    ChoiceLabels,
    LockVersioned,
    PublicationState,
    Publishable,
    PublishableQuerySet,
    correction_constraints,
)
from metrics.models.quality import ContentVersion, QualityCheck
from metrics.models.regions import Region, RegionOutline, RegionQuerySet
from metrics.models.reminders import ReminderKind, ReminderPreference, SentReminder
from metrics.models.reports import ProblemReport, ProblemReportQuerySet
from metrics.models.sources import Source
from metrics.models.staff import RegionAssignment, ReviewStep
from metrics.models.validation import (
    ValidationRule,
    Violation,
    attach_violations,
    find_violations,
    open_warnings,
    rules_involving,
    violation_messages,
    violations_by_observation,
    violations_involving,
)

__all__ = [
    "Basis",
    "ExpectedFigure",
    "ReleaseCalendar",
    "ReleaseDate",
    "expected_figures",
    "ChoiceLabels",
    "attach_comparisons",
    "national_comparison",
    "prefer_reported",
    "ContentVersion",
    "RegionOutline",
    "correction_constraints",
    "WORKFLOW_FIELDS",
    "ImportJob",
    "ImportProblem",
    "ImportRow",
    "LockVersioned",
    "RegionAssignment",
    "ReviewStep",
    "Metric",
    "MetricQuerySet",
    "Observation",
    "ObservationQuerySet",
    "ProblemReport",
    "ProblemReportQuerySet",
    "Publishable",
    "PublishableQuerySet",
    "QualityCheck",
    "PublicationState",
    "PublishedVersion",
    "Region",
    "RegionQuerySet",
    "ReminderKind",
    "ReminderPreference",
    "SentReminder",
    "Source",
    "ValidationRule",
    "Violation",
    "YearEarlier",
    "attach_violations",
    "find_violations",
    "rules_involving",
    "violation_messages",
    "violations_by_observation",
    "open_warnings",
    "violations_involving",
]
