"""
The publication rules: who may take which step on which record.

This module alone answers questions such as "may this account publish
this figure?": by role, by region scope, by the record's publication state
and by who changed it. Every write path asks it — the admin's forms,
actions and review page, reverts, both importers — either directly through
`can()` / `refusal()` or through the step services in
`metrics.workflow.steps`, which call `check()` before they write. Django
sees the same answers through `metrics.workflow.backends.WorkflowBackend`
(`user.has_perm(perm, obj)`). The admin asks `can()` itself because
Django grants every `has_perm` to a superuser without asking any backend,
and superusers are bound by review like everyone else.

The rules, as `RULES` states them:

- editors and reviewers create records and edit drafts in their regions;
  shared references (sources, metrics, organisations without a region,
  validation rules) only when their regions cover every region that uses
  the reference;
- a record in review is frozen: only a reviewer's decision moves it;
- reviewers publish, return to draft (with a note) and withdraw (with a
  note), but never publish a change they made themselves;
- a published record is never edited: editors and reviewers propose a
  correction, a draft that goes through review (with a note saying what
  it corrects and why) and replaces the published content when published;
- viewers read; superusers hold every role everywhere, and the same rules
  on states, notes and authorship bind them;
- each account keeps its own reminder settings, and sees nobody else's;
- problems the public reports are read by every role in the record's
  regions and answered by reviewers there; only superusers delete them.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from metrics.models import PublicationState, Publishable
from metrics.workflow.scope import RegionScope, covers, owner_of


class Role(models.TextChoices):
    """The staff roles; each is a group of the same name (made by a migration)."""

    EDITOR = "editor", _("Editor")
    REVIEWER = "reviewer", _("Reviewer")
    VIEWER = "viewer", _("Viewer")


class Step(models.TextChoices):
    VIEW = "view", _("view")
    CREATE = "create", _("create")
    EDIT = "edit", _("edit")
    DELETE = "delete", _("delete")
    SUBMIT = "submit", _("submit for review")
    PUBLISH = "publish", _("publish")
    RETURN = "return", _("return to draft")
    WITHDRAW = "withdraw", _("withdraw")
    REOPEN = "reopen", _("reopen as a draft")
    CORRECT = "correct", _("propose a correction")


class NoteRule(StrEnum):
    OPTIONAL = "optional"
    REQUIRED = "required"
    FOR_CORRECTIONS = "for corrections"


@dataclass(frozen=True)
class Rule:
    """Who may take a step, from which states, where it leads and what it needs."""

    roles: frozenset[str]
    states: frozenset[str] | None = None  # None: any state, or no record yet
    to_state: str | None = None
    note: NoteRule = NoteRule.OPTIONAL
    # Refused to anyone who changed the content since it was last published.
    four_eyes: bool = False


D, R, P, W = (
    PublicationState.DRAFT,
    PublicationState.IN_REVIEW,
    PublicationState.PUBLISHED,
    PublicationState.WITHDRAWN,
)
AUTHORING = frozenset({Role.EDITOR, Role.REVIEWER})
REVIEWING = frozenset({Role.REVIEWER})
EVERY_ROLE = frozenset(Role)

RULES: dict[Step, Rule] = {
    Step.VIEW: Rule(roles=EVERY_ROLE),
    Step.CREATE: Rule(roles=AUTHORING),
    Step.EDIT: Rule(roles=AUTHORING, states=frozenset({D})),
    Step.DELETE: Rule(roles=AUTHORING, states=frozenset({D})),
    Step.SUBMIT: Rule(
        roles=AUTHORING, states=frozenset({D}), to_state=R, note=NoteRule.FOR_CORRECTIONS
    ),
    Step.PUBLISH: Rule(roles=REVIEWING, states=frozenset({R}), to_state=P, four_eyes=True),
    Step.RETURN: Rule(roles=REVIEWING, states=frozenset({R}), to_state=D, note=NoteRule.REQUIRED),
    Step.WITHDRAW: Rule(roles=REVIEWING, states=frozenset({P}), to_state=W, note=NoteRule.REQUIRED),
    Step.REOPEN: Rule(roles=REVIEWING, states=frozenset({W}), to_state=D),
    Step.CORRECT: Rule(roles=AUTHORING, states=frozenset({P})),
}
# The steps a reviewer's or an editor's decision on the review page offers.
DECISIONS = (Step.SUBMIT, Step.PUBLISH, Step.RETURN, Step.WITHDRAW, Step.REOPEN)

# Geography and vocabulary every form chooses from: readable by every role,
# changed by superusers only (regions follow GB/T 2260; sectors are a short
# fixed list). The review trail and public history are written by the
# workflow alone. Anything else outside the two apps is for superusers.
# Every role reads these; an administrator keeps them.
VOCABULARY = {
    "metrics.region",
    "programs.sector",
    "metrics.releasecalendar",
    "metrics.releasedate",
}
TRAIL = {"metrics.reviewstep", "metrics.publishedversion"}
# Uploading a release is entering figures: whoever may create figures may.
IMPORTS = {"metrics.importjob"}
# An account's own settings (which reminders it receives): every staff role
# keeps its own, superusers anyone's; nobody sees another account's.
PERSONAL = {"metrics.reminderpreference"}
# Problems the public reports with a figure or program: every role reads
# those on records of its regions; reviewers, who decide what the public
# sees, set their status and give the public answer (shown without further
# review). The public alone sends them; only a superuser deletes one.
REPORTS = {"metrics.problemreport"}
STAFF_APPS = {"metrics", "programs"}


class WorkflowError(PermissionDenied):
    """A step the policy refuses; the message names the record and says why."""

    def __init__(self, message: str, *, code: str = "refused", record=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.record = record


def roles_of(user) -> frozenset[str]:
    """The user's roles (every role for a superuser), read once per request."""
    if not user.is_active or not getattr(user, "is_staff", False):
        return frozenset()
    if user.is_superuser:
        return EVERY_ROLE
    cached = getattr(user, "_workflow_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        user._workflow_roles = cached
    return cached


def needs_note(step: Step, record) -> bool:
    rule = RULES[step].note
    if rule == NoteRule.REQUIRED:
        return True
    return rule == NoteRule.FOR_CORRECTIONS and bool(getattr(record, "revision_of_id", None))


def _name(record) -> str:
    try:
        return f"“{record}”"
    except ObjectDoesNotExist:  # a record not filled in yet: name its kind
        return f"“{record._meta.verbose_name}”"


def _state_refusal(step: Step, record) -> str:
    name = _name(record)
    state = record.publication_state
    if state == PublicationState.IN_REVIEW:
        return gettext(
            "%(record)s is in review: it stays as the reviewer saw it until a reviewer "
            "publishes it or returns it to draft."
        ) % {"record": name}
    if state == PublicationState.PUBLISHED and step in (Step.EDIT, Step.DELETE):
        return gettext(
            "%(record)s is published: propose a correction, which goes through review."
        ) % {"record": name}
    if state == PublicationState.WITHDRAWN and step in (Step.EDIT, Step.DELETE):
        return gettext("%(record)s is withdrawn: a reviewer reopens it as a draft first.") % {
            "record": name
        }
    return gettext("%(record)s is %(state)s, so it cannot be given the step “%(step)s”.") % {
        "record": name,
        "state": PublicationState(state).label.lower(),
        "step": Step(step).label,
    }


def _scope_refusal(record) -> str:
    if getattr(type(record), "is_shared_reference", False) and not getattr(
        type(record), "region_path", None
    ):
        return gettext(
            "%(record)s is used in regions outside yours: only someone whose regions cover "
            "all of them may change it."
        ) % {"record": _name(record)}
    return gettext("%(record)s lies outside your regions.") % {"record": _name(record)}


def _kind(model) -> str:
    label = model._meta.label_lower
    if issubclass(model, Publishable):
        return "publishable"
    if getattr(model, "workflow_owner", None):
        return "part"
    if label in VOCABULARY:
        return "vocabulary"
    if label in TRAIL:
        return "trail"
    if label in IMPORTS:
        return "imports"
    if label in PERSONAL:
        return "personal"
    if label in REPORTS:
        return "reports"
    return "administration"


def refusal(
    user,
    step: Step,
    record=None,
    *,
    model=None,
    note: str | None = None,
    fresh: bool = False,
) -> str | None:
    """
    Why the user may not take the step on the record (or on records of the
    model, when no record is given), or None when they may. A `note` is
    checked against the step's note rule when given; `fresh` re-reads the
    record's regions (after a form saved them).
    """
    model = model or type(record)
    step = Step(step)
    roles = roles_of(user)
    kind = _kind(model)
    if kind == "part":
        # A program's outcomes, activities, partners and sources change
        # exactly when the program may be edited, and are seen with it.
        owner_model = model._meta.get_field(model.workflow_owner).related_model
        owner = owner_of(record) if record is not None else None
        owner_step = Step.VIEW if step == Step.VIEW else Step.EDIT
        return refusal(user, owner_step, owner, model=owner_model, fresh=fresh)
    if kind == "imports":
        from metrics.models import Observation

        if step in (Step.VIEW, Step.CREATE):
            return refusal(user, Step.CREATE, model=Observation)
        return gettext("An import's record is written by the import itself.")
    if kind == "personal":
        if not roles:
            return gettext("Only staff with a role keep settings here.")
        owner = getattr(record, "user_id", None)
        if user.is_superuser or owner in (None, user.pk):
            return None
        return gettext("These are another staff account's settings.")
    if kind == "reports":
        return _report_refusal(user, step, record, roles)
    if kind in ("vocabulary", "trail", "administration"):
        readable = kind != "administration" and step == Step.VIEW and roles
        if readable or (user.is_active and user.is_superuser and kind != "trail"):
            return None
        if kind == "trail":
            return gettext(
                "The review trail and the public history are written by the workflow alone."
            )
        return gettext("Only superusers change this.")
    rule = RULES[step]
    if not roles & rule.roles:
        return gettext("Your role may not %(step)s %(records)s.") % {
            "step": step.label,
            "records": model._meta.verbose_name_plural,
        }
    if record is None:
        return None
    if rule.states is not None and record.pk is not None:
        if record.publication_state not in rule.states:
            return _state_refusal(step, record)
    if step == Step.CORRECT and record.revision_of_id:
        return gettext("%(record)s is itself a correction; edit it instead.") % {
            "record": _name(record)
        }
    shared_and_read = step == Step.VIEW and getattr(model, "is_shared_reference", False)
    if not shared_and_read and not covers(RegionScope.for_user(user), record, fresh=fresh):
        return _scope_refusal(record)
    if rule.four_eyes and user.pk in (record.authors or []):
        return gettext(
            "You changed %(record)s since it was last published: another reviewer publishes it."
        ) % {"record": _name(record)}
    if note is not None and needs_note(step, record) and not note.strip():
        if record.revision_of_id and step == Step.SUBMIT:
            return gettext(
                "%(record)s: say what the correction changes and why; the public history "
                "shows this note."
            ) % {"record": _name(record)}
        return gettext("%(record)s: say why, so that the editor knows what to change.") % {
            "record": _name(record)
        }
    return None


def _report_refusal(user, step: Step, record, roles) -> str | None:
    if step == Step.CREATE:
        return gettext("Problem reports are sent by the public from the record's page.")
    if step == Step.DELETE:
        if user.is_active and user.is_superuser:
            return None
        return gettext("Only superusers delete a problem report.")
    allowed = EVERY_ROLE if step == Step.VIEW else REVIEWING if step == Step.EDIT else frozenset()
    if not roles & allowed:
        return gettext("Your role may not %(step)s %(records)s.") % {
            "step": step.label,
            "records": gettext("problem reports"),
        }
    if record is not None and not covers(RegionScope.for_user(user), record):
        return _scope_refusal(record)
    return None


def can(user, step: Step, record=None, *, model=None, fresh: bool = False) -> bool:
    """Whether the user may take the step on the record (or on the model's records)."""
    return refusal(user, step, record, model=model, fresh=fresh) is None


def check(
    user, step: Step, record=None, *, model=None, note: str | None = None, fresh: bool = False
) -> None:
    """Raise WorkflowError naming the record when the policy refuses the step."""
    message = refusal(user, step, record, model=model, note=note, fresh=fresh)
    if message is not None:
        raise WorkflowError(message, code=f"{Step(step).value}_refused", record=record)
