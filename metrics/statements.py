"""
How we know what a record says: quoted, derived or inferred.

A record's figures and claims rest on a source in one of three ways. A
*quoted* statement is in the source, word for word (its sentence is kept);
a *derived* one is worked out from quoted ones (its working is kept); an
*inferred* one is the department's reading of the source, not something it
says (its reasoning is kept). Readers weigh them differently, so every page,
the API and the bulk download say which each statement is.

A figure's basis is a column of its own (metrics.Observation.basis), since
queries choose between a reported and a derived figure of the same period.
The other statements a record makes (a program's lead organisation, its
official, dates and status; a partner's role; an outcome link; a metric's
definition and frequency) keep theirs in one JSON column, `bases`, keyed by
statement, so that a correction, the history and the review screen carry
them with the record without a table per statement.
"""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Basis(models.TextChoices):
    """How a statement is known from its source."""

    QUOTED = "quoted", pgettext_lazy("basis", "quoted")
    DERIVED = "derived", pgettext_lazy("basis", "derived")
    INFERRED = "inferred", pgettext_lazy("basis", "inferred")


# What the note of each basis holds, as staff and readers are told.
NOTE_LABELS = {
    Basis.QUOTED: _("the source's sentence"),
    Basis.DERIVED: _("the working"),
    Basis.INFERRED: _("the reasoning"),
}
MISSING_NOTE = {
    Basis.QUOTED: _("Quote the source's sentence that states it."),
    Basis.DERIVED: _("Say how it was worked out."),
    Basis.INFERRED: _("Give the reasoning: the source does not say this."),
}


@dataclass(frozen=True)
class Statement:
    """One statement of a record with how it is known."""

    name: str
    label: str
    basis: str
    note: str
    source: str = ""

    @property
    def basis_label(self) -> str:
        return Basis(self.basis).label

    @property
    def note_label(self) -> str:
        return NOTE_LABELS[Basis(self.basis)]

    def as_data(self) -> dict:
        """The statement as the API and the download give it."""
        return {"basis": self.basis, "note": self.note, "source": self.source}


def statement_errors(basis: str, note: str) -> str | None:
    """Why a basis with this note cannot stand, or None."""
    if basis not in Basis.values:
        return gettext("Choose quoted, derived or inferred.")
    if not (note or "").strip():
        return str(MISSING_NOTE[Basis(basis)])
    return None


class StatedBases(models.Model):
    """
    A record whose statements (named in `stated`, with their labels) each
    may say how they are known. Statements without an entry are simply not
    described yet; an entry must be complete to be kept.
    """

    stated: dict[str, str] = {}

    bases = models.JSONField(
        _("how we know it"),
        default=dict,
        blank=True,
        help_text=_("For each statement: quoted (with its sentence), derived or inferred."),
    )

    class Meta:
        abstract = True

    def statements(self) -> list[Statement]:
        """The described statements, in the order the record declares them."""
        found = []
        for name, label in self.stated.items():
            entry = (self.bases or {}).get(name)
            if entry:
                found.append(
                    Statement(
                        name=name,
                        label=str(label),
                        basis=entry.get("basis", ""),
                        note=entry.get("note", ""),
                        source=entry.get("source", ""),
                    )
                )
        return found

    def statement(self, name: str) -> Statement | None:
        """How the named statement is known, when that is recorded."""
        return next((found for found in self.statements() if found.name == name), None)

    def statement_problems(self) -> dict[str, str]:
        """Incomplete or unknown entries, keyed by statement name."""
        if not isinstance(self.bases or {}, dict):
            return {"bases": gettext("Describe each statement by its name.")}
        problems = {}
        for name, entry in (self.bases or {}).items():
            if name not in self.stated:
                problems[name] = gettext("This record makes no statement called “%s”.") % name
                continue
            if not isinstance(entry, dict):
                problems[name] = gettext("Choose quoted, derived or inferred.")
                continue
            if problem := statement_errors(entry.get("basis", ""), entry.get("note", "")):
                problems[name] = f"{self.stated[name]}: {problem}"
        return problems

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if "bases" not in (exclude or ()) and (problems := self.statement_problems()):
            errors.setdefault("bases", []).extend(problems.values())
        if errors:
            raise ValidationError(errors)


