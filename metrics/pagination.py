"""Pages without counting whole tables."""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from metrics.page_cache import remembered

# Nobody pages past a thousand rows (forty pages): filters narrow a list and
# the CSV export has every row.
COUNT_CAP = 1_000

# A page counts the rows of the pages it links to, a few past itself, not the
# list: under a selective filter the database reads many rows for each one it
# counts, and counting to 10,000 read up to 117,000 rows (bench/explain.py).
LOOK_AHEAD_PAGES = 4


class CappedPaginator(Paginator):
    """
    Counts as far as the pages it offers: up to LOOK_AHEAD_PAGES past the
    page asked for (COUNT over a LIMITed subquery), and never past COUNT_CAP,
    so a list of a million rows costs what a list of a hundred does. Past
    that the page shows "more than N" and offers the pages up to N.
    """

    cap = COUNT_CAP
    look_ahead_pages = LOOK_AHEAD_PAGES

    is_capped = False

    # The page asked for, known before counting (Paginator.page validates
    # the number, which counts); the admin and the API ask for page 1 first.
    asked_for = 1

    def ask_for(self, number) -> None:
        """Remember the page asked for, if nothing was counted yet."""
        if "count" not in self.__dict__:
            try:
                self.asked_for = max(int(number), 1)
            except (TypeError, ValueError):
                pass

    def validate_number(self, number):
        self.ask_for(number)
        return super().validate_number(number)

    @property
    def window(self) -> int:
        """How many rows this page counts at most."""
        return min(self.cap, (self.asked_for + self.look_ahead_pages) * self.per_page)

    @cached_property
    def count(self):
        rows = self._rows()
        window = self.window
        if isinstance(rows, QuerySet):
            # Counting needs neither the order nor the annotated columns.
            counted = self.count_rows(rows.order_by().values("pk")[: window + 1])
        else:
            counted = len(rows)
        self.is_capped = counted > window
        return min(counted, window)

    def count_rows(self, rows: QuerySet) -> int:
        return rows.count()

    def _rows(self):
        """The queryset under a django-tables2 table's rows, or the list itself."""
        rows = getattr(self.object_list, "data", self.object_list)  # BoundRows -> TableData
        return getattr(rows, "data", rows)  # TableData -> QuerySet


class PublicPaginator(CappedPaginator):
    """
    For lists of published records only. A filtered list counts the same for
    every sort and every page that counts as far, so the count is kept per
    content version (metrics.page_cache.remembered) under its own SQL: a
    visitor sorting or paging a search does not count it again. Staff lists
    hold drafts, which move no content version: they count every time.
    """

    def count_rows(self, rows: QuerySet) -> int:
        try:
            sql, params = rows.query.sql_with_params()
        except EmptyResultSet:  # a filter that matches nothing: no query to run
            return 0
        return remembered("list-count", rows.count, rows.db, sql, params)
