"""
Public tables draw their rows in Python (PublicTable.rendered_rows) instead
of through django-tables2's template, cell by cell. What a visitor sees must
not change: every cell of every public table, in both languages, is the
same HTML the template draws from django-tables2's own rows.
"""

import pytest
from django.template import Context, Template

from tests.factories import ObservationFactory

pytestmark = pytest.mark.django_db

TEMPLATE_ROW = Template(
    "{% for column, cell in row.items %}"
    "<td {{ column.attrs.td.as_html }}>{{ cell }}</td>"
    "{% endfor %}"
)
PAGES = [
    "/programs/",
    "/programs/?sort=-regions",
    "/metrics/",
    "/metrics/online-retail-sales/",
    "/metrics/livestream-campaign-sales/",
    "/metrics/rural-share-of-online-retail-sales/",
    "/regions/140000/",
    "/regions/141000/",
]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("page", PAGES)
def test_rows_are_drawn_as_the_template_draws_them(shanxi_module, client, page, language):
    # A revised figure and a figure without a change, for the cells that differ.
    revised = ObservationFactory(published=True)
    revised.revised_at = revised.published_at
    revised.save()
    prefix = "" if language == "en" else "/zh-hans"
    table = client.get(prefix + page).context["table"]
    drawn = list(table.rendered_rows())

    expected = [TEMPLATE_ROW.render(Context({"row": row})) for row in table.paginated_rows]

    assert drawn, "the page shows rows"
    assert drawn == expected


def test_each_table_changes_its_own_copy_of_the_columns():
    # Tables copy their class's columns shallowly (metrics.tables._CopiedColumns):
    # what one table sets on a column must not reach the class or the next table.
    from programs.tables import ProgramTable

    first = ProgramTable([])
    first.columns.hide("kind")
    second = ProgramTable([])

    assert not first.columns["kind"].visible
    assert second.columns["kind"].visible
    assert ProgramTable.base_columns["kind"].visible
    assert "data-label" not in ProgramTable.base_columns["title"].attrs.get("td", {})
    assert second.columns["title"].attrs["td"]["data-label"] == "Program"
    assert first.columns["title"].column is not second.columns["title"].column
