"""
Admin choices of related records that survive hostile input.

A refused form is drawn again with what was submitted. Django's
autocomplete widgets look the submitted values up in the related table to
show their labels, and a value that is not a key there ("abc", "None", a
number past the column's range) made that lookup fail with a server error
instead of the form saying "Select a valid choice"; a choice of several
records (ModelMultipleChoiceField) asked SQLite for a number past its
range; a bulk action filtered by forged ids as sent. Values that cannot
be keys are now never sent to the database: the widgets leave them out,
the form field refuses them with its message, and a bulk action acts on
the rest.
"""

from django import forms
from django.contrib.admin import helpers, widgets
from django.core.exceptions import ValidationError


def could_be_key(target, value) -> bool:
    """Whether `value` converts to `target`'s type within its column's bounds."""
    try:
        target.run_validators(target.to_python(value))
    except (ValidationError, TypeError, ValueError):
        return False
    return True


def related_keys(field, values) -> list:
    """The submitted `values` that could be keys of `field`'s related model, as given."""
    remote = field.remote_field
    options = remote.model._meta
    target = options.get_field(getattr(remote, "field_name", None) or options.pk.name)
    return [value for value in values if could_be_key(target, value)]


class CheckedKeysMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several records that refuses impossible keys before the database sees them."""

    def _check_values(self, value):
        options = self.queryset.model._meta
        target = options.get_field(self.to_field_name) if self.to_field_name else options.pk
        for key in value:
            if not could_be_key(target, key):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": key},
                )
        return super()._check_values(value)


class KeysOnly:
    """Draws the chosen options of the submitted values that are keys; drops the rest."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, related_keys(self.field, value), attr)


class AutocompleteSelect(KeysOnly, widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(KeysOnly, widgets.AutocompleteSelectMultiple):
    pass


class CheckedKeysMixin:
    """
    For a ModelAdmin or an inline: its autocompletes and choices of several
    records use the widgets and field above, so every staff form refuses a
    forged key with a form error; a bulk action acts only on the selected
    values that can be keys (Django filters by them as sent, and a forged
    one was a server error).
    """

    def response_action(self, request, queryset, **kwargs):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        keys = [key for key in selected if could_be_key(self.model._meta.pk, key)]
        if keys != selected:
            # With none left, Django says that items must be selected.
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, keys)
        return super().response_action(request, queryset, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", CheckedKeysMultipleChoiceField)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
