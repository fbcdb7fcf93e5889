"""
Who may see and change what: roles and region scopes.

A staff account's rights cover the regions assigned to it and everything
below them: an editor for Linfen works on Linfen and its counties and does
not see Taiyuan. Superusers see everything. The checks live here and in
the QuerySets' `within()` methods, and the admin applies them on the
server: in lists, searches, autocompletes, forms, actions and history.
"""

from dataclasses import dataclass

from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _

from metrics.models import PublicationState, Region


class Role(TextChoices):
    EDITOR = "editor", _("Editor")
    REVIEWER = "reviewer", _("Reviewer")
    VIEWER = "viewer", _("Viewer")


@dataclass(frozen=True)
class RegionScope:
    """The region paths a user works under; `paths is None` means everywhere."""

    paths: tuple[str, ...] | None

    @classmethod
    def everywhere(cls) -> "RegionScope":
        return cls(None)

    @classmethod
    def for_user(cls, user) -> "RegionScope":
        """The user's scope, computed once per request and kept on the user object."""
        if user.is_superuser:
            return cls.everywhere()
        cached = getattr(user, "_region_scope", None)
        if cached is None:
            paths = Region.objects.filter(assignments__user=user).values_list("path", flat=True)
            cached = cls(tuple(sorted(paths)))
            user._region_scope = cached
        return cached

    @property
    def is_everywhere(self) -> bool:
        return self.paths is None

    def q(self, path_field: str = "path") -> Q:
        """A condition on a region path field: inside one of the scope's subtrees."""
        if self.paths is None:
            return Q()
        condition = Q(pk__in=[])  # matches nothing when no region is assigned
        for path in self.paths:
            condition |= Q(**{f"{path_field}__startswith": path})
        return condition

    def regions(self):
        return Region.objects.filter(self.q())

    def contains(self, region: Region | None) -> bool:
        if self.paths is None:
            return True
        if region is None:
            return False
        return any(region.path.startswith(path) for path in self.paths)


def has_role(user, role: str) -> bool:
    return user.is_active and (user.is_superuser or user.groups.filter(name=role).exists())


def may_edit_content(user, record) -> bool:
    """
    Editors change drafts only; a submitted record waits for its reviewer
    and a published figure is corrected through review, never in place.
    """
    return record.publication_state == PublicationState.DRAFT
