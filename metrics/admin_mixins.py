"""
What every staff screen shares: audit history, region scopes, optimistic
locking and the review workflow. The apps' admin modules declare their
screens on top of these.
"""

import dataclasses
import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import ActionLocation, helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from reversion.admin import VersionAdmin
from reversion.models import Version

from metrics.access import RegionScope
from metrics.models import (
    ALLOWED_TRANSITIONS,
    LockVersioned,
    PublicationState,
    Region,
    ReviewStep,
)
from metrics.pagination import CappedPaginator
from metrics.services import PublicationError, records_move_to, stale_records

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


# --- History ----------------------------------------------------------------------------


def field_changes(version, previous) -> list[tuple[str, object, object]]:
    """(field label, before, after) for every field that differs between two versions."""
    model = version._model
    now = version.field_dict
    before = previous.field_dict if previous is not None else {}
    changes = []
    for name, value in now.items():
        if name in ("lock_version",) or before.get(name) == value:
            continue
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except Exception:  # a field that no longer exists
            label = name
        changes.append((label, before.get(name, "–") if previous else "–", value))
    return changes


def version_history(versions: list[Version]) -> list[dict]:
    """Each version of one record with what it changed, newest first."""
    entries, previous = [], None
    for version in versions:
        related = [
            (str(other), field_changes(other, _previous_version(other)))
            for other in version.revision.version_set.exclude(pk=version.pk)
        ]
        entries.append(
            {
                "version": version,
                "revision": version.revision,
                "changes": field_changes(version, previous),
                "related": [(label, changes) for label, changes in related if changes],
            }
        )
        previous = version
    return entries[::-1]


def _previous_version(version):
    return (
        Version.objects.filter(
            content_type=version.content_type,
            object_id=version.object_id,
            pk__lt=version.pk,
        )
        .order_by("-pk")
        .first()
    )


def _current_lock_versions(revision) -> dict:
    """{(model, pk): lock version now} of the lock-versioned records a revision holds."""
    locks = {}
    for version in revision.version_set.all():
        model = version._model
        if model is not None and issubclass(model, LockVersioned):
            current = (
                model._base_manager.filter(pk=version.object_id)
                .values_list("lock_version", flat=True)
                .first()
            )
            if current is not None:
                locks[(model, version.object_id)] = current
    return locks


def _refusing_stale(action):
    """An admin action that does nothing when a selected record changed since it was loaded."""

    @functools.wraps(action)
    def checked(modeladmin, request, queryset):
        stale = stale_records(queryset, getattr(request, "seen_versions", None))
        if not stale:
            return action(modeladmin, request, queryset)
        message = _t("Someone else changed it since you loaded the page; reload and try again.")
        for record in stale:
            modeladmin.message_user(request, f"{record}: {message}", messages.ERROR)
        modeladmin.message_user(
            request, _t("Nothing was changed; correct the records above first."), messages.ERROR
        )
        return None

    return checked


# --- The base of every screen ------------------------------------------------------------


class ScopedChoicesMixin:
    """Drop-downs and autocompletes offer only what the user's regions cover."""

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
    """Honours `?o=` only for the columns the screen lets people sort (`sortable_by`)."""

    def get_ordering_field(self, field_name):
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


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

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters as error:
            raise BadRequest(_t("This list has no such filter.")) from error

    def lookup_allowed(self, lookup, value, request=None):
        if "password" in lookup.split(LOOKUP_SEP):
            return False
        return super().lookup_allowed(lookup, value, request)


class AuditedAdmin(StrictLookupsMixin, ScopedChoicesMixin, VersionAdmin):
    """
    Every save, inlines included, is a django-reversion revision with its
    author: the history page shows field-level differences and can revert
    a record together with its inlines. Records outside the user's regions
    answer 404, whatever the URL. Lists never count a whole table twice.
    """

    show_full_result_count = False
    list_per_page = 50
    object_history_template = "admin/audit_history.html"

    def reversion_register(self, model, **options):
        # Columns the database derives (a model's `derived_fields`) are not
        # history: they would show as changes nobody made.
        options["exclude"] = tuple(getattr(model, "derived_fields", ()))
        super().reversion_register(model, **options)

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
            raise Http404(_t("No such record, or it is outside your regions."))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_visible(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    # History ----------------------------------------------------------------

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        versions = list(
            Version.objects.get_for_object(obj).select_related("revision__user").order_by("pk")
        )
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _t("Change history: %s") % obj,
            "subtitle": None,
            "object": obj,
            "opts": opts,
            "app_label": opts.app_label,
            "entries": version_history(versions),
            "can_revert": self.has_change_permission(request, obj),
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
            raise Http404(_t("No such record, or it is outside your regions."))
        request.reverting_revision = True
        request.lock_versions_before_revert = _current_lock_versions(version.revision)
        return super().revision_view(request, object_id, version_id, extra_context)

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
            # A revert restores the content, not the lock counter: a form
            # loaded before the revert must still be refused afterwards.
            for (model, pk), lock_version in request.lock_versions_before_revert.items():
                model._base_manager.filter(pk=pk).update(lock_version=lock_version)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def recoverlist_view(self, request, extra_context=None):
        # Deleted records have no region left to check against: superusers only.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().recoverlist_view(request, extra_context)

    def recover_view(self, request, version_id, extra_context=None):
        if not request.user.is_superuser:
            raise PermissionDenied
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
                "aria-label": _t("Select this object for an action - %s") % obj,
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
        if self.is_lock_versioned and "delete_selected" in actions:
            # Django's delete action knows nothing of versions: refuse it too
            # when a selected record was changed since the user loaded it.
            action = actions["delete_selected"]
            actions["delete_selected"] = dataclasses.replace(
                action, func=_refusing_stale(action.func)
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
    PublicationState.IN_REVIEW: _("Submit for review"),
    PublicationState.PUBLISHED: _("Publish"),
    PublicationState.DRAFT: _("Return to draft"),
    PublicationState.WITHDRAWN: _("Withdraw from the public"),
}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning or withdrawing: say why."),
    )
    lock_version_seen = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, decisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [(state, DECISIONS[state]) for state in decisions]

    def clean(self):
        cleaned_data = super().clean()
        needs_note = {PublicationState.DRAFT, PublicationState.WITHDRAWN}
        if cleaned_data.get("decision") in needs_note and not cleaned_data.get("note", "").strip():
            self.add_error("note", _("Say why, so that the editor knows what to change."))
        return cleaned_data


