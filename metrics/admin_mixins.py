"""
What every staff screen shares: audit history, region scopes, optimistic
locking and the review workflow. The apps' admin modules declare their
screens on top of these.
"""

import dataclasses
import functools
from contextlib import contextmanager
from decimal import Decimal

import reversion
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation, helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from reversion.admin import VersionAdmin
from reversion.models import Version

from metrics import audit
from metrics.admin_keys import CheckedKeysMixin
from metrics.formatting import format_amount, parse_amount
from metrics.models import (
    WORKFLOW_FIELDS,
    LockVersioned,
    PublicationState,
    Publishable,
    PublishedVersion,
    Region,
    ReviewStep,
)
from metrics.pagination import CappedPaginator
from metrics.statements import described_statements
from metrics.translation import is_chinese, name_order
from metrics.workflow import history, policy, steps
from metrics.workflow.policy import Step, WorkflowError
from metrics.workflow.scope import RegionScope
from metrics.workflow.steps import StepRefused, stale_records

NOTHING_CHANGED = _("Nothing was changed; correct the records above first.")
STALE_MESSAGE = _(
    "Someone else saved this record after you opened it. Your changes were not saved; "
    "reload the page to see the current version, then make your changes again."
)

# --- Optimistic locking ---------------------------------------------------------------


class LockedModelForm(forms.ModelForm):
    """
    Carries the version of the record the user loaded and refuses to save
    over a newer one. The check runs inside the admin's transaction with
    the row locked, so two simultaneous saves cannot both pass it.
    """

    lock_version_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["lock_version_seen"].initial = self.instance.lock_version

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            current = (
                type(self.instance)
                ._base_manager.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("lock_version", flat=True)
                .first()
            )
            if current != cleaned_data.get("lock_version_seen"):
                raise ValidationError(STALE_MESSAGE, code="stale")
        return cleaned_data

    def save(self, commit=True):
        if self.instance.pk is not None:
            self.instance.lock_version = (self.cleaned_data.get("lock_version_seen") or 0) + 1
        return super().save(commit)


def _with_lock_field(fieldsets):
    first_name, first_options = fieldsets[0]
    fields = list(first_options.get("fields", []))
    if "lock_version_seen" not in fields:
        fields.append("lock_version_seen")
    return [(first_name, {**first_options, "fields": fields}), *fieldsets[1:]]


class LockedInlineMixin:
    """Inline rows of lock-versioned records carry their version too."""

    form = LockedModelForm

    def get_fieldsets(self, request, obj=None):
        return _with_lock_field(super().get_fieldsets(request, obj))


