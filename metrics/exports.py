"""
Streamed CSV and XLSX downloads of what a table shows.

Rows are read from the database in chunks and written as they come, so a
download of a million rows needs no more memory than one of a thousand.
"""

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import batched

from django.core.exceptions import BadRequest
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django_tables2.data import TableQuerysetData

# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
CHUNK_SIZE = 2000


# A plain number ("-5.9", "+23.7%") is data, not a formula, and stays as it is.
PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?%?")


def safe_cell(value) -> str:
    """
    Text for a cell, with formula triggers neutralised by a leading
    apostrophe: every download the site writes (public tables, the bulk
    download, the admin's export) passes its cells through here.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class PlainDecimal(Decimal):
    """A Decimal written out as plain digits ("0.000000001", never "1E-9") in a CSV."""

    def __str__(self):
        return format(self, "f")


def spreadsheet_cell(value):
    """
    A cell of an XLSX download: a count or an amount stays a number, which
    a spreadsheet sums, sorts and charts; anything else is text, through
    `safe_cell`. (True and False are ints to Python, not counts.)
    """
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return value
    return safe_cell(value)


def restored_cell(text: str) -> str:
    """A cell as it was before `safe_cell`: an exported file uploaded again reads the same."""
    if text.startswith("'") and safe_cell(text[1:]) == text:
        return text[1:]
    return text


class StreamedQuerysetData(TableQuerysetData):
    """
    Table data that reads its queryset in chunks instead of all at once;
    `prepare(rows)`, when given, completes each chunk (e.g. with figures
    read for the whole chunk in one query) before its rows are written.
    """

    def __init__(self, data, prepare=None):
        super().__init__(data)
        self.prepare = prepare

    def __iter__(self):
        rows = self.data.iterator(chunk_size=CHUNK_SIZE)
        if self.prepare is None:
            return rows
        return (row for chunk in batched(rows, CHUNK_SIZE) for row in self.prepare(chunk))


class _Echo:
    """A file-like object whose write() hands the line back to the caller."""

    def write(self, value):
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A byte-order mark lets spreadsheet programs open the UTF-8 Chinese text.
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_response(rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    """Stream rows (the first one the header) as a CSV download."""
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(rows: Iterable[Iterable], filename: str) -> FileResponse:
    """
    Write rows to an XLSX file in openpyxl's write-only mode and stream the
    file; numbers are written as numbers (`spreadsheet_cell`).

    An XLSX file is a zip whose index comes last, so it cannot be sent
    before it is complete; write-only mode keeps memory flat while it is
    built in a temporary file, which is then streamed and deleted.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=filename[:31])
    for row in rows:
        sheet.append([spreadsheet_cell(cell) for cell in row])
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def table_rows(table) -> Iterator[list]:
    """The header and every row of a table, as its export shows them."""
    return table.as_values()


class TableExportMixin:
    """
    For a SingleTableMixin + FilterView: answer with every row the page's
    filters select, in the page's sort order, instead of one page of HTML.
    A filter the form rejects answers 400 rather than exporting everything.
    """

    export_formats = ("csv",)

    def get_export_filename(self) -> str:
        raise NotImplementedError

    def get_export_data(self, queryset):
        return StreamedQuerysetData(queryset)

    def get(self, request, *args, **kwargs):
        export_format = kwargs.get("format", "csv")
        if export_format not in self.export_formats:
            raise BadRequest(_("Unknown download format."))
        filterset = self.get_filterset(self.get_filterset_class())
        if filterset.is_bound and not filterset.is_valid():
            raise BadRequest(_("Invalid filter."))
        table = self.get_table_class()(
            self.get_export_data(filterset.qs),
            order_by=request.GET.get("sort"),
            default="",  # an empty cell, not the page's dash
            **self.get_table_kwargs(),
        )
        respond = xlsx_response if export_format == "xlsx" else csv_response
        return respond(table_rows(table), filename=self.get_export_filename())
