"""
The review steps, as services every caller goes through: submit, publish,
return_to_draft, withdraw, reopen and propose_correction, plus the marks a
content change leaves (`note_author`).

Each step asks the policy first (`policy.refusal` for every record, with
the note), refuses records that changed since the caller loaded them
(optimistic locking), validates what would become public, and only then
writes, in one transaction: the new state, a raised lock version, a
ReviewStep (who, when, note) and a django-reversion revision. If any
record fails, nothing is written and StepRefused lists every failure.
"""

import copy
from collections.abc import Iterable, Mapping

import reversion
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from metrics import audit
from metrics.models import (
    WORKFLOW_FIELDS,
    PublicationState,
    Publishable,
    PublishedVersion,
    ReviewStep,
)
from metrics.workflow import history, policy
from metrics.workflow.policy import Step

CORRECTION_SUFFIX = "--correction"


class StepRefused(Exception):
    """Some records could not take the step; nothing was changed. Each message names its record."""

    def __init__(self, failures: list[tuple[object, str]]):
        self.failures = failures
        super().__init__(" ".join(message for _record, message in failures))


def stale_records(records: Iterable, seen_versions: Mapping[int, int] | None) -> list:
    """Records saved by someone else since the user loaded them (optimistic locking)."""
    if not seen_versions:
        return []
    return [
        record
        for record in records
        if record.pk in seen_versions and seen_versions[record.pk] != record.lock_version
    ]


STALE = gettext_lazy(
    "“%(record)s”: someone else changed it since you loaded the page; reload and try again."
)


def stale_message(record) -> str:
    return str(STALE) % {"record": record}


def note_author(record: Publishable, user) -> None:
    """Mark the user as having changed the record's content (the caller saves it)."""
    if user.pk not in record.authors:
        record.authors = [*record.authors, user.pk]


def note_part_change(owner: Publishable, user) -> None:
    """A part of the record (a program's outcome, say) changed: its author changed the record."""
    if user.pk not in owner.authors:
        owner.authors = [*owner.authors, user.pk]
        type(owner)._base_manager.filter(pk=owner.pk).update(authors=owner.authors)


# --- The steps -------------------------------------------------------------------------


def submit(*, records, user, note: str = "", seen_versions=None) -> int:
    """Send drafts to review; a correction needs a note saying what it changes and why."""
    return take_step(Step.SUBMIT, records=records, user=user, note=note, seen=seen_versions)


def publish(*, records, user, note: str = "", seen_versions=None) -> int:
    """Make reviewed records public; a correction replaces the content of what it corrects."""
    return take_step(Step.PUBLISH, records=records, user=user, note=note, seen=seen_versions)


def return_to_draft(*, records, user, note: str, seen_versions=None) -> int:
    """Send records in review back to their editors, saying why."""
    return take_step(Step.RETURN, records=records, user=user, note=note, seen=seen_versions)


def withdraw(*, records, user, note: str, seen_versions=None) -> int:
    """Take published records off the public site, saying why; their history keeps them."""
    return take_step(Step.WITHDRAW, records=records, user=user, note=note, seen=seen_versions)


def reopen(*, records, user, note: str = "", seen_versions=None) -> int:
    """Make withdrawn records drafts again, to be corrected and reviewed anew."""
    return take_step(Step.REOPEN, records=records, user=user, note=note, seen=seen_versions)


@transaction.atomic
def take_step(step: Step, *, records, user, note: str = "", seen=None) -> int:
    """Take one review step on every record, or on none of them (see the module's docstring)."""
    step = Step(step)
    records = _locked(list(records))
    note = (note or "").strip()
    failures = [(record, stale_message(record)) for record in stale_records(records, seen)]
    stale = {record.pk for record, _message in failures}
    batch = {(type(record), record.pk) for record in records}
    for record in records:
        if record.pk in stale:
            continue
        reason = policy.refusal(user, step, record, note=note)
        if reason is None:
            reason = _invalid(step, record, batch)
        if reason is not None:
            failures.append((record, reason))
    if failures:
        raise StepRefused(failures)
    now = timezone.now()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(audit.step_comment(step, note))
        for record in records:
            if step == Step.PUBLISH and record.revision_of_id:
                _apply_correction(record, user=user, note=note, now=now)
            else:
                _move(step, record, user=user, note=note, now=now)
    return len(records)


def _locked(records: list) -> list:
    """The records as they are now, locked until the step is written."""
    if not records:
        return []
    model = type(records[0])
    related = [
        field.name
        for field in model._meta.concrete_fields
        if field.many_to_one and field.name != "revision_of"
    ]
    rows = model._base_manager.select_for_update(of=("self",)).filter(
        pk__in=[r.pk for r in records]
    )
    if related:
        rows = rows.select_related(*related)
    current = {row.pk: row for row in rows}
    return [current[record.pk] for record in records if record.pk in current]


