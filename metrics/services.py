"""Writes that touch several records at once, each atomic and validated."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from metrics.models import Publishable


class PublicationError(Exception):
    """Some records could not change state; nothing was changed."""

    def __init__(self, failures: list[tuple[Publishable, str]]):
        self.failures = failures
        super().__init__("; ".join(f"{record}: {message}" for record, message in failures))


@transaction.atomic
def records_move_to(*, records: Iterable[Publishable], state: str) -> int:
    """
    Move every record to a publication state, or none of them.

    Each record is validated as it would be in its form (a published
    observation must cite its source, for example); if any fails, nothing
    is saved and PublicationError lists every failure.
    """
    records = list(records)
    failures = []
    for record in records:
        try:
            record.move_to(state)
            record.full_clean()
        except ValidationError as error:
            failures.append((record, " ".join(error.messages)))
    if failures:
        raise PublicationError(failures)
    for record in records:
        record.save(update_fields=["publication_state", "published_at"])
    return len(records)