class ReviewAdminMixin:
    """
    Review before publish: editors submit drafts; reviewers publish, return
    with a note, or withdraw. Each step is recorded with who and when.
    Bulk actions do the same for many records at once.
    """

    review_permission: str  # e.g. "metrics.review_observation"
    actions = ["submit_for_review", "publish", "withdraw"]

    def has_review_permission(self, request, obj=None):
        return request.user.has_perm(self.review_permission)

    def has_submit_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def allowed_decisions(self, request, obj) -> list[str]:
        current = PublicationState(obj.publication_state)
        decisions = []
        for state in ALLOWED_TRANSITIONS[current]:
            if state == PublicationState.IN_REVIEW:
                allowed = self.has_submit_permission(request, obj)
            else:
                allowed = self.has_review_permission(request, obj)
            if allowed:
                decisions.append(state)
        return decisions

    # Editing rules ------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or self.content_is_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or obj.publication_state == PublicationState.DRAFT

    def content_is_editable(self, request, obj) -> bool:
        """Drafts only: a submitted record waits for review, a published one is corrected."""
        return obj.publication_state == PublicationState.DRAFT

    # Views ---------------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name=f"{opts.app_label}_{opts.model_name}_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_t("No such record, or it is outside your regions."))
        decisions = self.allowed_decisions(request, obj)
        if not decisions:
            raise PermissionDenied
        form = ReviewForm(
            request.POST or None,
            decisions=decisions,
            initial={"lock_version_seen": obj.lock_version},
        )
        if request.method == "POST" and form.is_valid():
            try:
                records_move_to(
                    records=[obj],
                    state=form.cleaned_data["decision"],
                    user=request.user,
                    note=form.cleaned_data["note"].strip(),
                    seen_versions={obj.pk: form.cleaned_data["lock_version_seen"]},
                )
            except PublicationError as error:
                for _record, message in error.failures:
                    form.add_error(None, message)
            else:
                self.message_user(
                    request,
                    _t("%(record)s: %(decision)s.")
                    % {"record": obj, "decision": DECISIONS[form.cleaned_data["decision"]]},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(obj))
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _t("Review: %s") % obj,
            "object": obj,
            "opts": opts,
            "app_label": opts.app_label,
            "form": form,
            "steps": ReviewStep.objects.for_record(obj),
            "change_url": self._change_url(obj),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/review.html", context)

    def _change_url(self, obj):
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[quote(obj.pk)],
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if obj is not None:
            opts = self.model._meta
            extra_context.update(
                review_steps=ReviewStep.objects.for_record(obj),
                review_url=reverse(
                    f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_review",
                    args=[quote(obj.pk)],
                )
                if self.allowed_decisions(request, obj)
                else None,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # Bulk actions ----------------------------------------------------------------------

    def _move(self, request, queryset, state, done_message):
        try:
            count = records_move_to(
                records=queryset,
                state=state,
                user=request.user,
                seen_versions=getattr(request, "seen_versions", None),
            )
        except PublicationError as error:
            for record, message in error.failures:
                self.message_user(request, f"{record}: {message}", messages.ERROR)
            self.message_user(
                request, _t("Nothing was changed; correct the records above first."), messages.ERROR
            )
            return
        self.message_user(request, done_message(count), messages.SUCCESS)

    @admin.action(description=_("Submit selected for review"), permissions=["submit"])
    def submit_for_review(self, request, queryset):
        not_editable = [obj for obj in queryset if not self.has_submit_permission(request, obj)]
        if not_editable:
            self.message_user(
                request,
                _t("Only drafts can be submitted: %s") % ", ".join(map(str, not_editable)),
                messages.ERROR,
            )
            return
        self._move(
            request,
            queryset,
            PublicationState.IN_REVIEW,
            lambda n: (
                ngettext("%d record submitted for review.", "%d records submitted for review.", n)
                % n
            ),
        )

    @admin.action(description=_("Publish selected"), permissions=["review"])
    def publish(self, request, queryset):
        self._move(
            request,
            queryset,
            PublicationState.PUBLISHED,
            lambda n: ngettext("%d record published.", "%d records published.", n) % n,
        )

    @admin.action(description=_("Withdraw selected"), permissions=["review"])
    def withdraw(self, request, queryset):
        self._move(
            request,
            queryset,
            PublicationState.WITHDRAWN,
            lambda n: ngettext("%d record withdrawn.", "%d records withdrawn.", n) % n,
        )

    @admin.display(description=_("publication state"), ordering="publication_state")
    def publication_badge(self, obj):
        return format_html(
            '<span class="state state-{}">{}</span>',
            obj.publication_state,
            obj.get_publication_state_display(),
        )
