"""
Where a staff account works: its region scope, and which records it covers.

An account's rights cover the regions assigned to it and everything below
them: an editor for Linfen works on Linfen and its counties, not Taiyuan.
A record tied to regions (a figure, a program) is covered when all its
regions are. A shared reference (a source, a metric, an organisation
without a region, a validation rule) is not tied to a region: it is
covered when every region that uses it is, so nobody changes what other
regions' published records show.
"""

from dataclasses import dataclass

from django.db.models import Q

from metrics.models import Region


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

    def contains_path(self, path: str) -> bool:
        return self.paths is None or any(path.startswith(mine) for mine in self.paths)


def owner_of(record):
    """The record whose rights a part shares (a program's outcome -> the program), or itself."""
    owner_field = getattr(type(record), "workflow_owner", None)
    return getattr(record, owner_field) if owner_field else record


def _own_paths(record) -> list[str] | None:
    """
    The region paths the record itself is placed in, as it is in memory
    (a form's new region counts); None when its model is not placed by
    regions, or its regions are a many-to-many relation of a record not
    saved yet (they are known only once the form has saved them).
    """
    lookup = getattr(type(record), "region_path", None)
    if lookup is None:
        return None
    field = record._meta.get_field(lookup.split("__")[0])
    if not field.many_to_many:
        region = getattr(record, field.name)
        return [region.path] if region is not None else []
    if record.pk is None:
        return None
    rows = type(record)._base_manager.filter(pk=record.pk).values_list(lookup, flat=True)
    return [path for path in rows if path]


def _paths_using(record):
    """The region paths of every record that points at this one (None: one placed nowhere)."""
    for relation in type(record)._meta.related_objects:
        model = relation.related_model
        lookup = getattr(model, "region_path", None)
        if lookup is None:
            continue
        users = model._base_manager.filter(**{relation.field.name: record.pk})
        yield from users.values_list(lookup, flat=True).distinct().iterator()


def covers(scope: RegionScope, record, *, fresh: bool = False) -> bool:
    """
    Whether the scope covers the record: all its regions when it is tied to
    regions, every region that uses it when it is a shared reference.
    Computed once per record and request unless `fresh` (after a save).
    """
    if scope.is_everywhere:
        return True
    record = owner_of(record)
    cache = record.__dict__.setdefault("_scope_cache", {})
    key = scope.paths
    if key in cache and not fresh:
        return cache[key]
    answer = _covers(scope, record)
    cache[key] = answer
    return answer


def _covers(scope: RegionScope, record) -> bool:
    inherited = getattr(record, "scope_inherited_from", None)
    if inherited is not None:
        return all(covers(scope, other) for other in inherited() if other is not None)
    paths = _own_paths(record)
    if paths:
        return all(scope.contains_path(path) for path in paths)
    if getattr(type(record), "is_shared_reference", False):
        # A correction is used where the record it corrects is.
        used = record.revision_of if getattr(record, "revision_of_id", None) else record
        if used.pk is None:
            return True  # new and unused: nobody else's regions depend on it
        return all(path and scope.contains_path(path) for path in _paths_using(used))
    # A record that should be placed in regions and is not yet: until it
    # has regions it belongs to nobody's scope but everywhere's. A form
    # checks again once its regions are saved.
    return paths is None and record.pk is None
