"""Pages without counting whole tables."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Nobody pages past 10,000 rows; filters narrow the list instead.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """
    Counts at most COUNT_CAP rows (COUNT over a LIMITed subquery), so a list
    of a million rows costs what a list of ten thousand does. Past the cap
    the page shows "more than 10,000" and the last pages are not offered.
    """

    cap = COUNT_CAP

    is_capped = False

    @cached_property
    def count(self):
        rows = self._rows()
        if isinstance(rows, QuerySet):
            # Counting needs neither the order nor the annotated columns.
            counted = rows.order_by().values("pk")[: self.cap + 1].count()
        else:
            counted = len(rows)
        self.is_capped = counted > self.cap
        return min(counted, self.cap)

    def _rows(self):
        """The queryset under a django-tables2 table's rows, or the list itself."""
        rows = getattr(self.object_list, "data", self.object_list)  # BoundRows -> TableData
        return getattr(rows, "data", rows)  # TableData -> QuerySet
