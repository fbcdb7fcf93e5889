"""
loaddata that validates every object as the admin would before saving it.

Django's loaddata saves raw rows: only database constraints stop bad data,
and rules that live in clean() (period alignment, region levels, share
bounds) would slip through. Here each object is fully cleaned first; the
first invalid one aborts the whole load, which runs in one transaction, so
the database is left exactly as it was, and the error names the object.
"""

import reversion
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.base import CommandError
from django.core.management.commands import loaddata

from metrics import audit


def describe(instance) -> str:
    """Name an object by its natural key where it has one, else its pk."""
    label = instance._meta.label
    try:
        key = instance.natural_key()
    except (AttributeError, ObjectDoesNotExist):
        key = None
    if key:
        return f"{label}({', '.join(str(part) for part in key)})"
    return f"{label}(pk={instance.pk})"


class Command(loaddata.Command):
    help = loaddata.Command.help + " Every object is validated with full_clean() first."

    def handle(self, *fixture_labels, **options):
        # Loaded records start their history here, like records entered in the admin.
        with reversion.create_revision(using=options.get("database")):
            reversion.set_comment(audit.loaded_comment(fixture_labels))
            return super().handle(*fixture_labels, **options)

    def save_obj(self, obj):
        instance = obj.object
        if instance.pk is not None:
            # Found by natural key (or given a pk): an update, so uniqueness
            # checks must not count the row itself.
            manager = type(instance)._base_manager.db_manager(self.using)
            instance._state.adding = not manager.filter(pk=instance.pk).exists()
        try:
            # Forward references are filled in after every object is saved.
            deferred = {field.name for field in (obj.deferred_fields or {})}
            instance.full_clean(exclude=deferred)
        except ValidationError as error:
            details = "; ".join(
                f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
                for field, messages in error.message_dict.items()
            )
            raise CommandError(f"Could not load {describe(instance)}: {details}") from error
        return super().save_obj(obj)
