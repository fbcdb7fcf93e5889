"""Data-quality checks over the observations: what staff must look at."""

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from statistics import median

from django.utils import timezone

from metrics.models import Observation, QualityCheck, ValidationRule, Violation, find_violations

# Up to this many published figures, the home page counts the warnings
# itself; past it, checking every figure would cost each render more than
# the rest of the page (bench/explain.py reads no more than 10,000 rows).
INLINE_CHECK_LIMIT = 2_000
# The public list of warnings shows this many of each kind and then says
# there are more: a page that grew with the warnings would not stay fast.
SHOWN_WARNINGS = 200


def change_mismatches(observations=None, *, published_only: bool = False):
    """Observations whose reported y/y change disagrees with the one computed from levels."""
    base = Observation.objects.canonical() if observations is None else observations
    candidates = (
        base.filter(value__isnull=False, yoy_change__isnull=False)
        .with_prior_year(published_only=published_only)
        .filter(prior_year_value__isnull=False)
        .select_related("metric", "region")
    )
    return (
        observation
        for observation in candidates.iterator(chunk_size=2000)
        if observation.change_mismatch
    )


def count_open_warnings() -> int:
    """Published figures that break a validation rule or disagree with their own change."""
    published = Observation.objects.published()
    count = sum(1 for _violation in find_violations(published))
    return count + sum(1 for _mismatch in change_mismatches(published, published_only=True))


def record_quality_check() -> QualityCheck:
    """Count the open warnings now, and keep the count for large sites' home page."""
    check, _created = QualityCheck.objects.update_or_create(
        pk=1, defaults={"open_warnings": count_open_warnings(), "checked_at": timezone.now()}
    )
    return check


def open_warning_count() -> int | None:
    """
    The number of open data-quality warnings for the home page: counted now
    while the published figures are few; past that, the count last kept by
    `manage.py record_quality_check` on a timer (None before its first run).
    Nothing is written here: public pages never write.
    """
    few = Observation.objects.published().order_by().values("pk")[: INLINE_CHECK_LIMIT + 1]
    if few.count() <= INLINE_CHECK_LIMIT:
        return count_open_warnings()
    latest = QualityCheck.objects.filter(pk=1).first()
    return latest.open_warnings if latest is not None else None


@dataclass
class RuleWarnings:
    """The open violations of one rule, as the public list groups them."""

    rule: ValidationRule
    violations: list[Violation] = field(default_factory=list)


def public_warnings(limit: int = SHOWN_WARNINGS) -> dict:
    """
    The open warnings on published figures, as the public data-quality page
    lists them: the rule violations grouped by rule (rules by name), and the
    figures whose reported change disagrees with their levels; up to `limit`
    of each, with whether there are more. A fixed number of queries
    however many figures are published.
    """
    published = Observation.objects.published()
    violations = list(islice(find_violations(published), limit + 1))
    mismatches = list(islice(change_mismatches(published, published_only=True), limit + 1))
    by_rule: dict[int, RuleWarnings] = {}
    for violation in violations[:limit]:
        by_rule.setdefault(violation.rule.pk, RuleWarnings(violation.rule)).violations.append(
            violation
        )
    return {
        "rules": sorted(by_rule.values(), key=lambda group: group.rule.name),
        "mismatches": mismatches[:limit],
        "count": min(len(violations), limit) + min(len(mismatches), limit),
        "more": len(violations) > limit or len(mismatches) > limit,
        "limit": limit,
    }


@dataclass
class Outlier:
    observation: Observation
    median: Decimal
    score: float


def outliers(observations=None, *, threshold: float = 3.5, minimum: int = 5):
    """
    Figures far outside their own series: the same metric, region and
    kind of period (May against Mays, Jan-Jun against Jan-Juns) in other
    years, scored by the robust z-score 0.6745 (x - median) / MAD.
    """
    base = Observation.objects.canonical() if observations is None else observations
    rows = (
        base.filter(value__isnull=False)
        .select_related("metric", "region")
        .order_by("metric_id", "region_id", "period_type", "period_start", "period_end")
    )
    groups: dict[tuple, list[Observation]] = {}
    current_series = None
    for observation in rows.iterator(chunk_size=2000):
        series = (observation.metric_id, observation.region_id)
        if series != current_series:
            yield from _score_groups(groups, threshold, minimum)
            groups, current_series = {}, series
        key = (
            observation.period_type,
            observation.period_start.month,
            observation.period_end.month,
        )
        groups.setdefault(key, []).append(observation)
    yield from _score_groups(groups, threshold, minimum)


def _score_groups(groups, threshold, minimum):
    for members in groups.values():
        if len(members) < minimum:
            continue
        values = [member.value for member in members]
        middle = median(values)
        spread = median(abs(value - middle) for value in values)
        if spread == 0:
            continue
        for member in members:
            score = 0.6745 * float(abs(member.value - middle) / spread)
            if score > threshold:
                yield Outlier(member, middle, round(score, 1))
