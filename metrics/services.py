"""
Writes that touch several records at once: review steps and corrections.

Each runs in one transaction, validates every record as its form would,
records who did what (a ReviewStep, and a django-reversion revision with
the user and a comment), and changes nothing at all when anything fails.
"""

from collections.abc import Iterable, Mapping

import reversion
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from metrics.models import Observation, PublicationState, Publishable, ReviewStep

# What a correction may change; the metric, region and period are the figure's identity.
CORRECTABLE_FIELDS = [
    "value",
    "value_qualifier",
    "yoy_change",
    "source",
    "source_quote",
    "is_derived",
    "derivation",
    "note_en",
    "note_zh",
]
STEP_COMMENTS = {
    PublicationState.IN_REVIEW: "Submitted for review",
    PublicationState.PUBLISHED: "Published",
    PublicationState.DRAFT: "Returned to draft",
    PublicationState.WITHDRAWN: "Withdrawn",
}


class PublicationError(Exception):
    """Some records could not change state; nothing was changed."""

    def __init__(self, failures: list[tuple[Publishable, str]]):
        self.failures = failures
        super().__init__("; ".join(f"{record}: {message}" for record, message in failures))


def stale_records(records: Iterable, seen_versions: Mapping[int, int] | None) -> list:
    """Records saved by someone else since the user loaded them (optimistic locking)."""
    if not seen_versions:
        return []
    return [
        record
        for record in records
        if record.pk in seen_versions and seen_versions[record.pk] != record.lock_version
    ]


def _stale_failures(records, seen_versions):
    return [
        (record, _("Someone else changed it since you loaded the page; reload and try again."))
        for record in stale_records(records, seen_versions)
    ]


@transaction.atomic
def records_move_to(
    *,
    records: Iterable[Publishable],
    state: str,
    user,
    note: str = "",
    seen_versions: Mapping[int, int] | None = None,
) -> int:
    """
    Move every record to a publication state, or none of them.

    Each record is validated as it would be in its form (a published
    observation must cite its source, for example). Publishing a proposed
    correction applies it to the figure it corrects. If any record fails,
    or was changed by someone else since `seen_versions` was read, nothing
    is saved and PublicationError lists every failure.
    """
    records = list(records)
    failures = _stale_failures(records, seen_versions)
    prepared = []
    for record in records:
        from_state = record.publication_state
        try:
            if _is_correction(record) and state == PublicationState.PUBLISHED:
                if from_state != PublicationState.IN_REVIEW:
                    record.move_to(state)  # raises: only reviewed corrections are applied
                target = _corrected(record)
                target.full_clean()
            else:
                record.move_to(state)
                record.full_clean()
        except ValidationError as error:
            failures.append((record, " ".join(error.messages)))
            continue
        prepared.append((record, from_state))
    if failures:
        raise PublicationError(failures)
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(
            STEP_COMMENTS[PublicationState(state)] + (f": {note}" if note else "")
        )
        for record, from_state in prepared:
            if _is_correction(record) and state == PublicationState.PUBLISHED:
                _apply_correction(record, user=user, note=note)
                continue
            record.lock_version += 1
            record.save(update_fields=["publication_state", "published_at", "lock_version"])
            ReviewStep.objects.create(
                record=record,
                from_state=from_state,
                to_state=state,
                user=user,
                note=note,
                is_correction=_is_correction(record),
            )
    return len(records)


def _is_correction(record) -> bool:
    return isinstance(record, Observation) and record.revision_of_id is not None


def _corrected(correction: Observation) -> Observation:
    """The corrected figure as it will be: the original with the correction's values."""
    original = Observation.objects.select_for_update().get(pk=correction.revision_of_id)
    for field in CORRECTABLE_FIELDS:
        setattr(original, field, getattr(correction, field))
    return original


def _apply_correction(correction: Observation, *, user, note: str) -> Observation:
    original = _corrected(correction)
    original.revised_at = timezone.now()
    original.lock_version += 1
    original.save()
    steps = ReviewStep.objects.for_record(correction)
    steps.update(object_id=original.pk, is_correction=True)
    ReviewStep.objects.create(
        record=original,
        from_state=PublicationState.IN_REVIEW,
        to_state=PublicationState.PUBLISHED,
        user=user,
        note=note,
        is_correction=True,
    )
    correction.delete()
    return original


@transaction.atomic
def observation_propose_correction(*, observation: Observation, user) -> Observation:
    """
    Open a draft correction of a published figure (or return the one already
    open). The public keeps seeing the published value until a reviewer
    publishes the correction.
    """
    if observation.publication_state != PublicationState.PUBLISHED:
        raise ValidationError(_("Only a published figure is corrected; edit a draft directly."))
    if observation.revision_of_id is not None:
        raise ValidationError(_("This is itself a correction."))
    existing = observation.corrections.first()
    if existing is not None:
        return existing
    correction = Observation(
        metric=observation.metric,
        region=observation.region,
        period_type=observation.period_type,
        period_start=observation.period_start,
        period_end=observation.period_end,
        revision_of=observation,
        publication_state=PublicationState.DRAFT,
        **{field: getattr(observation, field) for field in CORRECTABLE_FIELDS},
    )
    correction.full_clean()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(f"Correction proposed for {observation}")
        correction.save()
    return correction