def _invalid(step: Step, record, batch: set) -> str | None:
    """What stops the step besides the policy: invalid content, missing references, users."""
    try:
        if step in (Step.SUBMIT, Step.PUBLISH):
            _as_published(record).full_clean()
    except ValidationError as error:
        return f"“{record}”: {' '.join(error.messages)}"
    if step in (Step.SUBMIT, Step.PUBLISH):
        # A program's partners and outcome links go public with it: an
        # inference among them without its reasoning would pass for a fact.
        for part in getattr(record, "stated_parts", lambda: ())():
            if problems := part.statement_problems():
                return f"“{record}”, {part._meta.verbose_name} “{part}”: " + " ".join(
                    problems.values()
                )
    if step in (Step.SUBMIT, Step.PUBLISH) and record.revision_of_id:
        if history.snapshot(record) == history.snapshot(record.revision_of):
            return _(
                "“%(record)s”: the correction changes nothing; change what needs correcting, "
                "or delete it."
            ) % {"record": record}
    if step == Step.PUBLISH:
        for dependency in record.public_dependencies():
            key = (type(dependency), getattr(dependency, "pk", None))
            if dependency is None or dependency.is_published or key in batch:
                continue
            return _(
                "“%(record)s” shows “%(dependency)s”, which is not published: "
                "publish it first, or with it."
            ) % {"record": record, "dependency": dependency}
    if step == Step.WITHDRAW and type(record).is_shared_reference:
        users = _published_users(record)
        if users:
            return _(
                "“%(record)s” is shown by published records, such as “%(example)s”: "
                "withdraw or correct them first."
            ) % {"record": record, "example": users[0]}
    return None


def _as_published(record):
    """The record as the public would see it if this step went through (not saved)."""
    if record.revision_of_id:
        return _corrected(record, lock=False)
    public = copy.copy(record)
    public.publication_state = PublicationState.PUBLISHED
    return public


def _published_users(record, limit: int = 3) -> list:
    """Published records that show this shared reference (a few, as examples)."""
    found = []
    for relation in type(record)._meta.related_objects:
        model, field = relation.related_model, relation.field.name
        if field == "revision_of":
            continue
        if issubclass(model, Publishable):
            users = model._base_manager.filter(
                **{field: record.pk, "publication_state": PublicationState.PUBLISHED}
            )
        elif owner := getattr(model, "workflow_owner", None):
            users = model._base_manager.filter(
                **{field: record.pk, f"{owner}__publication_state": PublicationState.PUBLISHED}
            )
        else:
            continue
        found += list(users[: limit - len(found)])
        if len(found) >= limit:
            break
    return found


def _move(step: Step, record, *, user, note: str, now) -> None:
    from_state = record.publication_state
    target = policy.RULES[step].to_state
    fields = ["publication_state", "lock_version"]
    if step == Step.WITHDRAW:
        PublishedVersion.objects.create(
            record=record,
            content=history.snapshot(record),
            published_at=record.revised_at or record.published_at,
            replaced_at=now,
            reason=PublishedVersion.Reason.WITHDRAWN,
            note=note,
        )
    if step == Step.PUBLISH:
        if record.published_at is not None:  # public before, withdrawn since
            record.revised_at = now
        record.published_at = now
        record.authors = []
        fields += ["published_at", "revised_at", "authors"]
    record.publication_state = target
    record.lock_version += 1
    record.save(update_fields=fields)
    ReviewStep.objects.create(
        record=record,
        from_state=from_state,
        to_state=target,
        user=user,
        note=note,
        is_correction=bool(record.revision_of_id),
    )


def _content_fields(model) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and field.name not in WORKFLOW_FIELDS
    ]


def _corrected(correction, *, lock: bool = True):
    """The corrected record as it will be: the original with the correction's content."""
    manager = type(correction)._base_manager
    original = (manager.select_for_update() if lock else manager).get(pk=correction.revision_of_id)
    for name in _content_fields(type(correction)):
        if name not in type(correction).identity_fields:
            setattr(original, name, getattr(correction, name))
    return original


def _apply_correction(correction, *, user, note: str, now) -> Publishable:
    original = type(correction)._base_manager.select_for_update().get(pk=correction.revision_of_id)
    before = history.snapshot(original)
    public_since = original.revised_at or original.published_at
    original = _corrected(correction)
    original.revised_at = now
    original.authors = []
    original.lock_version += 1
    original.save()
    for name in correction.correctable_fields():
        if type(correction)._meta.get_field(name).many_to_many:
            getattr(original, name).set(getattr(correction, name).all())
    original.take_parts_from(correction)
    submitted = (
        ReviewStep.objects.for_record(correction)
        .filter(to_state=PublicationState.IN_REVIEW)
        .order_by("-at", "-pk")
        .first()
    )
    PublishedVersion.objects.create(
        record=original,
        content=before,
        published_at=public_since,
        replaced_at=now,
        reason=PublishedVersion.Reason.CORRECTED,
        note=submitted.note if submitted is not None else note,
    )
    ReviewStep.objects.for_record(correction).update(object_id=original.pk, is_correction=True)
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
def propose_correction(*, record: Publishable, user) -> Publishable:
    """
    Open a draft correction of a published record, with copies of its parts
    (or return the one already open). The public keeps seeing the published
    content until a reviewer publishes the correction.
    """
    record = _locked([record])[0]
    existing = record.corrections.first()
    if existing is not None and policy.can(user, Step.VIEW, existing):
        return existing
    policy.check(user, Step.CORRECT, record)
    model = type(record)
    correction = model(
        **{name: getattr(record, name) for name in _content_fields(model)},
        revision_of=record,
        publication_state=PublicationState.DRAFT,
        authors=[user.pk],
    )
    if "slug" in model.identity_fields:
        room = model._meta.get_field("slug").max_length - len(CORRECTION_SUFFIX)
        correction.slug = record.slug[:room] + CORRECTION_SUFFIX
    correction.start_correction()
    correction.full_clean()
    with reversion.create_revision():
        reversion.set_user(user)
        reversion.set_comment(audit.correction_comment(record))
        correction.save()
        for name in record.correctable_fields():
            if model._meta.get_field(name).many_to_many:
                getattr(correction, name).set(getattr(record, name).all())
        record.copy_parts_to(correction)
    return correction
