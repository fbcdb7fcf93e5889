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


# The header and the pagination as templates/django_tables2/public.html drew
# them with django-tables2's tags, before PublicTable drew them in Python.
TEMPLATE_HEADER = Template(
    "{% load django_tables2 %}{% for column in table.columns %}"
    '<th scope="col" {{ column.attrs.th.as_html }}{% if column.is_ordered %} aria-sort="'
    '{% if column.order_by_alias.is_descending %}descending{% else %}ascending{% endif %}"'
    "{% endif %}>{% if column.orderable %}"
    '<a href="{% querystring_replace table.prefixed_order_by_field=column.order_by_alias.next %}">'
    '{{ column.header }}<span class="sort-indicator" aria-hidden="true">{% if column.is_ordered %}'
    "{% if column.order_by_alias.is_descending %} ▼{% else %} ▲{% endif %}{% else %} ⇅{% endif %}"
    "</span></a>{% else %}{{ column.header }}{% endif %}</th>{% endfor %}"
)
TEMPLATE_PAGES = Template(
    "{% load django_tables2 i18n %}{% if table.page.has_previous %}"
    '<li><a rel="prev" href="{% querystring_replace table.prefixed_page_field='
    'table.page.previous_page_number %}">{% translate "Previous" %}</a></li>{% endif %}'
    "{% for p in table.page|table_page_range:table.paginator %}"
    "{% if p == '...' %}<li><span>…</span></li>"
    '{% elif p == table.page.number %}<li><span aria-current="page">{{ p }}</span></li>'
    '{% else %}<li><a href="{% querystring_replace table.prefixed_page_field=p %}">{{ p }}</a></li>'
    "{% endif %}{% endfor %}{% if table.page.has_next %}"
    '<li><a rel="next" href="{% querystring_replace table.prefixed_page_field='
    'table.page.next_page_number %}">{% translate "Next" %}</a></li>{% endif %}'
)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "page",
    [
        "/programs/?per_page=1&page=3",
        "/programs/?sort=-regions&per_page=1&kind=&page=2",
        "/metrics/online-retail-sales/?per_page=1&sort=value&page=5",
        "/metrics/",
        "/regions/140000/?per_page=1&page=4",
    ],
)
def test_the_header_and_the_pages_are_drawn_as_the_template_draws_them(
    shanxi_module, client, page, language
):
    prefix = "" if language == "en" else "/zh-hans"
    response = client.get(prefix + page)
    table, request = response.context["table"], response.wsgi_request
    context = Context({"table": table, "request": request})

    assert table.rendered_header() == TEMPLATE_HEADER.render(context)
    assert 'href="?' in table.rendered_header()
    if table.paginator.num_pages > 1:
        assert table.rendered_pages() == TEMPLATE_PAGES.render(context)
        assert 'aria-current="page"' in table.rendered_pages()


TEMPLATE_SORT_OPTIONS = Template(
    "{% for value, label, current in table.sort_choices %}"
    '<option value="{{ value }}"{% if current %} selected{% endif %}>{{ label }}</option>'
    "{% endfor %}"
)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_phone_sort_list_offers_each_order_and_selects_the_current_one(
    shanxi_module, client, language
):
    prefix = "" if language == "en" else "/zh-hans"
    response = client.get(prefix + "/programs/?sort=-budget_yuan&kind=platform_partnership")
    table = response.context["table"]
    html = response.content.decode()

    options = table.rendered_sort_options()
    assert options == TEMPLATE_SORT_OPTIONS.render(Context({"table": table}))
    assert options in html
    assert options.count("<option ") == 2 * sum(1 for column in table.columns if column.orderable)
    assert options.count(" selected") == 1
    assert '<option value="-budget_yuan" selected>' in options
    # Choosing another order keeps the filter.
    assert '<input type="hidden" name="kind" value="platform_partnership">' in html