class StatedBasesAdminMixin:
    """
    On a record the user may only view, the statements' bases are shown as
    text under "How we know it". The editing fields of `with_bases` belong to
    the form, not the record: read-only, Django would list each as "None"
    under a label made from its name.
    """

    def bases_shown_as_text(self, request, obj) -> bool:
        return bool(getattr(self.model, "stated", None)) and not self.has_change_permission(
            request, obj
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self.bases_shown_as_text(request, obj):
            fields.append("stated_bases")
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.bases_shown_as_text(request, obj):
            return fieldsets
        stated = self.model.stated
        prefixes = ("basis", "basis_note", "basis_source")
        editing = {f"{prefix}_{name}" for name in stated for prefix in prefixes}
        shown = []
        for name, options in fieldsets:
            fields, replaced = [], False
            for row in options.get("fields", []):
                names = set(row) if isinstance(row, list | tuple) else {row}
                if names <= editing:
                    if not replaced:
                        fields.append("stated_bases")
                        replaced = True
                else:
                    fields.append(row)
            shown.append((name, {**options, "fields": fields}))
        return shown

    @admin.display(description=_("How we know it"))
    def stated_bases(self, record):
        statements = record.statements()
        if not statements:
            return gettext("not described")
        return format_html_join(
            "",
            "<p><strong>{}</strong>: {}. {}{}</p>",
            (
                (
                    statement.label,
                    statement.basis_label,
                    statement.note,
                    f" ({statement.source})" if statement.source else "",
                )
                for statement in statements
            ),
        )


# --- Figures as people type them -----------------------------------------------------

AMOUNT_HINT = _("Type it in full or with a scale: 2亿, 8,500万, 200 million, 10.77 billion.")


class AmountInput(forms.TextInput):
    """
    A figure shown in the scale its size calls for ("200 million", "2亿"),
    every stored digit kept and no trailing zeros: never "200000000.000000".
    """

    def format_value(self, value):
        if isinstance(value, Decimal):
            return format_amount(value)
        return super().format_value(value)


class AmountField(forms.DecimalField):
    """
    A Decimal typed as people write it (metrics.formatting.parse_amount):
    in full, with separators, or with a scale in either language. The
    number read is exact; one the model cannot hold (too many digits or
    decimals) is a form error, as is anything that is not a figure.
    """

    # A text input: a browser's number field would refuse "2亿".
    widget = AmountInput
    default_error_messages = {
        "invalid": _(
            "Enter a figure, in full or with a scale: 200000000, 200,000,000, 2亿 or 200 million."
        ),
    }

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        try:
            return parse_amount(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class AmountFieldsMixin:
    """
    Every Decimal column of a screen is an AmountField; columns of amounts
    and counts say in their help how they may be typed. Changes in percent
    (`percent_fields`) are typed as numbers alone.
    """

    percent_fields = ("yoy_change",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DecimalField) and not db_field.choices:
            help_text = str(db_field.help_text or "")
            if db_field.name not in self.percent_fields:
                help_text = f"{help_text} {AMOUNT_HINT}".strip()
            kwargs.setdefault("form_class", AmountField)
            kwargs.setdefault("help_text", help_text)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# --- History ----------------------------------------------------------------------------


def _workflow_fields_now(revision) -> dict:
    """
    {(model, pk): {field: value}} of the workflow fields (state, lock
    version, authors, ...) of the records a revision holds, as they are now;
    None for a record that no longer exists.
    """
    now = {}
    for version in revision.version_set.all():
        model = version._model
        if model is None or not issubclass(model, LockVersioned | Publishable):
            continue
        names = [field.attname for field in model._meta.concrete_fields]
        names = [name for name in names if name.removesuffix("_id") in WORKFLOW_FIELDS]
        now[(model, version.object_id)] = (
            model._base_manager.filter(pk=version.object_id).values(*names).first()
        )
    return now


def _restore_workflow_fields(before: dict, user) -> None:
    """
    A revert restores content, never the workflow's fields: the state, the
    lock version (a form loaded before the revert must still be refused),
    the correction link. A record the revert brought back is a draft, and
    whoever reverted is among the authors of the restored content.
    """
    for (model, pk), fields in before.items():
        if fields is None:
            fields = {"lock_version": 0}
            if issubclass(model, Publishable):
                fields.update(
                    publication_state=PublicationState.DRAFT,
                    published_at=None,
                    revised_at=None,
                    revision_of_id=None,
                )
        if issubclass(model, Publishable):
            authors = list(fields.get("authors") or [])
            fields["authors"] = authors if user.pk in authors else [*authors, user.pk]
        model._base_manager.filter(pk=pk).update(**fields)


def _deleting_as_the_policy_allows(action):
    """
    Django's delete action checks only that the user may delete records of
    the model: here every selected record is asked about, and the action
    does nothing when one was changed since the user loaded it.
    """

    @functools.wraps(action)
    def checked(modeladmin, request, queryset):
        refused = [
            (record, message)
            for record in queryset
            if (message := policy.refusal(request.user, Step.DELETE, record))
        ]
        stale = stale_records(queryset, getattr(request, "seen_versions", None))
        refused += [(record, steps.stale_message(record)) for record in stale]
        if not refused:
            return action(modeladmin, request, queryset)
        for _record, message in refused:
            modeladmin.message_user(request, message, messages.ERROR)
        modeladmin.message_user(request, NOTHING_CHANGED, messages.ERROR)
        return None

    return checked


# --- The base of every screen ------------------------------------------------------------


class ScopedChoicesMixin(CheckedKeysMixin):
    """
    Drop-downs and autocompletes offer only what the user's regions cover,
    and a forged key in a submitted form is a form error (CheckedKeysMixin).
    """

    def _scoped_choices(self, request, model):
        scope = RegionScope.for_user(request.user)
        if model is Region:
            return scope.regions()
        site_admin = self.admin_site._registry.get(model)
        if isinstance(site_admin, AuditedAdmin):
            return site_admin.choices_for(request)
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = self._scoped_choices(request, db_field.related_model)
        if queryset is not None and "queryset" not in kwargs:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = self._scoped_choices(request, db_field.related_model)
        if queryset is not None and "queryset" not in kwargs:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class IndexedSortChangeList(ChangeList):
    """
    Honours `?o=` only for the columns the screen lets people sort
    (`sortable_by`). Chinese names sort by pinyin (metrics.pinyin): a
    column of them always, and a list in its default order by name when
    the admin is in Chinese.
    """

    def get_ordering_field(self, field_name):
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        order_field = super().get_ordering_field(field_name)
        if isinstance(order_field, str) and self._is_name(order_field, "_zh"):
            return name_order(order_field.removesuffix("_zh"), "zh-hans")
        return order_field

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        if not is_chinese():
            return ordering
        return [self._in_chinese(field) for field in ordering]

    def _in_chinese(self, field):
        if not isinstance(field, str):
            return field
        name = field.removeprefix("-")
        if not self._is_name(name, "_en"):
            return field
        return name_order(name.removesuffix("_en"), descending=field.startswith("-"))

    def _is_name(self, field, suffix):
        # A text column of the model itself with its other-language sibling.
        if not field.endswith(suffix) or LOOKUP_SEP in field:
            return False
        names = {f.name for f in self.model._meta.concrete_fields}
        base = field.removesuffix(suffix)
        return {f"{base}_en", f"{base}_zh"} <= names


class StrictLookupsMixin:
    """
    A changelist asked for a filter it does not offer answers 400 Bad
    Request, instead of Django's redirect to "?e=1": such URLs are probes
    (`?lead_organisation__name__startswith=`), not mistakes to recover from.
    Password hashes are never a filter, even on the user list.
    """

    paginator = CappedPaginator

    def get_changelist(self, request, **kwargs):
        return IndexedSortChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(
            request, queryset, per_page, orphans, allow_empty_first_page
        )
        # The changelist counts before it asks for its page.
        paginator.ask_for(request.GET.get(PAGE_VAR, 1))
        return paginator

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters as error:
            raise BadRequest(gettext("This list has no such filter.")) from error

    def lookup_allowed(self, lookup, value, request=None):
        if "password" in lookup.split(LOOKUP_SEP):
            return False
        return super().lookup_allowed(lookup, value, request)


class AuditedAdmin(AmountFieldsMixin, StrictLookupsMixin, ScopedChoicesMixin, VersionAdmin):
    """
    Every save, inlines included, is a django-reversion revision with its
    author: the history page shows field-level differences and can revert
    a record together with its inlines. Whether the user may see, add,
    change or delete a record is the publication policy's answer
    (metrics.workflow.policy), asked here for every screen. Records outside
    the user's regions answer 404, whatever the URL. Lists never count a
    whole table twice.
    """

    show_full_result_count = False
    list_per_page = 50
    object_history_template = "admin/audit_history.html"

    def reversion_register(self, model, **options):
        # Columns the database derives (a model's `derived_fields`) are not
        # history: they would show as changes nobody made.
        options["exclude"] = tuple(getattr(model, "derived_fields", ()))
        super().reversion_register(model, **options)

    # What the user may do: the policy's answers ----------------------------

    def has_module_permission(self, request):
        return policy.can(request.user, Step.VIEW, model=self.model)

    def has_view_permission(self, request, obj=None):
        return policy.can(request.user, Step.VIEW, obj, model=self.model)

    def has_add_permission(self, request):
        return policy.can(request.user, Step.CREATE, model=self.model)

    def has_change_permission(self, request, obj=None):
        return policy.can(request.user, Step.EDIT, obj, model=self.model)

    def has_delete_permission(self, request, obj=None):
        return policy.can(request.user, Step.DELETE, obj, model=self.model)

    def get_prepopulated_fields(self, request, obj=None):
        """
        The identifier fills itself from the name only while a record is
        added: an existing record's is in its public address (and a
        correction's is the corrected record's), so it changes only when
        someone types a new one.
        """
        if obj is not None:
            return {}
        return super().get_prepopulated_fields(request, obj)

    # Writes: asked again, on the record as the form left it -------------------

    @property
    def is_publishable(self) -> bool:
        return issubclass(self.model, Publishable)

    def save_model(self, request, obj, form, change):
        if self.is_publishable:
            policy.check(request.user, Step.EDIT if change else Step.CREATE, obj, fresh=True)
            steps.note_author(obj, request.user)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if self.is_publishable and self.model.region_path:
            # Regions chosen in the form are saved only now: the record
            # must still lie in the user's regions.
            policy.check(request.user, Step.EDIT, form.instance, fresh=True)

    def delete_model(self, request, obj):
        policy.check(request.user, Step.DELETE, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for record in queryset:
            policy.check(request.user, Step.DELETE, record)
        super().delete_queryset(request, queryset)

    # Region scope ----------------------------------------------------------

    def scope_queryset(self, queryset, scope: RegionScope):
        """Narrow to the records the user's regions cover; reference data is not narrowed."""
        return queryset

    def get_queryset(self, request):
        return self.scope_queryset(
            super().get_queryset(request), RegionScope.for_user(request.user)
        )

    def choices_for(self, request):
        """What forms elsewhere may link to: by default, what the user sees here."""
        return self.get_queryset(request)

    def _require_visible(self, request, object_id):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(gettext("No such record, or it is outside your regions."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_visible(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    # History ----------------------------------------------------------------

    # django-reversion stores the change message as text in the saver's
    # language; the history shows it in the reader's, from its structure.
    def log_addition(self, request, obj, message):
        entry = admin.ModelAdmin.log_addition(self, request, obj, message)
        if reversion.is_active():
            reversion.set_comment(entry.change_message)
        return entry

    def log_change(self, request, obj, message):
        entry = admin.ModelAdmin.log_change(self, request, obj, message)
        if reversion.is_active():
            reversion.set_comment(entry.change_message)
        return entry

    @contextmanager
    def create_revision(self, request):
        with super().create_revision(request):
            yield
            reverted_to = getattr(request, "reverted_to", None)
            if reverted_to is not None and reversion.is_active():
                reversion.set_comment(audit.reverted_comment(reverted_to))

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        page, entries = audit.history_page(obj, request.GET.get(PAGE_VAR))
        # A revert edits the record as it is now: offered when the policy
        # lets the user edit it, and for versions saved without other records.
        may_edit = self.has_change_permission(request, obj)
        for entry in entries:
            entry["can_revert"] = may_edit and entry["revertible"]
        if page.number == 1 and entries:
            entries[0]["can_revert"] = False  # the version the record has now
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Change history: %s") % obj,
            "subtitle": None,
            "object": obj,
            "opts": opts,
            "app_label": opts.app_label,
            "module_name": capfirst(opts.verbose_name_plural),
            "entries": entries,
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "can_revert": any(entry["can_revert"] for entry in entries),
            "revision_url_name": (
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_revision"
            ),
            "object_id": quote(obj.pk),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        self._require_visible(request, object_id)
        # django-reversion finds the version by its id and object id alone, then
        # reverts its whole revision: a version of another model that shares the
        # object id, or an import or bulk action that also touched records of
        # other regions, must not be reverted through this record.
        version = (
            Version.objects.get_for_object_reference(self.model, unquote(object_id))
            .filter(pk=version_id)
            .first()
        )
        if version is None or not self._revision_is_visible(request, version.revision):
            raise Http404(gettext("No such record, or it is outside your regions."))
        if not self.has_change_permission(request):
            raise PermissionDenied
        refused = self._revert_refusals(
            request, version.revision, self.get_object(request, unquote(object_id))
        )
        if refused:
            for message in refused:
                self.message_user(request, message, messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(
                    f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_history",
                    args=[quote(unquote(object_id))],
                )
            )
        request.reverting_revision = True
        request.reverted_to = version.revision.date_created
        request.workflow_fields_before_revert = _workflow_fields_now(version.revision)
        return super().revision_view(request, object_id, version_id, extra_context)

    def _revert_refusals(self, request, revision, obj=None) -> list[str]:
        """
        A revert edits every record of the revision: the policy must allow
        each edit, and from one record's history the revision may hold
        nothing but the record and its parts.
        """
        if obj is not None and not audit.holds_only(revision, obj):
            return [
                gettext(
                    "This version was saved together with other records (by a fixture load or "
                    "an action on several records): reverting to it would change them too, so it "
                    "cannot be reverted from this record's history."
                )
            ]
        refused = []
        for version in revision.version_set.all():
            model = version._model
            if model is None:
                continue
            current = model._base_manager.filter(pk=version.object_id).first()
            step = Step.EDIT if current is not None else Step.CREATE
            message = policy.refusal(request.user, step, current, model=model)
            if message is not None:
                refused.append(message)
        return refused

    def _revision_is_visible(self, request, revision) -> bool:
        if request.user.is_superuser:
            return True
        for version in revision.version_set.all():
            model_admin = self.admin_site._registry.get(version._model)
            if model_admin is None or not (
                model_admin.get_queryset(request).filter(pk=version.object_id).exists()
            ):
                return False
        return True

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is not None and getattr(request, "reverting_revision", False):
            # The revision is reverted by now, inside reversion's transaction. A
            # version that puts the record outside the user's regions would make
            # Django answer with a redirect, which reversion takes for success and
            # keeps: refuse instead, which rolls the revert back.
            self._require_visible(request, object_id)
            _restore_workflow_fields(request.workflow_fields_before_revert, request.user)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def recoverlist_view(self, request, extra_context=None):
        # Deleted records have no region left to check against: superusers only.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        if not request.user.is_superuser:
            raise PermissionDenied
        version = Version.objects.filter(pk=version_id).first()
        if version is not None:
            # A recovered record comes back as a draft, to be reviewed again.
            request.reverting_revision = True
            request.workflow_fields_before_revert = _workflow_fields_now(version.revision)
        return super().recover_view(request, version_id, extra_context)

    # Optimistic locking for actions ----------------------------------------------

    @property
    def is_lock_versioned(self) -> bool:
        return issubclass(self.model, LockVersioned)

    def action_checkbox(self, obj):
        if not self.is_lock_versioned:
            return super().action_checkbox(obj)
        # The version the user saw travels with the selection, so an action on
        # a record someone changed since is refused.
        checkbox = forms.CheckboxInput(
            {
                "class": "action-select",
                "aria-label": gettext("Select this object for an action - %s") % obj,
            },
            lambda value: False,
        )
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, f"{obj.pk}:{obj.lock_version}")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_lock_versioned and self.delete_selected_confirmation_template is None:
            # The confirmation page passes the versions seen on to the deletion.
            self.delete_selected_confirmation_template = (
                "admin/delete_selected_confirmation_locked.html"
            )

    def changelist_view(self, request, extra_context=None):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if request.method == "POST" and any(":" in value for value in selected):
            seen = {}
            for value in selected:
                pk, _colon, version = value.partition(":")
                if pk.isdigit() and version.isdigit():
                    seen[int(pk)] = int(version)
            post = request.POST.copy()
            post.setlist(helpers.ACTION_CHECKBOX_NAME, [str(pk) for pk in seen])
            request.POST = post
            request.seen_versions = seen
        return super().changelist_view(request, extra_context)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if "delete_selected" in actions:
            action = actions["delete_selected"]
            actions["delete_selected"] = dataclasses.replace(
                action, func=_deleting_as_the_policy_allows(action.func)
            )
        return actions

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.is_lock_versioned and obj is not None:
            return _with_lock_field(fieldsets)
        return fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if self.is_lock_versioned and "form" not in kwargs and self.form is forms.ModelForm:
            kwargs["form"] = LockedModelForm
        return super().get_form(request, obj, **kwargs)


# --- Review before publish ----------------------------------------------------------------


DECISIONS = {
    Step.SUBMIT: _("Submit for review"),
    Step.PUBLISH: _("Publish"),
    Step.RETURN: _("Return to draft"),
    Step.WITHDRAW: _("Withdraw from the public"),
    Step.REOPEN: _("Reopen as a draft"),
}
NOTE_HELP = _(
    "Required when returning or withdrawing (say why), and when submitting a correction "
    "(say what it corrects and why: the public history shows it)."
)


NOTE_MISSING = {
    Step.SUBMIT: _("Say what the correction changes and why; the public history shows this note."),
    Step.RETURN: _("Say why, so that the editor knows what to change."),
    Step.WITHDRAW: _("Say why it is withdrawn; its history keeps the note."),
}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NOTE_HELP,
    )
    lock_version_seen = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, decisions, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record
        self.fields["decision"].choices = [(step, DECISIONS[step]) for step in decisions]

    def clean(self):
        cleaned_data = super().clean()
        decision = cleaned_data.get("decision")
        if decision and policy.needs_note(decision, self.record):
            if not cleaned_data.get("note", "").strip():
                self.add_error("note", NOTE_MISSING[decision])
        return cleaned_data


class NoteForm(forms.Form):
    """The note a bulk return or withdrawal needs, asked for before it is taken."""

    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say why: the editors (and, for a withdrawal, the history) keep it."),
    )


class ReviewAdminMixin:
    """
    Review before publish, on every screen of a publishable record: the
    Review page offers the decisions the policy allows the user on the
    record; bulk actions take the same steps for many records at once;
    "Propose a correction" opens a draft copy of a published record. Every
    step goes through metrics.workflow.steps, which asks the policy again.
    """

    actions = [
        "submit_for_review",
        "publish",
        "return_to_draft",
        "withdraw",
    ]

    def has_submit_permission(self, request):
        return policy.can(request.user, Step.SUBMIT, model=self.model)

    def has_publish_permission(self, request):
        return policy.can(request.user, Step.PUBLISH, model=self.model)

    def has_return_permission(self, request):
        return policy.can(request.user, Step.RETURN, model=self.model)

    def has_withdraw_permission(self, request):
        return policy.can(request.user, Step.WITHDRAW, model=self.model)

    def allowed_decisions(self, request, obj) -> list[str]:
        return [step for step in policy.DECISIONS if policy.can(request.user, step, obj)]

    def choices_for(self, request):
        """A correction in progress is not a record to link to."""
        return super().choices_for(request).canonical()

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            # Other forms' autocompletes offer records to link to, never corrections.
            return queryset.canonical()
        return queryset

    def view_on_site(self, obj):
        """The public page, once there is one: drafts and corrections have none."""
        if obj.is_published and hasattr(obj, "get_absolute_url"):
            return obj.get_absolute_url()
        return None

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.revision_of_id:
            # A correction changes the record, not which record it is.
            fields += [name for name in self.model.identity_fields if name not in fields]
        return fields

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return shown + [
            name for name in ("publication_badge", "revision_marker") if name not in shown
        ]

    # Views ---------------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name=f"{opts.app_label}_{opts.model_name}_review",
            ),
            path(
                "<path:object_id>/correct/",
                self.admin_site.admin_view(self.correct_view),
                name=f"{opts.app_label}_{opts.model_name}_correct",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(gettext("No such record, or it is outside your regions."))
        decisions = self.allowed_decisions(request, obj)
        if not decisions:
            raise PermissionDenied
        form = ReviewForm(
            request.POST or None,
            decisions=decisions,
            record=obj,
            initial={"lock_version_seen": obj.lock_version},
        )
        if request.method == "POST" and form.is_valid():
            decision = Step(form.cleaned_data["decision"])
            try:
                steps.take_step(
                    decision,
                    records=[obj],
                    user=request.user,
                    note=form.cleaned_data["note"],
                    seen={obj.pk: form.cleaned_data["lock_version_seen"]},
                )
            except StepRefused as error:
                for _record, message in error.failures:
                    form.add_error(None, message)
            else:
                return self._after_decision(request, obj, decision)
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Review: %s") % obj,
            "object": obj,
            "opts": opts,
            "app_label": opts.app_label,
            "form": form,
            "steps": ReviewStep.objects.for_record(obj),
            "change_url": self._change_url(obj),
            "differences": self.correction_differences(obj),
            "statements": described_statements(obj),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/review.html", context)

    def _after_decision(self, request, obj, decision):
        if decision == Step.PUBLISH and obj.revision_of_id:
            # The correction is applied and gone: land on the record it corrected.
            original = obj.revision_of
            self.message_user(
                request,
                gettext(
                    "%(record)s: the correction is published. The public sees the corrected "
                    "content, and the record's history lists the earlier one."
                )
                % {"record": original},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self._change_url(original))
        self.message_user(
            request,
            gettext("%(record)s: %(decision)s.") % {"record": obj, "decision": DECISIONS[decision]},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(obj))

    def correction_differences(self, obj) -> list:
        """What a correction changes, field by field, against the published record."""
        if not obj.revision_of_id:
            return []
        return history.differences(
            self.model, history.snapshot(obj.revision_of), history.snapshot(obj)
        )

    def _change_url(self, obj):
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(obj.pk)],
        )

    def correct_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(gettext("No such record, or it is outside your regions."))
        if request.method != "POST" or not policy.can(request.user, Step.CORRECT, model=self.model):
            raise PermissionDenied
        try:
            correction = steps.propose_correction(record=obj, user=request.user)
        except (ValidationError, WorkflowError) as error:
            messages_ = error.messages if isinstance(error, ValidationError) else [error.message]
            self.message_user(request, " ".join(messages_), messages.ERROR)
            return HttpResponseRedirect(self._change_url(obj))
        self.message_user(
            request,
            gettext(
                "This is a correction of the published record. The public keeps seeing the "
                "published content until a reviewer publishes the correction."
            ),
            messages.INFO,
        )
        return HttpResponseRedirect(self._change_url(correction))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if obj is not None:
            opts = self.model._meta
            open_correction = obj.corrections.first()
            extra_context.update(
                review_steps=ReviewStep.objects.for_record(obj),
                review_url=reverse(
                    f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_review",
                    args=[quote(obj.pk)],
                )
                if self.allowed_decisions(request, obj)
                else None,
                correct_url=reverse(
                    f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_correct",
                    args=[quote(obj.pk)],
                )
                if open_correction is None and policy.can(request.user, Step.CORRECT, obj)
                else None,
                open_correction=open_correction,
                differences=self.correction_differences(obj),
                earlier_versions=PublishedVersion.objects.for_record(obj)[:20],
                workflow_refusal=policy.refusal(request.user, Step.EDIT, obj),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # Bulk actions ----------------------------------------------------------------------

    def _take(self, request, queryset, step, done_message, note=""):
        try:
            count = steps.take_step(
                step,
                records=queryset,
                user=request.user,
                note=note,
                seen=getattr(request, "seen_versions", None),
            )
        except StepRefused as error:
            for _record, message in error.failures:
                self.message_user(request, message, messages.ERROR)
            self.message_user(request, NOTHING_CHANGED, messages.ERROR)
            return None
        self.message_user(request, done_message(count), messages.SUCCESS)
        return None

    def _take_with_note(self, request, queryset, step, title, done_message):
        """Ask for the note on a page of its own, then take the step with it."""
        seen = getattr(request, "seen_versions", None) or {}
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            return self._take(request, queryset, step, done_message, form.cleaned_data["note"])
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "button": DECISIONS[step],
            "opts": opts,
            "app_label": opts.app_label,
            "queryset": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            # The versions the user saw travel on, so that the step is refused
            # for a record someone changed since.
            "selected": [
                f"{record.pk}:{seen.get(record.pk, record.lock_version)}" for record in queryset
            ],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/review_action_note.html", context)

    @admin.action(description=_("Submit selected for review"), permissions=["submit"])
    def submit_for_review(self, request, queryset):
        return self._take(
            request,
            queryset,
            Step.SUBMIT,
            lambda n: (
                ngettext("%d record submitted for review.", "%d records submitted for review.", n)
                % n
            ),
        )

    @admin.action(description=_("Publish selected"), permissions=["publish"])
    def publish(self, request, queryset):
        return self._take(
            request,
            queryset,
            Step.PUBLISH,
            lambda n: ngettext("%d record published.", "%d records published.", n) % n,
        )

    @admin.action(description=_("Return selected to draft (with a note)"), permissions=["return"])
    def return_to_draft(self, request, queryset):
        return self._take_with_note(
            request,
            queryset,
            Step.RETURN,
            gettext("Return to draft: say why"),
            lambda n: (
                ngettext("%d record returned to draft.", "%d records returned to draft.", n) % n
            ),
        )

    @admin.action(description=_("Withdraw selected (with a note)"), permissions=["withdraw"])
    def withdraw(self, request, queryset):
        return self._take_with_note(
            request,
            queryset,
            Step.WITHDRAW,
            gettext("Withdraw from the public: say why"),
            lambda n: ngettext("%d record withdrawn.", "%d records withdrawn.", n) % n,
        )

    @admin.display(description=_("publication state"), ordering="publication_state")
    def publication_badge(self, obj):
        return format_html(
            '<span class="state state-{}">{}</span>',
            obj.publication_state,
            obj.get_publication_state_display(),
        )

    @admin.display(description=_("revision"))
    def revision_marker(self, obj):
        if obj.revision_of_id:
            return format_html("<strong>{}</strong>", gettext("correction"))
        if obj.revised_at:
            revised = timezone.localdate(obj.revised_at).isoformat()
            return gettext("revised %(date)s") % {"date": revised}
        return ""
