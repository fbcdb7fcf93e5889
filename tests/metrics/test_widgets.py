"""The filter drop-downs drawn in Python give the same markup as Django's own Select."""

import pytest
from django import forms
from django.test.html import parse_html
from django.utils.translation import gettext_lazy

from metrics.filters import BoundedSelect, PlainNumberInput, PlainSelect, PlainTextInput

CHOICES = [
    ("", "All regions"),
    ("140000", "Shanxi (140000)"),
    ("141000", '\u2003Linfen <county> & "town" (141000)'),
]


@pytest.mark.parametrize(
    ("choices", "value", "attrs"),
    [
        (CHOICES, "141000", {"id": "id_region"}),
        (CHOICES, None, {"id": "id_region", "aria-describedby": "region_help"}),
        (CHOICES, "", {"required": True, "disabled": False}),
        ([("Platforms", [("alibaba", "Alibaba"), ("jd", "JD.com")]), ("x", "Other")], "jd", {}),
        ([], None, {"class": "filter"}),
        ([("2020", "First"), ("2020", "Same value again"), (None, "None")], "2020", {}),
        ([(None, "No value"), ("x", gettext_lazy("Kind"))], None, {}),
    ],
)
def test_plain_select_draws_what_django_draws(choices, value, attrs):
    expected = forms.Select(choices=choices).render("region", value, attrs=attrs)
    drawn = PlainSelect(choices=choices).render("region", value, attrs=attrs)
    assert parse_html(drawn) == parse_html(expected)
    assert "<county>" not in drawn


def test_plain_select_marks_several_chosen_options():
    choices = [("kuaishou", "Kuaishou"), ("douyin", "Douyin"), ("jd", "JD.com")]

    class Multiple(PlainSelect):
        allow_multiple_selected = True

    drawn = Multiple(attrs={"multiple": True}, choices=choices).render(
        "partner", ["kuaishou", "jd"]
    )
    expected = forms.SelectMultiple(choices=choices).render("partner", ["kuaishou", "jd"])
    assert parse_html(drawn) == parse_html(expected)


@pytest.mark.parametrize(
    ("plain", "django"),
    [(PlainTextInput, forms.TextInput), (PlainNumberInput, forms.NumberInput)],
)
@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        (None, {"id": "id_q"}),
        ("", {"id": "id_q", "maxlength": "100"}),
        ('Linfen <county> & "town"', {"required": True, "disabled": False}),
        (2020, {"min": "1949", "max": "2100", "aria-invalid": "true"}),
    ],
)
def test_plain_inputs_draw_what_django_draws(plain, django, value, attrs):
    expected = django(attrs={"class": "filter"}).render("q", value, attrs=attrs)
    drawn = plain(attrs={"class": "filter"}).render("q", value, attrs=attrs)
    assert parse_html(drawn) == parse_html(expected)
    assert "<county>" not in drawn


@pytest.mark.django_db
@pytest.mark.parametrize("value", [None, "", "141000", "140000", "2020", "999999", '"<x>"'])
def test_remembered_options_mark_the_chosen_one_as_a_full_drawing_does(value):
    # Drawn once unselected and remembered; each render marks its own choice.
    options = [*CHOICES[1:], ("2020", "First"), ("2020", "Same value again"), ('"<x>"', "Odd")]
    remembered = BoundedSelect(
        options=lambda: options, empty_label="All regions", options_name="test-regions"
    )
    remembered.render("region", "140000")  # kept with another choice marked

    drawn = remembered.render("region", value, attrs={"id": "id_region"})
    expected = forms.Select(choices=[("", "All regions"), *options]).render(
        "region", value, attrs={"id": "id_region"}
    )
    assert parse_html(drawn) == parse_html(expected)
    assert drawn.count(" selected") == (0 if value == "999999" else 1)