def bases_fieldset(model) -> tuple:
    """The admin fieldset of the form fields `with_bases` adds, one row per statement."""
    rows = [
        (f"basis_{name}", f"basis_source_{name}", f"basis_note_{name}") for name in model.stated
    ]
    return (_("How we know it"), {"fields": rows, "classes": ["collapse"]})


def _statement_label(template, label) -> str:
    return str(template) % {"statement": label}


# The admin builds its form classes once, at start-up, in English: the labels
# are put together when a page is rendered, in the reader's language.
statement_label = lazy(_statement_label, str)


def with_bases(form_class: type[forms.ModelForm], model) -> type[forms.ModelForm]:
    """
    The form class with `bases` edited as a choice, a note and a source per
    statement instead of raw JSON: staff pick quoted, derived or inferred
    and write the sentence, the working or the reasoning beside it.
    """
    from metrics.models import Source

    fields = {}
    for name, label in model.stated.items():
        fields[f"basis_{name}"] = forms.ChoiceField(
            label=statement_label(_("%(statement)s: how we know it"), label),
            choices=[("", _("not described"))] + list(Basis.choices),
            required=False,
        )
        fields[f"basis_note_{name}"] = forms.CharField(
            label=statement_label(_("%(statement)s: sentence, working or reasoning"), label),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
        fields[f"basis_source_{name}"] = forms.ModelChoiceField(
            label=statement_label(_("%(statement)s: source"), label),
            queryset=Source.objects.canonical(),
            to_field_name="slug",
            required=False,
        )
    return type(f"{model.__name__}BasesForm", (StatedBasesForm, form_class), fields)


class StatedBasesForm(forms.ModelForm):
    """Packs the per-statement fields of `with_bases` into the record's `bases`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bases = self.instance.bases or {}
        for name in self._meta.model.stated:
            entry = bases.get(name) or {}
            keys = (("basis", "basis"), ("basis_note", "note"), ("basis_source", "source"))
            for prefix, key in keys:
                if f"{prefix}_{name}" in self.fields:
                    self.initial.setdefault(f"{prefix}_{name}", entry.get(key, ""))

    def clean(self):
        cleaned = super().clean()
        if not any(name.startswith("basis_") for name in self.fields):
            return cleaned
        bases = {}
        for name in self._meta.model.stated:
            basis = cleaned.get(f"basis_{name}") or ""
            note = (cleaned.get(f"basis_note_{name}") or "").strip()
            source = cleaned.get(f"basis_source_{name}")
            if not basis:
                if note:
                    self.add_error(f"basis_{name}", gettext("Choose quoted, derived or inferred."))
                continue
            if problem := statement_errors(basis, note):
                self.add_error(f"basis_note_{name}", problem)
                continue
            bases[name] = {"basis": basis, "note": note, "source": source.slug if source else ""}
        self.instance.bases = bases
        return cleaned


def described_statements(record) -> list[tuple[object, list[Statement]]]:
    """
    What a reviewer reads before publishing: for the record and each of its
    parts, the statements it describes as quoted, derived or inferred (a
    figure's own basis included), so that an inference is seen as one.
    """
    found = []
    for stated in (record, *getattr(record, "stated_parts", lambda: ())()):
        statements = list(getattr(stated, "statements", list)())
        basis = getattr(stated, "basis", None)
        if isinstance(basis, str) and basis in Basis.values:
            note = stated.source_quote if basis == Basis.QUOTED else stated.basis_note
            source = stated.source.slug if getattr(stated, "source", None) else ""
            statements.insert(0, Statement("value", str(_("figure")), basis, note, source))
        if statements:
            found.append((stated, statements))
    return found
